#!/usr/bin/env bash
# Installs everything the pipeline, its demo and its tests need on a fresh Debian 12 machine:
# Debian packages (InfluxDB 1.6.7, VictoriaMetrics, mosquitto + clients, socat/nc for protocol checks)
# and the npm dependencies, then builds the TypeScript. Idempotent: fast when all is present.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBIAN_PACKAGES=(influxdb victoria-metrics mosquitto mosquitto-clients socat netcat-openbsd)

missing=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]} > 0)); then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  echo "setup: installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # Debian's packages register services; the pipeline starts its own instances on free ports instead.
  for svc in influxdb mosquitto victoria-metrics; do
    $SUDO systemctl disable --now "$svc" >/dev/null 2>&1 || true
  done
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi

echo "setup: building"
npm run --silent build
