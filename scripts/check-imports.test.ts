import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkFile, checkTree, findImports } from './check-imports.js';

function reasons(file: string, source: string): string[] {
  return checkFile(file, source).map((v) => `${v.specifier}: ${v.reason}`);
}

describe('findImports', () => {
  it('finds static, type-only, re-exported, dynamic and required modules with their lines', () => {
    const source = [
      "import { a } from './a.js';",
      "import type { B } from '../common/index.js';",
      "export * from './c.js';",
      "export { d } from './d.js';",
      'const e = await import("./e.js");',
      "const f = require('f');",
      "type G = import('./g.js').G;",
      "import './side-effect.js';",
      "const notAnImport = 'from ./x.js';",
    ].join('\n');
    expect(findImports('x.ts', source)).toEqual([
      { specifier: './a.js', line: 1 },
      { specifier: '../common/index.js', line: 2 },
      { specifier: './c.js', line: 3 },
      { specifier: './d.js', line: 4 },
      { specifier: './e.js', line: 5 },
      { specifier: 'f', line: 6 },
      { specifier: './g.js', line: 7 },
      { specifier: './side-effect.js', line: 8 },
    ]);
  });
});

describe('checkFile', () => {
  it('lets storage/, crypto/ and iam/ import common/index.ts and themselves', () => {
    for (const layer of ['storage', 'crypto', 'iam']) {
      expect(
        reasons(
          `${layer}/sub/x.ts`,
          "import '../../common/index.js'; import '../y.js'; import './z.js'; import 'node:fs';",
        ),
      ).toEqual([]);
    }
  });

  it('keeps storage/, crypto/ and iam/ away from every other layer', () => {
    expect(reasons('storage/x.ts', "import '../server/index.js';")).toEqual([
      '../server/index.js: storage/ may not import server/: it may import only storage/ itself, common/index.ts',
    ]);
    expect(reasons('crypto/x.ts', "import '../storage/index.js';")).toHaveLength(1);
    expect(reasons('iam/x.ts', "import '../crypto/index.js';")).toHaveLength(1);
  });

  it('requires cross-folder imports to go through index.ts', () => {
    expect(
      reasons('server/handlers/put-object.ts', "import { ErasureSet } from '../../storage/erasure/set.js';"),
    ).toEqual([
      '../../storage/erasure/set.js: reaches inside storage/ (storage/erasure/set.js): import from storage/index.ts instead',
    ]);
    expect(reasons('storage/x.ts', "import { noopLogger } from '../common/logger.js';")).toHaveLength(1);
  });

  it('lets server/ import storage/, crypto/, iam/ and common/ through their index.ts', () => {
    const source = ['storage', 'crypto', 'iam', 'common']
      .map((l) => `import '../../${l}/index.js';`)
      .join('\n');
    expect(reasons('server/handlers/x.ts', source)).toEqual([]);
    expect(reasons('server/x.ts', "import '../tiering/index.js';")).toHaveLength(1);
  });

  it('lets tiering/ import only storage/index.ts and common/', () => {
    expect(reasons('tiering/x.ts', "import '../storage/index.js'; import '../common/index.js';")).toEqual([]);
    expect(reasons('tiering/x.ts', "import '../server/index.js';")).toHaveLength(1);
    expect(reasons('tiering/x.ts', "import '../crypto/index.js';")).toHaveLength(1);
  });

  it('keeps common/ free of every layer', () => {
    expect(reasons('common/x.ts', "import '../storage/index.js';")).toHaveLength(1);
  });

  it('refuses root files and paths outside the repository', () => {
    expect(reasons('storage/x.ts', "import '../main.js';")).toEqual([
      '../main.js: imports the root file "main.js": storage/ may import only storage/ itself, common/index.ts',
    ]);
    expect(reasons('storage/x.ts', "import '../../elsewhere/y.js';")).toEqual([
      '../../elsewhere/y.js: imports from outside the repository',
    ]);
  });

  it('keeps fastify and pino in server/', () => {
    expect(reasons('server/x.ts', "import Fastify from 'fastify'; import { pino } from 'pino';")).toEqual([]);
    expect(reasons('storage/x.ts', "import { pino } from 'pino';")).toEqual([
      'pino: storage/ may not use pino: only server/ may',
    ]);
    expect(reasons('iam/x.ts', "import type { FastifyRequest } from 'fastify/types/request';")).toHaveLength(
      1,
    );
  });

  it('counts type-only and dynamic imports too', () => {
    expect(reasons('storage/x.ts', "import type { S3Error } from '../server/s3-errors.js';")).toHaveLength(1);
    expect(reasons('storage/x.ts', "const m = await import('../server/index.js');")).toHaveLength(1);
  });

  it('ignores folders without rules (main.ts, cli/, bench/, test/, scripts/)', () => {
    for (const file of ['main.ts', 'cli/x.ts', 'bench/x.ts', 'test/e2e/x.ts', 'scripts/x.ts']) {
      expect(reasons(file, "import '../storage/erasure/set.js'; import 'fastify';")).toEqual([]);
    }
  });
});

describe('checkTree', () => {
  let root: string | undefined;
  afterEach(() => {
    if (root !== undefined) rmSync(root, { recursive: true, force: true });
  });

  it('walks the layered folders and reports file and line', () => {
    root = mkdtempSync(join(tmpdir(), 'check-imports-'));
    const files: Record<string, string> = {
      'common/index.ts': 'export const x = 1;\n',
      'storage/index.ts': "export * from './deep/set.js';\n",
      'storage/deep/set.ts':
        "import { x } from '../../common/index.js';\n\nimport '../../server/index.js';\n",
      'server/index.ts': "import '../storage/deep/set.js';\n",
      'test/e2e.test.ts': "import '../storage/deep/set.js';\n",
      'storage/notes.md': "import '../server/index.js';\n",
    };
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), text);
    }
    expect(checkTree(root).map((v) => `${v.file}:${v.line} ${v.specifier}`)).toEqual([
      'storage/deep/set.ts:3 ../../server/index.js',
      'server/index.ts:1 ../storage/deep/set.js',
    ]);
  });
});
