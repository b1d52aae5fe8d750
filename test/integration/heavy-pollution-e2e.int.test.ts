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
import { influxQueryOne, seriesRows } from '../../ingest/influx-query.js';
import { publishAmbient } from '../../simulator/ambient.js';
import { parseScenario } from '../../simulator/scenario.js';
import { createSimulation } from '../../simulator/simulation.js';
import { startTestService } from '../support/service.js';

/**
 * 重污染天气 end to end: ambient stations (MQTT) → AQI → observed-period proposals; a declared orange
 * warning (API) → notifications (real HTTP receiver); enterprises simulated over MQTT with scenario rules
 * (D stops, B cuts, C keeps running) → agg_hour in a real InfluxDB → hourly verification → one
 * non-compliance alarm; the report equals a recomputation from InfluxDB. Simulated time via tick(now).
 */
const H = 3_600_000;
const D = 24 * H;
const DAY0 = Date.parse('2026-01-05T00:00:00+08:00');
const WARN = DAY0 + 4 * D; // orange warning declared for day 4, 00:00–06:00
const TOKEN = 'hp-officer-token-0123456789';
const gasPollutants = [
  { code: 'a21026', unit: 'mg/m3' },
  { code: 'a21002', unit: 'mg/m3' },
  { code: 'a34013', unit: 'mg/m3' },
  { code: 'a19001', unit: '%' },
  { code: 'a00000', unit: 'm3/s' },
];
const ent = (id: string, grade: string, mn: string) => ({
  id,
  name: `${id} 企业`,
  region: '滨江区',
  grade,
  contacts: [{ name: '环保', email: `${id}@example.invalid` }],
  outlets: [
    {
      id: `${id}-o1`,
      name: '锅炉排口',
      medium: 'gas',
      sourceType: 'gas-boiler',
      gateway: { mn, password: 'pw-123456', protocol: 'json-mqtt' },
      pollutants: gasPollutants,
    },
  ],
});
const stationPollutants = [
  { code: 'a34004', unit: 'ug/m3' },
  { code: 'a34002', unit: 'ug/m3' },
  { code: 'a21026', unit: 'ug/m3' },
  { code: 'a21004', unit: 'ug/m3' },
  { code: 'a21005', unit: 'mg/m3' },
  { code: 'a05024', unit: 'ug/m3' },
];

let influxd: LocalInfluxd;
let http: HttpReceiver;
let service: RunningService;
const now = WARN + 7 * H;
let dir: string;

beforeAll(async () => {
  influxd = await startLocalInfluxd();
  http = await startHttpReceiver();
  dir = mkdtempSync(join(tmpdir(), 'hp-e2e-'));
  const registryFile = join(dir, 'registry.yaml');
  writeFileSync(
    registryFile,
    stringify({
      version: 1,
      timeZone: 'Asia/Shanghai',
      enterprises: [
        ent('ent-d', 'D', 'HPD0000001'),
        ent('ent-b', 'B', 'HPB0000001'),
        ent('ent-c', 'C', 'HPC0000001'),
      ],
      ambientStations: [
        {
          id: 'st-1',
          name: '滨江一站',
          region: '滨江区',
          gateway: { mn: 'AMB0000001', password: 'pw-123456' },
          pollutants: stationPollutants,
        },
        {
          id: 'st-2',
          name: '滨江二站',
          region: '滨江区',
          gateway: { mn: 'AMB0000002', password: 'pw-123456' },
          pollutants: stationPollutants,
        },
      ],
    }),
  );
  const configFile = join(dir, 'config.yaml');
  writeFileSync(
    configFile,
    stringify({
      alerting: {
        channels: [
          { id: 'duty', type: 'webhook', url: `${http.url}/duty` },
          { id: 'ent', type: 'webhook', url: `${http.url}/enterprise` },
        ],
        routes: [{ match: { regions: ['滨江区'] }, channels: ['duty'] }],
      },
      heavyPollution: { enterpriseChannels: ['ent'] },
    }),
  );
  service = await startTestService({
    registryFile: registryFile,
    influx: { INFLUX_API: 'v1', INFLUX_URL: influxd.url, INFLUX_DB: 'hp' },
    env: {
      EMISSIONS_CONFIG_FILE: configFile,
      SPOOL_DIR: join(dir, 'spool'),
      ALERTING_ENABLED: 'true',
      ALERTING_SCHEDULER: 'manual',
      ALERTING_STATE_DIR: join(dir, 'state'),
      ALERTING_API_TOKENS: `duty:officer:${TOKEN}`,
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

const api = (path: string, init: RequestInit = {}) =>
  fetch(`http://127.0.0.1:${service.httpPort}${path}`, {
    ...init,
    headers: {
      authorization: `Bearer ${TOKEN}`,
      'content-type': 'application/json',
      ...(init.headers ?? {}),
    },
  });
const q = async (text: string) => seriesRows(await influxQueryOne({ url: influxd.url, db: 'hp' }, text));

async function simulate(from: number, hours: number, registryFile: string) {
  const registry = loadRegistry(registryFile);
  const scenario = parseScenario(
    {
      rules: [
        // D: production stopped during the warning (flow 0, air in the stack, no emissions)
        ...['a00000', 'a21026', 'a21002', 'a34013'].map((code) => ({
          outlet: 'ent-d-o1',
          code,
          from: new Date(WARN).toISOString(),
          to: new Date(WARN + 6 * H).toISOString(),
          value: 0,
        })),
        {
          outlet: 'ent-d-o1',
          code: 'a19001',
          from: new Date(WARN).toISOString(),
          to: new Date(WARN + 6 * H).toISOString(),
          value: 20.9,
        },
        // B: half the flow, half the concentrations ⇒ a quarter of the load (≤ 80 % required)
        ...['a00000', 'a21026', 'a21002', 'a34013'].map((code) => ({
          outlet: 'ent-b-o1',
          code,
          from: new Date(WARN).toISOString(),
          to: new Date(WARN + 6 * H).toISOString(),
          multiply: 0.5,
        })),
        // C keeps running (no rule) although orange requires ≤ 50 %
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
      start: new Date(from),
      durationSec: hours * 3600,
      seed: 7,
      scenario,
    },
    { log: createLogger({ level: 'silent' }) },
  );
  await sim.start();
  const summary = await sim.done;
  await sim.stop();
  return summary;
}

/** `emissions_heavy_pollution_warnings_active` per level, as Prometheus scrapes it from serve. */
async function warningsOnMetrics(): Promise<Record<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${service.httpPort}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^emissions_heavy_pollution_warnings_active\{level="(\w+)"\} (\d+)$/gm)) {
    out[m[1] as string] = Number(m[2]);
  }
  return out;
}

describe('heavy-pollution weather end to end', () => {
  it('AQI, proposals, a declared orange warning, verification and the report', async () => {
    const registryFile = join(dir, 'registry.yaml');
    const registry = loadRegistry(registryFile);
    // Ambient: PM2.5 daily means 60, 80, 180, 220, 280 (AQI 82, 107, 230, 270, 330).
    const sent = await publishAmbient(
      `mqtt://127.0.0.1:${service.mqttPort}`,
      registry.stations(),
      { start: DAY0, pm25: [60, 80, 180, 220, 280] },
      registry.timeZone,
    );
    expect(sent).toBe(240);
    // Enterprises: baseline hours (day 3, 00–06) and the warning hours (day 4, 00–06), same time of day.
    expect((await simulate(DAY0 + 3 * D, 6, registryFile)).acked).toBe(3 * 360);
    expect((await simulate(WARN, 6, registryFile)).acked).toBe(3 * 360);
    const alerting = service.alerting!;
    const hp = service.heavyPollution!;
    alerting.tick(now);
    await alerting.flush();
    await service.flush();

    // Observed: days 2 and 3 > 200 ⇒ yellow proposed when day 3 closes (+ lateness), not earlier.
    await hp.tick(DAY0 + 3 * D);
    expect(alerting.engine.listAlarms({ rule: 'hp_observed', limit: 10, offset: 0 }).total).toBe(0);
    await hp.tick(DAY0 + 4 * D + 20 * 60_000);
    const yellow = alerting.engine.listAlarms({ rule: 'hp_observed', limit: 10, offset: 0 }).items;
    expect(yellow.map((a) => [a.pollutant, a.value, a.firstWindowStart])).toEqual([
      ['yellow', 270, DAY0 + 3 * D],
    ]);
    await http.waitFor(
      (c) => c.path === '/duty' && (c.body.alarm as { rule?: string }).rule === 'hp_observed',
    );

    // Declared orange warning: duty officers and each affected enterprise are told, in Chinese.
    const res = await api('/api/v1/warnings', {
      method: 'POST',
      body: JSON.stringify({
        region: '滨江区',
        level: 'orange',
        start: new Date(WARN).toISOString(),
        plannedEnd: new Date(WARN + 48 * H).toISOString(),
        authority: '滨江区重污染天气应急指挥部',
        docNo: '滨重污指〔2026〕3号',
      }),
    });
    expect(res.status).toBe(201);
    const warning = (await res.json()) as { id: string };
    const [duty] = await http.waitFor(
      (c) => c.path === '/duty' && (c.body.alarm as { rule?: string }).rule === 'hp_warning',
    );
    expect(String(duty!.body.textZh)).toContain('橙色预警');
    const ents = await http.waitFor((c) => c.path === '/enterprise', 3);
    const cText = ents.map((c) => String(c.body.textZh)).find((t) => t.includes('ent-c 企业'));
    expect(cText).toContain('限产：排放负荷不超过基准的 50%');
    expect((await api('/api/v1/warnings?state=active')).status).toBe(200);
    expect(await warningsOnMetrics()).toEqual({ yellow: 0, orange: 1, red: 0 });
    expect((await fetch(`http://127.0.0.1:${service.httpPort}/api/v1/warnings`)).status).toBe(401);

    // Verification of the six warning hours; the warning is then lifted at 06:00.
    await hp.tick(now);
    const patch = await api(`/api/v1/warnings/${warning.id}`, {
      method: 'PATCH',
      body: JSON.stringify({ end: new Date(WARN + 6 * H).toISOString() }),
    });
    expect(patch.status).toBe(200);
    await hp.tick(now);
    await hp.tick(DAY0 + 5 * D + 20 * 60_000);
    await hp.flush();
    expect(await warningsOnMetrics()).toEqual({ yellow: 0, orange: 0, red: 0 });
    expect(
      alerting.engine.listAlarms({ rule: 'hp_observed', pollutant: 'orange', limit: 10, offset: 0 }).total,
    ).toBe(1);

    const hpAlarms = (outlet: string) =>
      ['hp_stop', 'hp_limit', 'hp_cap'].flatMap(
        (rule) => alerting.engine.listAlarms({ outlet, rule, limit: 50, offset: 0 }).items,
      );
    expect(hpAlarms('ent-d-o1')).toEqual([]);
    expect(hpAlarms('ent-b-o1')).toEqual([]);
    const cAlarms = hpAlarms('ent-c-o1');
    expect(cAlarms).toHaveLength(1);
    const alarm = cAlarms[0]!;
    expect(alarm.rule).toBe('hp_limit');

    // Recompute from InfluxDB: baseline = mean valid load of day 3 00–06, allowed = 50 %.
    const rows = await q(
      `SELECT load_kg_h, valid, pollutant FROM agg_hour WHERE outlet = 'ent-c-o1' AND origin = 'computed' AND time >= ${DAY0 + 3 * D}ms AND time < ${WARN + 6 * H}ms`,
    );
    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    const baseline: Record<string, number> = {};
    for (const code of ['a21026', 'a21002', 'a34013']) {
      baseline[code] = mean(
        rows
          .filter((r) => r.pollutant === code && r.valid === true && Number(r.time) < WARN)
          .map((r) => Number(r.load_kg_h)),
      );
    }
    const ev = alarm.evidence?.values ?? {};
    const pol = String(ev.pollutant);
    expect(ev.baseline).toBeCloseTo(baseline[pol]!, 9);
    expect(alarm.limit).toBeCloseTo(0.5 * baseline[pol]!, 9);
    const lastHour = rows.find((r) => r.pollutant === pol && Number(r.time) === alarm.lastWindowStart);
    expect(alarm.value).toBeCloseTo(Number(lastHour?.load_kg_h), 9);

    // Report (JSON + CSV) equals the recomputation.
    const rep = (await (await api(`/api/v1/warnings/${warning.id}/report`)).json()) as {
      outlets: Array<Record<string, unknown>>;
    };
    const c = rep.outlets.find((o) => o.outlet === 'ent-c-o1') as {
      baseline: { loadKgH: Record<string, number> };
      compliantHours: number;
      evaluatedHours: number;
      hoursInWarning: number;
      alarms: { id: string }[];
    };
    for (const code of Object.keys(baseline))
      expect(c.baseline.loadKgH[code]).toBeCloseTo(baseline[code]!, 9);
    let compliant = 0;
    for (let hs = WARN; hs < WARN + 6 * H; hs += H) {
      const ok = ['a21026', 'a21002', 'a34013'].every((code) => {
        const r = rows.find((x) => x.pollutant === code && Number(x.time) === hs);
        return !r || Number(r.load_kg_h) <= 0.5 * baseline[code]!;
      });
      if (ok) compliant++;
    }
    expect(c).toMatchObject({ hoursInWarning: 6, evaluatedHours: 6, compliantHours: compliant });
    expect(c.alarms.map((a) => a.id)).toEqual([alarm.id]);
    for (const id of ['ent-d-o1', 'ent-b-o1'])
      expect(rep.outlets.find((o) => o.outlet === id)).toMatchObject({
        compliantHours: 6,
        evaluatedHours: 6,
        alarms: [],
      });
    const csv = await (await api(`/api/v1/warnings/${warning.id}/report?format=csv`)).text();
    expect(csv.split('\r\n').filter(Boolean)).toHaveLength(4);

    // Grafana data: aqi_day per station and region, warning_period transitions.
    await service.flush();
    const days = await q(`SELECT aqi, "primary" FROM aqi_day WHERE region = '滨江区' AND station = ''`);
    expect(days.map((r) => r.aqi)).toEqual([82, 107, 230, 270, 330]);
    const wp = await q(`SELECT transition, level FROM warning_period`);
    expect(wp.map((r) => r.transition).sort()).toEqual(['issued', 'lifted', 'proposed', 'proposed'].sort());
  }, 85_000);
});
