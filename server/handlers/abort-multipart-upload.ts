import { uploadIdOf } from '../multipart-upload.js';
import type { S3Context, S3Response } from '../s3-context.js';
import { S3Error } from '../s3-errors.js';
import { toS3Error } from '../storage-errors.js';

/**
 * AbortMultipartUpload — https://docs.aws.amazon.com/AmazonS3/latest/API/API_AbortMultipartUpload.html
 *
 * Removes the upload and every part's data (204); an unknown upload is NoSuchUpload
 * (404). Parts still being uploaded when the abort lands fail or are removed by storage.
 * Deviation: x-amz-if-match-initiated-time is not supported (ignored).
 */
export async function abortMultipartUpload(ctx: S3Context): Promise<S3Response> {
  const uploadId = uploadIdOf(ctx);
  if (uploadId === '') throw new S3Error('NoSuchUpload');
  try {
    await ctx.objectLayer.abortMultipartUpload(ctx.bucket, ctx.key, uploadId);
  } catch (err) {
    throw toS3Error(err, { bucket: ctx.bucket, key: ctx.key });
  }
  return { status: 204 };
}
