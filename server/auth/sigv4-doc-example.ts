import type { AuthRequest, Credentials } from './types.js';

/**
 * The AWS SigV4 documentation's example (sig-v4-header-based-auth.html, "GET Object"):
 * its key, its clock and its signed GetObject request, for tests and benchmarks.
 */
export const DOC_KEY: Credentials = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
};

/** The example's time: 2013-05-24T00:00:00Z. */
export const DOC_NOW = Date.UTC(2013, 4, 24, 0, 0, 0);

export const docLookup = (id: string): Credentials | undefined =>
  id === DOC_KEY.accessKeyId ? DOC_KEY : undefined;

/** An Authorization header with the example's credential scope. */
export const docAuth = (signedHeaders: string, signature: string): string =>
  `AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=${signedHeaders},Signature=${signature}`;

/** SHA-256 of the empty payload. */
export const EMPTY = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** The example's signed GetObject request (a fresh object each call). */
export const docGetObject = (): AuthRequest => ({
  method: 'GET',
  rawPath: '/test.txt',
  rawQuery: '',
  headers: {
    host: 'examplebucket.s3.amazonaws.com',
    range: 'bytes=0-9',
    'x-amz-content-sha256': EMPTY,
    'x-amz-date': '20130524T000000Z',
    authorization: docAuth(
      'host;range;x-amz-content-sha256;x-amz-date',
      'f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
    ),
  },
});
