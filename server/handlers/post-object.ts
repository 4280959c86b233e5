import type { IncomingHttpHeaders } from 'node:http';
import { type Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Busboy, type BusboyFileStream, type BusboyInstance } from '@fastify/busboy';
import type { ObjectInfo, ObjectMetadata, PutObjectFinal } from '../../storage/index.js';
import { aclMetadata, cannedAcl } from '../acl.js';
import { anonymousMayWrite } from '../anonymous-access.js';
import { BodyVerifier } from '../body/index.js';
import {
  CHECKSUM_HEADERS,
  CHECKSUM_LENGTH_BYTES,
  checksumHeader,
  type FlexibleChecksumAlgorithm,
  parseChecksumAlgorithm,
} from '../checksums/index.js';
import { metadataFromHeaders } from '../object-metadata.js';
import { checkPostPolicy, decodePostPolicy, missingField, verifyPostSignature } from '../post-policy.js';
import type { S3Context, S3Response } from '../s3-context.js';
import { isS3Error, S3Error } from '../s3-errors.js';
import { parseSseRequest, sealedBody } from '../sse/index.js';
import { toS3Error } from '../storage-errors.js';
import { parseTaggingXml, tagsMetadata } from '../tagging.js';
import { buildXml, urlEncodeKey } from '../xml.js';
import { MAX_PUT_OBJECT_BYTES } from './put-object.js';
import { rejectUnsupportedWriteHeaders } from './unsupported-headers.js';

/** S3 keys are at most 1024 bytes of UTF-8. */
const MAX_KEY_BYTES = 1024;
/**
 * Bounds on the form fields that precede the file (they are held in memory): AWS
 * allows a 20 KiB policy (≈27 KiB of base64) plus metadata; 64 KiB per field and
 * 256 KiB in all leave room for both and nothing more.
 */
const MAX_FIELD_BYTES = 64 * 1024;
const MAX_FIELDS_TOTAL_BYTES = 256 * 1024;
const MAX_FIELDS = 200;
/** After a refused upload, at most this much of the unread body is read and dropped, for at most this long. */
const DISCARD_BUDGET_BYTES = 1024 * 1024;
const DISCARD_TIMEOUT_MS = 5_000;

/** Fields that become stored object metadata like the matching PutObject headers. */

/**
 * PostObject (browser-based upload with an HTML form) —
 * https://docs.aws.amazon.com/AmazonS3/latest/API/RESTObjectPOST.html
 *
 * The multipart/form-data body is parsed as it streams (@fastify/busboy, the parser
 * of @fastify/multipart): fields are collected until the `file` field, which must be
 * last; fields after it are ignored, as in S3. When the file part starts, the policy
 * signature, expiry and every condition are checked, then the file streams through a
 * content-length-range guard and the MD5/checksum verifier into ObjectLayer.putObject
 * — never buffered, and nothing is stored unless everything holds.
 *
 * Deviations: SigV2 policy signatures are accepted besides SigV4 (browser code and the
 * s3-tests suite still send them); x-amz-checksum-* fields need no policy condition;
 * object lock fields are NotImplemented. Encryption fields (x-amz-server-side-encryption,
 * -aws-kms-key-id, -context, -customer-*) act as PutObject's headers (server/sse). A form without policy and signature
 * is an anonymous upload: allowed only into a bucket whose ACL grants AllUsers WRITE
 * (public-read-write), with no policy conditions to check, as S3.
 */
export async function postObject(ctx: S3Context): Promise<S3Response> {
  const contentType = headerValue(ctx.headers, 'content-type') ?? '';
  if (!/^multipart\/form-data\s*;/i.test(contentType) || !/boundary=/i.test(contentType)) {
    throw new S3Error('PreconditionFailed', {
      message: 'Bucket POST must be of the enclosure-type multipart/form-data',
      extra: { Condition: 'Bucket POST must be of the enclosure-type multipart/form-data' },
    });
  }
  try {
    await ctx.objectLayer.getBucketInfo(ctx.bucket);
  } catch (err) {
    throw toS3Error(err, { bucket: ctx.bucket });
  }

  const form = new FormReader(ctx.raw, ctx.headers);
  try {
    const { fields, file, filename } = await form.untilFile();
    const upload = prepareUpload(ctx, fields, filename);
    if (upload.anonymous && !(await anonymousMayWrite(ctx.objectLayer, ctx.bucket))) {
      throw new S3Error('AccessDenied', { cause: new Error('anonymous POST upload') });
    }
    const { info, sseHeaders } = await store(ctx, upload, file);
    // The rest of the form (closing boundary, ignored trailing fields) is read before
    // answering, so the connection stays usable.
    await form.finished();
    const res = successResponse(ctx, upload, info);
    return { ...res, headers: { ...res.headers, ...sseHeaders } };
  } catch (err) {
    // A small remainder is read and dropped so the client gets the error on a live
    // connection (browsers report a reset instead of the response otherwise); past
    // the budget the app closes the connection.
    await form.discardRest(DISCARD_BUDGET_BYTES, DISCARD_TIMEOUT_MS);
    throw err;
  } finally {
    form.close();
  }
}

/** What the form asks for, checked against the policy. */
interface Upload {
  key: string;
  fields: ReadonlyMap<string, string>;
  metadata: ObjectMetadata;
  range: { min: number; max: number } | undefined;
  checksum: { algorithm: FlexibleChecksumAlgorithm; expected: string | undefined } | undefined;
  /** No policy and no signature: the bucket's ACL decides. */
  anonymous: boolean;
}

/** Fields that make a form a signed one; a form with none of them is anonymous. */
const SIGNED_FORM_FIELDS = ['policy', 'x-amz-signature', 'signature', 'x-amz-credential', 'awsaccesskeyid'];

function prepareUpload(ctx: S3Context, fields: Map<string, string>, filename: string): Upload {
  const anonymous = !SIGNED_FORM_FIELDS.some((name) => fields.has(name));
  if (!anonymous) verifyPostSignature(fields, { lookup: ctx.credentials, region: ctx.region });
  const rawKey = fields.get('key');
  if (rawKey === undefined) throw missingField('key');
  // biome-ignore lint/suspicious/noTemplateCurlyInString: S3's literal ${filename} variable.
  const key = rawKey.replaceAll('${filename}', filename);
  if (key === '') {
    throw new S3Error('InvalidArgument', {
      message: 'User key must have a length greater than 0.',
      extra: { ArgumentName: 'key', ArgumentValue: '' },
    });
  }
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) {
    throw new S3Error('KeyTooLongError', {
      extra: { Size: String(Buffer.byteLength(key)), MaxSizeAllowed: String(MAX_KEY_BYTES) },
    });
  }
  const checked = new Map(fields);
  checked.set('key', key);
  const range = anonymous
    ? undefined
    : checkPostPolicy(decodePostPolicy(fields.get('policy') ?? ''), {
        bucket: ctx.bucket,
        fields: checked,
        nowMs: ctx.nowMs(),
      });

  const acl = fields.get('acl');
  rejectUnsupportedWriteHeaders(asHeaders(fields));
  // The form's `tagging` field is a Tagging XML document (PutObject's header is a query string).
  const tagging = fields.get('tagging');
  const metadata = {
    ...metadataFromHeaders(asHeaders(fields)),
    ...(tagging === undefined ? {} : tagsMetadata(parseTaggingXml(tagging, 'object'))),
    ...aclMetadata(acl === undefined ? undefined : cannedAcl(acl)),
  };
  return { key, fields: checked, metadata, range, checksum: checksumOf(fields), anonymous };
}

/** The flexible checksum the form names: an x-amz-checksum-<alg> value, or an algorithm to compute. */
function checksumOf(fields: ReadonlyMap<string, string>): Upload['checksum'] {
  const named = [...fields.keys()].filter((n) => checksumHeader(n) !== undefined);
  if (named.length > 1) {
    throw new S3Error('InvalidRequest', {
      message: 'Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.',
    });
  }
  const name = named[0];
  if (name !== undefined) {
    const algorithm = checksumHeader(name) as FlexibleChecksumAlgorithm;
    const value = fields.get(name) ?? '';
    const bytes = CHECKSUM_LENGTH_BYTES[algorithm];
    const canonical = /^[A-Za-z0-9+/]*={0,2}$/.test(value) && value.length === Math.ceil(bytes / 3) * 4;
    if (!canonical || Buffer.from(value, 'base64').length !== bytes) {
      throw new S3Error('InvalidRequest', { message: `Value for ${name} header is invalid.` });
    }
    return { algorithm, expected: value };
  }
  const requested = fields.get('x-amz-checksum-algorithm');
  if (requested === undefined) return undefined;
  const algorithm = parseChecksumAlgorithm(requested);
  if (algorithm === undefined) {
    throw new S3Error('InvalidRequest', { message: 'Value for x-amz-checksum-algorithm header is invalid.' });
  }
  return { algorithm, expected: undefined };
}

async function store(
  ctx: S3Context,
  upload: Upload,
  file: BusboyFileStream,
): Promise<{ info: ObjectInfo; sseHeaders: Record<string, string> }> {
  const sealed = await sealedBody(ctx, parseSseRequest(asHeaders(upload.fields)), {
    bucket: ctx.bucket,
    key: upload.key,
  });
  const guard = new LengthRangeGuard(upload.range?.min ?? 0, upload.range?.max ?? MAX_PUT_OBJECT_BYTES);
  const verifier = new BodyVerifier({
    md5: true,
    contentMd5: undefined,
    sha256Hex: undefined,
    checksumAlgorithm: upload.checksum?.algorithm,
    expectedChecksum: () => upload.checksum?.expected,
    declaredSizeBytes: -1,
  });
  // file → guard → verifier; storage consumes the verifier. An error anywhere destroys
  // the chain, so putObject sees a failed body and commits nothing.
  const feeding = pipeline(file, guard, verifier);
  feeding.catch(() => {
    // Reported through the verifier stream to putObject, which rethrows it.
  });
  const stored = sealed.wrap(verifier, -1);
  try {
    const info = await ctx.objectLayer.putObject(ctx.bucket, upload.key, stored.stream, {
      sizeBytes: stored.sizeBytes,
      metadata: upload.metadata,
      finalize: (): PutObjectFinal => {
        const final = verifier.digests();
        return { etag: sealed.etag(final.md5Hex), metadata: { ...final.checksums, ...sealed.metadata() } };
      },
      signal: ctx.signal,
    });
    return { info, sseHeaders: sealed.responseHeaders };
  } catch (err) {
    verifier.destroy();
    stored.stream.destroy();
    // The guard's and verifier's own errors are already S3Errors.
    throw isS3Error(err) ? err : toS3Error(err, { bucket: ctx.bucket, key: upload.key });
  }
}

function successResponse(ctx: S3Context, upload: Upload, info: ObjectInfo): S3Response {
  const etag = `"${info.etag}"`;
  const location = objectUrl(ctx, upload.key);
  const headers: Record<string, string> = { etag, location };
  if (info.versionId !== 'null') headers['x-amz-version-id'] = info.versionId;
  for (const [name, value] of Object.entries(info.metadata)) {
    if (name.startsWith('x-amz-checksum-') && Object.values(CHECKSUM_HEADERS).includes(name as never)) {
      headers[name] = value;
    }
  }

  const redirect = upload.fields.get('success_action_redirect') ?? upload.fields.get('redirect');
  if (redirect !== undefined && redirect !== '' && isHttpUrl(redirect)) {
    const q = `bucket=${encodeURIComponent(ctx.bucket)}&key=${encodeURIComponent(upload.key)}&etag=${encodeURIComponent(etag)}`;
    headers.location = `${redirect}${redirect.includes('?') ? '&' : '?'}${q}`;
    return { status: 303, headers };
  }
  const status = upload.fields.get('success_action_status');
  if (status === '201') {
    // AWS's PostResponse carries no XML namespace (clients look up <Key> unqualified).
    const body = buildXml(
      'PostResponse',
      { Location: location, Bucket: ctx.bucket, Key: upload.key, ETag: etag },
      { namespace: false },
    );
    return { status: 201, headers: { ...headers, 'content-type': 'application/xml' }, body };
  }
  // AWS: 200 answers an empty document; 204 (the default) and anything else no body.
  return { status: status === '200' ? 200 : 204, headers };
}

function isHttpUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

/** The object's URL as the client addressed the bucket (virtual-host or path style). */
function objectUrl(ctx: S3Context, key: string): string {
  const scheme = (ctx.raw.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
  const host = headerValue(ctx.headers, 'host') ?? 'localhost';
  const path = urlEncodeKey(key).replace(/\+/g, '%20');
  return ctx.target.virtualHost ? `${scheme}://${host}/${path}` : `${scheme}://${host}/${ctx.bucket}/${path}`;
}

/** The form fields as a header map, so PutObject's header rules apply to them unchanged. */
function asHeaders(fields: ReadonlyMap<string, string>): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = {};
  for (const [name, value] of fields) out[name] = value;
  return out;
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

/**
 * Enforces the policy's content-length-range while the file streams: one byte over
 * the maximum fails with EntityTooLarge at once, a short file with EntityTooSmall at
 * its end — before storage sees the end of the body, so nothing is committed.
 */
export class LengthRangeGuard extends Transform {
  private readonly min: number;
  private readonly max: number;
  private count: number;
  constructor(min: number, max: number) {
    super();
    this.min = min;
    this.max = max;
    this.count = 0;
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.count += chunk.length;
    if (this.count > this.max) {
      done(
        new S3Error('EntityTooLarge', {
          extra: { ProposedSize: String(this.count), MaxSizeAllowed: String(this.max) },
        }),
      );
      return;
    }
    done(null, chunk);
  }
  override _flush(done: TransformCallback): void {
    if (this.count < this.min) {
      done(
        new S3Error('EntityTooSmall', {
          extra: { ProposedSize: String(this.count), MinSizeAllowed: String(this.min) },
        }),
      );
      return;
    }
    done();
  }
}

interface FilePart {
  fields: Map<string, string>;
  file: BusboyFileStream;
  /** The file part's filename (what `${filename}` in the key becomes). */
  filename: string;
}

/**
 * Streams a multipart/form-data request through busboy: collects the fields that
 * precede the `file` field (names lower-cased; the first of repeated names wins),
 * hands the file over as a stream, and discards whatever follows it.
 *
 * The request is fed with explicit backpressure and never destroyed: on an error the
 * app answers and closes the connection (the unread rest must not poison keep-alive).
 */
class FormReader {
  private readonly bb: BusboyInstance;
  private readonly fields = new Map<string, string>();
  private fieldBytes = 0;
  private fileSeen = false;
  private failure: S3Error | undefined;
  private readonly done: Promise<void>;
  private onFile: ((part: FilePart) => void) | undefined;
  private onFail: ((err: S3Error) => void) | undefined;
  private readonly detachFeed: () => void;
  private readonly raw: Readable;

  constructor(raw: Readable, headers: IncomingHttpHeaders) {
    this.raw = raw;
    try {
      this.bb = Busboy({
        headers: headers as IncomingHttpHeaders & { 'content-type': string },
        limits: {
          fieldNameSize: 256,
          fieldSize: MAX_FIELD_BYTES,
          fields: MAX_FIELDS,
          headerPairs: 64,
        },
        // The part named "file" is the upload whatever its headers say; any other part is a field.
        isPartAFile: (name) => (name ?? '').toLowerCase() === 'file',
      });
    } catch (err) {
      throw new S3Error('MalformedPOSTRequest', { cause: err });
    }
    this.done = new Promise<void>((resolve, reject) => {
      this.bb.on('finish', () => {
        if (!this.fileSeen) this.fail(new S3Error('IncorrectNumberOfFilesInPostRequest'));
        resolve();
      });
      this.bb.on('error', (err: unknown) => {
        const e = new S3Error('MalformedPOSTRequest', { cause: err });
        this.fail(e);
        reject(e);
      });
    });
    this.done.catch(() => {
      // Surfaced through untilFile()/finished().
    });
    this.bb.on('field', (name, value, nameTruncated, valueTruncated) => {
      if (this.fileSeen) return;
      if (nameTruncated || valueTruncated) {
        this.fail(new S3Error('MaxPostPreDataLengthExceededError'));
        return;
      }
      this.fieldBytes += name.length + value.length;
      if (this.fieldBytes > MAX_FIELDS_TOTAL_BYTES) {
        this.fail(new S3Error('MaxPostPreDataLengthExceededError'));
        return;
      }
      const lower = name.toLowerCase();
      if (!this.fields.has(lower)) this.fields.set(lower, value);
    });
    this.bb.on('fieldsLimit', () => this.fail(new S3Error('MaxPostPreDataLengthExceededError')));
    this.bb.on('partsLimit', () => this.fail(new S3Error('MaxPostPreDataLengthExceededError')));
    this.bb.on('file', (_name, stream, filename) => {
      if (this.fileSeen || this.failure) {
        // Only the first file counts; later ones are read and dropped.
        stream.resume();
        return;
      }
      this.fileSeen = true;
      this.onFile?.({ fields: this.fields, file: stream, filename: baseName(filename ?? '') });
    });
    this.detachFeed = feed(raw, this.bb, (err) => this.fail(err));
  }

  /** Resolves when the file part starts; rejects with an S3Error (no file, malformed form, limits). */
  untilFile(): Promise<FilePart> {
    return new Promise<FilePart>((resolve, reject) => {
      if (this.failure) {
        reject(this.failure);
        return;
      }
      this.onFile = resolve;
      this.onFail = reject;
    });
  }

  /** Resolves once the whole form has been read. */
  async finished(): Promise<void> {
    await this.done;
    if (this.failure && !this.fileSeen) throw this.failure;
  }

  /** Stops reading the request (idempotent). */
  close(): void {
    this.detachFeed();
  }

  /**
   * Stops parsing and reads the rest of the request into nothing, until it ends or
   * `maxBytes` / `timeoutMs` run out (then reading stops where it is).
   */
  async discardRest(maxBytes: number, timeoutMs: number): Promise<void> {
    this.close();
    const raw = this.raw;
    if (raw.readableEnded || raw.destroyed) return;
    await new Promise<void>((resolve) => {
      let seen = 0;
      const finish = (): void => {
        clearTimeout(timer);
        raw.off('data', onData);
        raw.off('end', finish);
        raw.off('close', finish);
        raw.pause();
        resolve();
      };
      const onData = (chunk: Buffer): void => {
        seen += chunk.length;
        if (seen > maxBytes) finish();
      };
      const timer = setTimeout(finish, timeoutMs);
      raw.on('data', onData);
      raw.on('end', finish);
      raw.on('close', finish);
      raw.resume();
    });
  }

  private fail(err: S3Error): void {
    if (this.failure) return;
    this.failure = err;
    this.onFail?.(err);
    if (!this.fileSeen) this.close();
  }
}

/** The last path segment of a browser-supplied filename (some send C:\path\name). */
function baseName(name: string): string {
  const cut = Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\'));
  return cut === -1 ? name : name.slice(cut + 1);
}

/**
 * Copies `raw` into busboy with explicit backpressure; never destroys `raw`. Returns
 * a function that stops the copy.
 */
function feed(raw: Readable, into: BusboyInstance, onError: (err: S3Error) => void): () => void {
  const onData = (chunk: Buffer): void => {
    if (!into.write(chunk)) raw.pause();
  };
  const onDrain = (): void => {
    raw.resume();
  };
  const onEnd = (): void => {
    detach();
    into.end();
  };
  const onRawError = (err: Error): void => {
    detach();
    onError(new S3Error('IncompleteBody', { cause: err }));
    into.destroy(err);
  };
  const onRawClose = (): void => {
    if (raw.readableEnded) return;
    detach();
    const err = new S3Error('IncompleteBody', { cause: new Error('request closed before its body ended') });
    onError(err);
    into.destroy(err);
  };
  let attached = true;
  const detach = (): void => {
    if (!attached) return;
    attached = false;
    raw.off('data', onData);
    raw.off('end', onEnd);
    raw.off('error', onRawError);
    raw.off('close', onRawClose);
    into.off('drain', onDrain);
    raw.pause();
  };
  raw.on('data', onData);
  raw.on('end', onEnd);
  raw.on('error', onRawError);
  raw.on('close', onRawClose);
  into.on('drain', onDrain);
  return () => {
    // After a complete read the feed detached itself; otherwise stop reading here.
    detach();
  };
}
