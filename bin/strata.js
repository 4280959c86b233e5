#!/usr/bin/env node
// The `strata` command. Runs the compiled build (`npm run build`; `npm ci` builds it through `prepare`).
import { main } from '../dist/main.js';

try {
  process.exit(await main(process.argv.slice(2)));
} catch (err) {
  process.stderr.write(
    `strata: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
}
