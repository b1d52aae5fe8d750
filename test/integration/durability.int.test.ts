import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { type LocalInfluxd, startLocalInfluxd } from '../../cli/local-influxd.js';
import { loadRegistry } from '../../config/registry.js';
import { createLogger } from '../../core/logger.js';
import { influxQueryOne, seriesRows } from '../../ingest/influx-query.js';
import { generateRegistry } from '../../simulator/generate-registry.js';
import { type ReportReadingLine, readReportReadings } from '../../simulator/report.js';
import { createSimulation } from '../../simulator/simulation.js';
import { type CliProcess, runCli } from '../support/cli-process.js';
import { serveEnv } from '../support/serve-env.js';
import { readMetric, startTestService } from '../support/service.js';

/**
 * "Never lose an acknowledged reading": fault tests with real processes. Each compares the
 * simulator's ground truth (every reading it saw acknowledged) with what InfluxDB holds afterwards.
 */
const DB = 'durability';
const silent = createLogger({ level: 'silent' });
const cleanups: Array<() => Promise<unknown>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

function registryFile(gateways: number): string {
  const file = join(tempDir('reg-'), 'registry.yaml');
  writeFileSync(file, stringify(generateRegistry({ gateways, seed: 2 })));
  return file;
}

async function ackedReadings(reportPath: string): Promise<ReportReadingLine[]> {
  return (await readReportReadings(reportPath)).filter((r) => r.acked);
}

/** Every acknowledged value is stored exactly as sent, and nothing else is stored. */
async function expectStoredExactly(influxd: LocalInfluxd, acked: ReportReadingLine[]): Promise<void> {
  const expected = new Map<string, number>();
  for (const r of acked) {
    for (const [code, v] of Object.entries(r.values))
      expected.set(`${r.mn}|${code}|${Date.parse(r.dataTime)}`, v.rtd as number);
  }
  const rows = seriesRows(
    await influxQueryOne({ url: influxd.url, db: DB }, 'SELECT value, mn, pollutant FROM emission_rtd'),
  );
  const stored = new Map(rows.map((r) => [`${r.mn}|${r.pollutant}|${r.time}`, r.value]));
  const missing = [...expected.keys()].filter((k) => !stored.has(k));
  expect(missing, `acknowledged but missing: ${missing.slice(0, 5).join(', ')}`).toEqual([]);
  for (const [key, value] of expected) expect(stored.get(key), key).toBe(value);
  // Points for readings published but never acknowledged may exist (stored, ack lost); nothing else may.
  expect(rows.length).toBe(stored.size);
}

async function waitForCount(influxd: LocalInfluxd, want: number, timeoutMs: number): Promise<number> {
  const until = Date.now() + timeoutMs;
  let count = 0;
  while (Date.now() < until) {
    const rows = seriesRows(
      await influxQueryOne({ url: influxd.url, db: DB }, 'SELECT count(value) FROM emission_rtd').catch(
        () => [],
      ),
    );
    count = Number(rows[0]?.count ?? 0);
    if (count >= want) return count;
    await new Promise((r) => setTimeout(r, 200));
  }
  return count;
}

describe('never lose an acknowledged reading', () => {
  it('InfluxDB stopped for 2 minutes under steady load, then restarted: every acknowledged reading stored once', {
    timeout: 330_000,
  }, async () => {
    const influxd = await startLocalInfluxd();
    cleanups.push(() => influxd.stop());
    const file = registryFile(20);
    const service = await startTestService({
      registryFile: file,
      influx: { INFLUX_API: 'v1', INFLUX_URL: influxd.url, INFLUX_DB: DB },
      env: { WRITE_TIMEOUT_MS: '2000' },
    });
    cleanups.push(() => service.stop());
    const report = join(tempDir('report-'), 'report.jsonl');
    // 20 gateways, one reading every 10 simulated s at speed 10: 20 readings/s for 4 minutes.
    const sim = createSimulation(
      {
        brokerUrl: service.mqttUrl,
        registry: loadRegistry(file),
        intervalSec: 10,
        speed: 10,
        start: new Date('2026-11-23T00:00:00+08:00'),
        durationSec: 2400,
        seed: 3,
        reportPath: report,
      },
      { log: silent },
    );
    cleanups.push(() => sim.stop());
    await sim.start();
    await new Promise((r) => setTimeout(r, 30_000));
    await influxd.kill();
    await new Promise((r) => setTimeout(r, 120_000));
    // Readings kept arriving and being acknowledged from the spool during the outage.
    expect(await readMetric(service.httpUrl, 'emissions_points_pending')).toBeGreaterThan(10_000);
    await influxd.restart();
    await sim.done;
    await sim.stop();
    await service.flush();
    const acked = await ackedReadings(report);
    expect(acked.length).toBe(20 * 240);
    await expectStoredExactly(influxd, acked);
  });

  it('serve killed with SIGKILL under load and restarted: everything acknowledged is stored, once', async () => {
    const influxd = await startLocalInfluxd();
    cleanups.push(() => influxd.stop());
    const dir = tempDir('kill-');
    const file = registryFile(20);
    // Long flush interval: the kill lands while most acknowledged readings exist only in the spool.
    const { env, mqttPort } = await serveEnv({
      registryFile: file,
      influxUrl: influxd.url,
      db: DB,
      dir,
      extra: { WRITE_FLUSH_INTERVAL_MS: '3000' },
    });
    let serve: CliProcess = runCli(['serve'], { env, logFile: join(dir, 'serve-1.log') });
    cleanups.push(async () => serve.kill('SIGKILL'));
    await serve.waitForLog('emissions pipeline started');
    const report = join(dir, 'report.jsonl');
    const sim = createSimulation(
      {
        brokerUrl: `mqtt://127.0.0.1:${mqttPort}`,
        registry: loadRegistry(file),
        intervalSec: 60,
        speed: 1200,
        start: new Date('2026-11-23T00:00:00+08:00'),
        durationSec: 6 * 3600,
        seed: 4,
        reportPath: report,
        reconnectPeriodMs: 200,
        drainTimeoutMs: 20_000,
      },
      { log: silent },
    );
    cleanups.push(() => sim.stop());
    await sim.start();
    await new Promise((r) => setTimeout(r, 4000));
    serve.kill('SIGKILL');
    expect(await serve.exited).toBe('SIGKILL');
    serve = runCli(['serve'], { env, logFile: join(dir, 'serve-2.log') });
    await serve.waitForLog('emissions pipeline started');
    const summary = await sim.done;
    await sim.stop();
    expect(summary.notAcked).toBe(0);
    const acked = await ackedReadings(report);
    expect(acked.length).toBe(20 * 360);
    const points = acked.reduce((n, r) => n + Object.keys(r.values).length, 0);
    serve.kill('SIGTERM');
    expect(await serve.exited).toBe(0);
    await waitForCount(influxd, points, 30_000);
    await expectStoredExactly(influxd, acked);
  });

  it('a full spool slows gateways, shows in /metrics, and loses nothing acknowledged', async () => {
    const influxd = await startLocalInfluxd();
    cleanups.push(() => influxd.stop());
    const file = registryFile(10);
    const service = await startTestService({
      registryFile: file,
      influx: { INFLUX_API: 'v1', INFLUX_URL: influxd.url, INFLUX_DB: DB },
      env: {
        SPOOL_MAX_BYTES: String(200 * 1024),
        SPOOL_SEGMENT_BYTES: String(32 * 1024),
        WRITE_TIMEOUT_MS: '1000',
      },
    });
    cleanups.push(() => service.stop());
    await influxd.kill();
    const report = join(tempDir('report-'), 'report.jsonl');
    const sim = createSimulation(
      {
        brokerUrl: service.mqttUrl,
        registry: loadRegistry(file),
        intervalSec: 60,
        speed: 'max',
        start: new Date('2026-11-23T00:00:00+08:00'),
        durationSec: 24 * 3600,
        seed: 5,
        reportPath: report,
        drainTimeoutMs: 30_000,
      },
      { log: silent },
    );
    cleanups.push(() => sim.stop());
    await sim.start();
    // Wait (bounded) until the spool reports full: gateways are now waiting for their PUBACKs.
    let full = 0;
    for (let i = 0; i < 100 && full !== 1; i++) {
      full = await readMetric(service.httpUrl, 'emissions_spool_state', { state: 'full' });
      if (full !== 1) await new Promise((r) => setTimeout(r, 100));
    }
    expect(full).toBe(1);
    expect(await readMetric(service.httpUrl, 'emissions_spool_bytes')).toBeLessThanOrEqual(200 * 1024);
    const ackedWhileFull = (await ackedReadings(report)).length;
    expect(ackedWhileFull).toBeLessThan(10 * 1440);
    await influxd.restart();
    const summary = await sim.done;
    await sim.stop();
    await service.flush();
    expect(summary.notAcked).toBe(0);
    expect(await readMetric(service.httpUrl, 'emissions_spool_state', { state: 'ok' })).toBe(1);
    const acked = await ackedReadings(report);
    expect(acked.length).toBe(10 * 1440);
    await expectStoredExactly(influxd, acked);
  });

  it('a spool directory that cannot be written: clear error, /readyz 503, no acknowledgement', async () => {
    const influxd = await startLocalInfluxd();
    cleanups.push(() => influxd.stop());
    const base = tempDir('ro-');
    writeFileSync(join(base, 'file'), 'not a directory');
    const registry = 'config/examples/park.yaml';
    const service = await startTestService({
      registryFile: registry,
      influx: { INFLUX_API: 'v1', INFLUX_URL: influxd.url, INFLUX_DB: DB },
      env: { SPOOL_DIR: join(base, 'file', 'spool') },
    });
    cleanups.push(() => service.stop());
    const ready = await fetch(`${service.httpUrl}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({
      status: 'not ready',
      checks: { spool: false, influxdb: true },
    });
    expect(await readMetric(service.httpUrl, 'emissions_spool_state', { state: 'failed' })).toBe(1);

    const gw = loadRegistry(registry).entries()[0]!.gateway;
    const client = await mqtt.connectAsync(service.mqttUrl, {
      username: gw.mn,
      password: gw.password,
      reconnectPeriod: 0,
    });
    cleanups.push(() => client.endAsync(true));
    let acked = false;
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    client.publish(
      `emissions/${gw.mn}/up`,
      JSON.stringify({
        st: '31',
        cn: '2011',
        dataTime: '2026-11-23T10:00:00+08:00',
        values: { a21026: { rtd: 12 } },
      }),
      { qos: 1 },
      (err) => {
        if (!err) acked = true;
      },
    );
    await closed; // refused by disconnecting: MQTT 3.1.1 has no negative PUBACK
    expect(acked).toBe(false);
    expect(
      await readMetric(service.httpUrl, 'emissions_messages_rejected_total', {
        reason: 'SPOOL_WRITE_FAILED',
      }),
    ).toBe(1);
    const rows = await influxQueryOne({ url: influxd.url, db: DB }, 'SELECT count(value) FROM emission_rtd');
    expect(rows).toEqual([]);
  });
});
