import type { IncomingHttpHeaders } from 'node:http';

/**
 * Every operation of the Amazon S3 API reference
 * (https://docs.aws.amazon.com/AmazonS3/latest/API/API_Operations_Amazon_Simple_Storage_Service.html),
 * plus 'PostObject' (browser-based uploads with an HTML form). Names are AWS's exact
 * spelling: they are used for dispatch, metric labels and log fields.
 *
 * Four deprecated operations share their wire form with a current one and can never
 * be told apart on the wire; the resolver answers the current name for them:
 * GetBucketLifecycle → GetBucketLifecycleConfiguration, PutBucketLifecycle →
 * PutBucketLifecycleConfiguration, GetBucketNotification →
 * GetBucketNotificationConfiguration, PutBucketNotification →
 * PutBucketNotificationConfiguration. They stay in the union so the list is complete.
 */
export const S3_OPERATIONS = [
  'AbortMultipartUpload',
  'CompleteMultipartUpload',
  'CopyObject',
  'CreateBucket',
  'CreateBucketMetadataConfiguration',
  'CreateBucketMetadataTableConfiguration',
  'CreateMultipartUpload',
  'CreateSession',
  'DeleteBucket',
  'DeleteBucketAnalyticsConfiguration',
  'DeleteBucketCors',
  'DeleteBucketEncryption',
  'DeleteBucketIntelligentTieringConfiguration',
  'DeleteBucketInventoryConfiguration',
  'DeleteBucketLifecycle',
  'DeleteBucketMetadataConfiguration',
  'DeleteBucketMetadataTableConfiguration',
  'DeleteBucketMetricsConfiguration',
  'DeleteBucketOwnershipControls',
  'DeleteBucketPolicy',
  'DeleteBucketReplication',
  'DeleteBucketTagging',
  'DeleteBucketWebsite',
  'DeleteObject',
  'DeleteObjectAnnotation',
  'DeleteObjectTagging',
  'DeleteObjects',
  'DeletePublicAccessBlock',
  'GetBucketAbac',
  'GetBucketAccelerateConfiguration',
  'GetBucketAcl',
  'GetBucketAnalyticsConfiguration',
  'GetBucketCors',
  'GetBucketEncryption',
  'GetBucketIntelligentTieringConfiguration',
  'GetBucketInventoryConfiguration',
  'GetBucketLifecycle',
  'GetBucketLifecycleConfiguration',
  'GetBucketLocation',
  'GetBucketLogging',
  'GetBucketMetadataConfiguration',
  'GetBucketMetadataTableConfiguration',
  'GetBucketMetricsConfiguration',
  'GetBucketNotification',
  'GetBucketNotificationConfiguration',
  'GetBucketOwnershipControls',
  'GetBucketPolicy',
  'GetBucketPolicyStatus',
  'GetBucketReplication',
  'GetBucketRequestPayment',
  'GetBucketTagging',
  'GetBucketVersioning',
  'GetBucketWebsite',
  'GetObject',
  'GetObjectAcl',
  'GetObjectAnnotation',
  'GetObjectAttributes',
  'GetObjectLegalHold',
  'GetObjectLockConfiguration',
  'GetObjectRetention',
  'GetObjectTagging',
  'GetObjectTorrent',
  'GetPublicAccessBlock',
  'HeadBucket',
  'HeadObject',
  'ListBucketAnalyticsConfigurations',
  'ListBucketIntelligentTieringConfigurations',
  'ListBucketInventoryConfigurations',
  'ListBucketMetricsConfigurations',
  'ListBuckets',
  'ListDirectoryBuckets',
  'ListMultipartUploads',
  'ListObjectAnnotations',
  'ListObjectVersions',
  'ListObjects',
  'ListObjectsV2',
  'ListParts',
  'PutBucketAbac',
  'PutBucketAccelerateConfiguration',
  'PutBucketAcl',
  'PutBucketAnalyticsConfiguration',
  'PutBucketCors',
  'PutBucketEncryption',
  'PutBucketIntelligentTieringConfiguration',
  'PutBucketInventoryConfiguration',
  'PutBucketLifecycle',
  'PutBucketLifecycleConfiguration',
  'PutBucketLogging',
  'PutBucketMetricsConfiguration',
  'PutBucketNotification',
  'PutBucketNotificationConfiguration',
  'PutBucketOwnershipControls',
  'PutBucketPolicy',
  'PutBucketReplication',
  'PutBucketRequestPayment',
  'PutBucketTagging',
  'PutBucketVersioning',
  'PutBucketWebsite',
  'PutObject',
  'PutObjectAcl',
  'PutObjectAnnotation',
  'PutObjectLegalHold',
  'PutObjectLockConfiguration',
  'PutObjectRetention',
  'PutObjectTagging',
  'PutPublicAccessBlock',
  'RenameObject',
  'RestoreObject',
  'SelectObjectContent',
  'UpdateBucketMetadataAnnotationTableConfiguration',
  'UpdateBucketMetadataInventoryTableConfiguration',
  'UpdateBucketMetadataJournalTableConfiguration',
  'UpdateObjectEncryption',
  'UploadPart',
  'UploadPartCopy',
  'WriteGetObjectResponse',
  'PostObject',
] as const;

export type S3Operation = (typeof S3_OPERATIONS)[number];

/** What resolveOperation looks at: the request after addressing has been parsed. */
export interface OperationRequest {
  /** Upper-case HTTP method. */
  method: string;
  /** Bucket from the path or the virtual host; undefined for service-level requests. */
  bucket: string | undefined;
  /** Decoded object key; undefined (or '') for bucket-level requests. */
  key: string | undefined;
  /** Decoded query parameters. */
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
}

/**
 * Maps one request to exactly one S3 operation. Pure: no I/O, no state.
 * Returns undefined when no S3 operation has this shape (the caller answers
 * 405 MethodNotAllowed).
 *
 * Query sub-resources are checked in a fixed order, so a request that carries
 * several of them (which no SDK sends) always resolves the same way.
 */
export function resolveOperation(req: OperationRequest): S3Operation | undefined {
  const { method, bucket, key, query } = req;
  if (bucket === undefined || bucket === '') return resolveService(method, query);
  if (key === undefined || key === '') return resolveBucket(method, bucket, query);
  return resolveObject(method, query, req.headers);
}

function resolveService(method: string, query: URLSearchParams): S3Operation | undefined {
  if (method !== 'GET') return undefined;
  // Directory buckets are listed through the same "GET /"; only the SDK's x-id tells them apart.
  return query.get('x-id') === 'ListDirectoryBuckets' ? 'ListDirectoryBuckets' : 'ListBuckets';
}

/** Sub-resources whose Get/Put/Delete operations follow the same naming pattern. */
const BUCKET_CONFIGS: ReadonlyArray<{
  param: string;
  get?: S3Operation;
  put?: S3Operation;
  del?: S3Operation;
  /** When the sub-resource has no `id`, GET lists the configurations instead. */
  list?: S3Operation;
}> = [
  {
    param: 'analytics',
    get: 'GetBucketAnalyticsConfiguration',
    put: 'PutBucketAnalyticsConfiguration',
    del: 'DeleteBucketAnalyticsConfiguration',
    list: 'ListBucketAnalyticsConfigurations',
  },
  {
    param: 'intelligent-tiering',
    get: 'GetBucketIntelligentTieringConfiguration',
    put: 'PutBucketIntelligentTieringConfiguration',
    del: 'DeleteBucketIntelligentTieringConfiguration',
    list: 'ListBucketIntelligentTieringConfigurations',
  },
  {
    param: 'inventory',
    get: 'GetBucketInventoryConfiguration',
    put: 'PutBucketInventoryConfiguration',
    del: 'DeleteBucketInventoryConfiguration',
    list: 'ListBucketInventoryConfigurations',
  },
  {
    param: 'metrics',
    get: 'GetBucketMetricsConfiguration',
    put: 'PutBucketMetricsConfiguration',
    del: 'DeleteBucketMetricsConfiguration',
    list: 'ListBucketMetricsConfigurations',
  },
  { param: 'abac', get: 'GetBucketAbac', put: 'PutBucketAbac' },
  { param: 'accelerate', get: 'GetBucketAccelerateConfiguration', put: 'PutBucketAccelerateConfiguration' },
  { param: 'acl', get: 'GetBucketAcl', put: 'PutBucketAcl' },
  { param: 'cors', get: 'GetBucketCors', put: 'PutBucketCors', del: 'DeleteBucketCors' },
  {
    param: 'encryption',
    get: 'GetBucketEncryption',
    put: 'PutBucketEncryption',
    del: 'DeleteBucketEncryption',
  },
  {
    param: 'lifecycle',
    get: 'GetBucketLifecycleConfiguration',
    put: 'PutBucketLifecycleConfiguration',
    del: 'DeleteBucketLifecycle',
  },
  { param: 'location', get: 'GetBucketLocation' },
  { param: 'logging', get: 'GetBucketLogging', put: 'PutBucketLogging' },
  {
    param: 'metadataConfiguration',
    get: 'GetBucketMetadataConfiguration',
    del: 'DeleteBucketMetadataConfiguration',
  },
  {
    param: 'metadataTable',
    get: 'GetBucketMetadataTableConfiguration',
    del: 'DeleteBucketMetadataTableConfiguration',
  },
  { param: 'metadataAnnotationTable', put: 'UpdateBucketMetadataAnnotationTableConfiguration' },
  { param: 'metadataInventoryTable', put: 'UpdateBucketMetadataInventoryTableConfiguration' },
  { param: 'metadataJournalTable', put: 'UpdateBucketMetadataJournalTableConfiguration' },
  {
    param: 'notification',
    get: 'GetBucketNotificationConfiguration',
    put: 'PutBucketNotificationConfiguration',
  },
  { param: 'object-lock', get: 'GetObjectLockConfiguration', put: 'PutObjectLockConfiguration' },
  {
    param: 'ownershipControls',
    get: 'GetBucketOwnershipControls',
    put: 'PutBucketOwnershipControls',
    del: 'DeleteBucketOwnershipControls',
  },
  { param: 'policy', get: 'GetBucketPolicy', put: 'PutBucketPolicy', del: 'DeleteBucketPolicy' },
  { param: 'policyStatus', get: 'GetBucketPolicyStatus' },
  {
    param: 'publicAccessBlock',
    get: 'GetPublicAccessBlock',
    put: 'PutPublicAccessBlock',
    del: 'DeletePublicAccessBlock',
  },
  {
    param: 'replication',
    get: 'GetBucketReplication',
    put: 'PutBucketReplication',
    del: 'DeleteBucketReplication',
  },
  { param: 'requestPayment', get: 'GetBucketRequestPayment', put: 'PutBucketRequestPayment' },
  { param: 'session', get: 'CreateSession' },
  { param: 'tagging', get: 'GetBucketTagging', put: 'PutBucketTagging', del: 'DeleteBucketTagging' },
  { param: 'uploads', get: 'ListMultipartUploads' },
  { param: 'versioning', get: 'GetBucketVersioning', put: 'PutBucketVersioning' },
  { param: 'versions', get: 'ListObjectVersions' },
  { param: 'website', get: 'GetBucketWebsite', put: 'PutBucketWebsite', del: 'DeleteBucketWebsite' },
];

function resolveBucket(method: string, bucket: string, query: URLSearchParams): S3Operation | undefined {
  switch (method) {
    case 'GET': {
      for (const c of BUCKET_CONFIGS) {
        if (!query.has(c.param)) continue;
        if (c.list !== undefined && !query.has('id')) return c.list;
        if (c.get !== undefined) return c.get;
      }
      return query.get('list-type') === '2' ? 'ListObjectsV2' : 'ListObjects';
    }
    case 'HEAD':
      return 'HeadBucket';
    case 'PUT':
      for (const c of BUCKET_CONFIGS) {
        if (c.put !== undefined && query.has(c.param)) return c.put;
      }
      return 'CreateBucket';
    case 'DELETE':
      for (const c of BUCKET_CONFIGS) {
        if (c.del !== undefined && query.has(c.param)) return c.del;
      }
      return 'DeleteBucket';
    case 'POST':
      if (query.has('delete')) return 'DeleteObjects';
      if (query.has('metadataConfiguration')) return 'CreateBucketMetadataConfiguration';
      if (query.has('metadataTable')) return 'CreateBucketMetadataTableConfiguration';
      // S3 Object Lambda posts to "/WriteGetObjectResponse" on its own host; upper case
      // letters make it an invalid bucket name, so it cannot collide with a bucket.
      if (bucket === 'WriteGetObjectResponse') return 'WriteGetObjectResponse';
      return 'PostObject';
    default:
      return undefined;
  }
}

function resolveObject(
  method: string,
  query: URLSearchParams,
  headers: IncomingHttpHeaders,
): S3Operation | undefined {
  const hasUpload = query.has('uploadId');
  switch (method) {
    case 'GET':
      if (hasUpload) return 'ListParts';
      if (query.has('acl')) return 'GetObjectAcl';
      if (query.has('attributes')) return 'GetObjectAttributes';
      if (query.has('legal-hold')) return 'GetObjectLegalHold';
      if (query.has('retention')) return 'GetObjectRetention';
      if (query.has('tagging')) return 'GetObjectTagging';
      if (query.has('torrent')) return 'GetObjectTorrent';
      if (query.has('annotation')) {
        return query.has('annotationName') ? 'GetObjectAnnotation' : 'ListObjectAnnotations';
      }
      return 'GetObject';
    case 'HEAD':
      return 'HeadObject';
    case 'PUT':
      if (hasUpload && query.has('partNumber')) {
        return headers['x-amz-copy-source'] !== undefined ? 'UploadPartCopy' : 'UploadPart';
      }
      if (query.has('acl')) return 'PutObjectAcl';
      if (query.has('legal-hold')) return 'PutObjectLegalHold';
      if (query.has('retention')) return 'PutObjectRetention';
      if (query.has('tagging')) return 'PutObjectTagging';
      if (query.has('annotation')) return 'PutObjectAnnotation';
      if (query.has('renameObject')) return 'RenameObject';
      if (query.has('encryption')) return 'UpdateObjectEncryption';
      return headers['x-amz-copy-source'] !== undefined ? 'CopyObject' : 'PutObject';
    case 'POST':
      if (query.has('uploads')) return 'CreateMultipartUpload';
      if (hasUpload) return 'CompleteMultipartUpload';
      if (query.has('restore')) return 'RestoreObject';
      if (query.has('select')) return 'SelectObjectContent';
      return undefined;
    case 'DELETE':
      if (hasUpload) return 'AbortMultipartUpload';
      if (query.has('tagging')) return 'DeleteObjectTagging';
      if (query.has('annotation')) return 'DeleteObjectAnnotation';
      return 'DeleteObject';
    default:
      return undefined;
  }
}
