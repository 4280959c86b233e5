import { abortMultipartUpload } from './handlers/abort-multipart-upload.js';
import { completeMultipartUpload } from './handlers/complete-multipart-upload.js';
import { copyObject } from './handlers/copy-object.js';
import { createBucket } from './handlers/create-bucket.js';
import { createMultipartUpload } from './handlers/create-multipart-upload.js';
import { deleteBucket } from './handlers/delete-bucket.js';
import { deleteBucketCors } from './handlers/delete-bucket-cors.js';
import { deleteBucketEncryption } from './handlers/delete-bucket-encryption.js';
import { deleteBucketLifecycle } from './handlers/delete-bucket-lifecycle.js';
import { deleteBucketPolicy } from './handlers/delete-bucket-policy.js';
import { deleteBucketTagging } from './handlers/delete-bucket-tagging.js';
import { deleteObject } from './handlers/delete-object.js';
import { deleteObjectTagging } from './handlers/delete-object-tagging.js';
import { deleteObjects } from './handlers/delete-objects.js';
import { getBucketAcl } from './handlers/get-bucket-acl.js';
import { getBucketCors } from './handlers/get-bucket-cors.js';
import { getBucketEncryption } from './handlers/get-bucket-encryption.js';
import { getBucketLifecycleConfiguration } from './handlers/get-bucket-lifecycle-configuration.js';
import { getBucketLocation } from './handlers/get-bucket-location.js';
import { getBucketPolicy } from './handlers/get-bucket-policy.js';
import { getBucketPolicyStatus } from './handlers/get-bucket-policy-status.js';
import { getBucketTagging } from './handlers/get-bucket-tagging.js';
import { getBucketVersioning } from './handlers/get-bucket-versioning.js';
import { getObject } from './handlers/get-object.js';
import { getObjectAcl } from './handlers/get-object-acl.js';
import { getObjectAttributes } from './handlers/get-object-attributes.js';
import { getObjectLegalHold } from './handlers/get-object-legal-hold.js';
import { getObjectLockConfiguration } from './handlers/get-object-lock-configuration.js';
import { getObjectRetention } from './handlers/get-object-retention.js';
import { getObjectTagging } from './handlers/get-object-tagging.js';
import { headBucket } from './handlers/head-bucket.js';
import { headObject } from './handlers/head-object.js';
import { listBuckets } from './handlers/list-buckets.js';
import { listMultipartUploads } from './handlers/list-multipart-uploads.js';
import { listObjectVersions } from './handlers/list-object-versions.js';
import { listObjects } from './handlers/list-objects.js';
import { listObjectsV2 } from './handlers/list-objects-v2.js';
import { listParts } from './handlers/list-parts.js';
import { postObject } from './handlers/post-object.js';
import { putBucketAcl } from './handlers/put-bucket-acl.js';
import { putBucketCors } from './handlers/put-bucket-cors.js';
import { putBucketEncryption } from './handlers/put-bucket-encryption.js';
import { putBucketLifecycleConfiguration } from './handlers/put-bucket-lifecycle-configuration.js';
import { putBucketPolicy } from './handlers/put-bucket-policy.js';
import { putBucketTagging } from './handlers/put-bucket-tagging.js';
import { putBucketVersioning } from './handlers/put-bucket-versioning.js';
import { putObject } from './handlers/put-object.js';
import { putObjectAcl } from './handlers/put-object-acl.js';
import { putObjectLegalHold } from './handlers/put-object-legal-hold.js';
import { putObjectLockConfiguration } from './handlers/put-object-lock-configuration.js';
import { putObjectRetention } from './handlers/put-object-retention.js';
import { putObjectTagging } from './handlers/put-object-tagging.js';
import { uploadPart } from './handlers/upload-part.js';
import { uploadPartCopy } from './handlers/upload-part-copy.js';
import type { S3Operation } from './resolve-operation.js';
import type { S3Context, S3Response } from './s3-context.js';
import { S3Error } from './s3-errors.js';

/** Operations with a handler; every other operation answers 501 NotImplemented. */
export const BUILT_OPERATIONS: ReadonlySet<S3Operation> = new Set<S3Operation>([
  'PutBucketVersioning',
  'GetBucketVersioning',
  'ListObjectVersions',
  'PutObjectLockConfiguration',
  'GetObjectLockConfiguration',
  'PutObjectRetention',
  'GetObjectRetention',
  'PutObjectLegalHold',
  'GetObjectLegalHold',
  'PutObjectTagging',
  'GetObjectTagging',
  'DeleteObjectTagging',
  'PutBucketTagging',
  'GetBucketTagging',
  'DeleteBucketTagging',
  'PutBucketPolicy',
  'GetBucketPolicy',
  'DeleteBucketPolicy',
  'GetBucketPolicyStatus',
  'PutBucketEncryption',
  'GetBucketEncryption',
  'DeleteBucketEncryption',
  'PutBucketLifecycleConfiguration',
  'GetBucketLifecycleConfiguration',
  'GetBucketLifecycle',
  'DeleteBucketLifecycle',
  'GetBucketAcl',
  'PutBucketAcl',
  'GetObjectAcl',
  'PutObjectAcl',
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
    case 'PutBucketVersioning':
      return putBucketVersioning(ctx);
    case 'GetBucketVersioning':
      return getBucketVersioning(ctx);
    case 'ListObjectVersions':
      return listObjectVersions(ctx);
    case 'PutObjectLockConfiguration':
      return putObjectLockConfiguration(ctx);
    case 'GetObjectLockConfiguration':
      return getObjectLockConfiguration(ctx);
    case 'PutObjectRetention':
      return putObjectRetention(ctx);
    case 'GetObjectRetention':
      return getObjectRetention(ctx);
    case 'PutObjectLegalHold':
      return putObjectLegalHold(ctx);
    case 'GetObjectLegalHold':
      return getObjectLegalHold(ctx);
    case 'PutObjectTagging':
      return putObjectTagging(ctx);
    case 'GetObjectTagging':
      return getObjectTagging(ctx);
    case 'DeleteObjectTagging':
      return deleteObjectTagging(ctx);
    case 'PutBucketTagging':
      return putBucketTagging(ctx);
    case 'GetBucketTagging':
      return getBucketTagging(ctx);
    case 'DeleteBucketTagging':
      return deleteBucketTagging(ctx);
    case 'PutBucketPolicy':
      return putBucketPolicy(ctx);
    case 'GetBucketPolicy':
      return getBucketPolicy(ctx);
    case 'DeleteBucketPolicy':
      return deleteBucketPolicy(ctx);
    case 'GetBucketPolicyStatus':
      return getBucketPolicyStatus(ctx);
    case 'PutBucketEncryption':
      return putBucketEncryption(ctx);
    case 'GetBucketEncryption':
      return getBucketEncryption(ctx);
    case 'DeleteBucketEncryption':
      return deleteBucketEncryption(ctx);
    case 'PutBucketLifecycleConfiguration':
      return putBucketLifecycleConfiguration(ctx);
    case 'GetBucketLifecycleConfiguration':
      return getBucketLifecycleConfiguration(ctx);
    case 'GetBucketLifecycle':
      return getBucketLifecycleConfiguration(ctx);
    case 'DeleteBucketLifecycle':
      return deleteBucketLifecycle(ctx);
    case 'GetBucketAcl':
      return getBucketAcl(ctx);
    case 'PutBucketAcl':
      return putBucketAcl(ctx);
    case 'GetObjectAcl':
      return getObjectAcl(ctx);
    case 'PutObjectAcl':
      return putObjectAcl(ctx);
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
    case 'DeleteBucketIntelligentTieringConfiguration':
    case 'DeleteBucketInventoryConfiguration':
    case 'DeleteBucketMetadataConfiguration':
    case 'DeleteBucketMetadataTableConfiguration':
    case 'DeleteBucketMetricsConfiguration':
    case 'DeleteBucketOwnershipControls':
    case 'DeleteBucketReplication':
    case 'DeleteBucketWebsite':
    case 'DeleteObjectAnnotation':
    case 'DeletePublicAccessBlock':
    case 'GetBucketAbac':
    case 'GetBucketAccelerateConfiguration':
    case 'GetBucketAnalyticsConfiguration':
    case 'GetBucketIntelligentTieringConfiguration':
    case 'GetBucketInventoryConfiguration':
    case 'GetBucketLogging':
    case 'GetBucketMetadataConfiguration':
    case 'GetBucketMetadataTableConfiguration':
    case 'GetBucketMetricsConfiguration':
    case 'GetBucketNotification':
    case 'GetBucketNotificationConfiguration':
    case 'GetBucketOwnershipControls':
    case 'GetBucketReplication':
    case 'GetBucketRequestPayment':
    case 'GetBucketWebsite':
    case 'GetObjectAnnotation':
    case 'GetObjectTorrent':
    case 'GetPublicAccessBlock':
    case 'ListBucketAnalyticsConfigurations':
    case 'ListBucketIntelligentTieringConfigurations':
    case 'ListBucketInventoryConfigurations':
    case 'ListBucketMetricsConfigurations':
    case 'ListDirectoryBuckets':
    case 'ListObjectAnnotations':
    case 'PutBucketAbac':
    case 'PutBucketAccelerateConfiguration':
    case 'PutBucketAnalyticsConfiguration':
    case 'PutBucketIntelligentTieringConfiguration':
    case 'PutBucketInventoryConfiguration':
    case 'PutBucketLifecycle':
    case 'PutBucketLogging':
    case 'PutBucketMetricsConfiguration':
    case 'PutBucketNotification':
    case 'PutBucketNotificationConfiguration':
    case 'PutBucketOwnershipControls':
    case 'PutBucketReplication':
    case 'PutBucketRequestPayment':
    case 'PutBucketWebsite':
    case 'PutObjectAnnotation':
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
