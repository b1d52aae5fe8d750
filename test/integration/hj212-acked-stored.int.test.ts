import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { simulatedMeasurements } from '../../bench/lib/measurements.js';
import { benchRegistry } from '../../bench/lib/registry.js';
import { type LocalInfluxd, startLocalInfluxd } from '../../cli/local-influxd.js';
import { loadRegistry } from '../../config/registry.js';
import { createLogger } from '../../core/logger.js';
import { influxQueryOne, seriesRows } from '../../ingest/influx-query.js';
import { MEASUREMENT_BY_KIND } from '../../ingest/points.js';
import { readReportReadings } from '../../simulator/report.js';
import { createSimulation } from '../../simulator/simulation.js';
import { startTestService } from '../support/service.js';

/**
 * The benchmark suite's zero-loss check for HJ 212 over TCP ("points stored ≥ 8 × acked") against a
 * real `serve` and influxd, over a run that crosses simulated midnights as `--speed max` runs do within
 * seconds: every acknowledged record is stored under its own (series, time), day records (2031) in
 * emission_day, so counting the measurements of every uploaded kind gives exactly 8 × acked, while the
 * former rtd/minute/hour-only count came out 8 points short per day record ("lost 1320" = 165 of them).
 */
const GATEWAYS = 3;
const VALUES = 8;
const DB = 'hj212acked';
let influxd: LocalInfluxd;
let service: Awaited<ReturnType<typeof startTestService>>;
let registryFile: string;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hj212-acked-'));
  registryFile = join(dir, 'registry.yaml');
  writeFileSync(registryFile, stringify(benchRegistry(GATEWAYS, 'hj212-tcp').simulator));
  influxd = await startLocalInfluxd();
  service = await startTestService({
    registryFile,
    influx: { INFLUX_API: 'v1', INFLUX_URL: influxd.url, INFLUX_DB: DB },
  });
});

afterAll(async () => {
  await service?.stop();
  await influxd?.stop();
});

async function countValue(measurement: string): Promise<number> {
  const rows = seriesRows(
    await influxQueryOne({ url: influxd.url, db: DB }, `SELECT count(value) FROM ${measurement}`),
  );
  return Number(rows[0]?.count ?? 0);
}

describe('HJ 212 TCP: acknowledged records vs points stored (bench zero-loss check)', () => {
  it('over 2 simulated days every acked record is stored once; all uploaded kinds count', {
    timeout: 120_000,
  }, async () => {
    const reportPath = join(mkdtempSync(join(tmpdir(), 'hj212-acked-report-')), 'report.jsonl');
    const sim = createSimulation(
      {
        brokerUrl: service.mqttUrl,
        hj212Tcp: { host: '127.0.0.1', port: service.hj212TcpPort as number },
        registry: loadRegistry(registryFile),
        intervalSec: 60,
        speed: 'max',
        start: new Date('2026-01-01T00:00:00+08:00'),
        durationSec: 2 * 86_400 + 3600,
        seed: 1,
        reportPath,
      },
      { log: createLogger({ level: 'silent' }) },
    );
    await sim.start();
    const summary = await sim.done;
    await sim.stop();
    await service.flush();

    const acked = (await readReportReadings(reportPath)).filter((r) => r.acked);
    expect(summary).toMatchObject({ connected: GATEWAYS, notAcked: 0 });
    expect(acked).toHaveLength(summary.acked);
    // Per gateway: 2940 real-time, 294 minute (10-min MinInterval), 49 hour and 2 day records.
    const byKind = (kind: string) => acked.filter((r) => r.kind === kind).length;
    expect([byKind('rtd'), byKind('minute'), byKind('hour'), byKind('day')]).toEqual(
      [2940, 294, 49, 2].map((n) => n * GATEWAYS),
    );
    // No two acked records share a (series, time): none can collapse into another in InfluxDB.
    const keys = new Set(acked.map((r) => `${r.mn}|${MEASUREMENT_BY_KIND[r.kind]}|${r.dataTime}`));
    expect(keys.size).toBe(acked.length);
    expect(acked.every((r) => Object.keys(r.values).length === VALUES)).toBe(true);

    const measurements = simulatedMeasurements('hj212-tcp');
    expect(measurements).toEqual(['emission_rtd', 'emission_minute', 'emission_hour', 'emission_day']);
    const stored: Record<string, number> = {};
    for (const m of measurements) stored[m] = await countValue(m);
    expect(stored).toEqual({
      emission_rtd: byKind('rtd') * VALUES,
      emission_minute: byKind('minute') * VALUES,
      emission_hour: byKind('hour') * VALUES,
      emission_day: byKind('day') * VALUES,
    });
    // The suite's check, exact: stored over every uploaded kind's measurement = 8 × acked.
    expect(Object.values(stored).reduce((a, b) => a + b, 0)).toBe(VALUES * summary.acked);
  });
});
