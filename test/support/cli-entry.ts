// Entry point for CLI tests: the same main() as bin/emissions.js, run from source through tsx.
import { main } from '../../cli/main.js';

main(process.argv).catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
