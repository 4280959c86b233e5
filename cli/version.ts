import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** How far up from this file package.json may be: cli/ in a checkout, dist/cli/ after a build. */
const MAX_LEVELS_UP = 3;

/** Strata's version from its package.json, found from this module's location. */
export function readVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < MAX_LEVELS_UP; i++) {
    dir = dirname(dir);
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
        name?: unknown;
        version?: unknown;
      };
      if (pkg.name === 'strata' && typeof pkg.version === 'string') {
        return pkg.version;
      }
    } catch {
      // Not here (or unreadable): keep walking up.
    }
  }
  return 'unknown';
}
