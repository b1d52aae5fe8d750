import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRegistry } from '../../config/registry.js';
import { readMetric, startTestService } from '../support/service.js';
import { type LocalVictoriaMetrics, startVictoriaMetrics } from '../support/victoria-metrics.js';

/**
 * `serve` configured for the v2 write API (InfluxDB 1.8+/2.x/3.x), against Debian victoria-metrics,
 * which accepts line protocol on /api/v2/write: readings published over MQTT are accepted and counted.
 */
const REGISTRY = 'config/examples/park.yaml';
let vm: LocalVictoriaMetrics;
let service: Awaited<ReturnType<typeof startTestService>>;

beforeAll(async () => {
  vm = await startVictoriaMetrics();
  service = await startTestService({
    registryFile: REGISTRY,
    influx: {
      INFLUX_API: 'v2',
      INFLUX_URL: vm.url,
      INFLUX_ORG: 'centre',
      INFLUX_BUCKET: 'emissions',
      INFLUX_TOKEN: 'test-token',
    },
  });
});

afterAll(async () => {
  await service?.stop();
  await vm?.stop();
});

describe('v2 write path', () => {
  it('stores every point of the published readings through /api/v2/write', async () => {
    const registry = loadRegistry(REGISTRY);
    const gateways = registry.entries().slice(0, 4);
    const READINGS = 50;
    for (const { gateway, outlet } of gateways) {
      const client = await mqtt.connectAsync(service.mqttUrl, {
        username: gateway.mn,
        password: gateway.password,
      });
      for (let i = 0; i < READINGS; i++) {
        const values = Object.fromEntries(
          outlet.pollutants.map((p, k) => [p.code, { rtd: i + k / 10, flag: 'N' }]),
        );
        const dataTime = new Date(Date.parse('2026-11-23T00:00:00+08:00') + i * 60_000).toISOString();
        await client.publishAsync(
          `emissions/${gateway.mn}/up`,
          JSON.stringify({ st: outlet.medium === 'gas' ? '31' : '32', cn: '2011', dataTime, values }),
          { qos: 1 },
        );
      }
      await client.endAsync();
    }
    await service.flush();
    const expected = gateways.reduce((n, g) => n + g.outlet.pollutants.length * READINGS, 0);
    expect(await vm.countSamples('{__name__="emission_rtd_value"}')).toBe(expected);
    expect(await readMetric(service.httpUrl, 'emissions_points_written_total')).toBeGreaterThanOrEqual(
      expected,
    );
    const ready = await fetch(`${service.httpUrl}/readyz`);
    expect(ready.status).toBe(200);
  });
});
