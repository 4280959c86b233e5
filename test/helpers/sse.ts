/** Helpers for server-side encryption tests: a KMS root secret, SSE-C keys, raw header overrides. */
import { createHash } from 'node:crypto';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { bodyBytes } from './data.js';

export const KMS_SECRET = `strata-test-root:${Buffer.alloc(32, 7).toString('base64')}`;

export function customerKey(seed = 'one'): {
  key: Buffer;
  headers: { SSECustomerAlgorithm: 'AES256'; SSECustomerKey: string; SSECustomerKeyMD5: string };
} {
  const key = createHash('sha256').update(seed).digest();
  return {
    key,
    headers: {
      SSECustomerAlgorithm: 'AES256',
      SSECustomerKey: key.toString('base64'),
      SSECustomerKeyMD5: createHash('md5').update(key).digest('base64'),
    },
  };
}

/** `command` with `headers` set on the wire after the SDK serialized it (before signing). */
export function withHeaders<C extends { middlewareStack: { add: (...args: never[]) => unknown } }>(
  command: C,
  headers: Record<string, string>,
): C {
  (
    command.middlewareStack as unknown as {
      add: (mw: unknown, opts: { step: string }) => void;
    }
  ).add(
    (next: (args: unknown) => Promise<unknown>) =>
      async (args: { request: { headers: Record<string, string> } }) => {
        Object.assign(args.request.headers, headers);
        return next(args);
      },
    { step: 'build' },
  );
  return command;
}

/** `command` with its raw response headers captured into the returned object once sent. */
export function withResponseHeaders<C extends { middlewareStack: { add: (...args: never[]) => unknown } }>(
  command: C,
): { command: C; headers: Record<string, string> } {
  const headers: Record<string, string> = {};
  (
    command.middlewareStack as unknown as {
      add: (mw: unknown, opts: { step: string }) => void;
    }
  ).add(
    (next: (args: unknown) => Promise<{ response: { headers: Record<string, string> } }>) =>
      async (args: unknown) => {
        const out = await next(args);
        Object.assign(headers, out.response.headers);
        return out;
      },
    { step: 'deserialize' },
  );
  return { command, headers };
}

/** GetObject with the whole body read into memory (small test objects only). */
export async function getBytes(s3: S3Client, input: ConstructorParameters<typeof GetObjectCommand>[0]) {
  const res = await s3.send(new GetObjectCommand(input));
  return { bytes: await bodyBytes(res.Body), res };
}
