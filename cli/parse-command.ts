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

/** One invocation of the `strata` command. */
export type Command =
  | { kind: 'help'; topic: HelpTopic }
  | { kind: 'version' }
  | { kind: 'server'; flags: ServerFlags }
  | { kind: 'admin-heal'; flags: AdminHealFlags }
  | { kind: 'admin-prometheus-generate'; flags: AdminPrometheusFlags };

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
      const { values, positionals } = withUsageErrors('admin', () =>
        parseArgs({
          args: rest,
          allowPositionals: true,
          strict: true,
          options: {
            endpoint: { type: 'string' },
            bucket: { type: 'string' },
            help: { type: 'boolean', short: 'h' },
          },
        }),
      );
      if (values.help === true) {
        return { kind: 'help', topic: 'admin' };
      }
      if (positionals.length > 0) {
        throw new UsageError(
          `unexpected argument "${positionals[0]}" for "strata admin heal" (use --bucket to heal one bucket)`,
        );
      }
      return {
        kind: 'admin-heal',
        flags: { endpoint: values.endpoint, bucket: values.bucket },
      };
    }
    case 'prometheus':
      return parseAdminPrometheus(rest);
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
