import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { verifyPrometheusToken } from '../server/telemetry/prometheus-token.js';
import { adminPrometheusGenerate, resolveAdminPrometheusConfig } from './admin-prometheus.js';
import { parseCommand } from './parse-command.js';
import { usage } from './usage.js';

const ENV = { STRATA_ROOT_USER: 'rootuser', STRATA_ROOT_PASSWORD: 'root-password-123' };

interface ScrapeConfig {
  scrape_configs: {
    job_name: string;
    bearer_token: string;
    metrics_path: string;
    scheme: string;
    static_configs: { targets: string[] }[];
  }[];
}

describe('strata admin prometheus generate', () => {
  it('parses its flags and refuses unknown subcommands and arguments', () => {
    expect(parseCommand(['admin', 'prometheus', 'generate'])).toEqual({
      kind: 'admin-prometheus-generate',
      flags: { endpoint: undefined, job: undefined },
    });
    expect(
      parseCommand([
        'admin',
        'prometheus',
        'generate',
        '--endpoint',
        'https://s3.example.com',
        '--job',
        'j1',
      ]),
    ).toEqual({
      kind: 'admin-prometheus-generate',
      flags: { endpoint: 'https://s3.example.com', job: 'j1' },
    });
    expect(parseCommand(['admin', 'prometheus'])).toEqual({ kind: 'help', topic: 'admin' });
    expect(parseCommand(['admin', 'prometheus', 'generate', '--help'])).toEqual({
      kind: 'help',
      topic: 'admin',
    });
    expect(() => parseCommand(['admin', 'prometheus', 'make'])).toThrow(/did you mean "generate"/);
    expect(() => parseCommand(['admin', 'prometheus', 'generate', 'extra'])).toThrow(/unexpected argument/);
    expect(() => parseCommand(['admin', 'prometheus', 'generate', '--bucket', 'b'])).toThrow(/bucket/);
    expect(usage('admin')).toContain('strata admin prometheus generate [--endpoint URL] [--job NAME]');
  });

  it('prints a scrape config whose bearer token the server accepts for the root user', async () => {
    const config = resolveAdminPrometheusConfig({}, { ...ENV, STRATA_ADDRESS: ':9100' });
    const out = await adminPrometheusGenerate(config);
    const yaml = parse(out) as ScrapeConfig;
    const job = yaml.scrape_configs[0];
    expect(job).toEqual({
      job_name: 'strata',
      bearer_token: expect.any(String),
      metrics_path: '/strata/v1/metrics',
      scheme: 'http',
      static_configs: [{ targets: ['127.0.0.1:9100'] }],
    });
    const verifier = {
      secretFor: (id: string) => (id === 'rootuser' ? 'root-password-123' : undefined),
      isRoot: (id: string) => id === 'rootuser',
    };
    expect(await verifyPrometheusToken(`Bearer ${job?.bearer_token}`, verifier)).toBe('rootuser');
    // Another password (the server's was changed) refuses it.
    const changed = { ...verifier, secretFor: () => 'another-password' };
    expect(await verifyPrometheusToken(`Bearer ${job?.bearer_token}`, changed)).toBeUndefined();
  });

  it('takes the endpoint from --endpoint or STRATA_ENDPOINT, with the scheme and default ports', async () => {
    const target = async (flags: { endpoint?: string; job?: string }, env: Record<string, string> = ENV) => {
      const yaml = parse(
        await adminPrometheusGenerate(resolveAdminPrometheusConfig(flags, env)),
      ) as ScrapeConfig;
      const job = yaml.scrape_configs[0];
      return [job?.job_name, job?.scheme, job?.static_configs[0]?.targets[0]];
    };
    expect(await target({ endpoint: 'https://s3.example.com', job: 'prod' })).toEqual([
      'prod',
      'https',
      's3.example.com:443',
    ]);
    expect(await target({}, { ...ENV, STRATA_ENDPOINT: 'http://[::1]:9000' })).toEqual([
      'strata',
      'http',
      '[::1]:9000',
    ]);
    expect(await target({ endpoint: 'http://storage.local' })).toEqual([
      'strata',
      'http',
      'storage.local:80',
    ]);
  });

  it('refuses a bad endpoint, a bad job name and weak root credentials', () => {
    expect(() => resolveAdminPrometheusConfig({ endpoint: 'nowhere' }, ENV)).toThrow(/not a URL/);
    expect(() => resolveAdminPrometheusConfig({ endpoint: 'ftp://x' }, ENV)).toThrow(
      /http:\/\/ or https:\/\//,
    );
    expect(() => resolveAdminPrometheusConfig({ job: 'two words' }, ENV)).toThrow(/--job/);
    expect(() => resolveAdminPrometheusConfig({}, { ...ENV, STRATA_ROOT_PASSWORD: 'short' })).toThrow(
      /STRATA_ROOT_PASSWORD/,
    );
  });
});
