import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { type HttpReceiver, startHttpReceiver } from '../../alerting/testing/harness.js';
import { type LocalInfluxd, startLocalInfluxd } from '../../cli/local-influxd.js';
import type { RunningService } from '../../cli/serve.js';
import { loadRegistry } from '../../config/registry.js';
import { createLogger } from '../../core/logger.js';
import { parseScenario } from '../../simulator/scenario.js';
import { createSimulation } from '../../simulator/simulation.js';
import { startTestService } from '../support/service.js';

/**
 * 特护期 (special protection period) end to end: `heavyPollution.specialPeriods` gives 特护区 a one-day
 * period with a cap of 50 % of the limit. Two identical boilers (SO2 25 mg/m³ at reference O2, limit 35:
 * compliant with the standard, above the cap) are simulated over MQTT from 22:00 the day before to 05:00;
 * the one in 特护区 gets one hp_cap episode that opens at the period's first hour (not before), carries
 * the evidence and a Chinese message naming the 特护期, and clears after two compliant hours (SO2 10).
 * The boiler in another region gets nothing. Real InfluxDB (agg_hour), simulated time via tick().
 */
const H = 3_600_000;
const DAY = Date.parse('2026-01-10T00:00:00+08:00');
const SIM_START = DAY - 2 * H;
const now = DAY + 5 * H + 25 * 60_000;
const boiler = (id: string, region: string, mn: string) => ({
  id,
  name: `${id} 企业`,
  region,
  outlets: [
    {
      id: `${id}-o1`,
      name: '1号锅炉排口',
      medium: 'gas',
      sourceType: 'gas-boiler',
      limits: [{ code: 'a21026', max: 35, unit: 'mg/m3', source: '地方标准' }],
      gateway: { mn, password: 'pw-123456', protocol: 'json-mqtt' },
      pollutants: [
        { code: 'a21026', unit: 'mg/m3' },
        { code: 'a19001', unit: '%' },
        { code: 'a00000', unit: 'm3/s' },
      ],
    },
  ],
});

let influxd: LocalInfluxd;
let http: HttpReceiver;
let service: RunningService;
let dir: string;

beforeAll(async () => {
  influxd = await startLocalInfluxd();
  http = await startHttpReceiver();
  dir = mkdtempSync(join(tmpdir(), 'hp-special-'));
  writeFileSync(
    join(dir, 'registry.yaml'),
    stringify({
      version: 1,
      timeZone: 'Asia/Shanghai',
      enterprises: [boiler('ent-in', '特护区', 'SPC0000001'), boiler('ent-out', '普通区', 'SPC0000002')],
    }),
  );
  writeFileSync(
    join(dir, 'config.yaml'),
    stringify({
      alerting: {
        channels: [{ id: 'duty', type: 'webhook', url: `${http.url}/duty` }],
        routes: [{ match: { rules: ['hp_cap'] }, channels: ['duty'] }],
      },
      heavyPollution: {
        specialPeriods: [
          { region: '特护区', from: '2026-01-10', to: '2026-01-10', capPercent: 50, name: '冬季特护期' },
        ],
      },
    }),
  );
  service = await startTestService({
    registryFile: join(dir, 'registry.yaml'),
    influx: { INFLUX_API: 'v1', INFLUX_URL: influxd.url, INFLUX_DB: 'special' },
    env: {
      EMISSIONS_CONFIG_FILE: join(dir, 'config.yaml'),
      SPOOL_DIR: join(dir, 'spool'),
      ALERTING_ENABLED: 'true',
      ALERTING_SCHEDULER: 'manual',
      ALERTING_STATE_DIR: join(dir, 'state'),
      ALERTING_REMINDER_MINUTES: '0',
      HEAVY_POLLUTION_ENABLED: 'true',
    },
    clock: { now: () => now },
  });
}, 60_000);

afterAll(async () => {
  await service?.stop();
  await http?.close();
  await influxd?.stop();
});

describe('特护期 special protection periods', () => {
  it('judges the region’s outlets against the stricter cap during the period only', async () => {
    const registry = loadRegistry(join(dir, 'registry.yaml'));
    const iso = (t: number) => new Date(t).toISOString();
    const scenario = parseScenario(
      {
        rules: [
          { code: 'a19001', from: iso(SIM_START), to: iso(DAY + 5 * H), value: 3.5 },
          { code: 'a21026', from: iso(SIM_START), to: iso(DAY + 3 * H), value: 25 },
          { code: 'a21026', from: iso(DAY + 3 * H), to: iso(DAY + 5 * H), value: 10 },
        ],
      },
      { timeZone: registry.timeZone, registry },
    );
    const sim = createSimulation(
      {
        brokerUrl: `mqtt://127.0.0.1:${service.mqttPort}`,
        registry,
        intervalSec: 60,
        speed: 'max',
        start: new Date(SIM_START),
        durationSec: 7 * 3600,
        seed: 11,
        scenario,
      },
      { log: createLogger({ level: 'silent' }) },
    );
    await sim.start();
    expect((await sim.done).acked).toBe(2 * 7 * 60);
    await sim.stop();
    const alerting = service.alerting!;
    const hp = service.heavyPollution!;
    alerting.tick(now);
    await alerting.flush();
    await service.flush();
    // The standard's limit (35) is met: no ordinary alarm.
    expect(alerting.engine.listAlarms({ rule: 'hourly_zs_exceedance', limit: 10, offset: 0 }).total).toBe(0);

    await hp.tick(now);
    await hp.flush();
    const caps = alerting.engine.listAlarms({ rule: 'hp_cap', limit: 10, offset: 0 }).items;
    expect(caps).toHaveLength(1);
    const alarm = caps[0]!;
    expect(alarm).toMatchObject({
      outletId: 'ent-in-o1',
      severity: 'exceedance',
      firstWindowStart: DAY, // 22:00 and 23:00 of the day before are outside the period
      state: 'cleared', // 03:00 and 04:00 comply
      lastWindowStart: DAY + 2 * H,
    });
    expect(alarm.value).toBeCloseTo(25, 6);
    expect(alarm.limit).toBeCloseTo(17.5, 6);
    expect(alarm.evidence?.textZh).toContain('特护期「冬季特护期」');
    expect(alarm.evidence?.textZh).toContain('限值的 50%');
    expect(alarm.evidence?.values).toMatchObject({ period: '冬季特护期', pollutant: 'a21026' });
    const [open] = await http.waitFor(
      (c) => c.path === '/duty' && (c.body.alarm as { id?: string }).id === alarm.id,
    );
    expect(String(open!.body.textZh)).toContain('特护期');
    const transitions = alerting.engine.events(alarm.id).map((e) => e.transition);
    expect(transitions.filter((t) => t !== 'update')).toEqual(['open', 'clear']); // update: 01:00, 02:00

    // Idempotent: a later tick re-verifies nothing and opens nothing new.
    await hp.tick(now);
    expect(alerting.engine.listAlarms({ rule: 'hp_cap', limit: 10, offset: 0 }).total).toBe(1);
  }, 60_000);
});
