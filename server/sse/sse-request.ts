import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { EncryptionContext } from '../../crypto/index.js';
import { S3Error } from '../s3-errors.js';

/**
 * What a request asks for in its server-side encryption headers.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/serv-side-encryption.html
 *
 * - SSE-S3: `x-amz-server-side-encryption: AES256`.
 * - SSE-KMS: `x-amz-server-side-encryption: aws:kms` (or `aws:kms:dsse`, treated alike: one
 *   layer of encryption is what Strata has), with `x-amz-server-side-encryption-aws-kms-key-id`
 *   (absent: the KMS's default key, as AWS uses the aws/s3 managed key) and
 *   `x-amz-server-side-encryption-context` (base64 of a JSON object of strings).
 * - SSE-C: `x-amz-server-side-encryption-customer-{algorithm,key,key-MD5}`, all three; the
 *   algorithm must be AES256, the key 32 bytes in base64, the MD5 the key's.
 */
export type SseRequest =
  | { mode: 'SSE-S3' }
  | { mode: 'SSE-KMS'; keyName: string | undefined; context: EncryptionContext | undefined }
  | SseCustomerKey;

/** An SSE-C customer key from request headers (checked against its MD5). Never logged or stored. */
export interface SseCustomerKey {
  mode: 'SSE-C';
  key: Buffer;
  /** base64 MD5 of the key, echoed in responses. */
  keyMd5: string;
}

export const SSE_HEADER = 'x-amz-server-side-encryption';
export const SSE_KMS_KEY_ID_HEADER = 'x-amz-server-side-encryption-aws-kms-key-id';
export const SSE_CONTEXT_HEADER = 'x-amz-server-side-encryption-context';
export const SSE_BUCKET_KEY_HEADER = 'x-amz-server-side-encryption-bucket-key-enabled';

/** The three SSE-C headers of the object itself and, for copies, of the copy source. */
const CUSTOMER = {
  algorithm: 'x-amz-server-side-encryption-customer-algorithm',
  key: 'x-amz-server-side-encryption-customer-key',
  keyMd5: 'x-amz-server-side-encryption-customer-key-md5',
} as const;
const COPY_SOURCE_CUSTOMER = {
  algorithm: 'x-amz-copy-source-server-side-encryption-customer-algorithm',
  key: 'x-amz-copy-source-server-side-encryption-customer-key',
  keyMd5: 'x-amz-copy-source-server-side-encryption-customer-key-md5',
} as const;
type CustomerHeaders = typeof CUSTOMER | typeof COPY_SOURCE_CUSTOMER;

export const SSE_CUSTOMER_HEADERS = CUSTOMER;

/** Limit on the base64 encryption context header (AWS: 8 KiB of context). */
const MAX_CONTEXT_HEADER_BYTES = 16 * 1024;
/** KMS key ids longer than this are refused before any lookup. */
const MAX_KEY_ID_BYTES = 2048;

/**
 * The encryption a write request (PutObject, CreateMultipartUpload, CopyObject's target,
 * POST's form fields) asks for; undefined when it asks for none. Throws S3Error
 * (InvalidArgument, InvalidEncryptionAlgorithmError) for contradictory or malformed headers;
 * nothing has been read or stored at that point.
 */
export function parseSseRequest(headers: IncomingHttpHeaders): SseRequest | undefined {
  const algorithm = single(headers, SSE_HEADER);
  const keyId = single(headers, SSE_KMS_KEY_ID_HEADER);
  const context = single(headers, SSE_CONTEXT_HEADER);
  const customer = parseCustomerKey(headers, CUSTOMER);
  if (customer !== undefined) {
    if (algorithm !== undefined || keyId !== undefined || context !== undefined) {
      throw invalidArgument(
        'Server Side Encryption with Customer provided key is incompatible with the encryption method specified',
        SSE_HEADER,
        algorithm ?? '',
      );
    }
    return customer;
  }
  if (algorithm === undefined) {
    if (keyId !== undefined || context !== undefined) {
      throw invalidArgument(
        'Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms',
        SSE_HEADER,
        '',
      );
    }
    return undefined;
  }
  if (algorithm === 'AES256') {
    if (keyId !== undefined || context !== undefined) {
      throw invalidArgument(
        'The encryption parameters are not applicable to the encryption method specified',
        SSE_KMS_KEY_ID_HEADER,
        '',
      );
    }
    return { mode: 'SSE-S3' };
  }
  if (algorithm === 'aws:kms' || algorithm === 'aws:kms:dsse') {
    return {
      mode: 'SSE-KMS',
      keyName: keyId === undefined ? undefined : kmsKeyName(keyId),
      context: context === undefined ? undefined : parseContext(context),
    };
  }
  throw invalidArgument('The encryption method specified is not supported', SSE_HEADER, algorithm);
}

/**
 * The SSE-C key of a request that reads (GetObject, HeadObject, UploadPart, CompleteMultipartUpload),
 * undefined when none is given. x-amz-server-side-encryption on a read is InvalidArgument (AWS:
 * those headers only apply to writes).
 */
export function parseReadCustomerKey(headers: IncomingHttpHeaders): SseCustomerKey | undefined {
  for (const name of [SSE_HEADER, SSE_KMS_KEY_ID_HEADER, SSE_CONTEXT_HEADER]) {
    const value = single(headers, name);
    if (value !== undefined) {
      throw invalidArgument(
        'x-amz-server-side-encryption header is not supported for this operation.',
        name,
        name === SSE_HEADER ? value : '',
      );
    }
  }
  return parseCustomerKey(headers, CUSTOMER);
}

/**
 * The SSE-C key of an UploadPart / UploadPartCopy target, undefined when none is given. The
 * upload's encryption was fixed at CreateMultipartUpload: other SSE headers on a part are
 * ignored, as S3 does.
 */
export function parsePartCustomerKey(headers: IncomingHttpHeaders): SseCustomerKey | undefined {
  return parseCustomerKey(headers, CUSTOMER);
}

/** The copy source's SSE-C key (x-amz-copy-source-server-side-encryption-customer-*), if given. */
export function parseCopySourceCustomerKey(headers: IncomingHttpHeaders): SseCustomerKey | undefined {
  return parseCustomerKey(headers, COPY_SOURCE_CUSTOMER);
}

/** The SSE request of an AWS SSEAlgorithm value (bucket default encryption, POST fields). */
export function sseRequestFor(algorithm: string, kmsKeyId: string | undefined): SseRequest {
  if (algorithm === 'AES256') return { mode: 'SSE-S3' };
  return {
    mode: 'SSE-KMS',
    keyName: kmsKeyId === undefined || kmsKeyId === '' ? undefined : kmsKeyName(kmsKeyId),
    context: undefined,
  };
}

/**
 * The KMS key name in a key id as clients send it: a bare name, `alias/name`, or an ARN
 * `arn:aws:kms:region:account:key/name` (or `…:alias/name`).
 */
export function kmsKeyName(keyId: string): string {
  if (Buffer.byteLength(keyId) > MAX_KEY_ID_BYTES) {
    throw invalidArgument('The KMS key id is too long', SSE_KMS_KEY_ID_HEADER, '');
  }
  const arn = /^arn:[^:]+:kms:[^:]*:[^:]*:(?:key|alias)\/(.+)$/.exec(keyId);
  if (arn?.[1] !== undefined) return arn[1];
  return keyId.startsWith('alias/') ? keyId.slice('alias/'.length) : keyId;
}

function parseCustomerKey(headers: IncomingHttpHeaders, names: CustomerHeaders): SseCustomerKey | undefined {
  const algorithm = single(headers, names.algorithm);
  const key = single(headers, names.key);
  const keyMd5 = single(headers, names.keyMd5);
  if (algorithm === undefined && key === undefined && keyMd5 === undefined) return undefined;
  if (algorithm === undefined) {
    throw invalidArgument(
      'Requests specifying Server Side Encryption with Customer provided keys must provide a valid encryption algorithm.',
      names.algorithm,
      '',
    );
  }
  if (algorithm !== 'AES256') {
    throw new S3Error('InvalidEncryptionAlgorithmError', {
      extra: { ArgumentName: names.algorithm, ArgumentValue: algorithm },
    });
  }
  if (key === undefined) {
    throw invalidArgument(
      'Requests specifying Server Side Encryption with Customer provided keys must provide an appropriate secret key.',
      names.key,
      '',
    );
  }
  const keyBytes = strictBase64(key);
  if (keyBytes?.length !== 32) {
    throw invalidArgument('The secret key was invalid for the specified algorithm.', names.key, '');
  }
  if (keyMd5 === undefined) {
    throw invalidArgument(
      'Requests specifying Server Side Encryption with Customer provided keys must provide the client calculated MD5 of the secret key.',
      names.keyMd5,
      '',
    );
  }
  const md5 = createHash('md5').update(keyBytes).digest('base64');
  if (md5 !== keyMd5) {
    throw invalidArgument(
      'The calculated MD5 hash of the key did not match the hash that was provided.',
      names.keyMd5,
      '',
    );
  }
  return { mode: 'SSE-C', key: keyBytes, keyMd5: md5 };
}

function parseContext(value: string): EncryptionContext {
  const bytes = value.length <= MAX_CONTEXT_HEADER_BYTES ? strictBase64(value) : undefined;
  let parsed: unknown;
  try {
    parsed = bytes === undefined ? undefined : JSON.parse(bytes.toString('utf8'));
  } catch {
    parsed = undefined;
  }
  if (
    typeof parsed !== 'object' ||
    parsed === null ||
    Array.isArray(parsed) ||
    !Object.values(parsed).every((v) => typeof v === 'string')
  ) {
    throw invalidArgument(
      'The encryption context must be base64-encoded JSON of string keys and values',
      SSE_CONTEXT_HEADER,
      '',
    );
  }
  return parsed as EncryptionContext;
}

function strictBase64(value: string): Buffer | undefined {
  if (value.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) return undefined;
  return Buffer.from(value, 'base64');
}

function single(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  if (Array.isArray(value)) {
    throw invalidArgument(`Only one ${name} header is allowed`, name, '');
  }
  return value;
}

/** ArgumentValue is left empty for secrets and anything that could carry one. */
function invalidArgument(message: string, name: string, value: string): S3Error {
  return new S3Error('InvalidArgument', { message, extra: { ArgumentName: name, ArgumentValue: value } });
}
