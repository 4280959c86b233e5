/**
 * `npm run bench -- <workload> [options]` (scripts/bench.ts routes here). Ctrl-C stops the timed
 * phase, reports what was measured and still cleans up; a second Ctrl-C exits at once.
 */
import { LOAD_USAGE, parseLoadArgs } from './options.js';
import { formatReport, summaryLine } from './report.js';
import { runLoad } from './run.js';

export async function loadMain(argv: readonly string[]): Promise<number> {
  let parsed: ReturnType<typeof parseLoadArgs>;
  try {
    parsed = parseLoadArgs(argv);
  } catch (err) {
    process.stderr.write(`bench: ${(err as Error).message}\n\n${LOAD_USAGE}\n`);
    return 2;
  }
  if (parsed.help) {
    process.stdout.write(`${LOAD_USAGE}\n`);
    return 0;
  }
  const controller = new AbortController();
  const onSignal = (): void => {
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write(
      'bench: interrupted; finishing requests in flight and cleaning up (Ctrl-C again to quit)\n',
    );
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const result = await runLoad({ ...parsed.options, signal: controller.signal });
    process.stdout.write(`${formatReport(result)}\n${summaryLine(result)}\n`);
    return result.errors > 0 || controller.signal.aborted ? 1 : 0;
  } catch (err) {
    process.stderr.write(`bench: ${(err as Error).message}\n`);
    return 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
