import { isValidBucketName } from '../bucket-name.js';
import { OWNER, type S3Context, type S3Response, xmlResponse } from '../s3-context.js';
import { S3Error } from '../s3-errors.js';

/**
 * ListBuckets — https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListBuckets.html
 * Supports prefix, max-buckets (1..10000) and continuation-token (opaque; base64 of the
 * last name returned). Deviation: bucket-region filtering is ignored (one region), and
 * every caller sees every bucket until IAM gives buckets owners.
 */
export async function listBuckets(ctx: S3Context): Promise<S3Response> {
  const prefix = ctx.query.get('prefix') ?? '';
  const maxParam = ctx.query.get('max-buckets');
  let maxBuckets = Number.POSITIVE_INFINITY;
  if (maxParam !== null) {
    if (!/^\d+$/.test(maxParam) || Number(maxParam) < 1 || Number(maxParam) > 10_000) {
      throw new S3Error('InvalidArgument', {
        message: 'Argument max-buckets must be an integer between 1 and 10000.',
        extra: { ArgumentName: 'max-buckets', ArgumentValue: maxParam },
      });
    }
    maxBuckets = Number(maxParam);
  }
  const token = ctx.query.get('continuation-token');
  const after = token === null ? '' : decodeToken(token);

  // Internal buckets (the KMS's strata_system) carry names S3 can never address: not listed.
  const all = (await ctx.objectLayer.listBuckets()).filter(
    (b) => isValidBucketName(b.name) && b.name.startsWith(prefix) && b.name > after,
  );
  const page = all.slice(0, Number.isFinite(maxBuckets) ? maxBuckets : all.length);
  const truncated = page.length < all.length;
  const last = page[page.length - 1];

  return xmlResponse('ListAllMyBucketsResult', {
    Owner: OWNER,
    Buckets: {
      Bucket: page.map((b) => ({
        Name: b.name,
        CreationDate: b.createdAt,
        BucketRegion: b.location === '' ? ctx.region : b.location,
      })),
    },
    ContinuationToken:
      truncated && last !== undefined ? Buffer.from(last.name).toString('base64') : undefined,
    Prefix: prefix === '' ? undefined : prefix,
  });
}

function decodeToken(token: string): string {
  const name = Buffer.from(token, 'base64').toString('utf8');
  if (token === '' || Buffer.from(name).toString('base64') !== token) {
    throw new S3Error('InvalidArgument', { message: 'The continuation token provided is incorrect' });
  }
  return name;
}
