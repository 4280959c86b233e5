/** Command line of the load generator: `npm run bench -- <workload> [options]`. */
import { parseArgs } from 'node:util';
import type { LoadOptions } from './run.js';
import { isSseMode, SSE_MODES } from './s3-api.js';
import { parseDuration, parseSize } from './units.js';
import { isWorkload, WORKLOADS, type WorkloadName } from './workloads.js';

export const LOAD_USAGE = `Usage: npm run bench -- <workload> [options]
       npm run bench [-- micro [FILTER]]      the micro-benchmarks (bench/**/*.bench.ts)

Workloads (warp-like, against any S3 endpoint):
  put        PutObject of new objects
  get        GetObject of --objects prepared objects, every body verified
  mixed      45% GetObject, 30% HeadObject, 15% PutObject, 10% DeleteObject (warp's mix)
  list       full-prefix ListObjectsV2 passes over --objects prepared objects (keys/s)
  small      PutObject of a 4 KiB object, then GetObject of it
  multipart  CreateMultipartUpload, UploadPart × (size / part size), CompleteMultipartUpload

Options:
  --endpoint URL          S3 endpoint, path style      (STRATA_BENCH_ENDPOINT, default http://127.0.0.1:9000)
  --access-key KEY        (AWS_ACCESS_KEY_ID, default strataadmin)
  --secret-key SECRET     (AWS_SECRET_ACCESS_KEY, default strataadmin)
  --region R              (AWS_REGION, default us-east-1)
  --bucket B              created if missing (and then deleted at the end)   (default strata-bench)
  --size S                object size: 4KiB, 1MiB, 16MiB, ...  (default 1MiB; small 4KiB; list 1KiB;
                          multipart 16MiB)
  --part-size S           multipart part size               (default 5MiB)
  --concurrency N         requests in flight                (default 16; list 1)
  --duration D            timed phase: 10s, 500ms, 2m, ...  (default 10s)
  --max-ops N             stop after N steps as well        (default: no limit)
  --objects N             objects to prepare for get/mixed/list (default 100; list 10000)
  --prepare-concurrency N PUTs in flight while preparing and deletes while cleaning up (default 32)
  --client http|sdk       node:http + SigV4 UNSIGNED-PAYLOAD (default), or @aws-sdk/client-s3
  --sse none|s3|kms|c     server-side encryption of PUTs, prepared objects and uploads (default none):
                          SSE-S3 (AES256), SSE-KMS (aws:kms, the server's default key), or SSE-C
                          with a fixed generated key, sent on GETs, HEADs and parts too (a server
                          on plain HTTP must allow it: Strata's STRATA_SSEC_ALLOW_HTTP=1)
  --seed N                seed of the body pattern and random choices (default 1)
  --keep                  keep the objects (and the bucket) instead of deleting them
  --quiet                 no progress lines on stderr
  -h, --help

A step is one request, except small (PUT + GET) and multipart (a whole upload). Prints a progress
line per second on stderr, then the report and, as the last line on stdout, a JSON summary.`;

const DEFAULT_SIZES: Record<WorkloadName, string> = {
  put: '1MiB',
  get: '1MiB',
  mixed: '1MiB',
  list: '1KiB',
  small: '4KiB',
  multipart: '16MiB',
};

function positiveInt(name: string, text: string | undefined, fallback: number, allowZero = false): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < (allowZero ? 0 : 1)) {
    throw new Error(`--${name} must be a whole number ${allowZero ? '≥ 0' : '≥ 1'}, got "${text}"`);
  }
  return n;
}

export type ParsedLoadArgs = { help: true } | { help: false; options: LoadOptions };

/** Parses the arguments after the workload name's position (argv[0] is the workload). */
export function parseLoadArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): ParsedLoadArgs {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      endpoint: { type: 'string' },
      'access-key': { type: 'string' },
      'secret-key': { type: 'string' },
      region: { type: 'string' },
      bucket: { type: 'string' },
      size: { type: 'string' },
      'part-size': { type: 'string' },
      concurrency: { type: 'string' },
      duration: { type: 'string' },
      'max-ops': { type: 'string' },
      objects: { type: 'string' },
      'prepare-concurrency': { type: 'string' },
      client: { type: 'string' },
      sse: { type: 'string' },
      seed: { type: 'string' },
      keep: { type: 'boolean' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return { help: true };
  const [workload, ...extra] = positionals;
  if (workload === undefined || !isWorkload(workload)) {
    throw new Error(`unknown workload "${workload ?? ''}" (one of: ${WORKLOADS.join(', ')})`);
  }
  if (extra.length > 0) throw new Error(`unexpected argument "${extra[0]}"`);
  const client = values.client ?? 'http';
  if (client !== 'http' && client !== 'sdk') throw new Error(`--client must be http or sdk, got "${client}"`);
  const sse = values.sse ?? 'none';
  if (!isSseMode(sse)) throw new Error(`--sse must be one of ${SSE_MODES.join(', ')}, got "${sse}"`);
  const endpoint = values.endpoint ?? env.STRATA_BENCH_ENDPOINT ?? 'http://127.0.0.1:9000';
  try {
    new URL(endpoint);
  } catch {
    throw new Error(`--endpoint is not a URL: "${endpoint}"`);
  }
  const sizeBytes = parseSize(values.size ?? DEFAULT_SIZES[workload]);
  const partSizeBytes = parseSize(values['part-size'] ?? '5MiB');
  if (partSizeBytes < 1) throw new Error('--part-size must be at least 1 byte');
  const durationMs = parseDuration(values.duration ?? '10s');
  if (durationMs <= 0) throw new Error('--duration must be positive');
  return {
    help: false,
    options: {
      workload,
      target: {
        endpoint: endpoint.replace(/\/+$/, ''),
        accessKeyId: values['access-key'] ?? env.AWS_ACCESS_KEY_ID ?? 'strataadmin',
        secretAccessKey: values['secret-key'] ?? env.AWS_SECRET_ACCESS_KEY ?? 'strataadmin',
        region: values.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1',
      },
      client,
      sse,
      bucket: values.bucket ?? 'strata-bench',
      sizeBytes,
      partSizeBytes,
      concurrency: positiveInt('concurrency', values.concurrency, workload === 'list' ? 1 : 16),
      durationMs,
      maxOps: positiveInt('max-ops', values['max-ops'], 0, true),
      objects: positiveInt('objects', values.objects, workload === 'list' ? 10_000 : 100),
      prepareConcurrency: positiveInt('prepare-concurrency', values['prepare-concurrency'], 32),
      keep: values.keep ?? false,
      seed: positiveInt('seed', values.seed, 1, true),
      progress: !(values.quiet ?? false),
    },
  };
}
