import { abortMultipartUpload } from './handlers/abort-multipart-upload.js';
import { completeMultipartUpload } from './handlers/complete-multipart-upload.js';
import { createMultipartUpload } from './handlers/create-multipart-upload.js';
import { getObjectAttributes } from './handlers/get-object-attributes.js';
import { listMultipartUploads } from './handlers/list-multipart-uploads.js';
import { listParts } from './handlers/list-parts.js';
import { uploadPart } from './handlers/upload-part.js';
import { uploadPartCopy } from './handlers/upload-part-copy.js';
import { copyObject } from './handlers/copy-object.js';
import { createBucket } from './handlers/create-bucket.js';
import { deleteBucket } from './handlers/delete-bucket.js';
import { deleteBucketCors } from './handlers/delete-bucket-cors.js';
import { deleteObject } from './handlers/delete-object.js';
import { deleteObjects } from './handlers/delete-objects.js';
import { getBucketCors } from './handlers/get-bucket-cors.js';
import { getBucketLocation } from './handlers/get-bucket-location.js';
import { getObject } from './handlers/get-object.js';
import { headBucket } from './handlers/head-bucket.js';
import { headObject } from './handlers/head-object.js';
import { listBuckets } from './handlers/list-buckets.js';
import { listObjects } from './handlers/list-objects.js';
import { listObjectsV2 } from './handlers/list-objects-v2.js';
import { postObject } from './handlers/post-object.js';
import { putBucketCors } from './handlers/put-bucket-cors.js';
import { putObject } from './handlers/put-object.js';
import type { S3Operation } from './resolve-operation.js';
import type { S3Context, S3Response } from './s3-context.js';
import { S3Error } from './s3-errors.js';

/** Operations with a handler; every other operation answers 501 NotImplemented. */
export const BUILT_OPERATIONS: ReadonlySet<S3Operation> = new Set<S3Operation>([
  'AbortMultipartUpload',
  'CompleteMultipartUpload',
  'CreateMultipartUpload',
  'GetObjectAttributes',
  'ListMultipartUploads',
  'ListParts',
  'UploadPart',
  'UploadPartCopy',
  'CopyObject',
  'CreateBucket',
  'DeleteBucket',
  'DeleteObject',
  'DeleteObjects',
  'GetBucketLocation',
  'GetObject',
  'HeadBucket',
  'HeadObject',
  'ListBuckets',
  'ListObjects',
  'ListObjectsV2',
  'PutObject',
  'PutBucketCors',
  'GetBucketCors',
  'DeleteBucketCors',
  'PostObject',
]);

/**
 * The exhaustive dispatch over every S3 operation: adding a name to S3_OPERATIONS
 * fails the typecheck until it is routed here.
 */
export function dispatch(op: S3Operation, ctx: S3Context): Promise<S3Response> {
  switch (op) {
    case 'AbortMultipartUpload':
      return abortMultipartUpload(ctx);
    case 'CompleteMultipartUpload':
      return completeMultipartUpload(ctx);
    case 'CreateMultipartUpload':
      return createMultipartUpload(ctx);
    case 'GetObjectAttributes':
      return getObjectAttributes(ctx);
    case 'ListMultipartUploads':
      return listMultipartUploads(ctx);
    case 'ListParts':
      return listParts(ctx);
    case 'UploadPart':
      return uploadPart(ctx);
    case 'UploadPartCopy':
      return uploadPartCopy(ctx);
    case 'CopyObject':
      return copyObject(ctx);
    case 'CreateBucket':
      return createBucket(ctx);
    case 'DeleteBucket':
      return deleteBucket(ctx);
    case 'DeleteObject':
      return deleteObject(ctx);
    case 'DeleteObjects':
      return deleteObjects(ctx);
    case 'GetBucketLocation':
      return getBucketLocation(ctx);
    case 'GetObject':
      return getObject(ctx);
    case 'HeadBucket':
      return headBucket(ctx);
    case 'HeadObject':
      return headObject(ctx);
    case 'ListBuckets':
      return listBuckets(ctx);
    case 'ListObjects':
      return listObjects(ctx);
    case 'ListObjectsV2':
      return listObjectsV2(ctx);
    case 'PutObject':
      return putObject(ctx);
    case 'PutBucketCors':
      return putBucketCors(ctx);
    case 'GetBucketCors':
      return getBucketCors(ctx);
    case 'DeleteBucketCors':
      return deleteBucketCors(ctx);
    case 'PostObject':
      return postObject(ctx);
    case 'CreateBucketMetadataConfiguration':
    case 'CreateBucketMetadataTableConfiguration':
    case 'CreateSession':
    case 'DeleteBucketAnalyticsConfiguration':
    case 'DeleteBucketEncryption':
    case 'DeleteBucketIntelligentTieringConfiguration':
    case 'DeleteBucketInventoryConfiguration':
    case 'DeleteBucketLifecycle':
    case 'DeleteBucketMetadataConfiguration':
    case 'DeleteBucketMetadataTableConfiguration':
    case 'DeleteBucketMetricsConfiguration':
    case 'DeleteBucketOwnershipControls':
    case 'DeleteBucketPolicy':
    case 'DeleteBucketReplication':
    case 'DeleteBucketTagging':
    case 'DeleteBucketWebsite':
    case 'DeleteObjectAnnotation':
    case 'DeleteObjectTagging':
    case 'DeletePublicAccessBlock':
    case 'GetBucketAbac':
    case 'GetBucketAccelerateConfiguration':
    case 'GetBucketAcl':
    case 'GetBucketAnalyticsConfiguration':
    case 'GetBucketEncryption':
    case 'GetBucketIntelligentTieringConfiguration':
    case 'GetBucketInventoryConfiguration':
    case 'GetBucketLifecycle':
    case 'GetBucketLifecycleConfiguration':
    case 'GetBucketLogging':
    case 'GetBucketMetadataConfiguration':
    case 'GetBucketMetadataTableConfiguration':
    case 'GetBucketMetricsConfiguration':
    case 'GetBucketNotification':
    case 'GetBucketNotificationConfiguration':
    case 'GetBucketOwnershipControls':
    case 'GetBucketPolicy':
    case 'GetBucketPolicyStatus':
    case 'GetBucketReplication':
    case 'GetBucketRequestPayment':
    case 'GetBucketTagging':
    case 'GetBucketVersioning':
    case 'GetBucketWebsite':
    case 'GetObjectAcl':
    case 'GetObjectAnnotation':
    case 'GetObjectLegalHold':
    case 'GetObjectLockConfiguration':
    case 'GetObjectRetention':
    case 'GetObjectTagging':
    case 'GetObjectTorrent':
    case 'GetPublicAccessBlock':
    case 'ListBucketAnalyticsConfigurations':
    case 'ListBucketIntelligentTieringConfigurations':
    case 'ListBucketInventoryConfigurations':
    case 'ListBucketMetricsConfigurations':
    case 'ListDirectoryBuckets':
    case 'ListObjectAnnotations':
    case 'ListObjectVersions':
    case 'PutBucketAbac':
    case 'PutBucketAccelerateConfiguration':
    case 'PutBucketAcl':
    case 'PutBucketAnalyticsConfiguration':
    case 'PutBucketEncryption':
    case 'PutBucketIntelligentTieringConfiguration':
    case 'PutBucketInventoryConfiguration':
    case 'PutBucketLifecycle':
    case 'PutBucketLifecycleConfiguration':
    case 'PutBucketLogging':
    case 'PutBucketMetricsConfiguration':
    case 'PutBucketNotification':
    case 'PutBucketNotificationConfiguration':
    case 'PutBucketOwnershipControls':
    case 'PutBucketPolicy':
    case 'PutBucketReplication':
    case 'PutBucketRequestPayment':
    case 'PutBucketTagging':
    case 'PutBucketVersioning':
    case 'PutBucketWebsite':
    case 'PutObjectAcl':
    case 'PutObjectAnnotation':
    case 'PutObjectLegalHold':
    case 'PutObjectLockConfiguration':
    case 'PutObjectRetention':
    case 'PutObjectTagging':
    case 'PutPublicAccessBlock':
    case 'RenameObject':
    case 'RestoreObject':
    case 'SelectObjectContent':
    case 'UpdateBucketMetadataAnnotationTableConfiguration':
    case 'UpdateBucketMetadataInventoryTableConfiguration':
    case 'UpdateBucketMetadataJournalTableConfiguration':
    case 'UpdateObjectEncryption':
    case 'WriteGetObjectResponse':
      throw new S3Error('NotImplemented');
    default:
      return assertNever(op);
  }
}

function assertNever(op: never): never {
  throw new Error(`unhandled S3 operation ${String(op)}`);
}
