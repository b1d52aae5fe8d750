#!/usr/bin/env bash
# Sets up a fresh Debian machine and runs the whole pipeline: a throw-away local InfluxDB, `emissions
# serve`, and the simulator feeding it from config/examples/park.yaml. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup-debian.sh
exec node bin/emissions.js demo "$@"
