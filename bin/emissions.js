#!/usr/bin/env node
// Thin launcher: the CLI is TypeScript compiled to dist/ by `npm run build` (scripts/setup-debian.sh runs it).
import('../dist/cli/main.js')
  .then((m) => m.main(process.argv))
  .catch((err) => {
    if (err?.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/cli/main.js')) {
      process.stderr.write('emissions: not built yet; run `npm run build` first\n');
    } else {
      process.stderr.write(`emissions: ${err?.stack ?? err}\n`);
    }
    process.exitCode = 1;
  });
