/**
 * End-to-end ingest benchmark: simulated gateways publish QoS 1 JSON readings as fast as acks allow to
 * `emissions serve` (its own process) with InfluxDB 1.6.7 on the same machine. Prints readings/s and
 * points/s actually stored (verified with a count query), the CPU share and peak RSS of each process,
 * and writes .bench/ingest-json.json.
 *
 *   npm run build && npx tsx bench/ingest-json.ts [--gateways 50] [--readings 400] [--in-flight 32]
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { findFreePort, startLocalInfluxd } from '../cli/local-influxd.js';
import { influxQueryOne, seriesRows } from '../ingest/influx-query.js';
import { generateRegistry } from '../simulator/generate-registry.js';
import { runCli } from '../test/support/cli-process.js';
import { coresBetween, sampleAll, watchPeakRss } from './lib/proc-stats.js';

const { values: args } = parseArgs({
  options: {
    gateways: { type: 'string', default: '50' },
    readings: { type: 'string', default: '400' },
    /** `disk` (durable spool, default) or `memory` (for comparison only). */
    spool: { type: 'string', default: 'disk' },
    /** Write a V8 CPU profile of `serve` into this directory (node --cpu-prof). */
    profile: { type: 'string' },
  },
});
const GATEWAYS = Number(args.gateways);
const READINGS = Number(args.readings);
const DB = 'bench';

function out(line: string): void {
  process.stdout.write(`${line}\n`);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-ingest-'));
  const registryFile = join(dir, 'registry.yaml');
  const registry = generateRegistry({ gateways: GATEWAYS, seed: 1 });
  writeFileSync(registryFile, stringify(registry));
  const pointsPerGateway = new Map(
    registry.enterprises.flatMap((e) => e.outlets.map((o) => [o.gateway.mn, o.pollutants.length] as const)),
  );
  const expectedPoints = [...pointsPerGateway.values()].reduce((a, b) => a + b, 0) * READINGS;

  const influxd = await startLocalInfluxd();
  const mqttPort = await findFreePort();
  const httpPort = await findFreePort();
  const serve = runCli(['serve'], {
    env: {
      EMISSIONS_REGISTRY: registryFile,
      SPOOL_DIR: join(dir, 'spool'),
      SPOOL_MODE: args.spool === 'memory' ? 'memory' : 'disk',
      INFLUX_API: 'v1',
      INFLUX_URL: influxd.url,
      INFLUX_DB: DB,
      MQTT_HOST: '127.0.0.1',
      MQTT_PORT: String(mqttPort),
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: String(httpPort),
      LOG_LEVEL: 'warn',
    },
    logFile: join(dir, 'serve.log'),
    ...(args.profile ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${args.profile}`] } : {}),
  });
  // LOG_LEVEL warn hides the start line: wait for readiness instead.
  for (let i = 0; i < 200; i++) {
    const ok = await fetch(`http://127.0.0.1:${httpPort}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    await new Promise((r) => setTimeout(r, 100));
  }

  const durationSec = READINGS * 60;
  const sim = runCli(
    [
      'simulate',
      '--broker',
      `mqtt://127.0.0.1:${mqttPort}`,
      '--registry',
      registryFile,
      '--interval',
      '60',
      '--speed',
      'max',
      '--start',
      '2026-01-01T00:00:00+08:00',
      '--duration',
      String(durationSec),
      '--seed',
      '1',
    ],
    { env: { LOG_LEVEL: 'info' }, logFile: join(dir, 'simulate.log') },
  );
  const pids = { simulator: sim.pid, serve: serve.pid, influxd: influxd.pid };
  const before = sampleAll(pids);
  const rss = watchPeakRss(pids);
  const t0 = performance.now();
  const finished = await sim.waitForLog('simulation finished');
  const simDone = performance.now();
  const afterSim = sampleAll(pids);

  // Stored = a count query equals what was sent (bounded wait for the last batches).
  let stored = 0;
  for (let i = 0; i < 600 && stored < expectedPoints; i++) {
    const rows = seriesRows(
      await influxQueryOne({ url: influxd.url, db: DB }, 'SELECT count(value) FROM emission_rtd'),
    );
    stored = Number(rows[0]?.count ?? 0);
    if (stored < expectedPoints) await new Promise((r) => setTimeout(r, 100));
  }
  const storedAt = performance.now();
  const peak = rss.stop();
  await sim.exited;
  serve.kill('SIGTERM');
  await serve.exited;
  await influxd.stop();

  const acked = Number(finished.acked);
  const wallSec = (simDone - t0) / 1000;
  const storeSec = (storedAt - t0) / 1000;
  const cpu = coresBetween(before, afterSim);
  const result = {
    date: new Date().toISOString(),
    gateways: GATEWAYS,
    readingsPerGateway: READINGS,
    valuesPerReading: expectedPoints / (GATEWAYS * READINGS),
    acked,
    expectedPoints,
    storedPoints: stored,
    lost: expectedPoints - stored,
    readingsPerSec: Math.round(acked / wallSec),
    pointsStoredPerSec: Math.round(stored / storeSec),
    cpuCores: cpu,
    peakRssMB: Object.fromEntries(Object.entries(peak).map(([k, v]) => [k, Math.round(v / 1048576)])),
  };
  out(
    `gateways ${GATEWAYS}, ${READINGS} readings each, ${result.valuesPerReading.toFixed(1)} values per reading`,
  );
  out(
    `readings acked/s: ${result.readingsPerSec}   points stored/s: ${result.pointsStoredPerSec}   lost: ${result.lost}`,
  );
  out(`CPU (cores): ${JSON.stringify(cpu)}   peak RSS (MB): ${JSON.stringify(result.peakRssMB)}`);
  mkdirSync('.bench', { recursive: true });
  writeFileSync('.bench/ingest-json.json', `${JSON.stringify(result, null, 2)}\n`);
  if (result.lost !== 0) process.exitCode = 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
