import { parseArgs } from 'node:util';
import type { ServerFlags } from './server-config.js';
import { UsageError } from './usage-error.js';

export type HelpTopic = 'strata' | 'server' | 'admin';

/** `strata admin heal` flags as parsed, before defaults. */
export interface AdminHealFlags {
  endpoint?: string | undefined;
  bucket?: string | undefined;
}

/** `strata admin prometheus generate` flags as parsed, before defaults. */
export interface AdminPrometheusFlags {
  endpoint?: string | undefined;
  job?: string | undefined;
}

/** `strata admin kms ...` flags as parsed, before defaults. */
export interface AdminKmsFlags {
  endpoint?: string | undefined;
}

/** What a `strata admin kms` command asks the server for. */
export type AdminKmsAction =
  | { action: 'key-create'; name: string }
  | { action: 'key-list' }
  | { action: 'key-status'; name: string }
  | { action: 'key-rotate'; name: string }
  | { action: 'rewrap'; bucket: string | undefined };

/** One invocation of the `strata` command. */
export type Command =
  | { kind: 'help'; topic: HelpTopic }
  | { kind: 'version' }
  | { kind: 'server'; flags: ServerFlags }
  | { kind: 'admin-heal'; flags: AdminHealFlags }
  | { kind: 'admin-prometheus-generate'; flags: AdminPrometheusFlags }
  | { kind: 'admin-kms'; action: AdminKmsAction; flags: AdminKmsFlags }
  | { kind: 'admin-kms-generate-secret'; name: string | undefined };

/**
 * Turns `process.argv.slice(2)` into a Command. Pure: no environment, no I/O.
 * Throws UsageError for unknown commands, unknown flags and missing values.
 */
export function parseCommand(argv: readonly string[]): Command {
  const [first, ...rest] = argv;
  switch (first) {
    case undefined:
      throw new UsageError('missing command: run "strata --help" for usage');
    case '-h':
    case '--help':
    case 'help':
      return { kind: 'help', topic: helpTopic(rest[0]) };
    case '-v':
    case '--version':
    case 'version':
      return { kind: 'version' };
    case 'server':
      return parseServer(rest);
    case 'admin':
      return parseAdmin(rest);
    default:
      throw new UsageError(`unknown command "${first}": run "strata --help" for usage`);
  }
}

function parseServer(args: string[]): Command {
  const { values, positionals } = withUsageErrors('server', () =>
    parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        address: { type: 'string' },
        parity: { type: 'string' },
        region: { type: 'string' },
        domain: { type: 'string', multiple: true },
        'certs-dir': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }),
  );
  if (values.help === true) {
    return { kind: 'help', topic: 'server' };
  }
  return {
    kind: 'server',
    flags: {
      address: values.address,
      parity: values.parity,
      region: values.region,
      domains: values.domain?.flatMap((d) => d.split(',')),
      certsDir: values['certs-dir'],
      drives: positionals,
    },
  };
}

function parseAdmin(args: string[]): Command {
  const [sub, ...rest] = args;
  switch (sub) {
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      return { kind: 'help', topic: 'admin' };
    case 'heal': {
      const parsed = parseAdminArgs(rest, true);
      if (parsed === 'help') return { kind: 'help', topic: 'admin' };
      noPositionals(parsed.positionals, 'strata admin heal', ' (use --bucket to heal one bucket)');
      return {
        kind: 'admin-heal',
        flags: { endpoint: parsed.endpoint, bucket: parsed.bucket },
      };
    }
    case 'prometheus':
      return parseAdminPrometheus(rest);
    case 'kms':
      return parseAdminKms(rest);
    default:
      throw new UsageError(`unknown admin command "${sub}": run "strata admin --help" for usage`);
  }
}

function parseAdminPrometheus(args: string[]): Command {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === '-h' || sub === '--help' || sub === 'help') {
    return { kind: 'help', topic: 'admin' };
  }
  if (sub !== 'generate') {
    throw new UsageError(`unknown command "strata admin prometheus ${sub}": did you mean "generate"?`);
  }
  const { values, positionals } = withUsageErrors('admin', () =>
    parseArgs({
      args: rest,
      allowPositionals: true,
      strict: true,
      options: {
        endpoint: { type: 'string' },
        job: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }),
  );
  if (values.help === true) {
    return { kind: 'help', topic: 'admin' };
  }
  if (positionals.length > 0) {
    throw new UsageError(
      `unexpected argument "${positionals[0]}" for "strata admin prometheus generate" (use --endpoint URL)`,
    );
  }
  return { kind: 'admin-prometheus-generate', flags: { endpoint: values.endpoint, job: values.job } };
}

function parseAdminKms(args: string[]): Command {
  const [sub, ...rest] = args;
  if (sub === undefined || isHelp(sub)) return { kind: 'help', topic: 'admin' };
  if (sub === 'key') {
    const [verb, ...keyArgs] = rest;
    if (verb === undefined || isHelp(verb)) return { kind: 'help', topic: 'admin' };
    if (verb !== 'create' && verb !== 'list' && verb !== 'status' && verb !== 'rotate') {
      throw new UsageError(
        `unknown command "strata admin kms key ${verb}": use create, list, status or rotate`,
      );
    }
    const command = `strata admin kms key ${verb}`;
    const parsed = parseAdminArgs(keyArgs, false);
    if (parsed === 'help') return { kind: 'help', topic: 'admin' };
    const flags = { endpoint: parsed.endpoint };
    if (verb === 'list') {
      noPositionals(parsed.positionals, command);
      return { kind: 'admin-kms', action: { action: 'key-list' }, flags };
    }
    const [name, extra] = parsed.positionals;
    if (name === undefined) throw new UsageError(`"${command}" needs a key name, e.g. ${command} tenant-a`);
    if (extra !== undefined) throw new UsageError(`unexpected argument "${extra}" for "${command} ${name}"`);
    const action = verb === 'create' ? 'key-create' : verb === 'status' ? 'key-status' : 'key-rotate';
    return { kind: 'admin-kms', action: { action, name }, flags };
  }
  if (sub === 'rewrap') {
    const parsed = parseAdminArgs(rest, true);
    if (parsed === 'help') return { kind: 'help', topic: 'admin' };
    noPositionals(parsed.positionals, 'strata admin kms rewrap', ' (use --bucket to re-wrap one bucket)');
    const bucket = parsed.bucket;
    if (bucket !== undefined && bucket.trim() === '') throw new UsageError('--bucket needs a bucket name');
    return {
      kind: 'admin-kms',
      action: { action: 'rewrap', bucket },
      flags: { endpoint: parsed.endpoint },
    };
  }
  if (sub === 'generate-secret') {
    const { values, positionals } = withUsageErrors('admin', () =>
      parseArgs({
        args: rest,
        allowPositionals: true,
        strict: true,
        options: { help: { type: 'boolean', short: 'h' } },
      }),
    );
    if (values.help === true) return { kind: 'help', topic: 'admin' };
    const [name, extra] = positionals;
    if (extra !== undefined) {
      throw new UsageError(`unexpected argument "${extra}" for "strata admin kms generate-secret"`);
    }
    return { kind: 'admin-kms-generate-secret', name };
  }
  throw new UsageError(
    `unknown command "strata admin kms ${sub}": use key create|list|status|rotate, rewrap or generate-secret`,
  );
}

/** --endpoint, --help and (heal, rewrap) --bucket of an admin command; 'help' when --help was given. */
function parseAdminArgs(
  args: string[],
  withBucket: boolean,
): 'help' | { endpoint?: string | undefined; bucket?: string | undefined; positionals: string[] } {
  const { values, positionals } = withUsageErrors('admin', () =>
    parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        endpoint: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        ...(withBucket ? { bucket: { type: 'string' } } : {}),
      },
    }),
  );
  if (values.help === true) return 'help';
  const bucket = (values as { bucket?: string }).bucket;
  return { endpoint: values.endpoint, bucket, positionals };
}

function noPositionals(positionals: string[], command: string, hint = ''): void {
  if (positionals.length > 0)
    throw new UsageError(`unexpected argument "${positionals[0]}" for "${command}"${hint}`);
}

function isHelp(arg: string): boolean {
  return arg === '-h' || arg === '--help' || arg === 'help';
}

function withUsageErrors<T>(helpTopic: HelpTopic, parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    // parseArgs' messages are clear but long; keep the first sentence and name the command.
    const message = err instanceof Error ? err.message.split('. ')[0] : String(err);
    throw new UsageError(`${message} (see "strata ${helpTopic} --help")`, { cause: err });
  }
}

function helpTopic(value: string | undefined): HelpTopic {
  return value === 'server' || value === 'admin' ? value : 'strata';
}
