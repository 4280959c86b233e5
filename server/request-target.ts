import { S3Error } from './s3-errors.js';

/**
 * Where a request points, parsed from the raw request line and Host header.
 *
 * The raw path is percent-decoded exactly once and never normalised: `//`, `/./`,
 * trailing slashes, `+` (a literal plus in a path), `%2F` inside a key all survive, so
 * any key round-trips. Only the query string uses form decoding (`+` is a space).
 */
export interface RequestTarget {
  /** Path as sent on the wire (still percent-encoded), without the query. */
  rawPath: string;
  /** Query string as sent, without '?'; '' if none. */
  rawQuery: string;
  query: URLSearchParams;
  /** undefined for service-level requests (GET / on the base domain). */
  bucket: string | undefined;
  /** Decoded key; undefined when the request addresses the bucket itself. */
  key: string | undefined;
  /** True when the bucket came from the Host header. */
  virtualHost: boolean;
}

/**
 * Parses the request target. `domains` are the virtual-host base domains: a Host of
 * `<bucket>.<domain>[:port]` selects the bucket; anything else is path-style.
 * Throws S3Error('InvalidURI') for a path that is not a valid percent-encoding of UTF-8.
 */
export function parseRequestTarget(
  rawUrl: string,
  host: string | undefined,
  domains: readonly string[],
): RequestTarget {
  let url = rawUrl;
  // Absolute-form request targets ("http://host/path") arrive from some proxies.
  if (!url.startsWith('/')) {
    const m = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/?]*/.exec(url);
    if (m === null) throw new S3Error('InvalidURI');
    url = url.slice(m[0].length);
    if (!url.startsWith('/')) url = `/${url}`;
  }
  const q = url.indexOf('?');
  const rawPath = q === -1 ? url : url.slice(0, q);
  const rawQuery = q === -1 ? '' : url.slice(q + 1);
  const query = new URLSearchParams(rawQuery);

  const vhostBucket = bucketFromHost(host, domains);
  if (vhostBucket !== undefined) {
    const rest = rawPath.slice(1);
    return {
      rawPath,
      rawQuery,
      query,
      bucket: vhostBucket,
      key: rest === '' ? undefined : decode(rest),
      virtualHost: true,
    };
  }

  const path = rawPath.slice(1);
  if (path === '') return { rawPath, rawQuery, query, bucket: undefined, key: undefined, virtualHost: false };
  const slash = path.indexOf('/');
  const bucket = decode(slash === -1 ? path : path.slice(0, slash));
  const rawKey = slash === -1 ? '' : path.slice(slash + 1);
  return {
    rawPath,
    rawQuery,
    query,
    bucket,
    key: rawKey === '' ? undefined : decode(rawKey),
    virtualHost: false,
  };
}

function decode(s: string): string {
  if (!s.includes('%')) return s;
  try {
    return decodeURIComponent(s);
  } catch (err) {
    throw new S3Error('InvalidURI', { cause: err });
  }
}

/** The bucket named by a virtual-host Host header, or undefined for path-style. */
export function bucketFromHost(host: string | undefined, domains: readonly string[]): string | undefined {
  if (host === undefined || domains.length === 0) return undefined;
  let name = host.trim().toLowerCase();
  if (name.startsWith('[')) return undefined; // IPv6 literal
  const colon = name.lastIndexOf(':');
  if (colon !== -1) name = name.slice(0, colon);
  if (name.endsWith('.')) name = name.slice(0, -1);
  for (const domain of domains) {
    const d = domain.toLowerCase();
    if (name.length > d.length + 1 && name.endsWith(`.${d}`))
      return name.slice(0, name.length - d.length - 1);
  }
  return undefined;
}
