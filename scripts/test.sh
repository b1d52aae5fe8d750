#!/usr/bin/env bash
# Sets up a fresh Debian machine and runs every check: lint, typecheck, build, unit and integration
# tests (which start real influxd, victoria-metrics and mosquitto processes on loopback ports).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup-debian.sh

echo "== lint"
npx biome check .
echo "== typecheck"
npm run --silent typecheck
echo "== CLI smoke test"
node bin/emissions.js --help >/dev/null
echo "== tests"
mkdir -p .test-results
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json=.test-results/vitest.json || status=$?
# A plain closing line that any CI reader understands, from vitest's own JSON report.
node -e '
  const r = require("./.test-results/vitest.json");
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ""));
' || true
exit "$status"
