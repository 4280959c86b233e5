import type { S3Context, S3Response } from '../s3-context.js';
import { readObject } from './get-object.js';

/**
 * HeadObject — https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html
 * Same headers and conditions as GetObject; errors carry no body (the app strips it).
 */
export async function headObject(ctx: S3Context): Promise<S3Response> {
  return readObject(ctx, false);
}
