#!/usr/bin/env node
// The `strata` command. Runs the compiled build in dist/ (`npm run build`; `npm ci` builds it through `prepare`).
let main;
try {
  ({ main } = await import('../dist/main.js'));
} catch (err) {
  const missing = err instanceof Error && 'code' in err && err.code === 'ERR_MODULE_NOT_FOUND';
  process.stderr.write(
    missing
      ? `strata: the build is missing or incomplete (${err.message}); run "npm run build" in the checkout\n`
      : `strata: cannot load dist/main.js: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
}

try {
  process.exit(await main(process.argv.slice(2)));
} catch (err) {
  process.stderr.write(
    `strata: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
}
