import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import { type FSWatcher, watch } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createSecureContext, type SecureContext } from 'node:tls';
import type { Logger } from '../../common/index.js';

/** The pair in the certificate directory and in each per-domain subfolder (MinIO's layout). */
export const CERT_FILE = 'public.crt';
export const KEY_FILE = 'private.key';

/**
 * TLS 1.0 and 1.1 are refused. The cipher list is Node's default (`tls.DEFAULT_CIPHERS`):
 * with TLS 1.2+ it offers the TLS 1.3 AEAD suites and ECDHE/DHE with AES-GCM first, and
 * never RC4, DES, MD5, export or anonymous suites.
 */
export const TLS_MIN_VERSION = 'TLSv1.2';

/**
 * The stat-free safety net behind fs.watch: every this often the files are read again
 * and compared. Needed because a Kubernetes Secret update swaps a `..data` symlink,
 * which inotify on the mount reports unreliably (and not at all through subfolder links).
 */
export const DEFAULT_POLL_INTERVAL_MS = 10_000;

/** A burst of watch events (a rename series, cert then key) becomes one reload after this quiet time. */
const WATCH_DEBOUNCE_MS = 250;

/** What `https.createServer` / `setSecureContext` take for one certificate. */
export interface TlsPairOptions {
  cert: Buffer;
  key: Buffer;
  minVersion: typeof TLS_MIN_VERSION;
}

/** What an HTTPS server needs at creation: the default pair and the SNI lookup. */
export interface TlsServerOptions extends TlsPairOptions {
  SNICallback: (servername: string, cb: (err: Error | null, ctx?: SecureContext) => void) => void;
}

/** A loaded, validated pair: what the store serves. */
export interface CertificateInfo {
  /** SHA-256 fingerprint of the leaf certificate, colon-separated hex (as node:tls prints it). */
  fingerprint256: string;
  /** The leaf certificate's DNS names (subjectAltName), lower case; wildcards as `*.example.com`. */
  dnsNames: string[];
  /** The leaf certificate's notAfter, as X509Certificate prints it. */
  validTo: string;
}

interface LoadedPair extends CertificateInfo {
  /** SHA-256 over both files' bytes: unchanged files are not parsed again. */
  digest: string;
  options: TlsPairOptions;
  context: SecureContext;
}

/** The server whose default context (clients without SNI) follows the store. */
export interface SecureContextTarget {
  setSecureContext(options: TlsPairOptions): void;
}

export interface CertificateStoreOptions {
  /** STRATA_CERTS_DIR: `public.crt` + `private.key`, and `<domain>/public.crt|private.key` for SNI. */
  dir: string;
  logger: Logger;
  /** Default DEFAULT_POLL_INTERVAL_MS; tests shorten it. */
  pollIntervalMs?: number;
}

/**
 * The server certificates of a certificate directory, kept current while the server runs.
 *
 * Layout (MinIO's): `<dir>/public.crt` (PEM, leaf first, may hold the chain) and
 * `<dir>/private.key` (PEM, unencrypted) are the default pair; each subfolder
 * `<dir>/<domain>/` holding the same two files adds a pair chosen by SNI. A subfolder's
 * pair serves the folder's name and every DNS name in its certificate (`*.example.com`
 * matches one extra label). Names starting with a dot (Kubernetes' `..data`) are skipped.
 *
 * Reload: fs.watch on the directory and on each subfolder, plus a poll every
 * `pollIntervalMs`, both calling reload(). A reload reads every pair, re-validates only
 * the ones whose bytes changed (parse both, the key must match the certificate,
 * tls.createSecureContext must accept them) and swaps them in; a bad or half-written
 * pair keeps the previous one and logs an error (once per distinct content). New TLS
 * connections get the new certificate; established ones keep theirs.
 */
export class CertificateStore {
  private readonly dir: string;
  private readonly logger: Logger;
  private defaultPair: LoadedPair;
  /** Per-domain pairs by subfolder name, in sorted folder order. */
  private domainPairs: Map<string, LoadedPair>;
  /** servername → pair: exact names, and `*.rest` wildcards stored under `rest`. */
  private exact: Map<string, LoadedPair>;
  private wildcard: Map<string, LoadedPair>;
  private readonly targets: SecureContextTarget[] = [];
  /** `where` → digest of a rejected content already logged, so the poll does not repeat it. */
  private readonly reported = new Map<string, string>();
  private reloading: Promise<void> | undefined;
  private reloadAgain = false;
  private closed = false;
  private readonly pollTimer: NodeJS.Timeout;
  private debounceTimer: NodeJS.Timeout | undefined;
  private readonly watchers = new Map<string, FSWatcher>();

  private constructor(
    opts: CertificateStoreOptions,
    defaultPair: LoadedPair,
    domainPairs: Map<string, LoadedPair>,
  ) {
    this.dir = opts.dir;
    this.logger = opts.logger;
    this.defaultPair = defaultPair;
    this.domainPairs = domainPairs;
    this.exact = new Map();
    this.wildcard = new Map();
    this.index();
    this.pollTimer = setInterval(() => this.reloadLogged(), opts.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS);
    this.pollTimer.unref();
  }

  /**
   * Loads the directory and starts watching it. Throws an Error meant for a person when
   * the default pair is missing or invalid (the server does not start); a bad per-domain
   * pair is logged and skipped.
   */
  static async open(opts: CertificateStoreOptions): Promise<CertificateStore> {
    const found = await readDirectory(opts.dir);
    if (found.defaultPair instanceof Error) throw found.defaultPair;
    const defaultPair = loadPair(found.defaultPair, `${opts.dir}`);
    const domainPairs = new Map<string, LoadedPair>();
    for (const [folder, files] of found.domains) {
      try {
        if (files instanceof Error) throw files;
        domainPairs.set(folder, loadPair(files, join(opts.dir, folder)));
      } catch (err) {
        opts.logger.error({ err, folder }, 'TLS: skipping an invalid per-domain certificate');
      }
    }
    const store = new CertificateStore(opts, defaultPair, domainPairs);
    store.watchDirectories();
    store.logger.info(
      { default: describe(defaultPair), domains: [...domainPairs.keys()] },
      'TLS certificates loaded',
    );
    return store;
  }

  /** Options for https.createServer: the default pair (clients without SNI) and the SNI lookup. */
  serverOptions(): TlsServerOptions {
    return {
      ...this.defaultPair.options,
      SNICallback: (servername, cb) => cb(null, this.contextFor(servername)),
    };
  }

  /**
   * Keeps `server`'s own context (used when a client sends no SNI, e.g. when it connects
   * by IP address) on the current default pair.
   */
  attach(server: SecureContextTarget): void {
    this.targets.push(server);
  }

  /** The context for a TLS ClientHello's server name: a per-domain pair if one matches, else the default. */
  contextFor(servername: string | undefined): SecureContext {
    return this.pairFor(servername).context;
  }

  /** What a client asking for `servername` is served (tests, logs). */
  certificateFor(servername?: string): CertificateInfo {
    return describe(this.pairFor(servername));
  }

  /**
   * Reads the directory again and swaps in every pair that changed and is valid. Never
   * throws for bad files (they are logged and the previous pair stays); concurrent
   * calls share one pass, and a call during a pass runs one more pass after it.
   */
  reload(): Promise<void> {
    if (this.reloading !== undefined) {
      this.reloadAgain = true;
      return this.reloading;
    }
    this.reloading = (async () => {
      do {
        this.reloadAgain = false;
        await this.reloadOnce();
      } while (this.reloadAgain && !this.closed);
    })().finally(() => {
      this.reloading = undefined;
    });
    return this.reloading;
  }

  /** Stops watching and polling; the loaded pairs stay usable. */
  close(): void {
    this.closed = true;
    clearInterval(this.pollTimer);
    clearTimeout(this.debounceTimer);
    for (const watcher of this.watchers.values()) watcher.close();
    this.watchers.clear();
  }

  private pairFor(servername: string | undefined): LoadedPair {
    if (servername === undefined || servername === '') return this.defaultPair;
    const name = servername.toLowerCase().replace(/\.$/, '');
    const exact = this.exact.get(name);
    if (exact !== undefined) return exact;
    const dot = name.indexOf('.');
    if (dot > 0) {
      const wild = this.wildcard.get(name.slice(dot + 1));
      if (wild !== undefined) return wild;
    }
    return this.defaultPair;
  }

  /** Rebuilds the servername maps: folder names first, then certificate DNS names; the first claim wins. */
  private index(): void {
    const exact = new Map<string, LoadedPair>();
    const wildcard = new Map<string, LoadedPair>();
    const claim = (name: string, pair: LoadedPair): void => {
      if (name.startsWith('*.')) {
        if (!wildcard.has(name.slice(2))) wildcard.set(name.slice(2), pair);
      } else if (!exact.has(name)) {
        exact.set(name, pair);
      }
    };
    for (const [folder, pair] of this.domainPairs) claim(folder.toLowerCase(), pair);
    for (const pair of this.domainPairs.values()) for (const name of pair.dnsNames) claim(name, pair);
    this.exact = exact;
    this.wildcard = wildcard;
  }

  private reloadLogged(): void {
    this.reload().catch((err: unknown) => this.logger.error({ err }, 'TLS: certificate reload failed'));
  }

  private async reloadOnce(): Promise<void> {
    if (this.closed) return;
    const found = await readDirectory(this.dir);

    let defaultPair = this.defaultPair;
    if (found.defaultPair instanceof Error) {
      this.reportBad(this.dir, 'missing', found.defaultPair);
    } else {
      defaultPair = this.refreshed(this.dir, this.defaultPair, found.defaultPair) ?? this.defaultPair;
    }

    const domainPairs = new Map<string, LoadedPair>();
    for (const [folder, files] of found.domains) {
      const where = join(this.dir, folder);
      const previous = this.domainPairs.get(folder);
      if (files instanceof Error) {
        this.reportBad(where, 'missing', files);
        if (previous !== undefined) domainPairs.set(folder, previous);
        continue;
      }
      const pair = this.refreshed(where, previous, files);
      if (pair !== undefined) domainPairs.set(folder, pair);
    }

    const defaultChanged = defaultPair !== this.defaultPair;
    const domainsChanged =
      domainPairs.size !== this.domainPairs.size ||
      [...domainPairs].some(([folder, pair]) => this.domainPairs.get(folder) !== pair);
    if (defaultChanged) {
      this.defaultPair = defaultPair;
      for (const target of this.targets) target.setSecureContext(defaultPair.options);
    }
    if (domainsChanged) {
      const removed = [...this.domainPairs.keys()].filter((f) => !domainPairs.has(f));
      this.domainPairs = domainPairs;
      this.index();
      if (removed.length > 0) this.logger.info({ folders: removed }, 'TLS: per-domain certificates removed');
    }
    if (!this.closed) this.watchDirectories();
  }

  /** The pair to serve for `where`: unchanged bytes keep `previous`; new bytes are validated first. */
  private refreshed(
    where: string,
    previous: LoadedPair | undefined,
    files: PairFiles,
  ): LoadedPair | undefined {
    const digest = digestOf(files);
    if (previous?.digest === digest) {
      this.reported.delete(where);
      return previous;
    }
    try {
      const pair = loadPair(files, where, digest);
      this.reported.delete(where);
      this.logger.info(
        { where, ...describe(pair), previousFingerprint256: previous?.fingerprint256 },
        previous === undefined ? 'TLS certificate added' : 'TLS certificate reloaded',
      );
      return pair;
    } catch (err) {
      this.reportBad(where, digest, err);
      return previous;
    }
  }

  private reportBad(where: string, state: string, err: unknown): void {
    if (this.reported.get(where) === state) return;
    this.reported.set(where, state);
    this.logger.error(
      { where, err },
      'TLS: the certificate files are missing or invalid; keeping the certificate served so far',
    );
  }

  /** One watcher on the directory and one per subfolder; gone folders lose theirs. A failing watch leaves the poll. */
  private watchDirectories(): void {
    const wanted = new Set([this.dir, ...[...this.domainPairs.keys()].map((f) => join(this.dir, f))]);
    for (const [path, watcher] of this.watchers) {
      if (!wanted.has(path)) {
        watcher.close();
        this.watchers.delete(path);
      }
    }
    for (const path of wanted) {
      if (this.watchers.has(path)) continue;
      try {
        const watcher = watch(path, { persistent: false }, () => this.scheduleReload());
        watcher.on('error', () => {
          // The folder went away (e.g. a swapped Secret's old data directory): the poll and
          // the next reload's watchDirectories() take over.
          watcher.close();
          if (this.watchers.get(path) === watcher) this.watchers.delete(path);
          this.scheduleReload();
        });
        this.watchers.set(path, watcher);
      } catch (err) {
        this.logger.warn({ err, path }, 'TLS: cannot watch the certificate directory; polling only');
      }
    }
  }

  private scheduleReload(): void {
    if (this.closed) return;
    clearTimeout(this.debounceTimer);
    this.debounceTimer = setTimeout(() => this.reloadLogged(), WATCH_DEBOUNCE_MS);
    this.debounceTimer.unref();
  }
}

interface PairFiles {
  cert: Buffer;
  key: Buffer;
}

interface DirectoryContents {
  defaultPair: PairFiles | Error;
  /** Subfolder name → its pair, or why it cannot be read (only folders holding at least one of the files). */
  domains: Map<string, PairFiles | Error>;
}

/** Reads the default pair and every per-domain pair; what cannot be read comes back as an Error in its place. */
async function readDirectory(dir: string): Promise<DirectoryContents> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    return {
      defaultPair: new Error(`cannot read the certificate directory ${dir}: ${messageOf(err)}`),
      domains: new Map(),
    };
  }
  const defaultPair = await readPair(dir);
  const domains = new Map<string, PairFiles | Error>();
  for (const name of names.sort()) {
    if (name.startsWith('.') || name === CERT_FILE || name === KEY_FILE) continue;
    const path = join(dir, name);
    const isDir = await stat(path).then(
      (s) => s.isDirectory(),
      () => false,
    );
    if (!isDir) continue;
    const pair = await readPair(path);
    if (pair instanceof Error && !(await holdsEither(path))) continue;
    domains.set(name, pair);
  }
  return { defaultPair, domains };
}

async function readPair(dir: string): Promise<PairFiles | Error> {
  try {
    const [cert, key] = await Promise.all([readFile(join(dir, CERT_FILE)), readFile(join(dir, KEY_FILE))]);
    return { cert, key };
  } catch (err) {
    return new Error(`cannot read ${CERT_FILE} and ${KEY_FILE} in ${dir}: ${messageOf(err)}`, { cause: err });
  }
}

async function holdsEither(dir: string): Promise<boolean> {
  const files = await readdir(dir).catch(() => [] as string[]);
  return files.includes(CERT_FILE) || files.includes(KEY_FILE);
}

function digestOf(files: PairFiles): string {
  return createHash('sha256').update(files.cert).update('\0').update(files.key).digest('hex');
}

/**
 * Parses and checks one pair: the first certificate of public.crt must match private.key,
 * and OpenSSL must accept both as a server context. Throws an Error naming `where`.
 */
function loadPair(files: PairFiles, where: string, digest = digestOf(files)): LoadedPair {
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(files.cert);
  } catch (err) {
    throw new Error(`${join(where, CERT_FILE)} is not a PEM certificate: ${messageOf(err)}`, { cause: err });
  }
  let matches: boolean;
  try {
    matches = leaf.checkPrivateKey(createPrivateKey(files.key));
  } catch (err) {
    throw new Error(`${join(where, KEY_FILE)} is not a PEM private key: ${messageOf(err)}`, { cause: err });
  }
  if (!matches) {
    throw new Error(
      `${join(where, KEY_FILE)} does not belong to the certificate in ${join(where, CERT_FILE)}`,
    );
  }
  const options: TlsPairOptions = { cert: files.cert, key: files.key, minVersion: TLS_MIN_VERSION };
  let context: SecureContext;
  try {
    context = createSecureContext(options);
  } catch (err) {
    throw new Error(`the certificate pair in ${where} is not usable for TLS: ${messageOf(err)}`, {
      cause: err,
    });
  }
  return {
    digest,
    options,
    context,
    fingerprint256: leaf.fingerprint256,
    dnsNames: dnsNamesOf(leaf),
    validTo: leaf.validTo,
  };
}

/** `DNS:a.example, DNS:*.b.example, IP Address:…` → the DNS names, lower case. */
function dnsNamesOf(cert: X509Certificate): string[] {
  return (cert.subjectAltName ?? '')
    .split(', ')
    .filter((entry) => entry.startsWith('DNS:'))
    .map((entry) => entry.slice(4).toLowerCase());
}

function describe(pair: LoadedPair): CertificateInfo {
  return { fingerprint256: pair.fingerprint256, dnsNames: pair.dnsNames, validTo: pair.validTo };
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
