/**
 * vitest globalSetup: build dist/ once before any worker starts a server, then tell
 * the workers (through the environment they inherit) not to check again, so a
 * source edit during the run cannot trigger a rebuild under a running server.
 */
import { ensureBuilt } from './helpers/build.js';

export default async function setup(): Promise<void> {
  await ensureBuilt();
  process.env.STRATA_TEST_SKIP_BUILD = '1';
}
