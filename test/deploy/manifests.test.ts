/**
 * The deployment files agree with the server: the Dockerfile, .dockerignore, docker-compose.yml
 * (+ deploy/prometheus/prometheus.yml), the Kubernetes manifests under deploy/kubernetes/ and
 * docs/deploy-eks.md. No Docker engine or cluster is needed: files are parsed, the server's
 * sources are searched, and the image's start command is run against the checkout.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { expandEllipses, resolveServerConfig, UsageError } from '../../cli/index.js';
import { DEFAULT_ADDRESS } from '../../cli/server-config.js';
import { ensureBuilt } from '../helpers/build.js';
import {
  type Certificate,
  type Container,
  composeDurationSeconds,
  type DockerInstruction,
  envVarNames,
  execForm,
  exists,
  type Ingress,
  inBuildContext,
  interpolate,
  type K8sObject,
  listFiles,
  parseDockerfile,
  parseDockerignore,
  parseKeyValues,
  parseYamlText,
  REPO_ROOT,
  readRepoFile,
  readYamlDocs,
  type Secret,
  type Service,
  type ServiceMonitor,
  type StatefulSet,
  selects,
  sourcesNameEnvVar,
  sourcesNamePath,
  type YamlDoc,
} from './manifests.js';

/**
 * Variables the deployment files name that no server source reads yet, because the code that
 * reads them is being written (issue 6: TLS, graceful shutdown, metrics, audit) or belongs to a
 * later issue (5: the built-in KMS). THIS LIST MUST SHRINK TO EMPTY: remove a name as soon as its
 * code lands (the test prints the names it finds in the sources). A name in neither the sources
 * nor this list fails the test.
 */
const PENDING_ENV_VARS: Record<string, string> = {};

/** URL paths the deployment files use that the server does not serve yet. Same rule: must shrink to empty. */
const PENDING_PATHS: Record<string, string> = {};

const LIVE_PATH = '/strata/health/live';
const READY_PATH = '/strata/health/ready';
const METRICS_PATH = '/strata/v1/metrics';
/** The server's default when STRATA_SHUTDOWN_TIMEOUT_SECONDS is unset (issue 6). */
const DEFAULT_SHUTDOWN_TIMEOUT_SECONDS = 30;
const HEALTHCHECK_SCRIPT = 'deploy/docker/healthcheck.mjs';
const K8S_DIR = 'deploy/kubernetes';
/** The Secret template, deliberately not in kustomization.yaml (it holds placeholders). */
const SECRET_TEMPLATE = `${K8S_DIR}/secret.yaml`;

const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 15_000;

const DEFAULT_PORT = portOf(DEFAULT_ADDRESS);

/** Names still pending after this run, printed once at the end. */
const stillPending = new Set<string>();
const landed = new Set<string>();
afterAll(() => {
  if (landed.size > 0) {
    console.warn(
      `deploy manifests: now in the server, remove from the PENDING lists of test/deploy/manifests.test.ts: ${[...landed].join(', ')}`,
    );
  }
  if (stillPending.size > 0) {
    console.warn(`deploy manifests: still pending (not in the server yet): ${[...stillPending].join(', ')}`);
  }
});

function portOf(address: string): number {
  return Number.parseInt(address.slice(address.lastIndexOf(':') + 1), 10);
}

/** Fails for a name the server neither reads nor has pending; records pending ones for the report. */
function expectKnownEnvVar(name: string, where: string): void {
  const inSources = sourcesNameEnvVar(name);
  const pending = PENDING_ENV_VARS[name] !== undefined;
  if (inSources && pending) landed.add(name);
  if (!inSources && pending) stillPending.add(name);
  expect(
    inSources || pending,
    `${where} names ${name}, which no server source reads (and it is not in PENDING_ENV_VARS)`,
  ).toBe(true);
}

function expectKnownPath(path: string, where: string): void {
  const inSources = sourcesNamePath(path);
  const pending = PENDING_PATHS[path] !== undefined;
  if (inSources && pending) landed.add(path);
  if (!inSources && pending) stillPending.add(path);
  expect(inSources || pending, `${where} uses ${path}, which the server does not serve`).toBe(true);
}

// --- The files ------------------------------------------------------------------------------

const dockerfile = parseDockerfile(readRepoFile('Dockerfile'));
const stageCount = Math.max(...dockerfile.map((i) => i.stage)) + 1;
const runtimeStage = dockerfile.filter((i) => i.stage === stageCount - 1);
const one = (stage: DockerInstruction[], name: string): DockerInstruction | undefined => {
  const found = stage.filter((i) => i.name === name);
  expect(found.length, `Dockerfile runtime stage: ${name} given ${found.length} times`).toBeLessThanOrEqual(
    1,
  );
  return found[0];
};
const dockerEnv: Record<string, string> = Object.assign(
  {},
  ...runtimeStage.filter((i) => i.name === 'ENV').map((i) => parseKeyValues(i.args)),
);

const compose = readYamlDocs('docker-compose.yml')[0]?.value as {
  services?: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
};
interface ComposeService {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  environment?: Record<string, string | number | boolean | null> | string[];
  ports?: (string | { target?: number; published?: string | number })[];
  volumes?: (string | { type?: string; source?: string; target?: string })[];
  depends_on?: string[] | Record<string, unknown>;
  stop_grace_period?: string;
  command?: string[] | string;
}
const services = compose.services ?? {};
/** The services that run Strata (built from the Dockerfile or using the image it builds). */
const strataImage = Object.values(services).find((s) => s.build !== undefined)?.image;
const strataServices = Object.entries(services).filter(
  ([, s]) => s.build !== undefined || (strataImage !== undefined && s.image === strataImage),
);

function composeEnv(service: ComposeService): Record<string, string> {
  const env: Record<string, string> = {};
  const entries = Array.isArray(service.environment)
    ? service.environment.map((e) => {
        const eq = e.indexOf('=');
        return eq === -1 ? ([e, ''] as const) : ([e.slice(0, eq), e.slice(eq + 1)] as const);
      })
    : Object.entries(service.environment ?? {}).map(([k, v]) => [k, v === null ? '' : String(v)] as const);
  for (const [k, v] of entries) env[k] = interpolate(v);
  return env;
}

const k8sFiles = listFiles(K8S_DIR).filter((f) => /\.ya?ml$/.test(f));
const k8sDocs: YamlDoc[] = k8sFiles.flatMap((f) => readYamlDocs(f, '1.1'));
const objects = k8sDocs.map((d) => d.value as K8sObject);
const ofKind = <T extends K8sObject>(kind: string): T[] => objects.filter((o) => o.kind === kind) as T[];
const kustomization = ofKind<K8sObject & { namespace?: string; resources?: string[] }>('Kustomization')[0];
const manifests = objects.filter((o) => o.kind !== 'Kustomization');
const statefulSet = ofKind<StatefulSet>('StatefulSet')[0];
const podSpec = statefulSet?.spec.template?.spec ?? {};
const podLabels = statefulSet?.spec.template?.metadata?.labels;
const container: Container = podSpec.containers?.[0] ?? {};
const configMaps = ofKind<K8sObject & { data?: Record<string, unknown> }>('ConfigMap');
const secrets = ofKind<Secret>('Secret');
const serviceObjects = ofKind<Service>('Service');
const certificate = ofKind<Certificate>('Certificate')[0];

/** The container's environment as the pod would see it (ConfigMap, then env; secrets by key). */
function podEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const from of container.envFrom ?? []) {
    const cm = configMaps.find((c) => c.metadata?.name === from.configMapRef?.name);
    for (const [k, v] of Object.entries(cm?.data ?? {})) env[k] = String(v);
  }
  for (const e of container.env ?? []) {
    const ref = e.valueFrom?.secretKeyRef;
    if (ref) {
      const value = secrets.find((s) => s.metadata?.name === ref.name)?.stringData?.[ref.key ?? ''];
      if (value !== undefined) env[e.name] = String(value);
    } else if (e.value !== undefined) env[e.name] = e.value;
  }
  return env;
}
const k8sEnv = podEnv();

function drivesOf(env: Record<string, string>): string[] {
  return expandEllipses((env.STRATA_DRIVES ?? '').trim().split(/\s+/).filter(Boolean));
}

function shutdownTimeoutOf(env: Record<string, string>): number {
  const value = env.STRATA_SHUTDOWN_TIMEOUT_SECONDS;
  return value === undefined ? DEFAULT_SHUTDOWN_TIMEOUT_SECONDS : Number(value);
}

// --- Variables and paths ----------------------------------------------------------------------

describe('STRATA_* variables and URL paths in the deployment files', () => {
  const textFiles = [
    'Dockerfile',
    'docker-compose.yml',
    'docs/deploy-eks.md',
    ...listFiles('deploy').filter((f) => /\.(ya?ml|mjs|js|md)$/.test(f)),
  ];

  it('every STRATA_* variable named (comments and docs included) is one the server reads, or pending', () => {
    for (const file of textFiles) {
      for (const name of envVarNames(readRepoFile(file))) expectKnownEnvVar(name, file);
    }
  });

  it('every pending entry is still used by some deployment file (else delete it)', () => {
    const text = textFiles.map(readRepoFile).join('\n');
    for (const name of Object.keys(PENDING_ENV_VARS)) expect(envVarNames(text), name).toContain(name);
    for (const path of Object.keys(PENDING_PATHS)) expect(text, path).toContain(path);
  });

  it('the probe, healthcheck and scrape paths are served by the server, or pending', () => {
    expectKnownPath(LIVE_PATH, HEALTHCHECK_SCRIPT);
    expect(readRepoFile(HEALTHCHECK_SCRIPT)).toContain(`'${LIVE_PATH}'`);
    for (const probe of [container.startupProbe, container.livenessProbe, container.readinessProbe]) {
      const path = probe?.httpGet?.path ?? '(none)';
      expect([LIVE_PATH, READY_PATH]).toContain(path);
      expectKnownPath(path, 'statefulset.yaml');
    }
    for (const sm of ofKind<ServiceMonitor>('ServiceMonitor')) {
      for (const ep of sm.spec.endpoints ?? []) {
        expect(ep.path).toBe(METRICS_PATH);
        expectKnownPath(ep.path ?? '', 'servicemonitor.yaml');
      }
    }
    const prom = readYamlDocs('deploy/prometheus/prometheus.yml')[0]?.value as {
      scrape_configs?: { metrics_path?: string }[];
    };
    for (const sc of prom.scrape_configs ?? []) {
      expect(sc.metrics_path).toBe(METRICS_PATH);
      expectKnownPath(sc.metrics_path ?? '', 'prometheus.yml');
    }
  });

  it('the Dockerfile, compose and Kubernetes settings are values the server accepts', () => {
    const image = resolveServerConfig({ drives: [] }, dockerEnv);
    expect(image.address.port).toBe(DEFAULT_PORT);
    expect(image.drives).toEqual(['/data1', '/data2', '/data3', '/data4']);

    for (const [name, service] of strataServices) {
      const config = resolveServerConfig({ drives: [] }, { ...dockerEnv, ...composeEnv(service) });
      expect(config.drives.length, name).toBeGreaterThan(0);
    }

    // The Secret's placeholders are refused on purpose: a pod started with them exits (code 2).
    expect(() => resolveServerConfig({ drives: [] }, k8sEnv)).toThrow(UsageError);
    expect(() => resolveServerConfig({ drives: [] }, k8sEnv)).toThrow(/STRATA_ROOT_USER/);
    const filledIn = resolveServerConfig(
      { drives: [] },
      { ...k8sEnv, STRATA_ROOT_USER: 'operator', STRATA_ROOT_PASSWORD: 'a-long-enough-secret' },
    );
    expect(filledIn.address.port).toBe(DEFAULT_PORT);
    expect(filledIn.domains.length).toBeGreaterThan(0);
  });
});

// --- Dockerfile -------------------------------------------------------------------------------

describe('Dockerfile', () => {
  const args = Object.assign(
    {},
    ...dockerfile.filter((i) => i.name === 'ARG' && i.stage === -1).map((i) => parseKeyValues(i.args)),
  ) as Record<string, string>;
  const fromLines = dockerfile.filter((i) => i.name === 'FROM');

  it('has a build stage and a runtime stage on the same node:20-bookworm-slim base', () => {
    expect(fromLines.length).toBeGreaterThanOrEqual(2);
    const bases = fromLines.map((f) => interpolate(f.args.split(/\s+/)[0] ?? '', args));
    for (const base of bases) expect(base).toBe('node:20-bookworm-slim');
    const build = dockerfile.filter((i) => i.stage === 0 && i.name === 'RUN').map((i) => i.args);
    expect(build.join('\n')).toMatch(/npm ci\b/);
    expect(build.join('\n')).toMatch(/npm run build\b/);
    expect(build.join('\n')).toMatch(/npm prune --omit=dev|npm ci --omit=dev/);
  });

  it('the runtime stage copies only the build output, the production dependencies (with native/, which node_modules links to) and the healthcheck', () => {
    const copies = runtimeStage.filter((i) => i.name === 'COPY').map((i) => i.args);
    const sources = copies.map((c) => c.replace(/--\S+\s+/g, '').split(/\s+/)[0]);
    expect(sources.sort()).toEqual(
      [
        '/app/bin',
        '/app/dist',
        '/app/native',
        '/app/node_modules',
        '/app/package.json',
        HEALTHCHECK_SCRIPT,
      ].sort(),
    );
    expect(one(runtimeStage, 'WORKDIR')?.args).toBe('/app');
    expect(dockerEnv.NODE_ENV).toBe('production');
  });

  it('runs as the non-root uid the Kubernetes pod uses', () => {
    const user = one(runtimeStage, 'USER')?.args ?? 'root';
    const uid = Number.parseInt(user.split(':')[0] ?? '', 10);
    expect(uid, `USER ${user} must be a numeric non-root uid`).toBeGreaterThan(0);
    expect(podSpec.securityContext?.runAsUser).toBe(uid);
    expect(podSpec.securityContext?.runAsNonRoot).toBe(true);
  });

  it('declares one VOLUME per drive of STRATA_DRIVES and EXPOSEs the server port', () => {
    const volumes = execForm(one(runtimeStage, 'VOLUME')?.args ?? '') ?? [];
    expect(volumes).toEqual(drivesOf(dockerEnv));
    expect(portOf(dockerEnv.STRATA_ADDRESS ?? DEFAULT_ADDRESS)).toBe(DEFAULT_PORT);
    expect(one(runtimeStage, 'EXPOSE')?.args).toBe(String(DEFAULT_PORT));
  });

  it('HEALTHCHECK runs the healthcheck script with node; ENTRYPOINT runs bin/strata.js; CMD is server', () => {
    const healthcheck = one(runtimeStage, 'HEALTHCHECK')?.args ?? '';
    const command = execForm(healthcheck.slice(healthcheck.indexOf('CMD') + 3)) ?? [];
    expect(command).toEqual(['node', HEALTHCHECK_SCRIPT]);
    expect(exists(HEALTHCHECK_SCRIPT)).toBe(true);
    expect(execForm(one(runtimeStage, 'ENTRYPOINT')?.args ?? '')).toEqual(['node', 'bin/strata.js']);
    expect(exists('bin/strata.js')).toBe(true);
    expect(execForm(one(runtimeStage, 'CMD')?.args ?? '')).toEqual(['server']);
  });

  it('.dockerignore lets in what the build needs and keeps out data, builds and tests', () => {
    const rules = parseDockerignore(readRepoFile('.dockerignore'));
    const needed = [
      'package.json',
      'package-lock.json',
      'tsconfig.json',
      'tsconfig.build.json',
      'main.ts',
      'bin/strata.js',
      HEALTHCHECK_SCRIPT,
      'native/aead/package.json',
      'native/aead/binding.gyp',
      'native/aead/aead.c',
      'native/aead/index.cjs',
      ...['cli', 'common', 'server', 'storage', 'crypto', 'iam', 'tiering'].flatMap((d) =>
        listFiles(d).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts')),
      ),
    ];
    for (const f of needed) expect(inBuildContext(rules, f), `${f} must be in the build context`).toBe(true);
    const unwanted = [
      'node_modules/fastify/package.json',
      'dist/main.js',
      'native/aead/build/Release/strata_aead.node',
      'data/drive1/.strata.sys/format.json',
      '.git/HEAD',
      'bench/results/compare.json',
      '.tmp/ci/report.json',
      'coverage/index.html',
      'test/e2e/objects.test.ts',
      'server/app.test.ts',
      'cli/node_modules/x/index.js',
      'strata.log',
      'docker-compose.yml',
    ];
    for (const f of unwanted) expect(inBuildContext(rules, f), `${f} must stay out`).toBe(false);
    // Every COPY from the context names something that exists and is in the context.
    for (const copy of dockerfile.filter((i) => i.name === 'COPY' && !i.args.includes('--from'))) {
      for (const src of copy.args.split(/\s+/).slice(0, -1)) {
        if (src === '.') continue;
        expect(exists(src), `COPY ${src}`).toBe(true);
        expect(inBuildContext(rules, src), `COPY ${src}`).toBe(true);
      }
    }
  });
});

// --- The image's start command, in this checkout -------------------------------------------

describe("the image's start command", () => {
  let child: ChildProcess | undefined;
  let tmp: string | undefined;
  afterAll(async () => {
    child?.kill('SIGKILL');
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('starts with the Dockerfile environment, answers health checks and exits 0 on SIGTERM', async () => {
    await ensureBuilt();
    tmp = await mkdtemp(join(tmpdir(), 'strata-deploy-'));
    const entrypoint = execForm(one(runtimeStage, 'ENTRYPOINT')?.args ?? '') ?? [];
    const cmd = execForm(one(runtimeStage, 'CMD')?.args ?? '') ?? [];
    expect(entrypoint[0]).toBe('node');
    let output = '';
    const proc = spawn(process.execPath, [...entrypoint.slice(1), ...cmd], {
      cwd: REPO_ROOT, // the image's WORKDIR /app holds the same bin/, dist/ and node_modules/
      env: {
        PATH: process.env.PATH ?? '',
        HOME: tmp,
        ...dockerEnv,
        STRATA_DRIVES: `${tmp}/data{1...4}`,
        STRATA_ADDRESS: '127.0.0.1:0',
        STRATA_LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
    proc.stderr?.setEncoding('utf8').on('data', (s: string) => {
      output += s;
    });
    const endpoint = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no Endpoint line in ${START_TIMEOUT_MS} ms:\n${output}`)),
        START_TIMEOUT_MS,
      );
      proc.stdout?.setEncoding('utf8').on('data', (s: string) => {
        output += s;
        const m = /Endpoint:\s*(https?:\/\/\S+)/.exec(output);
        if (m?.[1]) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
      void exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`server exited (code ${code}) before listening:\n${output}`));
      });
    });
    const port = new URL(endpoint).port;

    // The live and ready paths the image and the probes use.
    expect((await fetch(`${endpoint}${LIVE_PATH}`)).status).toBe(200);
    expect((await fetch(`${endpoint}${READY_PATH}`)).status).toBe(200);

    // The HEALTHCHECK script: 0 when the live path answers 200, 1 otherwise (fails closed).
    const check = spawnSync(process.execPath, [HEALTHCHECK_SCRIPT], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '', STRATA_ADDRESS: `127.0.0.1:${port}` },
      encoding: 'utf8',
      timeout: 10_000,
    });
    expect(check.status, check.stderr).toBe(0);

    proc.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([
      exited,
      new Promise<string>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), STOP_TIMEOUT_MS);
      }),
    ]);
    clearTimeout(timer);
    expect(code, output).toBe(0);
    child = undefined;
  });

  it('the healthcheck script fails when nothing answers', async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = createServer();
      probe.listen(0, '127.0.0.1', () => {
        const address = probe.address();
        probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
      });
    });
    const check = spawnSync(process.execPath, [HEALTHCHECK_SCRIPT], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '', STRATA_ADDRESS: `127.0.0.1:${port}` },
      encoding: 'utf8',
      timeout: 10_000,
    });
    expect(check.status).toBe(1);
    expect(check.stderr).toMatch(/healthcheck:/);
  });
});

// --- docker compose ---------------------------------------------------------------------------

describe('docker-compose.yml', () => {
  it('has the server, the second Strata (remote tier) and Prometheus', () => {
    expect(strataServices.map(([name]) => name).sort()).toEqual(['strata', 'strata-tier']);
    expect(services.prometheus?.image).toMatch(/^prom\/prometheus:v\d/);
    const build = services.strata?.build;
    const context = typeof build === 'string' ? build : (build?.context ?? '.');
    const file = typeof build === 'object' && build.dockerfile ? build.dockerfile : 'Dockerfile';
    expect(exists(join(context, file))).toBe(true);
  });

  it('references resolve: services have an image or a build, depends_on names services, named volumes are declared and used', () => {
    const declared = new Set(Object.keys(compose.volumes ?? {}));
    const used = new Set<string>();
    for (const [name, s] of Object.entries(services)) {
      expect(s.image !== undefined || s.build !== undefined, `${name}: image or build`).toBe(true);
      const deps = Array.isArray(s.depends_on) ? s.depends_on : Object.keys(s.depends_on ?? {});
      for (const d of deps) expect(Object.keys(services), `${name} depends_on ${d}`).toContain(d);
      for (const v of s.volumes ?? []) {
        const source = typeof v === 'string' ? (v.split(':')[0] ?? '') : (v.source ?? '');
        if (/^[./~]/.test(source)) {
          expect(exists(source), `${name}: bind mount ${source}`).toBe(true);
        } else {
          expect(declared, `${name}: volume ${source} is not declared`).toContain(source);
          used.add(source);
        }
      }
    }
    expect([...declared].sort()).toEqual([...used].sort());
  });

  it('each Strata service publishes its STRATA_ADDRESS port and mounts one volume per drive', () => {
    for (const [name, s] of strataServices) {
      const env = { ...dockerEnv, ...composeEnv(s) };
      const port = portOf(env.STRATA_ADDRESS ?? DEFAULT_ADDRESS);
      expect(port, name).toBe(DEFAULT_PORT);
      const targets = (s.ports ?? []).map((p) =>
        typeof p === 'string' ? Number(p.split(':').at(-1)?.split('/')[0]) : p.target,
      );
      expect(targets, name).toEqual([port]);
      const mounts = (s.volumes ?? []).map((v) =>
        typeof v === 'string' ? (v.split(':')[1] ?? '') : (v.target ?? ''),
      );
      expect(mounts.sort(), name).toEqual(drivesOf(env).sort());
      expect(
        composeDurationSeconds(s.stop_grace_period ?? '10s'),
        `${name} stop_grace_period`,
      ).toBeGreaterThan(shutdownTimeoutOf(env));
    }
  });

  it('published host ports do not collide', () => {
    const published = Object.values(services).flatMap((s) =>
      (s.ports ?? []).map((p) =>
        typeof p === 'string' ? p.split(':').slice(0, -1).join(':') : String(p.published),
      ),
    );
    expect(new Set(published).size).toBe(published.length);
  });

  it('Prometheus mounts deploy/prometheus/prometheus.yml and scrapes a Strata service on its port', () => {
    const mounts = (services.prometheus?.volumes ?? []).map(String);
    expect(mounts.some((m) => m.startsWith('./deploy/prometheus/prometheus.yml:'))).toBe(true);
    const prom = readYamlDocs('deploy/prometheus/prometheus.yml')[0]?.value as {
      scrape_configs?: { scheme?: string; static_configs?: { targets?: string[] }[] }[];
    };
    const targets = (prom.scrape_configs ?? [])
      .flatMap((sc) => sc.static_configs ?? [])
      .flatMap((c) => c.targets ?? []);
    expect(targets.length).toBeGreaterThan(0);
    for (const target of targets) {
      const [host, port] = target.split(':');
      const service = strataServices.find(([name]) => name === host)?.[1];
      expect(service, `scrape target ${target} is not a Strata service`).toBeDefined();
      const env = { ...dockerEnv, ...composeEnv(service ?? {}) };
      expect(Number(port)).toBe(portOf(env.STRATA_ADDRESS ?? DEFAULT_ADDRESS));
      // No token in the scrape config: the scraped service must have public metrics.
      expect(env.STRATA_PROMETHEUS_AUTH_TYPE).toBe('public');
    }
  });
});

// --- Kubernetes -------------------------------------------------------------------------------

describe('deploy/kubernetes', () => {
  const namespace = ofKind<K8sObject>('Namespace')[0]?.metadata?.name;
  const clusterScoped = new Set(['Namespace', 'StorageClass']);

  it('every document has apiVersion, kind and name; namespaced ones are in the Strata namespace', () => {
    expect(namespace).toBe('strata');
    expect(kustomization?.namespace).toBe(namespace);
    for (const o of manifests) {
      expect(o.apiVersion, JSON.stringify(o.metadata)).toBeTruthy();
      expect(o.kind).toBeTruthy();
      expect(o.metadata?.name).toMatch(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/);
      if (!clusterScoped.has(o.kind ?? '')) expect(o.metadata?.namespace, o.metadata?.name).toBe(namespace);
      for (const [k, v] of Object.entries(o.metadata?.labels ?? {}))
        expect(typeof v, `label ${k}`).toBe('string');
      for (const [k, v] of Object.entries(o.metadata?.annotations ?? {})) {
        expect(typeof v, `annotation ${k}`).toBe('string');
      }
    }
    for (const cm of configMaps) {
      for (const [k, v] of Object.entries(cm.data ?? {})) expect(typeof v, `ConfigMap ${k}`).toBe('string');
    }
  });

  it('kustomization.yaml lists every manifest except the Secret template', () => {
    const listed = (kustomization?.resources ?? []).map((r) => `${K8S_DIR}/${r}`);
    for (const f of listed) expect(exists(f), f).toBe(true);
    const expected = k8sFiles.filter((f) => !f.endsWith('/kustomization.yaml') && f !== SECRET_TEMPLATE);
    expect(listed.sort()).toEqual(expected.sort());
    expect(
      ofKind<Secret>('Secret').every((s) => k8sDocs.some((d) => d.value === s && d.file === SECRET_TEMPLATE)),
    ).toBe(true);
  });

  it('has the kinds the issue asks for', () => {
    const kinds = manifests.map((o) => `${o.apiVersion}/${o.kind}`);
    for (const kind of [
      'v1/Namespace',
      'v1/ConfigMap',
      'v1/Secret',
      'v1/Service',
      'apps/v1/StatefulSet',
      'storage.k8s.io/v1/StorageClass',
      'networking.k8s.io/v1/Ingress',
      'monitoring.coreos.com/v1/ServiceMonitor',
      'cert-manager.io/v1/Certificate',
      'policy/v1/PodDisruptionBudget',
    ]) {
      expect(kinds).toContain(kind);
    }
  });

  it('the StatefulSet runs one replica of the image command with its labels selected', () => {
    expect(statefulSet?.spec.replicas).toBe(1);
    expect(selects(statefulSet?.spec.selector?.matchLabels, podLabels)).toBe(true);
    expect(container.args ?? ['server']).toEqual(execForm(one(runtimeStage, 'CMD')?.args ?? ''));
    expect(container.image?.split(':')[0]).toBe('strata');
    const images = (kustomization as { images?: { name?: string }[] }).images ?? [];
    expect(images.map((i) => i.name)).toContain('strata');
    // Service links would add STRATA_PORT, STRATA_SERVICE_HOST, ... next to the server's variables.
    expect(podSpec.enableServiceLinks).toBe(false);
  });

  it('the container port is the server port, from STRATA_ADDRESS and the server default', () => {
    expect(container.ports?.map((p) => p.containerPort)).toEqual([DEFAULT_PORT]);
    expect(portOf(k8sEnv.STRATA_ADDRESS ?? DEFAULT_ADDRESS)).toBe(DEFAULT_PORT);
  });

  it('environment references resolve: the ConfigMap exists, required Secret keys exist', () => {
    for (const from of container.envFrom ?? []) {
      const name = from.configMapRef?.name ?? from.secretRef?.name;
      const pool = from.configMapRef ? configMaps : secrets;
      expect(
        pool.map((o) => o.metadata?.name),
        `envFrom ${name}`,
      ).toContain(name);
    }
    for (const e of container.env ?? []) {
      expect(e.name).toMatch(/^STRATA_/);
      const ref = e.valueFrom?.secretKeyRef;
      if (!ref) continue;
      const secret = secrets.find((s) => s.metadata?.name === ref.name);
      expect(secret, `secret ${ref.name}`).toBeDefined();
      if (!ref.optional) expect(Object.keys(secret?.stringData ?? {}), e.name).toContain(ref.key);
    }
    for (const name of ['STRATA_ROOT_USER', 'STRATA_ROOT_PASSWORD', 'STRATA_KMS_SECRET_KEY']) {
      expect(container.env?.map((e) => e.name)).toContain(name);
      expect(
        (container.env ?? []).find((e) => e.name === name)?.valueFrom?.secretKeyRef,
        `${name} comes from a Secret`,
      ).toBeDefined();
    }
  });

  it('one PersistentVolumeClaim per drive of STRATA_DRIVES, each mounted at its drive, on a defined StorageClass', () => {
    const drives = drivesOf(k8sEnv);
    const claims = statefulSet?.spec.volumeClaimTemplates ?? [];
    expect(claims.length).toBe(drives.length);
    const mounts = container.volumeMounts ?? [];
    const storageClasses = ofKind<K8sObject & { provisioner?: string; reclaimPolicy?: string }>(
      'StorageClass',
    );
    for (const drive of drives) {
      const mount = mounts.find((m) => drive === m.mountPath || drive.startsWith(`${m.mountPath}/`));
      expect(mount, `drive ${drive} has no volume mount`).toBeDefined();
      const claim = claims.find((c) => c.metadata?.name === mount?.name);
      expect(claim, `drive ${drive} is not on a PersistentVolumeClaim`).toBeDefined();
      expect(storageClasses.map((s) => s.metadata?.name)).toContain(claim?.spec?.storageClassName);
      expect(claim?.spec?.resources?.requests?.storage).toMatch(/^\d+[GT]i$/);
    }
    expect(new Set(drives.map((d) => mounts.find((m) => d.startsWith(m.mountPath))?.name)).size).toBe(
      drives.length,
    );
    expect(storageClasses.map((s) => s.metadata?.name).sort()).toEqual(['strata-hdd', 'strata-nvme']);
    for (const sc of storageClasses) {
      expect(sc.provisioner).toBe('ebs.csi.aws.com');
      expect(sc.reclaimPolicy).toBe('Retain');
    }
  });

  it('resources, security context and the shutdown deadline', () => {
    const { requests, limits } = container.resources ?? {};
    expect(requests?.cpu).toBeTruthy();
    expect(requests?.memory).toMatch(/^\d+[MG]i$/);
    expect(limits?.memory).toMatch(/^\d+[MG]i$/);
    const mib = (v: string | undefined): number =>
      Number.parseInt(v ?? '0', 10) * (v?.endsWith('Gi') ? 1024 : 1);
    expect(mib(limits?.memory)).toBeGreaterThanOrEqual(mib(requests?.memory));
    expect(podSpec.securityContext?.fsGroup).toBeGreaterThan(0);
    expect(container.securityContext?.allowPrivilegeEscalation).toBe(false);
    const preStop = container.lifecycle?.preStop?.exec?.command ?? [];
    const preStopSeconds = preStop[0] === 'sleep' ? Number(preStop[1]) : 0;
    expect(podSpec.terminationGracePeriodSeconds ?? 30).toBeGreaterThan(
      shutdownTimeoutOf(k8sEnv) + preStopSeconds,
    );
  });

  it('probes: startup and liveness on the live path, readiness on the ready path, HTTPS when TLS is on', () => {
    const tls = k8sEnv.STRATA_CERTS_DIR !== undefined;
    const portNames = (container.ports ?? []).flatMap((p) => [p.name, p.containerPort]);
    const probes = {
      startup: [container.startupProbe, LIVE_PATH],
      liveness: [container.livenessProbe, LIVE_PATH],
      readiness: [container.readinessProbe, READY_PATH],
    } as const;
    for (const [kind, [probe, path]] of Object.entries(probes)) {
      expect(probe?.httpGet?.path, kind).toBe(path);
      expect(portNames, kind).toContain(probe?.httpGet?.port);
      expect(probe?.httpGet?.scheme ?? 'HTTP', kind).toBe(tls ? 'HTTPS' : 'HTTP');
    }
  });

  it('the cert-manager Secret is mounted at STRATA_CERTS_DIR as public.crt / private.key', () => {
    const certsDir = k8sEnv.STRATA_CERTS_DIR;
    expect(certsDir).toBeTruthy();
    const mount = (container.volumeMounts ?? []).find((m) => m.mountPath === certsDir);
    expect(mount?.readOnly).toBe(true);
    const volume = (podSpec.volumes ?? []).find((v) => v.name === mount?.name);
    expect(volume?.secret?.secretName).toBe(certificate?.spec.secretName);
    expect(volume?.secret?.items).toEqual(
      expect.arrayContaining([
        { key: 'tls.crt', path: 'public.crt' },
        { key: 'tls.key', path: 'private.key' },
      ]),
    );
  });

  it('Services select the pod and target its port; the StatefulSet is governed by the headless one', () => {
    const containerPorts = (container.ports ?? []).flatMap((p) => [p.name, p.containerPort]);
    for (const svc of serviceObjects) {
      expect(selects(svc.spec.selector, podLabels), svc.metadata?.name).toBe(true);
      for (const p of svc.spec.ports ?? []) {
        expect(p.port).toBe(DEFAULT_PORT);
        expect(containerPorts).toContain(p.targetPort);
      }
    }
    const headless = serviceObjects.find((s) => s.metadata?.name === statefulSet?.spec.serviceName);
    expect(headless?.spec.clusterIP).toBe('None');
    expect(serviceObjects.filter((s) => s.spec.clusterIP !== 'None').length).toBe(1);
  });

  it('the Ingress routes the STRATA_DOMAIN hosts to the client Service, with large-upload annotations', () => {
    const ingress = ofKind<Ingress>('Ingress')[0];
    const a = ingress?.metadata?.annotations ?? {};
    const tls = k8sEnv.STRATA_CERTS_DIR !== undefined;
    expect(a['nginx.ingress.kubernetes.io/proxy-body-size']).toBe('0');
    expect(a['nginx.ingress.kubernetes.io/proxy-request-buffering']).toBe('off');
    expect(a['nginx.ingress.kubernetes.io/proxy-buffering']).toBe('off');
    expect(Number(a['nginx.ingress.kubernetes.io/proxy-read-timeout'])).toBeGreaterThanOrEqual(600);
    expect(Number(a['nginx.ingress.kubernetes.io/proxy-send-timeout'])).toBeGreaterThanOrEqual(600);
    expect(a['nginx.ingress.kubernetes.io/backend-protocol']).toBe(tls ? 'HTTPS' : 'HTTP');
    expect(ingress?.spec.ingressClassName).toBe('nginx');

    const domains = (k8sEnv.STRATA_DOMAIN ?? '').split(',').map((d) => d.trim());
    const hosts = (ingress?.spec.rules ?? []).map((r) => r.host);
    expect(hosts.sort()).toEqual(domains.flatMap((d) => [d, `*.${d}`]).sort());
    for (const rule of ingress?.spec.rules ?? []) {
      for (const path of rule.http?.paths ?? []) {
        const backend = path.backend?.service;
        const svc = serviceObjects.find((s) => s.metadata?.name === backend?.name);
        expect(svc?.spec.clusterIP, `${rule.host} → ${backend?.name}`).not.toBe('None');
        expect(
          svc?.spec.ports?.some((p) => p.name === backend?.port?.name || p.port === backend?.port?.number),
        ).toBe(true);
      }
    }
    for (const t of ingress?.spec.tls ?? []) {
      expect(t.secretName).toBe(certificate?.spec.secretName);
      for (const host of t.hosts ?? []) expect(certificate?.spec.dnsNames).toContain(host);
    }
  });

  it('the Certificate names the public domain, its wildcard and the client Service', () => {
    const names = certificate?.spec.dnsNames ?? [];
    const client = serviceObjects.find((s) => s.spec.clusterIP !== 'None')?.metadata?.name;
    for (const d of (k8sEnv.STRATA_DOMAIN ?? '').split(',')) {
      expect(names).toContain(d);
      expect(names).toContain(`*.${d}`);
    }
    expect(names).toContain(`${client}.${namespace}.svc`);
    expect(certificate?.spec.issuerRef?.name).toBeTruthy();
  });

  it('the ServiceMonitor scrapes exactly the client Service, on its port, with the token Secret', () => {
    const sm = ofKind<ServiceMonitor>('ServiceMonitor')[0];
    const selected = serviceObjects.filter((s) =>
      selects(sm?.spec.selector?.matchLabels, s.metadata?.labels),
    );
    expect(selected.map((s) => s.metadata?.name)).toEqual(
      serviceObjects.filter((s) => s.spec.clusterIP !== 'None').map((s) => s.metadata?.name),
    );
    expect(sm?.spec.namespaceSelector?.matchNames).toEqual([namespace]);
    for (const ep of sm?.spec.endpoints ?? []) {
      expect(selected[0]?.spec.ports?.map((p) => p.name)).toContain(ep.port);
      expect(ep.scheme).toBe(k8sEnv.STRATA_CERTS_DIR !== undefined ? 'https' : 'http');
      const secret = secrets.find((s) => s.metadata?.name === ep.bearerTokenSecret?.name);
      expect(Object.keys(secret?.stringData ?? {})).toContain(ep.bearerTokenSecret?.key);
    }
  });

  it('the PodDisruptionBudget selects the pod', () => {
    const pdb = ofKind<K8sObject & { spec: { selector?: { matchLabels?: Record<string, string> } } }>(
      'PodDisruptionBudget',
    )[0];
    expect(selects(pdb?.spec.selector?.matchLabels, podLabels)).toBe(true);
  });

  const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;
  it.skipIf(!kubectl)('kubectl kustomize builds the same objects (when kubectl is installed)', () => {
    const built = spawnSync('kubectl', ['kustomize', K8S_DIR], { cwd: REPO_ROOT, encoding: 'utf8' });
    expect(built.status, built.stderr).toBe(0);
    const names = parseYamlText(built.stdout, 'kubectl kustomize', '1.1')
      .map((o) => o as K8sObject)
      .map((o) => `${o.kind}/${o.metadata?.name}`);
    const expected = manifests
      .filter((o) => !ofKind<Secret>('Secret').includes(o as Secret))
      .map((o) => `${o.kind}/${o.metadata?.name}`);
    expect(names.sort()).toEqual(expected.sort());
  });
});
