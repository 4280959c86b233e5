import { describe, expect, it } from 'vitest';
import { parseLoadArgs } from './options.js';

function options(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const parsed = parseLoadArgs(argv, env);
  if (parsed.help) throw new Error('unexpected help');
  return parsed.options;
}

describe('parseLoadArgs', () => {
  it('applies per-workload defaults and credentials from the environment', () => {
    const o = options(['get'], { AWS_ACCESS_KEY_ID: 'ak', AWS_SECRET_ACCESS_KEY: 'sk' });
    expect(o.workload).toBe('get');
    expect(o.target).toEqual({
      endpoint: 'http://127.0.0.1:9000',
      accessKeyId: 'ak',
      secretAccessKey: 'sk',
      region: 'us-east-1',
    });
    expect(o.sizeBytes).toBe(1024 * 1024);
    expect(o.concurrency).toBe(16);
    expect(o.durationMs).toBe(10_000);
    expect(o.objects).toBe(100);
    expect(o.maxOps).toBe(0);
    expect(o.keep).toBe(false);
    expect(o.client).toBe('http');
    expect(o.sse).toBe('none');
    expect(options(['small']).sizeBytes).toBe(4096);
    expect(options(['list']).concurrency).toBe(1);
    expect(options(['list']).objects).toBe(10_000);
    expect(options(['multipart']).sizeBytes).toBe(16 * 1024 * 1024);
    expect(options(['put']).target.accessKeyId).toBe('strataadmin');
  });

  it('reads every option', () => {
    const o = options([
      'multipart',
      '--endpoint=http://127.0.0.1:1234/',
      '--access-key',
      'a',
      '--secret-key',
      's',
      '--region',
      'eu-west-1',
      '--bucket',
      'bb',
      '--size',
      '32MiB',
      '--part-size',
      '8MiB',
      '--concurrency',
      '4',
      '--duration',
      '1m',
      '--max-ops',
      '10',
      '--objects',
      '7',
      '--prepare-concurrency',
      '2',
      '--client',
      'sdk',
      '--sse',
      'kms',
      '--seed',
      '9',
      '--keep',
      '--quiet',
    ]);
    expect(o).toMatchObject({
      target: {
        endpoint: 'http://127.0.0.1:1234',
        accessKeyId: 'a',
        secretAccessKey: 's',
        region: 'eu-west-1',
      },
      bucket: 'bb',
      sizeBytes: 32 * 1024 * 1024,
      partSizeBytes: 8 * 1024 * 1024,
      concurrency: 4,
      durationMs: 60_000,
      maxOps: 10,
      objects: 7,
      prepareConcurrency: 2,
      client: 'sdk',
      sse: 'kms',
      seed: 9,
      keep: true,
      progress: false,
    });
  });

  it.each(['none', 's3', 'kms', 'c'])('reads --sse %s', (mode) => {
    expect(options(['put', '--sse', mode]).sse).toBe(mode);
  });

  it('answers help', () => {
    expect(parseLoadArgs(['--help'])).toEqual({ help: true });
  });

  it.each([
    [[], /unknown workload/],
    [['fly'], /unknown workload/],
    [['put', 'extra'], /unexpected argument/],
    [['put', '--concurrency', '0'], /--concurrency/],
    [['put', '--size', 'big'], /not a size/],
    [['put', '--duration', '0s'], /--duration/],
    [['put', '--client', 'curl'], /--client/],
    [['put', '--sse', 'aes'], /--sse must be one of none, s3, kms, c/],
    [['put', '--sse', 'S3'], /--sse/],
    [['put', '--endpoint', 'nope'], /--endpoint/],
    [['put', '--nope'], /Unknown option/],
  ])('rejects %j', (argv, message) => {
    expect(() => parseLoadArgs(argv, {})).toThrow(message);
  });
});
