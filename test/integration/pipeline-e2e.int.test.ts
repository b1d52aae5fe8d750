import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { type LocalInfluxd, startLocalInfluxd } from '../../cli/local-influxd.js';
import { loadRegistry } from '../../config/registry.js';
import { createLogger } from '../../core/logger.js';
import { influxQueryOne, seriesRows } from '../../ingest/influx-query.js';
import { generateRegistry } from '../../simulator/generate-registry.js';
import { readReportReadings } from '../../simulator/report.js';
import { createSimulation } from '../../simulator/simulation.js';
import { readMetric, startTestService } from '../support/service.js';

/**
 * The pipeline end to end: 24 simulated gateways over 60 simulated minutes → embedded broker →
 * InfluxDB 1.6.7; everything read back and compared with the simulator's ground truth, value by value.
 */
const GATEWAYS = 24;
const DB = 'e2e';
let influxd: LocalInfluxd;
let service: Awaited<ReturnType<typeof startTestService>>;
let registryFile: string;
let reportPath: string;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'e2e-'));
  registryFile = join(dir, 'registry.yaml');
  reportPath = join(dir, 'report.jsonl');
  writeFileSync(registryFile, stringify(generateRegistry({ gateways: GATEWAYS, seed: 3 })));
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

describe('gateways → MQTT → InfluxDB', () => {
  it('stores exactly what the simulator had acknowledged, value by value', async () => {
    const registry = loadRegistry(registryFile);
    const sim = createSimulation(
      {
        brokerUrl: service.mqttUrl,
        registry,
        intervalSec: 60,
        speed: 3600,
        start: new Date('2026-11-23T00:00:00+08:00'),
        durationSec: 3600,
        seed: 11,
        reportPath,
      },
      { log: createLogger({ level: 'silent' }) },
    );
    await sim.start();
    const summary = await sim.done;
    await sim.stop();
    await service.flush();

    const readings = await readReportReadings(reportPath);
    expect(readings).toHaveLength(GATEWAYS * 60);
    expect(readings.every((r) => r.acked)).toBe(true);
    expect(summary).toMatchObject({
      gateways: GATEWAYS,
      connected: GATEWAYS,
      failedConnections: 0,
      generated: GATEWAYS * 60,
      acked: GATEWAYS * 60,
      notAcked: 0,
    });

    const expected = new Map<
      string,
      { value: number; flag: string; mn: string; outlet: string; enterprise: string }
    >();
    for (const r of readings) {
      for (const [code, v] of Object.entries(r.values)) {
        expected.set(`${r.mn}|${code}|${Date.parse(r.dataTime)}`, {
          value: v.rtd as number,
          flag: v.flag,
          mn: r.mn,
          outlet: r.outlet,
          enterprise: r.enterprise,
        });
      }
    }

    const rows = seriesRows(await influxQueryOne({ url: influxd.url, db: DB }, 'SELECT * FROM emission_rtd'));
    expect(rows).toHaveLength(expected.size);
    for (const row of rows) {
      const key = `${row.mn}|${row.pollutant}|${row.time}`;
      const want = expected.get(key);
      expect(want, key).toBeDefined();
      const site = registry.findByMn(String(row.mn))!;
      expect({
        value: row.value,
        flag: row.flag,
        outlet: row.outlet,
        enterprise: row.enterprise,
        enterprise_name: row.enterprise_name,
        outlet_name: row.outlet_name,
        medium: row.medium,
        region: row.region,
      }).toEqual({
        value: want!.value,
        flag: want!.flag,
        outlet: want!.outlet,
        enterprise: want!.enterprise,
        enterprise_name: site.enterprise.name,
        outlet_name: site.outlet.name,
        medium: site.outlet.medium,
        region: site.enterprise.region,
      });
    }
    expect(
      await readMetric(service.httpUrl, 'emissions_messages_accepted_total', { transport: 'mqtt' }),
    ).toBe(GATEWAYS * 60);
    expect(await readMetric(service.httpUrl, 'emissions_points_written_total')).toBeGreaterThanOrEqual(
      expected.size,
    );
  });

  it('stores a retransmitted reading once', async () => {
    const before = seriesRows(
      await influxQueryOne({ url: influxd.url, db: DB }, 'SELECT count(value) FROM emission_rtd'),
    );
    const registry = loadRegistry(registryFile);
    // Same seed, same start: every gateway re-sends the first 5 readings it sent before.
    const sim = createSimulation(
      {
        brokerUrl: service.mqttUrl,
        registry,
        intervalSec: 60,
        speed: 'max',
        start: new Date('2026-11-23T00:00:00+08:00'),
        durationSec: 300,
        seed: 11,
      },
      { log: createLogger({ level: 'silent' }) },
    );
    await sim.start();
    await sim.done;
    await sim.stop();
    await service.flush();
    const after = seriesRows(
      await influxQueryOne({ url: influxd.url, db: DB }, 'SELECT count(value) FROM emission_rtd'),
    );
    expect(after[0]?.count).toBe(before[0]?.count);
  });

  it('reports ready with InfluxDB reachable, the broker listening and the spool writable', async () => {
    const res = await fetch(`${service.httpUrl}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      status: 'ready',
      stopping: false,
      checks: { influxdb: true, mqtt: true, spool: true },
    });
    expect((await fetch(`${service.httpUrl}/healthz`)).status).toBe(200);
  });
});
