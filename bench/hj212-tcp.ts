/**
 * End-to-end HJ 212 TCP benchmark: simulated HJ 212 gateways (one TCP connection each) send real-time,
 * minute, hour and (from 1440 readings on) day uploads as fast as their 9014s allow (Flag=5, in-flight window 32) to `emissions serve`
 * (its own process, durable spool) with InfluxDB 1.6.7 on the same machine. Prints readings/s (acked by
 * 9014, i.e. synced to the spool), points/s actually stored (verified with count queries per
 * measurement, day data in emission_day included), retransmissions, CPU and peak RSS per process; writes .bench/hj212-tcp.json.
 *
 *   npx tsx bench/hj212-tcp.ts [--gateways 500] [--readings 120]
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { findFreePort, startLocalInfluxd } from '../cli/local-influxd.js';
import { influxQueryOne, seriesRows } from '../ingest/influx-query.js';
import { MEASUREMENT_BY_KIND } from '../ingest/points.js';
import { generateRegistry } from '../simulator/generate-registry.js';
import { readReport } from '../simulator/report.js';
import { runCli } from '../test/support/cli-process.js';
import { simulatedMeasurements } from './lib/measurements.js';
import { coresBetween, sampleAll, watchPeakRss } from './lib/proc-stats.js';
import { buildForBench, deployedInfluxEnv } from './lib/services.js';

const { values: args } = parseArgs({
  options: {
    gateways: { type: 'string', default: '500' },
    /**
     * Real-time readings per gateway (interval 60 s): 120 = 2 simulated hours (+12 minute, +2 hour records);
     * every 1440 add a day record.
     */
    readings: { type: 'string', default: '120' },
  },
});
const GATEWAYS = Number(args.gateways);
const READINGS = Number(args.readings);
const DB = 'benchhj212';
const MEASUREMENTS = simulatedMeasurements('hj212-tcp');

function out(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** Points stored per measurement. */
async function countPoints(url: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const m of MEASUREMENTS) {
    const rows = seriesRows(await influxQueryOne({ url, db: DB }, `SELECT count(value) FROM ${m}`));
    counts[m] = Number(rows[0]?.count ?? 0);
  }
  return counts;
}

const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

async function main(): Promise<void> {
  if (READINGS % 60 !== 0) throw new Error('--readings must be a multiple of 60 (whole simulated hours)');
  const dir = mkdtempSync(join(tmpdir(), 'bench-hj212-'));
  const registryFile = join(dir, 'registry.yaml');
  const registry = generateRegistry({ gateways: GATEWAYS, seed: 1 });
  for (const e of registry.enterprises) for (const o of e.outlets) o.gateway.protocol = 'hj212-tcp';
  writeFileSync(registryFile, stringify(registry));
  const codes = registry.enterprises.flatMap((e) => e.outlets.map((o) => o.pollutants.length));
  const codesTotal = codes.reduce((a, b) => a + b, 0);
  const hours = READINGS / 60;
  // Real-time + minute (every 10 min) + hour + day records (the run starts at local midnight), one point
  // per code each.
  const perKind: Record<string, number> = {
    rtd: READINGS,
    minute: hours * 6,
    hour: hours,
    day: Math.floor(READINGS / 1440),
  };
  const recordsPerGateway = Object.values(perKind).reduce((a, b) => a + b, 0);
  const expectedPoints = codesTotal * recordsPerGateway;
  const expectedReadings = GATEWAYS * recordsPerGateway;

  const influxd = await startLocalInfluxd({ env: deployedInfluxEnv() });
  const [mqttPort, httpPort, hj212Port] = [await findFreePort(), await findFreePort(), await findFreePort()];
  buildForBench(); // serve and the simulator run compiled, as deployed
  const serve = runCli(['serve'], {
    env: {
      EMISSIONS_REGISTRY: registryFile,
      SPOOL_DIR: join(dir, 'spool'),
      INFLUX_API: 'v1',
      INFLUX_URL: influxd.url,
      INFLUX_DB: DB,
      MQTT_HOST: '127.0.0.1',
      MQTT_PORT: String(mqttPort),
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: String(httpPort),
      HJ212_TCP_HOST: '127.0.0.1',
      HJ212_TCP_PORT: String(hj212Port),
      LOG_LEVEL: 'warn',
    },
    logFile: join(dir, 'serve.log'),
    fromBuild: true,
  });
  for (let i = 0; i < 200; i++) {
    const ok = await fetch(`http://127.0.0.1:${httpPort}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    await new Promise((r) => setTimeout(r, 100));
  }

  const reportPath = join(dir, 'report.jsonl');
  const sim = runCli(
    [
      'simulate',
      '--protocol',
      'hj212-tcp',
      '--hj212-tcp',
      `127.0.0.1:${hj212Port}`,
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
      String(READINGS * 60),
      '--seed',
      '1',
      '--report',
      reportPath,
    ],
    { env: { LOG_LEVEL: 'info' }, logFile: join(dir, 'simulate.log'), fromBuild: true },
  );
  const pids = { simulator: sim.pid, serve: serve.pid, influxd: influxd.pid };
  const before = sampleAll(pids);
  const rss = watchPeakRss(pids);
  const t0 = performance.now();
  const finished = await sim.waitForLog('simulation finished');
  const simDone = performance.now();
  const afterSim = sampleAll(pids);

  let storedBy: Record<string, number> = {};
  for (let i = 0; i < 600 && sum(storedBy) < expectedPoints; i++) {
    storedBy = await countPoints(influxd.url);
    if (sum(storedBy) < expectedPoints) await new Promise((r) => setTimeout(r, 100));
  }
  const stored = sum(storedBy);
  const storedAt = performance.now();
  const peak = rss.stop();
  await sim.exited;
  serve.kill('SIGTERM');
  await serve.exited;
  await influxd.stop();

  let retransmissions = 0;
  let connected = 0;
  // Points the simulator got a 9014 for, per measurement (ground truth), against what InfluxDB holds.
  const ackedPoints: Record<string, number> = Object.fromEntries(MEASUREMENTS.map((m) => [m, 0]));
  for await (const line of readReport(reportPath)) {
    if (line.type === 'reading') {
      if (!line.acked) continue;
      const m = MEASUREMENT_BY_KIND[line.kind];
      ackedPoints[m] = (ackedPoints[m] ?? 0) + Object.keys(line.values).length;
      continue;
    }
    if (line.type !== 'summary') continue;
    connected = line.connected;
    for (const g of Object.values(line.perGateway)) retransmissions += g.retransmissions ?? 0;
  }
  const acked = Number(finished.acked);
  const wallSec = (simDone - t0) / 1000;
  const storeSec = (storedAt - t0) / 1000;
  const cpu = coresBetween(before, afterSim);
  const result = {
    date: new Date().toISOString(),
    gateways: GATEWAYS,
    connected,
    realtimeReadingsPerGateway: READINGS,
    readingsPerGateway: recordsPerGateway,
    expectedReadings,
    acked,
    retransmissions,
    expectedPoints,
    storedPoints: stored,
    lost: expectedPoints - stored,
    /** Per measurement: points of acknowledged records (report) not in InfluxDB; all 0 when nothing is lost. */
    lostByMeasurement: Object.fromEntries(
      Object.entries(ackedPoints).map(([m, n]) => [m, n - (storedBy[m] ?? 0)]),
    ),
    readingsPerSec: Math.round(acked / wallSec),
    pointsStoredPerSec: Math.round(stored / storeSec),
    wallSec: Number(wallSec.toFixed(1)),
    cpuCores: cpu,
    peakRssMB: Object.fromEntries(Object.entries(peak).map(([k, v]) => [k, Math.round(v / 1048576)])),
  };
  out(
    `HJ 212 TCP: ${GATEWAYS} gateways (${connected} connected), ${recordsPerGateway} uploads each (${JSON.stringify(perKind)})`,
  );
  out(
    `readings acked (9014)/s: ${result.readingsPerSec}   points stored/s: ${result.pointsStoredPerSec}   acked ${acked}/${expectedReadings}   lost points: ${result.lost}   retransmissions: ${retransmissions}`,
  );
  out(`lost points per measurement (acked per report − stored): ${JSON.stringify(result.lostByMeasurement)}`);
  out(`CPU (cores): ${JSON.stringify(cpu)}   peak RSS (MB): ${JSON.stringify(result.peakRssMB)}`);
  mkdirSync('.bench', { recursive: true });
  writeFileSync('.bench/hj212-tcp.json', `${JSON.stringify(result, null, 2)}\n`);
  const lostAcked = Object.values(result.lostByMeasurement).some((n) => n !== 0);
  if (result.lost !== 0 || lostAcked || acked !== expectedReadings) process.exitCode = 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
