import type { IncomingHttpHeaders } from 'node:http';
import { describe, expect, it } from 'vitest';
import { resolveOperation, S3_OPERATIONS, type S3Operation } from './resolve-operation.js';

interface Row {
  method: string;
  bucket: string | undefined;
  key: string | undefined;
  query: string;
  headers?: IncomingHttpHeaders;
  /** When the wire form belongs to another operation (deprecated aliases). */
  expect?: S3Operation;
}

/** One row per operation in S3_OPERATIONS: the request shape the AWS SDK sends. */
const TABLE: ReadonlyArray<readonly [S3Operation, Row]> = [
  ['AbortMultipartUpload', { method: 'DELETE', bucket: 'bkt', key: 'dir/obj', query: 'uploadId=u1' }],
  ['CompleteMultipartUpload', { method: 'POST', bucket: 'bkt', key: 'dir/obj', query: 'uploadId=u1' }],
  [
    'CopyObject',
    { method: 'PUT', bucket: 'bkt', key: 'dir/obj', query: '', headers: { 'x-amz-copy-source': '/src/key' } },
  ],
  ['CreateBucket', { method: 'PUT', bucket: 'bkt', key: undefined, query: '' }],
  [
    'CreateBucketMetadataConfiguration',
    { method: 'POST', bucket: 'bkt', key: undefined, query: 'metadataConfiguration' },
  ],
  [
    'CreateBucketMetadataTableConfiguration',
    { method: 'POST', bucket: 'bkt', key: undefined, query: 'metadataTable' },
  ],
  ['CreateMultipartUpload', { method: 'POST', bucket: 'bkt', key: 'dir/obj', query: 'uploads' }],
  ['CreateSession', { method: 'GET', bucket: 'bkt', key: undefined, query: 'session' }],
  ['DeleteBucket', { method: 'DELETE', bucket: 'bkt', key: undefined, query: '' }],
  [
    'DeleteBucketAnalyticsConfiguration',
    { method: 'DELETE', bucket: 'bkt', key: undefined, query: 'analytics&id=a1' },
  ],
  ['DeleteBucketCors', { method: 'DELETE', bucket: 'bkt', key: undefined, query: 'cors' }],
  ['DeleteBucketEncryption', { method: 'DELETE', bucket: 'bkt', key: undefined, query: 'encryption' }],
  [
    'DeleteBucketIntelligentTieringConfiguration',
    { method: 'DELETE', bucket: 'bkt', key: undefined, query: 'intelligent-tiering&id=a1' },
  ],
  [
    'DeleteBucketInventoryConfiguration',
    { method: 'DELETE', bucket: 'bkt', key: undefined, query: 'inventory&id=a1' },
  ],
  ['DeleteBucketLifecycle', { method: 'DELETE', bucket: 'bkt', key: undefined, query: 'lifecycle' }],
  [
    'DeleteBucketMetadataConfiguration',
    { method: 'DELETE', bucket: 'bkt', key: undefined, query: 'metadataConfiguration' },
  ],
  [
    'DeleteBucketMetadataTableConfiguration',
    { method: 'DELETE', bucket: 'bkt', key: undefined, query: 'metadataTable' },
  ],
  [
    'DeleteBucketMetricsConfiguration',
    { method: 'DELETE', bucket: 'bkt', key: undefined, query: 'metrics&id=a1' },
  ],
  [
    'DeleteBucketOwnershipControls',
    { method: 'DELETE', bucket: 'bkt', key: undefined, query: 'ownershipControls' },
  ],
  ['DeleteBucketPolicy', { method: 'DELETE', bucket: 'bkt', key: undefined, query: 'policy' }],
  ['DeleteBucketReplication', { method: 'DELETE', bucket: 'bkt', key: undefined, query: 'replication' }],
  ['DeleteBucketTagging', { method: 'DELETE', bucket: 'bkt', key: undefined, query: 'tagging' }],
  ['DeleteBucketWebsite', { method: 'DELETE', bucket: 'bkt', key: undefined, query: 'website' }],
  ['DeleteObject', { method: 'DELETE', bucket: 'bkt', key: 'dir/obj', query: '' }],
  ['DeleteObjectAnnotation', { method: 'DELETE', bucket: 'bkt', key: 'dir/obj', query: 'annotation' }],
  ['DeleteObjectTagging', { method: 'DELETE', bucket: 'bkt', key: 'dir/obj', query: 'tagging' }],
  ['DeleteObjects', { method: 'POST', bucket: 'bkt', key: undefined, query: 'delete' }],
  [
    'DeletePublicAccessBlock',
    { method: 'DELETE', bucket: 'bkt', key: undefined, query: 'publicAccessBlock' },
  ],
  ['GetBucketAbac', { method: 'GET', bucket: 'bkt', key: undefined, query: 'abac' }],
  ['GetBucketAccelerateConfiguration', { method: 'GET', bucket: 'bkt', key: undefined, query: 'accelerate' }],
  ['GetBucketAcl', { method: 'GET', bucket: 'bkt', key: undefined, query: 'acl' }],
  [
    'GetBucketAnalyticsConfiguration',
    { method: 'GET', bucket: 'bkt', key: undefined, query: 'analytics&id=a1' },
  ],
  ['GetBucketCors', { method: 'GET', bucket: 'bkt', key: undefined, query: 'cors' }],
  ['GetBucketEncryption', { method: 'GET', bucket: 'bkt', key: undefined, query: 'encryption' }],
  [
    'GetBucketIntelligentTieringConfiguration',
    { method: 'GET', bucket: 'bkt', key: undefined, query: 'intelligent-tiering&id=a1' },
  ],
  [
    'GetBucketInventoryConfiguration',
    { method: 'GET', bucket: 'bkt', key: undefined, query: 'inventory&id=a1' },
  ],
  ['GetBucketLifecycleConfiguration', { method: 'GET', bucket: 'bkt', key: undefined, query: 'lifecycle' }],
  ['GetBucketLocation', { method: 'GET', bucket: 'bkt', key: undefined, query: 'location' }],
  ['GetBucketLogging', { method: 'GET', bucket: 'bkt', key: undefined, query: 'logging' }],
  [
    'GetBucketMetadataConfiguration',
    { method: 'GET', bucket: 'bkt', key: undefined, query: 'metadataConfiguration' },
  ],
  [
    'GetBucketMetadataTableConfiguration',
    { method: 'GET', bucket: 'bkt', key: undefined, query: 'metadataTable' },
  ],
  ['GetBucketMetricsConfiguration', { method: 'GET', bucket: 'bkt', key: undefined, query: 'metrics&id=a1' }],
  [
    'GetBucketNotificationConfiguration',
    { method: 'GET', bucket: 'bkt', key: undefined, query: 'notification' },
  ],
  [
    'GetBucketOwnershipControls',
    { method: 'GET', bucket: 'bkt', key: undefined, query: 'ownershipControls' },
  ],
  ['GetBucketPolicy', { method: 'GET', bucket: 'bkt', key: undefined, query: 'policy' }],
  ['GetBucketPolicyStatus', { method: 'GET', bucket: 'bkt', key: undefined, query: 'policyStatus' }],
  ['GetBucketReplication', { method: 'GET', bucket: 'bkt', key: undefined, query: 'replication' }],
  ['GetBucketRequestPayment', { method: 'GET', bucket: 'bkt', key: undefined, query: 'requestPayment' }],
  ['GetBucketTagging', { method: 'GET', bucket: 'bkt', key: undefined, query: 'tagging' }],
  ['GetBucketVersioning', { method: 'GET', bucket: 'bkt', key: undefined, query: 'versioning' }],
  ['GetBucketWebsite', { method: 'GET', bucket: 'bkt', key: undefined, query: 'website' }],
  ['GetObject', { method: 'GET', bucket: 'bkt', key: 'dir/obj', query: '' }],
  ['GetObjectAcl', { method: 'GET', bucket: 'bkt', key: 'dir/obj', query: 'acl' }],
  [
    'GetObjectAnnotation',
    { method: 'GET', bucket: 'bkt', key: 'dir/obj', query: 'annotation&annotationName=n1' },
  ],
  ['GetObjectAttributes', { method: 'GET', bucket: 'bkt', key: 'dir/obj', query: 'attributes' }],
  ['GetObjectLegalHold', { method: 'GET', bucket: 'bkt', key: 'dir/obj', query: 'legal-hold' }],
  ['GetObjectLockConfiguration', { method: 'GET', bucket: 'bkt', key: undefined, query: 'object-lock' }],
  ['GetObjectRetention', { method: 'GET', bucket: 'bkt', key: 'dir/obj', query: 'retention' }],
  ['GetObjectTagging', { method: 'GET', bucket: 'bkt', key: 'dir/obj', query: 'tagging' }],
  ['GetObjectTorrent', { method: 'GET', bucket: 'bkt', key: 'dir/obj', query: 'torrent' }],
  ['GetPublicAccessBlock', { method: 'GET', bucket: 'bkt', key: undefined, query: 'publicAccessBlock' }],
  ['HeadBucket', { method: 'HEAD', bucket: 'bkt', key: undefined, query: '' }],
  ['HeadObject', { method: 'HEAD', bucket: 'bkt', key: 'dir/obj', query: '' }],
  ['ListBucketAnalyticsConfigurations', { method: 'GET', bucket: 'bkt', key: undefined, query: 'analytics' }],
  [
    'ListBucketIntelligentTieringConfigurations',
    { method: 'GET', bucket: 'bkt', key: undefined, query: 'intelligent-tiering' },
  ],
  ['ListBucketInventoryConfigurations', { method: 'GET', bucket: 'bkt', key: undefined, query: 'inventory' }],
  ['ListBucketMetricsConfigurations', { method: 'GET', bucket: 'bkt', key: undefined, query: 'metrics' }],
  ['ListBuckets', { method: 'GET', bucket: undefined, key: undefined, query: '' }],
  [
    'ListDirectoryBuckets',
    { method: 'GET', bucket: undefined, key: undefined, query: 'x-id=ListDirectoryBuckets' },
  ],
  ['ListMultipartUploads', { method: 'GET', bucket: 'bkt', key: undefined, query: 'uploads' }],
  ['ListObjectAnnotations', { method: 'GET', bucket: 'bkt', key: 'dir/obj', query: 'annotation' }],
  ['ListObjectVersions', { method: 'GET', bucket: 'bkt', key: undefined, query: 'versions' }],
  ['ListObjects', { method: 'GET', bucket: 'bkt', key: undefined, query: '' }],
  ['ListObjectsV2', { method: 'GET', bucket: 'bkt', key: undefined, query: 'list-type=2' }],
  ['ListParts', { method: 'GET', bucket: 'bkt', key: 'dir/obj', query: 'uploadId=u1' }],
  [
    'PostObject',
    {
      method: 'POST',
      bucket: 'bkt',
      key: undefined,
      query: '',
      headers: { 'content-type': 'multipart/form-data; boundary=x' },
    },
  ],
  ['PutBucketAbac', { method: 'PUT', bucket: 'bkt', key: undefined, query: 'abac' }],
  ['PutBucketAccelerateConfiguration', { method: 'PUT', bucket: 'bkt', key: undefined, query: 'accelerate' }],
  ['PutBucketAcl', { method: 'PUT', bucket: 'bkt', key: undefined, query: 'acl' }],
  [
    'PutBucketAnalyticsConfiguration',
    { method: 'PUT', bucket: 'bkt', key: undefined, query: 'analytics&id=a1' },
  ],
  ['PutBucketCors', { method: 'PUT', bucket: 'bkt', key: undefined, query: 'cors' }],
  ['PutBucketEncryption', { method: 'PUT', bucket: 'bkt', key: undefined, query: 'encryption' }],
  [
    'PutBucketIntelligentTieringConfiguration',
    { method: 'PUT', bucket: 'bkt', key: undefined, query: 'intelligent-tiering&id=a1' },
  ],
  [
    'PutBucketInventoryConfiguration',
    { method: 'PUT', bucket: 'bkt', key: undefined, query: 'inventory&id=a1' },
  ],
  ['PutBucketLifecycleConfiguration', { method: 'PUT', bucket: 'bkt', key: undefined, query: 'lifecycle' }],
  ['PutBucketLogging', { method: 'PUT', bucket: 'bkt', key: undefined, query: 'logging' }],
  ['PutBucketMetricsConfiguration', { method: 'PUT', bucket: 'bkt', key: undefined, query: 'metrics&id=a1' }],
  [
    'PutBucketNotificationConfiguration',
    { method: 'PUT', bucket: 'bkt', key: undefined, query: 'notification' },
  ],
  [
    'PutBucketOwnershipControls',
    { method: 'PUT', bucket: 'bkt', key: undefined, query: 'ownershipControls' },
  ],
  ['PutBucketPolicy', { method: 'PUT', bucket: 'bkt', key: undefined, query: 'policy' }],
  ['PutBucketReplication', { method: 'PUT', bucket: 'bkt', key: undefined, query: 'replication' }],
  ['PutBucketRequestPayment', { method: 'PUT', bucket: 'bkt', key: undefined, query: 'requestPayment' }],
  ['PutBucketTagging', { method: 'PUT', bucket: 'bkt', key: undefined, query: 'tagging' }],
  ['PutBucketVersioning', { method: 'PUT', bucket: 'bkt', key: undefined, query: 'versioning' }],
  ['PutBucketWebsite', { method: 'PUT', bucket: 'bkt', key: undefined, query: 'website' }],
  ['PutObject', { method: 'PUT', bucket: 'bkt', key: 'dir/obj', query: '' }],
  ['PutObjectAcl', { method: 'PUT', bucket: 'bkt', key: 'dir/obj', query: 'acl' }],
  ['PutObjectAnnotation', { method: 'PUT', bucket: 'bkt', key: 'dir/obj', query: 'annotation' }],
  ['PutObjectLegalHold', { method: 'PUT', bucket: 'bkt', key: 'dir/obj', query: 'legal-hold' }],
  ['PutObjectLockConfiguration', { method: 'PUT', bucket: 'bkt', key: undefined, query: 'object-lock' }],
  ['PutObjectRetention', { method: 'PUT', bucket: 'bkt', key: 'dir/obj', query: 'retention' }],
  ['PutObjectTagging', { method: 'PUT', bucket: 'bkt', key: 'dir/obj', query: 'tagging' }],
  ['PutPublicAccessBlock', { method: 'PUT', bucket: 'bkt', key: undefined, query: 'publicAccessBlock' }],
  ['RenameObject', { method: 'PUT', bucket: 'bkt', key: 'dir/obj', query: 'renameObject' }],
  ['RestoreObject', { method: 'POST', bucket: 'bkt', key: 'dir/obj', query: 'restore' }],
  ['SelectObjectContent', { method: 'POST', bucket: 'bkt', key: 'dir/obj', query: 'select&select-type=2' }],
  [
    'UpdateBucketMetadataAnnotationTableConfiguration',
    { method: 'PUT', bucket: 'bkt', key: undefined, query: 'metadataAnnotationTable' },
  ],
  [
    'UpdateBucketMetadataInventoryTableConfiguration',
    { method: 'PUT', bucket: 'bkt', key: undefined, query: 'metadataInventoryTable' },
  ],
  [
    'UpdateBucketMetadataJournalTableConfiguration',
    { method: 'PUT', bucket: 'bkt', key: undefined, query: 'metadataJournalTable' },
  ],
  ['UpdateObjectEncryption', { method: 'PUT', bucket: 'bkt', key: 'dir/obj', query: 'encryption' }],
  ['UploadPart', { method: 'PUT', bucket: 'bkt', key: 'dir/obj', query: 'partNumber=1&uploadId=u1' }],
  [
    'UploadPartCopy',
    {
      method: 'PUT',
      bucket: 'bkt',
      key: 'dir/obj',
      query: 'partNumber=1&uploadId=u1',
      headers: { 'x-amz-copy-source': '/src/key' },
    },
  ],
  ['WriteGetObjectResponse', { method: 'POST', bucket: 'WriteGetObjectResponse', key: undefined, query: '' }],
  // Deprecated: same wire form as GetBucketLifecycleConfiguration, which is what the resolver answers.
  [
    'GetBucketLifecycle',
    {
      method: 'GET',
      bucket: 'bkt',
      key: undefined,
      query: 'lifecycle',
      expect: 'GetBucketLifecycleConfiguration',
    },
  ],
  // Deprecated: same wire form as PutBucketLifecycleConfiguration, which is what the resolver answers.
  [
    'PutBucketLifecycle',
    {
      method: 'PUT',
      bucket: 'bkt',
      key: undefined,
      query: 'lifecycle',
      expect: 'PutBucketLifecycleConfiguration',
    },
  ],
  // Deprecated: same wire form as GetBucketNotificationConfiguration, which is what the resolver answers.
  [
    'GetBucketNotification',
    {
      method: 'GET',
      bucket: 'bkt',
      key: undefined,
      query: 'notification',
      expect: 'GetBucketNotificationConfiguration',
    },
  ],
  // Deprecated: same wire form as PutBucketNotificationConfiguration, which is what the resolver answers.
  [
    'PutBucketNotification',
    {
      method: 'PUT',
      bucket: 'bkt',
      key: undefined,
      query: 'notification',
      expect: 'PutBucketNotificationConfiguration',
    },
  ],
];

describe('resolveOperation', () => {
  it('has exactly one table row per operation in the union', () => {
    const named = TABLE.map(([op]) => op).sort();
    expect(named).toEqual([...S3_OPERATIONS].sort());
    expect(new Set(named).size).toBe(named.length);
  });

  it.each(TABLE)('resolves %s', (op, row) => {
    const got = resolveOperation({
      method: row.method,
      bucket: row.bucket,
      key: row.key,
      query: new URLSearchParams(row.query),
      headers: row.headers ?? {},
    });
    expect(got).toBe(row.expect ?? op);
  });

  it('ignores the SDK x-id hint where the shape decides', () => {
    const q = new URLSearchParams('x-id=GetObject');
    expect(resolveOperation({ method: 'GET', bucket: 'b', key: 'k', query: q, headers: {} })).toBe(
      'GetObject',
    );
  });

  it('treats an empty key (trailing slash) as a bucket-level request', () => {
    const q = new URLSearchParams('');
    expect(resolveOperation({ method: 'GET', bucket: 'b', key: '', query: q, headers: {} })).toBe(
      'ListObjects',
    );
  });

  it('lists analytics/inventory/metrics/intelligent-tiering configurations when id is absent', () => {
    for (const [param, op] of [
      ['analytics', 'ListBucketAnalyticsConfigurations'],
      ['inventory', 'ListBucketInventoryConfigurations'],
      ['metrics', 'ListBucketMetricsConfigurations'],
      ['intelligent-tiering', 'ListBucketIntelligentTieringConfigurations'],
    ] as const) {
      const q = new URLSearchParams(param);
      expect(resolveOperation({ method: 'GET', bucket: 'b', key: undefined, query: q, headers: {} })).toBe(
        op,
      );
    }
  });

  it('returns undefined for shapes no operation has', () => {
    const none = new URLSearchParams('');
    expect(
      resolveOperation({ method: 'PUT', bucket: undefined, key: undefined, query: none, headers: {} }),
    ).toBe(undefined);
    expect(resolveOperation({ method: 'POST', bucket: 'b', key: 'k', query: none, headers: {} })).toBe(
      undefined,
    );
    expect(resolveOperation({ method: 'PATCH', bucket: 'b', key: 'k', query: none, headers: {} })).toBe(
      undefined,
    );
    expect(
      resolveOperation({ method: 'OPTIONS', bucket: 'b', key: undefined, query: none, headers: {} }),
    ).toBe(undefined);
  });
});
