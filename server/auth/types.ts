import type { IncomingHttpHeaders } from 'node:http';

/** A key pair the server can verify signatures with. */
export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

/** Looks up the secret for an access key id; undefined → InvalidAccessKeyId. */
export type CredentialLookup = (accessKeyId: string) => Credentials | undefined;

/** The parts of an HTTP request SigV4 and SigV2 sign, exactly as received. */
export interface AuthRequest {
  method: string;
  /** Raw request path as sent on the wire (still percent-encoded), without the query. */
  rawPath: string;
  /** Raw query string as sent (without '?'), '' if none. */
  rawQuery: string;
  headers: IncomingHttpHeaders;
  /**
   * The header name/value pairs as received (`IncomingMessage.rawHeaders`), when available:
   * SigV2 joins repeated x-amz-* headers with ',' from these (`headers` has them joined
   * with ', ').
   */
  rawHeaders?: readonly string[];
  /**
   * The bucket a virtual-hosted-style request names in its Host header (undefined for
   * path-style): SigV2 signs the resource as `/bucket` + path.
   */
  virtualHostBucket?: string;
}

/** How the request body must be read and verified, decided by authentication. */
export type PayloadMode =
  /** UNSIGNED-PAYLOAD, or a presigned URL: body taken as-is. */
  | { kind: 'unsigned' }
  /** x-amz-content-sha256 is a hex SHA-256: the body must hash to it. */
  | { kind: 'sha256'; sha256Hex: string }
  /**
   * STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]: aws-chunked body whose chunk
   * signatures chain from the seed signature.
   */
  | {
      kind: 'streaming-signed';
      seedSignature: string;
      signingKey: Uint8Array;
      amzDate: string;
      scope: string;
      trailer: boolean;
    }
  /** STREAMING-UNSIGNED-PAYLOAD-TRAILER: aws-chunked body, unsigned, with trailers. */
  | { kind: 'streaming-unsigned-trailer' };

export interface AuthResult {
  /** '' for anonymous requests and POST forms (verified by their handler). */
  accessKeyId: string;
  /**
   * True for a request without any signature: it carries no identity, and only what
   * the AllUsers ACL grants allow is authorized (server/anonymous-access.ts).
   */
  anonymous?: boolean;
  payload: PayloadMode;
  /** True for query-string (presigned) authentication. */
  presigned: boolean;
}
