/**
 * An HTTP target's address. Credentials written into the URL (`http://user:pass@host`)
 * move into a Basic Authorization header: fetch refuses URLs with credentials, and a
 * URL is something we log.
 */
export interface HttpEndpoint {
  /** The URL without credentials. */
  url: URL;
  /** The Authorization header value to send, if any. Secret: never logged. */
  authorization: string | undefined;
}

/** Throws TypeError for a URL that is not http(s). */
export function httpEndpoint(url: string, authorization?: string): HttpEndpoint {
  const parsed = new URL(url);
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new TypeError(`not an http(s) URL: ${parsed.protocol}`);
  }
  let auth = authorization === '' ? undefined : authorization;
  if (parsed.username !== '' || parsed.password !== '') {
    const user = decodeURIComponent(parsed.username);
    const password = decodeURIComponent(parsed.password);
    auth ??= `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    parsed.username = '';
    parsed.password = '';
  }
  return { url: parsed, authorization: auth };
}

/** Request timeout of one delivery; a slow target is retried, not waited for forever. */
export const HTTP_TIMEOUT_MS = 10_000;

/** Aborts on shutdown (`signal`) or after `timeoutMs`. */
export function requestSignal(signal: AbortSignal, timeoutMs: number): AbortSignal {
  return AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]);
}

/** Reads (and so releases) a response body without keeping more than `maxChars` of it. */
export async function responseText(res: Response, maxChars: number): Promise<string> {
  const text = await res.text();
  return text.length > maxChars ? `${text.slice(0, maxChars)}…` : text;
}
