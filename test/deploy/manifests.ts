/**
 * Readers for the deployment files (Dockerfile, .dockerignore, docker-compose.yml, deploy/**) and
 * for what the server's sources say, used by manifests.test.ts to check that the two agree.
 * Nothing here needs Docker or a cluster: files are parsed, the sources are searched as text.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT } from '../helpers/build.js';

export { REPO_ROOT };

export function readRepoFile(path: string): string {
  return readFileSync(join(REPO_ROOT, path), 'utf8');
}

/** Files under `dir` (repository-relative, `/`-separated), recursively, skipping dependency and build folders. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (abs: string): void => {
    for (const entry of readdirSync(abs, { withFileTypes: true })) {
      if (entry.name === 'node_modules' || entry.name === 'dist' || entry.name === '.git') continue;
      const child = join(abs, entry.name);
      if (entry.isDirectory()) walk(child);
      else if (entry.isFile()) out.push(relative(REPO_ROOT, child).split(sep).join('/'));
    }
  };
  const root = join(REPO_ROOT, dir);
  if (statSync(root, { throwIfNoEntry: false })?.isDirectory()) walk(root);
  return out.sort();
}

export function exists(path: string): boolean {
  return statSync(join(REPO_ROOT, path), { throwIfNoEntry: false }) !== undefined;
}

// --- YAML ------------------------------------------------------------------------------------

/** One parsed YAML document and where it came from. */
export interface YamlDoc {
  file: string;
  index: number;
  value: unknown;
}

/**
 * Every document of a YAML file. Kubernetes manifests are read with the YAML 1.1 schema, as
 * kubectl does (so an unquoted `off` or `yes` shows up as the boolean Kubernetes would see).
 * Throws with the file name on any parse error or warning.
 */
export function readYamlDocs(file: string, version: '1.1' | '1.2' = '1.2'): YamlDoc[] {
  return parseYamlText(readRepoFile(file), file, version).map((value, index) => ({ file, index, value }));
}

/** The documents of a YAML text (empty ones dropped); `source` names it in errors. */
export function parseYamlText(text: string, source: string, version: '1.1' | '1.2' = '1.2'): unknown[] {
  const docs = parseAllDocuments(text, { version, uniqueKeys: true });
  if (!Array.isArray(docs)) return [];
  return docs
    .map((doc, index) => {
      const problems = [...doc.errors, ...doc.warnings];
      if (problems.length > 0) {
        throw new Error(`${source} (document ${index + 1}): ${problems.map((p) => p.message).join('; ')}`);
      }
      return doc.toJS() as unknown;
    })
    .filter((value) => value !== null && value !== undefined);
}

// --- The subset of Kubernetes objects the checks look at ---------------------------------------

export type Labels = Record<string, string>;

export interface K8sObject {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; labels?: Labels; annotations?: Record<string, unknown> };
  [key: string]: unknown;
}

export interface HttpProbe {
  httpGet?: { path?: string; port?: string | number; scheme?: string };
  periodSeconds?: number;
  failureThreshold?: number;
}

export interface Container {
  name?: string;
  image?: string;
  args?: string[];
  ports?: { name?: string; containerPort?: number }[];
  envFrom?: { configMapRef?: { name?: string }; secretRef?: { name?: string } }[];
  env?: {
    name: string;
    value?: string;
    valueFrom?: { secretKeyRef?: { name?: string; key?: string; optional?: boolean } };
  }[];
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  startupProbe?: HttpProbe;
  livenessProbe?: HttpProbe;
  readinessProbe?: HttpProbe;
  lifecycle?: { preStop?: { exec?: { command?: string[] } } };
  securityContext?: { allowPrivilegeEscalation?: boolean; readOnlyRootFilesystem?: boolean };
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
}

export interface PodSpec {
  enableServiceLinks?: boolean;
  terminationGracePeriodSeconds?: number;
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number; runAsGroup?: number; fsGroup?: number };
  containers?: Container[];
  volumes?: {
    name: string;
    secret?: { secretName?: string; items?: { key: string; path: string }[] };
    emptyDir?: unknown;
  }[];
}

export interface StatefulSet extends K8sObject {
  spec: {
    replicas?: number;
    serviceName?: string;
    selector?: { matchLabels?: Labels };
    template?: { metadata?: { labels?: Labels }; spec?: PodSpec };
    volumeClaimTemplates?: {
      metadata?: { name?: string };
      spec?: { storageClassName?: string; resources?: { requests?: { storage?: string } } };
    }[];
  };
}

export interface Service extends K8sObject {
  spec: {
    clusterIP?: string;
    selector?: Labels;
    ports?: { name?: string; port?: number; targetPort?: string | number }[];
  };
}

export interface Ingress extends K8sObject {
  spec: {
    ingressClassName?: string;
    tls?: { hosts?: string[]; secretName?: string }[];
    rules?: {
      host?: string;
      http?: {
        paths?: {
          path?: string;
          backend?: { service?: { name?: string; port?: { name?: string; number?: number } } };
        }[];
      };
    }[];
  };
}

export interface ServiceMonitor extends K8sObject {
  spec: {
    selector?: { matchLabels?: Labels };
    namespaceSelector?: { matchNames?: string[] };
    endpoints?: {
      port?: string;
      path?: string;
      scheme?: string;
      bearerTokenSecret?: { name?: string; key?: string };
    }[];
  };
}

export interface Certificate extends K8sObject {
  spec: { secretName?: string; dnsNames?: string[]; issuerRef?: { name?: string; kind?: string } };
}

export interface Secret extends K8sObject {
  stringData?: Record<string, unknown>;
  data?: Record<string, unknown>;
}

/** True when every label of `selector` is on `labels` (an empty selector selects nothing here). */
export function selects(selector: Labels | undefined, labels: Labels | undefined): boolean {
  const entries = Object.entries(selector ?? {});
  return entries.length > 0 && entries.every(([k, v]) => labels?.[k] === v);
}

// --- Dockerfile -------------------------------------------------------------------------------

export interface DockerInstruction {
  /** Upper case: FROM, RUN, ENV, ... */
  name: string;
  args: string;
  /** The stage it belongs to (index into the FROM list). */
  stage: number;
}

/** Instructions in order, continuation lines joined, comments and blank lines dropped. */
export function parseDockerfile(text: string): DockerInstruction[] {
  const out: DockerInstruction[] = [];
  let pending = '';
  let stage = -1;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (pending === '' && (line === '' || line.startsWith('#'))) continue;
    if (pending !== '' && line.startsWith('#')) continue; // comments inside a continued instruction
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    const full = (pending + line).trim();
    pending = '';
    if (full === '') continue;
    const space = full.search(/\s/);
    const name = (space === -1 ? full : full.slice(0, space)).toUpperCase();
    const args = space === -1 ? '' : full.slice(space + 1).trim();
    if (name === 'FROM') stage += 1;
    out.push({ name, args, stage });
  }
  return out;
}

/** `KEY=VALUE KEY2="VALUE 2"` (the ENV and ARG form with `=`). */
export function parseKeyValues(args: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|'[^']*'|\S*)/g)) {
    const key = m[1] ?? '';
    let value = m[2] ?? '';
    if ((value.startsWith('"') && value.endsWith('"')) || (value.startsWith("'") && value.endsWith("'"))) {
      value = value.slice(1, -1);
    }
    out[key] = value;
  }
  return out;
}

/** The JSON (exec) form of CMD / ENTRYPOINT / VOLUME / HEALTHCHECK CMD, or undefined for the shell form. */
export function execForm(args: string): string[] | undefined {
  const start = args.indexOf('[');
  if (start === -1) return undefined;
  const parsed: unknown = JSON.parse(args.slice(start));
  return Array.isArray(parsed) && parsed.every((s) => typeof s === 'string') ? parsed : undefined;
}

// --- .dockerignore ----------------------------------------------------------------------------

interface IgnoreRule {
  negate: boolean;
  regex: RegExp;
}

/**
 * Docker's .dockerignore rules, as far as this repository uses them: `*`, `?`, `**`, `!`
 * exceptions, the last matching line wins, and a line that matches a parent folder matches
 * everything in it.
 */
export function parseDockerignore(text: string): IgnoreRule[] {
  const rules: IgnoreRule[] = [];
  for (const raw of text.split('\n')) {
    let line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const negate = line.startsWith('!');
    if (negate) line = line.slice(1).trim();
    line = line.replace(/^\/+/, '').replace(/\/+$/, '');
    let source = '';
    for (let i = 0; i < line.length; i++) {
      const ch = line[i] ?? '';
      if (line.startsWith('**/', i)) {
        source += '(?:.*/)?';
        i += 2;
      } else if (line.startsWith('**', i)) {
        source += '.*';
        i += 1;
      } else if (ch === '*') source += '[^/]*';
      else if (ch === '?') source += '[^/]';
      else source += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
    rules.push({ negate, regex: new RegExp(`^${source}$`) });
  }
  return rules;
}

/** True when a repository-relative file path is sent to `docker build` as part of the context. */
export function inBuildContext(rules: IgnoreRule[], path: string): boolean {
  const parts = path.split('/');
  const candidates = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
  let excluded = false;
  for (const rule of rules) {
    if (candidates.some((c) => rule.regex.test(c))) excluded = !rule.negate;
  }
  return !excluded;
}

// --- docker compose ---------------------------------------------------------------------------

/** Compose's `${NAME}`, `${NAME:-default}`, `${NAME-default}` and `$$`, with `env` (empty: the defaults). */
export function interpolate(value: string, env: Record<string, string> = {}): string {
  return value.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)([^}]*))?\}/g,
    (match, name, op, fallback) => {
      if (match === '$$') return '$';
      const set = env[name as string];
      if (op === ':-') return set === undefined || set === '' ? (fallback as string) : set;
      if (op === '-') return set ?? (fallback as string);
      return set ?? '';
    },
  );
}

/** Compose durations such as `45s`, `1m30s`, `500ms`, in seconds. */
export function composeDurationSeconds(value: string): number {
  let total = 0;
  const units: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 0.001, us: 1e-6 };
  const re = /(\d+(?:\.\d+)?)(ms|us|h|m|s)/g;
  let consumed = 0;
  for (const m of value.matchAll(re)) {
    total += Number(m[1]) * (units[m[2] ?? ''] ?? Number.NaN);
    consumed += m[0].length;
  }
  if (consumed !== value.length || consumed === 0) throw new Error(`not a compose duration: "${value}"`);
  return total;
}

// --- What the server's sources know -------------------------------------------------------------

/** Folders of the server's own code (tests excluded): what `strata server` can read or serve. */
const SOURCE_ROOTS = ['main.ts', 'cli', 'common', 'server', 'storage', 'crypto', 'iam', 'tiering'];

let sourceCache: string | undefined;

/** The text of every non-test TypeScript source of the server, concatenated. */
export function serverSources(): string {
  sourceCache ??= SOURCE_ROOTS.flatMap((root) =>
    root.endsWith('.ts') ? (exists(root) ? [root] : []) : listFiles(root),
  )
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .map((f) => readRepoFile(f))
    .join('\n');
  return sourceCache;
}

/** True when the sources name the variable (as a whole word: STRATA_AUDIT is not STRATA_AUDIT_FILE). */
export function sourcesNameEnvVar(name: string): boolean {
  return new RegExp(`\\b${name}\\b`).test(serverSources());
}

/** True when the sources contain the URL path (not as the tail of a longer one: /strata/x is not /_strata/x). */
export function sourcesNamePath(path: string): boolean {
  const escaped = path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(?<![\\w/])${escaped}(?![\\w/-])`).test(serverSources());
}

/** Every STRATA_* name in a text (comments included: a documented variable must exist too). */
export function envVarNames(text: string): string[] {
  return [...new Set(text.match(/\bSTRATA_[A-Z0-9_]*[A-Z0-9]\b/g) ?? [])].sort();
}
