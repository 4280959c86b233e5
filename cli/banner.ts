export interface BannerInfo {
  version: string;
  /** What a client on this machine connects to, e.g. http://127.0.0.1:9000 (https:// with TLS). */
  endpoint: string;
  /** The address actually bound, e.g. 0.0.0.0:9000. */
  listening: string;
  /** The extra plain-HTTP listener (STRATA_HTTP_ADDRESS), as a URL. */
  httpEndpoint?: string | undefined;
  /** STRATA_CERTS_DIR when the endpoint serves HTTPS. */
  certsDir?: string | undefined;
  region: string;
  domains: string[];
  rootUser: string;
  rootPassword: string;
  defaultCredentials: boolean;
  drives: string[];
  parityShards: number | undefined;
}

const RULE = '#'.repeat(78);

/**
 * The start-up text on stdout. Tests and scripts parse the `Endpoint: http://HOST:PORT` line
 * (`https://` with TLS), so it stays exactly that shape and no other line contains `Endpoint:`.
 * The root password appears only while the defaults are in use (with the warning); a
 * configured password never reaches stdout.
 */
export function formatBanner(info: BannerInfo): string {
  const lines = [
    `Strata ${info.version}: S3-compatible object storage`,
    `Endpoint: ${info.endpoint}`,
    `Listening: ${info.listening}`,
  ];
  if (info.certsDir !== undefined) {
    lines.push(`TLS: certificates from ${info.certsDir} (reloaded when they change)`);
  }
  if (info.httpEndpoint !== undefined) {
    lines.push(`Plain HTTP: ${info.httpEndpoint}`);
  }
  lines.push(`Region: ${info.region}`);
  if (info.domains.length > 0) {
    lines.push(`Domains: ${info.domains.join(', ')}`);
  }
  // The password is printed only when it is the well-known default: a configured one
  // would otherwise land in `kubectl logs` and every log shipper reading stdout.
  const shownPassword = info.defaultCredentials
    ? info.rootPassword
    : '(set by STRATA_ROOT_PASSWORD, not shown)';
  lines.push(`RootUser: ${info.rootUser}`, `RootPass: ${shownPassword}`);
  const parity = info.parityShards === undefined ? 'default parity' : `${info.parityShards} parity`;
  lines.push(`Drives: ${info.drives.length} (${parity})`, ...info.drives.map((d) => `  ${d}`));
  lines.push(
    '',
    `Try: AWS_ACCESS_KEY_ID=${info.rootUser} AWS_SECRET_ACCESS_KEY=<RootPass> aws --endpoint-url ${info.endpoint} s3 ls`,
  );
  if (info.defaultCredentials) {
    lines.push('', ...defaultCredentialsWarning());
  }
  return `${lines.join('\n')}\n`;
}

/** The loud part: printed in the banner and, as one line, to the log. */
export function defaultCredentialsWarning(): string[] {
  return [
    RULE,
    '# WARNING: the default root credentials are in use (strataadmin/strataadmin).',
    '# Anyone who can reach this server can read, change and delete every object.',
    '# Set STRATA_ROOT_USER and STRATA_ROOT_PASSWORD (8+ characters) and restart',
    '# before exposing Strata to a network.',
    RULE,
  ];
}
