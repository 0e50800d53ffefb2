/**
 * The scanners of the ingestion benchmark, as a separate process (so that
 * their CPU is not the service's): started by ./ingest.ts with fork(), it
 * takes LoadOptions as one IPC message and answers the LoadReport as another.
 */
import { runLoad, type LoadOptions } from './scanners.js';

process.once('message', (options: LoadOptions) => {
  runLoad(options).then(
    (report) => process.send?.(report, () => process.exit(0)),
    (error: unknown) => {
      process.stderr.write(`load failed: ${error instanceof Error ? error.stack : String(error)}\n`);
      process.exit(1);
    },
  );
});
