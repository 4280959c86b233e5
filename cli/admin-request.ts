import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';

/** Where and as whom a `strata admin` command calls the server's admin API. */
export interface AdminTarget {
  endpoint: URL;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
}

/** Largest admin response we read; reports and key lists are a few kilobytes. */
const MAX_RESPONSE_BYTES = 1024 * 1024;

/**
 * Sends one admin call (`/_strata/admin/...`, empty body) signed with SigV4 (service s3)
 * and resolves with the status and body, whatever the status. Rejects with an Error fit
 * for the terminal when the server cannot be reached or the answer is too large.
 */
export async function adminRequest(
  target: AdminTarget,
  method: 'GET' | 'POST',
  path: string,
  query: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  const signer = new SignatureV4({
    service: 's3',
    region: target.region,
    credentials: { accessKeyId: target.accessKeyId, secretAccessKey: target.secretAccessKey },
    sha256: Sha256,
    // S3 signs the path as sent, without a second round of escaping.
    uriEscapePath: false,
  });
  const { endpoint } = target;
  const signed = await signer.sign({
    method,
    protocol: endpoint.protocol,
    hostname: endpoint.hostname,
    port: endpoint.port === '' ? undefined : Number(endpoint.port),
    path,
    query,
    headers: { host: endpoint.host },
  });
  const queryString = Object.entries(query)
    .map(([k, v]) => `${uriEncode(k)}=${uriEncode(v)}`)
    .join('&');
  return send(endpoint, method, `${path}${queryString ? `?${queryString}` : ''}`, {
    ...signed.headers,
    'content-length': '0',
  });
}

/** `: Code (Message)` from a JSON (`{code, message}`) or S3 XML error body, else the start of the body. */
export function describeError(body: string): string {
  let code: string | undefined;
  let message: string | undefined;
  try {
    const parsed = JSON.parse(body) as { code?: unknown; message?: unknown };
    code = typeof parsed.code === 'string' ? parsed.code : undefined;
    message = typeof parsed.message === 'string' ? parsed.message : undefined;
  } catch {
    code = /<Code>([^<]*)<\/Code>/.exec(body)?.[1];
    message = /<Message>([^<]*)<\/Message>/.exec(body)?.[1];
  }
  if (code !== undefined) {
    return `: ${code}${message ? ` (${message})` : ''}`;
  }
  const text = body.trim().slice(0, 200);
  return text === '' ? '' : `: ${text}`;
}

/** RFC 3986 unreserved characters stay; everything else is %XX (SigV4's UriEncode). */
function uriEncode(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

function send(
  endpoint: URL,
  method: string,
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string }> {
  const request = endpoint.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      {
        method,
        hostname: endpoint.hostname.replace(/^\[|\]$/g, ''),
        port: endpoint.port,
        path,
        headers,
      },
      (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_RESPONSE_BYTES) {
            res.destroy(
              new Error(`${endpoint.origin} sent a response larger than ${MAX_RESPONSE_BYTES} bytes`),
            );
            return;
          }
          chunks.push(chunk);
        });
        res.on('error', reject);
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => {
      const hint = err.code === 'ECONNREFUSED' ? ' (is strata server running there?)' : '';
      reject(new Error(`cannot reach ${endpoint.origin}: ${err.message}${hint}`, { cause: err }));
    });
    req.end();
  });
}
