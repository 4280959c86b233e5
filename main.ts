// The composition root: reads configuration, builds each layer and passes dependencies down.
// Nothing here is a module-level singleton; `main` can run twice in one process (tests do).
import { mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { type Logger, pino } from 'pino';
import { Registry } from 'prom-client';
import {
  adminHeal,
  adminKms,
  adminPrometheusGenerate,
  type Command,
  defaultCredentialsWarning,
  type Env,
  endpointUrl,
  formatBanner,
  formatHealCounts,
  generateSecret,
  parseCommand,
  readVersion,
  resolveAdminHealConfig,
  resolveAdminKmsConfig,
  resolveAdminPrometheusConfig,
  resolveServerConfig,
  type ServerConfig,
  UsageError,
  usage,
} from './cli/index.js';
import {
  BuiltinKms,
  nativeAeadAvailable,
  ObjectLayerKeyStore,
  type SystemObjectStore,
} from './crypto/index.js';
import {
  AuditLog,
  buildServer,
  CertificateStore,
  HealthState,
  type Listeners,
  LOG_REDACT_PATHS,
  listen,
  Metrics,
} from './server/index.js';
import { openStorage } from './storage/index.js';

/** Exit codes: 0 ok, 1 failure at run time (bad drives, port in use, heal failed), 2 bad usage or configuration. */
const EXIT_OK = 0;
const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;

/** Runs one `strata` invocation and resolves with the process exit code (after shutdown for `server`). */
export async function main(argv: readonly string[], env: Env = process.env): Promise<number> {
  let command: Command;
  try {
    command = parseCommand(argv);
  } catch (err) {
    return reportError(err);
  }
  switch (command.kind) {
    case 'help':
      process.stdout.write(usage(command.topic));
      return EXIT_OK;
    case 'version':
      process.stdout.write(`strata ${readVersion()}\n`);
      return EXIT_OK;
    case 'server': {
      let config: ServerConfig;
      try {
        config = resolveServerConfig(command.flags, env);
      } catch (err) {
        return reportError(err);
      }
      return runServer(config);
    }
    case 'admin-heal':
      try {
        const config = resolveAdminHealConfig(command.flags, env);
        const counts = await adminHeal(config);
        process.stdout.write(formatHealCounts(counts, config));
        return counts.objectsFailed === 0 ? EXIT_OK : EXIT_FAILURE;
      } catch (err) {
        return reportError(err);
      }
    case 'admin-prometheus-generate':
      try {
        const config = resolveAdminPrometheusConfig(command.flags, env);
        process.stdout.write(await adminPrometheusGenerate(config));
        return EXIT_OK;
      } catch (err) {
        return reportError(err);
      }
    case 'admin-kms':
      try {
        const { output, ok } = await adminKms(resolveAdminKmsConfig(command.flags, env), command.action);
        process.stdout.write(output);
        return ok ? EXIT_OK : EXIT_FAILURE;
      } catch (err) {
        return reportError(err);
      }
    case 'admin-kms-generate-secret':
      try {
        process.stdout.write(generateSecret(command.name));
        return EXIT_OK;
      } catch (err) {
        return reportError(err);
      }
  }
}

/**
 * Starts storage and the HTTP(S) server, prints the banner, and serves until SIGTERM or SIGINT;
 * then shuts down gracefully: stops accepting connections, lets in-flight requests finish for up
 * to STRATA_SHUTDOWN_TIMEOUT_SECONDS (then cuts them), closes the audit log and storage, exits 0.
 * A second signal during shutdown gives up waiting.
 */
async function runServer(config: ServerConfig): Promise<number> {
  const destination = pino.destination({ dest: 1, sync: false });
  const logger = pino(
    {
      level: config.logLevel,
      redact: {
        paths: [...LOG_REDACT_PATHS],
        censor: '[redacted]',
      },
    },
    destination,
  );
  const stopSignal = waitForSignal(['SIGTERM', 'SIGINT']);
  try {
    try {
      await Promise.all(config.drives.map((drive) => mkdir(drive, { recursive: true })));
    } catch (err) {
      throw new Error(`cannot create drive directory: ${messageOf(err)}`, { cause: err });
    }

    const { objectLayer, admin, stats } = await openStorage({
      drives: config.drives,
      parityShards: config.parityShards,
      logger,
    });

    const keys = new Map(
      [{ accessKeyId: config.rootUser, secretAccessKey: config.rootPassword }, ...config.extraUsers].map(
        (c) => [c.accessKeyId, c] as const,
      ),
    );
    let audit: AuditLog | undefined;
    let certificates: CertificateStore | undefined;
    let listeners: Listeners;
    let kms: BuiltinKms | undefined;
    // Readiness: 503 until listening, and again from the first moment of shutdown.
    const health = new HealthState();
    try {
      kms = await openKms(config, objectLayer, logger);
      audit = await openAuditLog(config, logger);
      certificates = await openCertificates(config, logger);
      // The one metrics registry of this server (no prom-client global).
      const registry = new Registry();
      const auditLog = audit;
      const metrics = new Metrics({
        registry,
        storage: stats,
        audit: auditLog === undefined ? undefined : () => auditLog.stats(),
      });
      const app = await buildServer({
        objectLayer,
        admin,
        credentials: (accessKeyId: string) => keys.get(accessKeyId),
        isRoot: (accessKeyId: string) => accessKeyId === config.rootUser,
        region: config.region,
        domains: config.domains,
        logger,
        observers: audit === undefined ? [metrics.observe] : [metrics.observe, audit.observe],
        requestStarted: metrics.requestStarted,
        health,
        metrics: { metrics, authType: config.prometheusAuthType },
        https: certificates?.serverOptions(),
        sse: {
          kms,
          aead: config.sse.aead,
          autoEncrypt: config.sse.autoEncrypt,
          allowSsecOverHttp: config.sse.allowSsecOverHttp,
        },
      });
      try {
        listeners = await listen(app, {
          address: config.address,
          httpAddress: config.httpAddress,
          certificates,
        });
      } catch (err) {
        await app.close();
        throw err;
      }
    } catch (err) {
      certificates?.close();
      await audit?.close();
      await objectLayer.close();
      throw err;
    }

    health.serving();
    const bound = listeners.main.address;
    const endpoint = endpointUrl(bound.address, bound.port, listeners.main.protocol);
    const plain = listeners.plain?.address;
    process.stdout.write(
      formatBanner({
        version: readVersion(),
        endpoint,
        listening:
          bound.family === 'IPv6' ? `[${bound.address}]:${bound.port}` : `${bound.address}:${bound.port}`,
        httpEndpoint: plain === undefined ? undefined : endpointUrl(plain.address, plain.port),
        certsDir: config.certsDir,
        region: config.region,
        domains: config.domains,
        rootUser: config.rootUser,
        rootPassword: config.rootPassword,
        defaultCredentials: config.defaultCredentials,
        drives: config.drives,
        parityShards: config.parityShards,
      }),
    );
    if (config.defaultCredentials) {
      logger.warn({ rootUser: config.rootUser }, defaultCredentialsWarning()[1]?.replace(/^# /, '') ?? '');
    }
    logger.info({ endpoint, drives: config.drives.length }, 'strata started');

    const signal = await stopSignal.first;
    const timeoutSeconds = config.shutdownTimeoutSeconds;
    logger.info(
      { signal, timeoutSeconds },
      'shutting down: no new connections, in-flight requests finish, then audit and storage close',
    );
    const shutdown = async (): Promise<number> => {
      // First thing: readiness answers 503 from now on (on connections still open; new
      // ones are refused, and requests on open ones get 503 once the server closes).
      health.shuttingDown();
      const { forced } = await listeners.close(timeoutSeconds * 1000);
      if (forced) {
        logger.warn({ timeoutSeconds }, 'shutdown deadline passed: connections still open were cut');
      }
      certificates?.close();
      // After the last request: every audit entry reaches its file or queue on disk.
      await audit?.close();
      await objectLayer.close();
      logger.info({}, 'stopped');
      return EXIT_OK;
    };
    const forced = stopSignal.second.then((again) => {
      logger.error({ signal: again }, 'second signal: exiting without waiting for shutdown');
      return EXIT_FAILURE;
    });
    return await Promise.race([shutdown(), forced]);
  } catch (err) {
    logger.error({ err }, 'strata failed');
    return reportError(err);
  } finally {
    stopSignal.dispose();
    destination.flushSync();
  }
}

/**
 * The built-in KMS when a root secret is configured: master keys live in the storage layer's
 * system area, sealed under the root secret; the SSE-S3 default key is created on first start.
 */
async function openKms(
  config: ServerConfig,
  objectLayer: SystemObjectStore,
  logger: Logger,
): Promise<BuiltinKms | undefined> {
  if (!nativeAeadAvailable()) {
    logger.warn(
      {},
      'native/aead is not built (npm ci builds it with node-gyp): encryption falls back to node:crypto, which costs several times more CPU per byte',
    );
  }
  const rootSecret = config.sse.rootSecret;
  if (rootSecret === undefined) {
    logger.info({}, 'no KMS root secret (STRATA_KMS_SECRET_KEY): SSE-S3 and SSE-KMS are off, SSE-C works');
    return undefined;
  }
  try {
    const kms = await BuiltinKms.open({ store: new ObjectLayerKeyStore(objectLayer), rootSecret });
    logger.info(
      { rootSecret: rootSecret.name, defaultKey: kms.defaultKeyName, autoEncrypt: config.sse.autoEncrypt },
      'built-in KMS ready',
    );
    return kms;
  } catch (err) {
    throw new Error(`cannot open the KMS: ${messageOf(err)}`, { cause: err });
  }
}

/** The certificate directory's pairs, watched for changes, when STRATA_CERTS_DIR is set. */
async function openCertificates(config: ServerConfig, logger: Logger): Promise<CertificateStore | undefined> {
  if (config.certsDir === undefined) return undefined;
  try {
    return await CertificateStore.open({ dir: config.certsDir, logger: logger.child({ component: 'tls' }) });
  } catch (err) {
    throw new Error(`cannot load the TLS certificates: ${messageOf(err)}`, { cause: err });
  }
}

/**
 * The audit trail when a STRATA_AUDIT_* target is configured. The HTTP targets' queues
 * resume what an earlier run left undelivered.
 */
async function openAuditLog(config: ServerConfig, logger: Logger): Promise<AuditLog | undefined> {
  const { file, webhook, elastic, queueDir, queueMaxBytes, batchSize, batchIntervalMs } = config.audit;
  if (file === undefined && webhook === undefined && elastic === undefined) return undefined;
  try {
    return await AuditLog.open({
      source: { node: hostname() },
      file,
      webhook,
      elastic,
      queue: { dir: queueDir, maxBytes: queueMaxBytes },
      batchSize,
      batchIntervalMs,
      logger,
    });
  } catch (err) {
    throw new Error(`cannot open the audit log: ${messageOf(err)}`, { cause: err });
  }
}

/** The first and second delivery of any of `signals`, until disposed. */
function waitForSignal(signals: NodeJS.Signals[]): {
  first: Promise<NodeJS.Signals>;
  second: Promise<NodeJS.Signals>;
  dispose: () => void;
} {
  const received: NodeJS.Signals[] = [];
  const waiters: ((signal: NodeJS.Signals) => void)[] = [];
  const at = (index: number) =>
    new Promise<NodeJS.Signals>((resolve) => {
      waiters[index] = resolve;
    });
  const first = at(0);
  const second = at(1);
  const onSignal = (signal: NodeJS.Signals): void => {
    waiters[received.length]?.(signal);
    received.push(signal);
  };
  for (const signal of signals) {
    process.on(signal, onSignal);
  }
  return {
    first,
    second,
    dispose: () => {
      for (const signal of signals) {
        process.off(signal, onSignal);
      }
    },
  };
}

/** Prints an error for a person (no stack for expected errors) and picks the exit code. */
function reportError(err: unknown): number {
  process.stderr.write(`strata: ${messageOf(err)}\n`);
  return err instanceof UsageError ? EXIT_USAGE : EXIT_FAILURE;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
