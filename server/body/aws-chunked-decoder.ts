import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import {
  chunkStringToSign,
  hmacHex,
  sha256Hex,
  signaturesEqual,
  trailerStringToSign,
} from '../auth/string-to-sign.js';
import { S3Error } from '../s3-errors.js';

/** Longest chunk header line (`<hex>;chunk-signature=<64 hex>`) accepted, CRLF excluded. */
export const MAX_CHUNK_HEADER_BYTES = 4096;
/** Largest single chunk accepted; SDKs send 8 KiB – 1 MiB chunks. */
export const DEFAULT_MAX_CHUNK_SIZE_BYTES = 16 * 1024 * 1024;
/** Total size of the trailer section (all lines, CRLFs included). */
export const MAX_TRAILER_BYTES = 16 * 1024;

/** Signing context of a STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER] request. */
export interface ChunkSigning {
  /** The request's signature: chunk 1 chains from it. */
  seedSignature: string;
  signingKey: Uint8Array;
  amzDate: string;
  scope: string;
}

export interface AwsChunkedDecoderOptions {
  /** Set for signed streaming: every chunk (and the trailer) must carry a valid signature. */
  signing: ChunkSigning | undefined;
  /**
   * Lower-case trailer names declared in x-amz-trailer. Each must arrive exactly once
   * after the last chunk; any other trailer is rejected. Empty: no trailer section.
   */
  declaredTrailers: readonly string[];
  /** Defaults to DEFAULT_MAX_CHUNK_SIZE_BYTES. */
  maxChunkSizeBytes?: number;
}

const State = {
  ChunkHeader: 0,
  ChunkData: 1,
  ChunkDataCr: 2,
  ChunkDataLf: 3,
  /** After the zero-length chunk's header line: trailer lines or the final CRLF. */
  Trailer: 4,
  Done: 5,
} as const;
type State = (typeof State)[keyof typeof State];

const CR = 0x0d;
const LF = 0x0a;
const HEX_SIZE = /^[0-9a-fA-F]{1,16}$/;
const SIGNATURE = /^[0-9a-f]{64}$/;
const SIGNATURE_EXT = ';chunk-signature=';
const TRAILER_SIGNATURE = 'x-amz-trailer-signature';

/**
 * Decodes a `Content-Encoding: aws-chunked` body into the object's bytes:
 *
 *   <hex-size>[;chunk-signature=<sig>]\r\n<data>\r\n … 0[;chunk-signature=<sig>]\r\n
 *   [<trailer>:<value>\r\n …][x-amz-trailer-signature:<sig>\r\n]\r\n
 *
 * Data leaves as `subarray` views of the input chunks (no copies). With `signing`,
 * each chunk's signature is checked as the chunk ends (so a chunk's bytes may flow
 * downstream before its signature fails: consumers must not commit before the
 * stream ends without error). Errors (S3Error): SignatureDoesNotMatch, IncompleteBody
 * (truncated), InvalidRequest (bad framing or limits), MalformedTrailerError.
 * A body that stops right after `0\r\n` with no trailers declared is accepted: the
 * AWS SDK for JavaScript sends exactly that.
 *
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming-trailers.html
 */
export class AwsChunkedDecoder extends Transform {
  private readonly signing: ChunkSigning | undefined;
  private readonly declared: ReadonlySet<string>;
  private readonly maxChunkSizeBytes: number;
  private state: State;
  /** Bytes of the current header/trailer line gathered so far (lines can span input chunks). */
  private line: Buffer;
  private lineLength: number;
  private trailerBytes: number;
  private chunkRemaining: number;
  private chunkSignature: string;
  private chunkHash: Hash | undefined;
  private previousSignature: string;
  private trailerSignature: string | undefined;
  private readonly trailerMap: Map<string, string>;
  private decoded: number;

  constructor(opts: AwsChunkedDecoderOptions) {
    super();
    this.signing = opts.signing;
    this.declared = new Set(opts.declaredTrailers);
    this.maxChunkSizeBytes = opts.maxChunkSizeBytes ?? DEFAULT_MAX_CHUNK_SIZE_BYTES;
    this.state = State.ChunkHeader;
    this.line = Buffer.allocUnsafe(MAX_CHUNK_HEADER_BYTES + 1);
    this.lineLength = 0;
    this.trailerBytes = 0;
    this.chunkRemaining = 0;
    this.chunkSignature = '';
    this.chunkHash = undefined;
    this.previousSignature = opts.signing?.seedSignature ?? '';
    this.trailerSignature = undefined;
    this.trailerMap = new Map();
    this.decoded = 0;
  }

  /** Trailers received (lower-case name → value, signature excluded). Complete once the stream has ended. */
  get trailers(): ReadonlyMap<string, string> {
    return this.trailerMap;
  }

  /** Object bytes emitted so far. */
  get decodedBytes(): number {
    return this.decoded;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    try {
      this.consume(chunk);
      done();
    } catch (err) {
      done(err as Error);
    }
  }

  override _flush(done: TransformCallback): void {
    if (this.state === State.Done) {
      done();
      return;
    }
    // The JS SDK ends a trailer-less body right after "0\r\n".
    if (
      this.state === State.Trailer &&
      this.lineLength === 0 &&
      this.trailerBytes === 0 &&
      this.declared.size === 0
    ) {
      this.state = State.Done;
      done();
      return;
    }
    done(
      new S3Error('IncompleteBody', {
        cause: new Error(`aws-chunked body ended early (state ${this.state})`),
      }),
    );
  }

  private consume(buf: Buffer): void {
    let pos = 0;
    const len = buf.length;
    while (pos < len) {
      switch (this.state) {
        case State.ChunkHeader:
        case State.Trailer: {
          const lf = buf.indexOf(LF, pos);
          const end = lf === -1 ? len : lf;
          this.appendLine(buf, pos, end);
          if (lf === -1) return;
          pos = lf + 1;
          const lineEnd = this.lineLength;
          this.lineLength = 0;
          if (lineEnd === 0 || this.line[lineEnd - 1] !== CR) throw malformed('line not terminated by CRLF');
          const text = this.line.toString('latin1', 0, lineEnd - 1);
          if (this.state === State.ChunkHeader) this.onChunkHeader(text);
          else this.onTrailerLine(text);
          break;
        }
        case State.ChunkData: {
          const n = Math.min(this.chunkRemaining, len - pos);
          const view = buf.subarray(pos, pos + n);
          this.chunkHash?.update(view);
          this.decoded += n;
          this.push(view);
          pos += n;
          this.chunkRemaining -= n;
          if (this.chunkRemaining === 0) {
            if (this.chunkHash) this.verifyChunk(this.chunkHash.digest('hex'));
            this.state = State.ChunkDataCr;
          }
          break;
        }
        case State.ChunkDataCr:
          if (buf[pos++] !== CR) throw malformed('chunk data not followed by CRLF');
          this.state = State.ChunkDataLf;
          break;
        case State.ChunkDataLf:
          if (buf[pos++] !== LF) throw malformed('chunk data not followed by CRLF');
          this.state = State.ChunkHeader;
          break;
        case State.Done:
          throw malformed('data after the end of the aws-chunked body');
      }
    }
  }

  private appendLine(buf: Buffer, from: number, to: number): void {
    const n = to - from;
    if (n === 0) return;
    const limit = this.state === State.ChunkHeader ? MAX_CHUNK_HEADER_BYTES + 1 : MAX_TRAILER_BYTES;
    if (this.lineLength + n > limit) {
      throw this.state === State.ChunkHeader
        ? malformed('chunk header line too long')
        : malformedTrailer('trailer too long');
    }
    if (this.state === State.Trailer) {
      this.trailerBytes += n;
      if (this.trailerBytes > MAX_TRAILER_BYTES) throw malformedTrailer('trailers too long');
    }
    if (this.lineLength + n > this.line.length) {
      // Only trailer lines outgrow the header-sized buffer; grow once to the trailer limit.
      const bigger = Buffer.allocUnsafe(MAX_TRAILER_BYTES);
      this.line.copy(bigger, 0, 0, this.lineLength);
      this.line = bigger;
    }
    buf.copy(this.line, this.lineLength, from, to);
    this.lineLength += n;
  }

  private onChunkHeader(text: string): void {
    const semi = text.indexOf(';');
    const hex = semi === -1 ? text : text.slice(0, semi);
    if (!HEX_SIZE.test(hex)) throw malformed('invalid chunk size');
    const size = Number.parseInt(hex, 16);
    if (size > this.maxChunkSizeBytes) throw malformed(`chunk of ${size} bytes exceeds the limit`);
    if (this.signing) {
      if (semi === -1 || !text.startsWith(SIGNATURE_EXT, semi)) throw malformed('chunk-signature missing');
      const sig = text.slice(semi + SIGNATURE_EXT.length);
      if (!SIGNATURE.test(sig)) throw malformed('chunk-signature malformed');
      this.chunkSignature = sig;
    } else if (semi !== -1) {
      throw malformed('chunk extension on an unsigned aws-chunked body');
    }
    if (size === 0) {
      if (this.signing) this.verifyChunk(EMPTY_HASH);
      this.state = State.Trailer;
      return;
    }
    this.chunkRemaining = size;
    this.chunkHash = this.signing ? createHash('sha256') : undefined;
    this.state = State.ChunkData;
  }

  private verifyChunk(dataSha256Hex: string): void {
    const s = this.signing as ChunkSigning;
    const expected = hmacHex(
      s.signingKey,
      chunkStringToSign(s.amzDate, s.scope, this.previousSignature, dataSha256Hex),
    );
    if (!signaturesEqual(expected, this.chunkSignature)) {
      throw new S3Error('SignatureDoesNotMatch', {
        cause: new Error('aws-chunked chunk signature mismatch'),
      });
    }
    this.previousSignature = this.chunkSignature;
    this.chunkHash = undefined;
  }

  private onTrailerLine(text: string): void {
    this.trailerBytes += 2;
    if (text === '') {
      this.finishTrailers();
      return;
    }
    const colon = text.indexOf(':');
    if (colon <= 0) throw malformedTrailer('trailer line without a name');
    const name = text.slice(0, colon).trim().toLowerCase();
    const value = text.slice(colon + 1).trim();
    if (name === TRAILER_SIGNATURE) {
      if (!this.signing || this.trailerSignature !== undefined || !SIGNATURE.test(value)) {
        throw malformedTrailer('unexpected or malformed x-amz-trailer-signature');
      }
      this.trailerSignature = value;
      return;
    }
    if (this.trailerSignature !== undefined) throw malformedTrailer('trailer after x-amz-trailer-signature');
    if (!this.declared.has(name))
      throw malformedTrailer(
        `trailer ${JSON.stringify(name.slice(0, 64))} was not declared in x-amz-trailer`,
      );
    if (this.trailerMap.has(name)) throw malformedTrailer(`trailer ${name} repeated`);
    this.trailerMap.set(name, value);
  }

  private finishTrailers(): void {
    for (const name of this.declared) {
      if (!this.trailerMap.has(name)) throw malformedTrailer(`declared trailer ${name} missing`);
    }
    if (this.signing && this.trailerMap.size > 0) {
      if (this.trailerSignature === undefined) throw malformedTrailer('x-amz-trailer-signature missing');
      const s = this.signing;
      const expected = hmacHex(
        s.signingKey,
        trailerStringToSign(
          s.amzDate,
          s.scope,
          this.previousSignature,
          sha256Hex(canonicalTrailer(this.trailerMap)),
        ),
      );
      if (!signaturesEqual(expected, this.trailerSignature)) {
        throw new S3Error('SignatureDoesNotMatch', {
          cause: new Error('aws-chunked trailer signature mismatch'),
        });
      }
    } else if (this.trailerSignature !== undefined) {
      throw malformedTrailer('x-amz-trailer-signature without trailers');
    }
    this.state = State.Done;
  }
}

/**
 * The bytes the trailer signature covers: `name:value\n` per trailer, names
 * lower-case and sorted, values trimmed (the SDKs' canonical trailing headers).
 */
export function canonicalTrailer(trailers: ReadonlyMap<string, string>): string {
  let out = '';
  for (const name of [...trailers.keys()].sort()) out += `${name}:${trailers.get(name)}\n`;
  return out;
}

const EMPTY_HASH = sha256Hex('');

function malformed(detail: string): S3Error {
  return new S3Error('InvalidRequest', { cause: new Error(`aws-chunked: ${detail}`) });
}

function malformedTrailer(detail: string): S3Error {
  return new S3Error('MalformedTrailerError', { cause: new Error(`aws-chunked: ${detail}`) });
}
