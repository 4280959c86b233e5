#!/usr/bin/env node
// The image's HEALTHCHECK (the slim base image has no curl): GET /strata/health/live on this
// container's own Strata and exit 0 when it answers 200, 1 otherwise (Docker's contract).
// It reads the server's own variables: the port from STRATA_ADDRESS (default :9000; a wildcard
// host means loopback) and HTTPS when STRATA_CERTS_DIR holds a public.crt. The certificate is not
// verified: this is the process checking itself, and the name on it is the service's, not 127.0.0.1.
import { existsSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';

const LIVE_PATH = '/strata/health/live';
const DEFAULT_ADDRESS = ':9000';
/** Below the HEALTHCHECK --timeout, so a hung server is a failed check, not a killed one. */
const TIMEOUT_MS = 4000;

const address = process.env.STRATA_ADDRESS?.trim() || DEFAULT_ADDRESS;
const colon = address.lastIndexOf(':');
let host = address.slice(0, colon);
const port = Number.parseInt(address.slice(colon + 1), 10);
if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
if (host === '' || host === '0.0.0.0') host = '127.0.0.1';
if (host === '::') host = '::1';

const certsDir = process.env.STRATA_CERTS_DIR?.trim();
const tls = certsDir !== undefined && certsDir !== '' && existsSync(join(certsDir, 'public.crt'));
const request = tls ? httpsRequest : httpRequest;

const req = request(
  { host, port, path: LIVE_PATH, method: 'GET', timeout: TIMEOUT_MS, rejectUnauthorized: false },
  (res) => {
    res.resume();
    const ok = res.statusCode === 200;
    if (!ok) process.stderr.write(`healthcheck: ${LIVE_PATH} answered ${res.statusCode}\n`);
    process.exitCode = ok ? 0 : 1;
  },
);
req.on('timeout', () => req.destroy(new Error(`no answer within ${TIMEOUT_MS} ms`)));
req.on('error', (err) => {
  process.stderr.write(
    `healthcheck: ${tls ? 'https' : 'http'}://${host}:${port}${LIVE_PATH}: ${err.message}\n`,
  );
  process.exitCode = 1;
});
req.end();
