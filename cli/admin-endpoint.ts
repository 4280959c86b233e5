import { endpointUrl, parseAddress } from './address.js';
import { DEFAULT_ADDRESS, type Env } from './server-config.js';
import { UsageError } from './usage-error.js';

/**
 * The server a `strata admin` command talks to: --endpoint, else STRATA_ENDPOINT, else
 * http:// on the port of STRATA_ADDRESS (loopback). Throws UsageError for anything that is
 * not an http(s) URL.
 */
export function resolveAdminEndpoint(flag: string | undefined, env: Env): URL {
  const raw = flag ?? env.STRATA_ENDPOINT ?? defaultEndpoint(env);
  let endpoint: URL;
  try {
    endpoint = new URL(raw);
  } catch (err) {
    throw new UsageError(`endpoint "${raw}" is not a URL (e.g. http://127.0.0.1:9000)`, { cause: err });
  }
  if (endpoint.protocol !== 'http:' && endpoint.protocol !== 'https:') {
    throw new UsageError(`endpoint "${raw}" must start with http:// or https://`);
  }
  return endpoint;
}

function defaultEndpoint(env: Env): string {
  const { host, port } = parseAddress(env.STRATA_ADDRESS || DEFAULT_ADDRESS, 'STRATA_ADDRESS');
  return endpointUrl(host, port);
}
