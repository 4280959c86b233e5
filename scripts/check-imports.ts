// Enforces the layer table of docs/ARCHITECTURE.md on every import of the layered folders:
//   storage/, crypto/, iam/  → common/ and themselves
//   tiering/                 → storage/index.ts, common/ and itself
//   server/                  → storage/, crypto/, iam/ (each through its index.ts), common/ and itself
//   common/                  → itself
// Imports that leave a folder must enter the other folder through its index.ts, and only server/
// may use the HTTP stack (fastify) or pino: the inner layers log through common's Logger.
// Usage: tsx scripts/check-imports.ts [ROOT]; exits 1 and lists violations when there are any.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** The folders checked, and the other top-level folders each may import (through their index.ts). */
export const LAYER_RULES: Readonly<Record<string, readonly string[]>> = {
  common: [],
  storage: ['common'],
  crypto: ['common'],
  iam: ['common'],
  tiering: ['storage', 'common'],
  server: ['storage', 'crypto', 'iam', 'common'],
};

/** Packages only the named folders may import (the HTTP layer's stack). */
export const RESTRICTED_PACKAGES: Readonly<Record<string, readonly string[]>> = {
  fastify: ['server'],
  pino: ['server'],
};

export interface Violation {
  /** Path of the importing file, relative to the root, with forward slashes. */
  file: string;
  line: number;
  specifier: string;
  reason: string;
}

/** Every module specifier a file imports, re-exports, dynamically imports or requires, with its line. */
export function findImports(fileName: string, source: string): { specifier: string; line: number }[] {
  const sourceFile = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found: { specifier: string; line: number }[] = [];
  const add = (node: ts.Node): void => {
    if (ts.isStringLiteralLike(node)) {
      found.push({
        specifier: node.text,
        line: sourceFile.getLineAndCharacterOfPosition(node.getStart()).line + 1,
      });
    }
  };
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier) {
      add(node.moduleSpecifier);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      add(node.moduleReference.expression);
    } else if (ts.isCallExpression(node)) {
      const isDynamicImport = node.expression.kind === ts.SyntaxKind.ImportKeyword;
      const isRequire = ts.isIdentifier(node.expression) && node.expression.text === 'require';
      const [first] = node.arguments;
      if ((isDynamicImport || isRequire) && first !== undefined) {
        add(first);
      }
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      add(node.argument.literal);
    }
    ts.forEachChild(node, visit);
  };
  visit(sourceFile);
  return found;
}

/**
 * Checks one file's imports against the rules. `file` is relative to the root (forward slashes);
 * files outside the checked folders have no rules and yield nothing.
 */
export function checkFile(file: string, source: string): Violation[] {
  const layer = file.split('/')[0] ?? '';
  const allowed = LAYER_RULES[layer];
  if (allowed === undefined) {
    return [];
  }
  const violations: Violation[] = [];
  for (const { specifier, line } of findImports(file, source)) {
    const reason = specifier.startsWith('.')
      ? checkRelative(file, layer, allowed, specifier)
      : checkPackage(layer, specifier);
    if (reason !== undefined) {
      violations.push({ file, line, specifier, reason });
    }
  }
  return violations;
}

function checkRelative(
  file: string,
  layer: string,
  allowed: readonly string[],
  specifier: string,
): string | undefined {
  // Resolve against a virtual root so the answer depends only on the paths.
  const target = join(dirname(file), specifier).split(sep).join('/');
  if (target.startsWith('..')) {
    return 'imports from outside the repository';
  }
  const [targetLayer, ...rest] = target.split('/');
  if (targetLayer === layer) {
    return undefined;
  }
  if (rest.length === 0) {
    return `imports the root file "${target}": ${layer}/ may import only ${describe(layer, allowed)}`;
  }
  if (targetLayer === undefined || !allowed.includes(targetLayer)) {
    return `${layer}/ may not import ${targetLayer}/: it may import only ${describe(layer, allowed)}`;
  }
  const inner = rest.join('/');
  if (!/^index(\.(js|ts|mjs|mts))?$/.test(inner)) {
    return `reaches inside ${targetLayer}/ (${targetLayer}/${inner}): import from ${targetLayer}/index.ts instead`;
  }
  return undefined;
}

function checkPackage(layer: string, specifier: string): string | undefined {
  const name = specifier.startsWith('@')
    ? specifier.split('/').slice(0, 2).join('/')
    : specifier.split('/')[0];
  const owners = name === undefined ? undefined : RESTRICTED_PACKAGES[name];
  if (owners !== undefined && !owners.includes(layer)) {
    return `${layer}/ may not use ${name}: only ${owners.map((o) => `${o}/`).join(', ')} may`;
  }
  return undefined;
}

function describe(layer: string, allowed: readonly string[]): string {
  return [`${layer}/ itself`, ...allowed.map((a) => `${a}/index.ts`)].join(', ');
}

/** Checks every .ts file under the layered folders of `root`. */
export function checkTree(root: string): Violation[] {
  const violations: Violation[] = [];
  for (const layer of Object.keys(LAYER_RULES)) {
    const dir = join(root, layer);
    if (!existsSync(dir)) {
      continue;
    }
    for (const path of listTypeScript(dir)) {
      const file = relative(root, path).split(sep).join('/');
      violations.push(...checkFile(file, readFileSync(path, 'utf8')));
    }
  }
  return violations;
}

function listTypeScript(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir).sort()) {
    if (entry === 'node_modules') {
      continue;
    }
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) {
      files.push(...listTypeScript(path));
    } else if (/\.(ts|mts|cts)$/.test(entry)) {
      files.push(path);
    }
  }
  return files;
}

function run(): number {
  const root = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..'));
  const violations = checkTree(root);
  for (const v of violations) {
    process.stderr.write(`${v.file}:${v.line}: import "${v.specifier}": ${v.reason}\n`);
  }
  if (violations.length > 0) {
    process.stderr.write(
      `check-imports: ${violations.length} import(s) break the layer table in docs/ARCHITECTURE.md\n`,
    );
    return 1;
  }
  process.stdout.write('check-imports: every import follows the layer table in docs/ARCHITECTURE.md\n');
  return 0;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = run();
}
