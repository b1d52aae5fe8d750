import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertingConfig } from '../../alerting/config.js';
import { type Alerting, createAlerting } from '../../alerting/index.js';
import { type HttpReceiver, rtdReading, startHttpReceiver } from '../../alerting/testing/harness.js';
import { type LocalInfluxd, startLocalInfluxd } from '../../cli/local-influxd.js';
import { parseRegistry } from '../../config/registry.js';
import { createLogger } from '../../core/logger.js';
import { createDatabase, influxQueryOne, seriesRows } from '../../ingest/influx-query.js';
import { createInfluxWriter } from '../../ingest/influx-writer.js';

/**
 * Wastewater (GB 18918-2002 1A, regulations.md §4.2–4.3): hourly mean over the limit ⇒ 预警 (warning),
 * daily mean over the limit ⇒ 超标 (exceedance); the NH3-N limit follows the water temperature (5 mg/L
 * above 12 ℃, 8 mg/L at or below). One analyser sample per hour, as wastewater points report.
 */
const H = 3_600_000;
const T0 = Date.parse('2026-11-23T00:00:00+08:00');
const DB = 'water';

function wwtp(id: string, mn: string) {
  return {
    id,
    name: `${id} 总排口`,
    medium: 'water',
    sourceType: 'municipal-wwtp',
    limitSet: 'gb18918-2002/1a',
    gateway: { mn, password: 'secret-pw' },
    pollutants: [
      { code: 'w01018', unit: 'mg/L' },
      { code: 'w21003', unit: 'mg/L' },
      { code: 'w01010', unit: '℃' },
      { code: 'w00000', unit: 'L/s' },
      { code: 'w20115', unit: 'ug/L' },
    ],
  };
}

const registry = parseRegistry({
  version: 1,
  enterprises: [
    {
      id: 'city-wwtp',
      name: '滨江市城东污水处理厂',
      region: '滨江经开区',
      outlets: [wwtp('wwtp-warm', 'WWTPWARM0001'), wwtp('wwtp-cold', 'WWTPCOLD0001')],
    },
  ],
});

let influxd: LocalInfluxd;
let http: HttpReceiver;
let alerting: Alerting;
let now = T0;

beforeAll(async () => {
  influxd = await startLocalInfluxd();
  await createDatabase(influxd.url, DB);
  http = await startHttpReceiver();
  const writer = createInfluxWriter({ api: 'v1', url: influxd.url, db: DB }, { timeoutMs: 5000 });
  alerting = createAlerting(
    alertingConfig({
      stateDir: mkdtempSync(join(tmpdir(), 'alerting-water-')),
      scheduler: 'manual',
      reminderMinutes: 0,
      channels: [{ id: 'hook', type: 'webhook', url: `${http.url}/hook` }],
      routes: [{ match: { severities: ['warning', 'exceedance'] }, channels: ['hook'] }],
    }),
    {
      registry,
      log: createLogger({ level: 'silent' }),
      clock: { now: () => now },
      writeLines: (l) => writer.write(l),
    },
  );
  await alerting.start();
});

afterAll(async () => {
  await alerting?.stop();
  await http?.close();
  await influxd?.stop();
});

describe('wastewater rules', () => {
  it('hourly mean over the limit is a warning, the daily mean over the limit an exceedance', async () => {
    for (let h = 0; h < 24; h++) {
      for (const [mn, temp] of [
        ['WWTPWARM0001', 15],
        ['WWTPCOLD0001', 10],
      ] as const) {
        const t = T0 + h * H + 5 * 60_000;
        now = Math.max(now, t);
        // COD 60 > 50 (1A); NH3-N 6: over 5 (warm water) but under 8 (cold water); Cd 4 μg/L (no limit in 1A).
        alerting.onReading(
          rtdReading(mn, t, {
            w01018: { rtd: 60 },
            w21003: { rtd: 6 },
            w01010: { rtd: temp },
            w00000: { rtd: 100 },
            w20115: { rtd: 4 },
          }),
          registry.findByMn(mn)!,
        );
      }
      // The last hour closes together with the day (both at 24:15): judge up to hour 22 here.
      if (h < 23) {
        now = T0 + (h + 1) * H + 15 * 60_000;
        alerting.tick(now);
      }
    }
    const byKey = () =>
      new Map(
        alerting.engine
          .listAlarms({ limit: 100, offset: 0 })
          .items.map((a) => [`${a.outletId}|${a.pollutant}|${a.rule}`, a]),
      );
    let alarms = byKey();
    expect(alarms.get('wwtp-warm|w01018|hourly_warning')).toMatchObject({
      severity: 'warning',
      value: 60,
      limit: 50,
      state: 'active',
    });
    expect(alarms.get('wwtp-cold|w01018|hourly_warning')).toMatchObject({ severity: 'warning' });
    expect(alarms.get('wwtp-warm|w21003|hourly_warning')).toMatchObject({
      severity: 'warning',
      value: 6,
      limit: 5,
      limitCondition: 'warm',
    });
    // 10 ℃ ≤ 12 ℃: the NH3-N limit is 8, so 6 mg/L is no warning.
    expect(alarms.has('wwtp-cold|w21003|hourly_warning')).toBe(false);
    // Hourly warnings are one episode each, not 24 alarms.
    expect(alarms.size).toBe(3);
    expect([...alarms.keys()].some((k) => k.endsWith('daily_exceedance'))).toBe(false);

    // Day close (+ lateness): the daily mean decides the exceedance.
    now = T0 + 24 * H + 15 * 60_000;
    expect(alerting.tick(now).daysJudged).toBe(2);
    alarms = byKey();
    expect(alarms.get('wwtp-warm|w01018|daily_exceedance')).toMatchObject({
      severity: 'exceedance',
      value: 60,
      limit: 50,
      basis: 'measured',
      firstWindowStart: T0,
    });
    expect(alarms.get('wwtp-warm|w21003|daily_exceedance')).toMatchObject({ value: 6, limit: 5 });
    expect(alarms.has('wwtp-cold|w21003|daily_exceedance')).toBe(false);
    const daily = await http.waitFor(
      (c) => c.body.transition === 'open' && (c.body.alarm as { rule: string }).rule === 'daily_exceedance',
      3,
    );
    expect(String(daily[0]!.body.textZh)).toContain('日均值超标');
    await alerting.flush();
    const rows = seriesRows(
      await influxQueryOne(
        { url: influxd.url, db: DB },
        `SELECT * FROM agg_day WHERE outlet = 'wwtp-warm' AND pollutant = 'w01018'`,
      ),
    );
    // 60 mg/L × 100 L/s (= 360 m³/h) = 21.6 kg/h; 24 h → 518.4 kg.
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ time: T0, valid: true, valid_hours: 24, mean: 60, limit: 50 });
    expect(rows[0]!.load_kg as number).toBeCloseTo(518.4, 6);
    const cd = seriesRows(
      await influxQueryOne(
        { url: influxd.url, db: DB },
        `SELECT * FROM agg_hour WHERE outlet = 'wwtp-warm' AND pollutant = 'w20115' LIMIT 1`,
      ),
    );
    // μg/L is kept as sent; its load is converted explicitly: 4 μg/L × 360 m³/h = 1.44 g/h.
    expect(cd[0]).toMatchObject({ unit: 'ug/L', mean: 4 });
    expect(cd[0]!.load_kg_h as number).toBeCloseTo(0.00144, 9);
  });
});
