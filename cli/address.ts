import { isIPv6 } from 'node:net';
import { UsageError } from './usage-error.js';

/** Where the server listens. `host` is what `listen()` takes (IPv6 without brackets). */
export interface ListenAddress {
  host: string;
  port: number;
}

/** The address `:9000` means: every IPv4 interface. */
export const ALL_INTERFACES = '0.0.0.0';

const HOSTNAME =
  /^(?=.{1,253}$)[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*$/;

/**
 * Parses `HOST:PORT`, `:PORT` (all interfaces) or `[IPv6]:PORT`. Port 0 asks the OS for a free
 * port (tests). Throws UsageError naming `source` (the flag or variable the value came from).
 */
export function parseAddress(value: string, source = '--address'): ListenAddress {
  const bad = (why: string): UsageError =>
    new UsageError(
      `${source} "${value}" is not a valid address: ${why} (expected HOST:PORT or :PORT, e.g. :9000)`,
    );

  let hostPart: string;
  let portPart: string;
  if (value.startsWith('[')) {
    const close = value.indexOf(']');
    if (close < 0 || value[close + 1] !== ':') {
      throw bad('an IPv6 address must be written [ADDRESS]:PORT');
    }
    hostPart = value.slice(1, close);
    portPart = value.slice(close + 2);
    if (!isIPv6(hostPart)) {
      throw bad(`"${hostPart}" is not an IPv6 address`);
    }
  } else {
    const colon = value.lastIndexOf(':');
    if (colon < 0) {
      throw bad('the port is missing');
    }
    hostPart = value.slice(0, colon);
    portPart = value.slice(colon + 1);
    if (hostPart.includes(':')) {
      throw bad('write IPv6 addresses in brackets');
    }
    if (hostPart !== '' && !HOSTNAME.test(hostPart)) {
      throw bad(`"${hostPart}" is not a valid host name or IPv4 address`);
    }
  }

  if (!/^\d{1,5}$/.test(portPart)) {
    throw bad(portPart === '' ? 'the port is missing' : `port "${portPart}" is not a number`);
  }
  const port = Number.parseInt(portPart, 10);
  if (port > 65535) {
    throw bad(`port ${port} is out of range (0-65535)`);
  }
  return { host: hostPart === '' ? ALL_INTERFACES : hostPart, port };
}

/**
 * The URL a client on this machine uses to reach a listening server: wildcard addresses become
 * loopback, IPv6 literals get brackets.
 */
export function endpointUrl(host: string, port: number, scheme: 'http' | 'https' = 'http'): string {
  let shown = host;
  if (host === ALL_INTERFACES || host === '::' || host === '') {
    shown = '127.0.0.1';
  } else if (isIPv6(host)) {
    shown = `[${host}]`;
  }
  return `${scheme}://${shown}:${port}`;
}
