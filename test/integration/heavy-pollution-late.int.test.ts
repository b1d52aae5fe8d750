import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createAuthenticator } from '../../alerting/api/auth.js';
import { alertingConfig } from '../../alerting/config.js';
import { HeavyPollutionConfig } from '../../alerting/heavy-pollution/config.js';
import { createHeavyPollution } from '../../alerting/heavy-pollution/service.js';
import { createAlerting } from '../../alerting/index.js';
import { rtdReading } from '../../alerting/testing/harness.js';
import { parseRegistry } from '../../config/registry.js';
import { createLogger } from '../../core/logger.js';

/**
 * Late ambient data (simulated time): a station hour that has closed is recomputed when data for it
 * arrives within ALERTING_REOPEN_HOURS — station and regional aqi_hour, the affected days' aqi_day, and
 * the observed-period proposal, which is withdrawn when the corrected days no longer meet the level.
 * Data older than the horizon is not aggregated.
 */
const H = 3_600_000;
const D = 24 * H;
const DAY0 = Date.parse('2026-01-05T00:00:00+08:00');
const REGION = '晚到区';
const MN = 'AMBLATE000001';
const registry = parseRegistry({
  version: 1,
  timeZone: 'Asia/Shanghai',
  enterprises: [
    {
      id: 'late-co',
      name: '晚到企业',
      region: REGION,
      outlets: [
        {
          id: 'late-co-o1',
          name: '排口',
          medium: 'gas',
          sourceType: 'gas-boiler',
          gateway: { mn: 'LATECO000001', password: 'pw-123456' },
          pollutants: [{ code: 'a21026', unit: 'mg/m3' }],
        },
      ],
    },
  ],
  ambientStations: [
    {
      id: 'st-late',
      name: '晚到一站',
      region: REGION,
      gateway: { mn: MN, password: 'pw-123456' },
      pollutants: [{ code: 'a34004', unit: 'ug/m3' }],
    },
  ],
});

const lines: string[] = [];
const stops: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const s of stops) await s();
});

/** aqi of the regional (no station tag) or station rows of `measurement` at `t`, newest last. */
function aqiRows(measurement: string, t: number, station?: string): number[] {
  return lines
    .filter(
      (l) =>
        l.startsWith(`${measurement},`) &&
        l.endsWith(` ${t}`) &&
        (station === undefined ? !l.includes('station=') : l.includes(`station=${station}`)),
    )
    .map((l) => Number(/ aqi=(\d+)i/.exec(l)?.[1]));
}

describe('late ambient data', () => {
  it('re-closes the hour and its days and corrects (withdraws) the observed-period proposal', async () => {
    let now = DAY0;
    const config = alertingConfig({
      stateDir: mkdtempSync(join(tmpdir(), 'hp-late-')),
      scheduler: 'manual',
      reminderMinutes: 0,
      reopenHours: 24,
    });
    const log = createLogger({ level: 'silent' });
    const alerting = createAlerting(config, { registry, log, clock: { now: () => now } });
    await alerting.start();
    const hp = createHeavyPollution({
      config: HeavyPollutionConfig.parse({}),
      alerting: config,
      registry,
      engine: alerting.engine,
      outbox: alerting.outbox,
      auth: createAuthenticator([]),
      influx: { url: 'http://127.0.0.1:9', timeoutMs: 500 },
      writeLines: async (l) => {
        lines.push(...l);
      },
      log,
      now: () => now,
    });
    hp.start();
    stops.push(
      () => hp.stop(1000),
      () => alerting.stop(1000),
    );
    const site = registry.findByMn(MN)!;
    const pm25 = (t: number, v: number) => hp.onReading(rtdReading(MN, t, { a34004: { rtd: v } }), site);

    // Two days of PM2.5 200 μg/m³ (IAQI 250): yellow is observed after the second day closes.
    for (let h = 0; h < 48; h++) {
      now = DAY0 + h * H + 30 * 60_000;
      pm25(now, 200);
    }
    now = DAY0 + 2 * D + 20 * 60_000;
    expect(await hp.tick(now)).toMatchObject({ hours: 48, days: 2 });
    await hp.flush();
    expect(aqiRows('aqi_day', DAY0 + D)).toEqual([250]);
    const [proposal] = alerting.engine.listAlarms({ rule: 'hp_observed', limit: 10, offset: 0 }).items;
    expect(proposal).toMatchObject({ state: 'active', pollutant: 'yellow', windows: [DAY0 + D] });

    // Late data: three samples of 0 per hour of day 1 (within the 24-h horizon: the hour's mean becomes
    // 50) and of day 0's last hour (outside it: dropped).
    now += 10 * 60_000;
    for (let h = 24; h < 48; h++) for (const m of [10, 20, 40]) pm25(DAY0 + h * H + m * 60_000, 0);
    for (const m of [10, 20, 40]) pm25(DAY0 + 23 * H + m * 60_000, 0);
    const r = await hp.tick(now);
    await hp.flush();
    expect(r.hours).toBe(24); // 24 closed hours recomputed, nothing new closed
    expect(r.days).toBe(1); // day 1 re-closed; day 0 untouched
    expect(aqiRows('aqi_day', DAY0 + D)).toEqual([250, 69]); // IAQI of 50 μg/m³: 35→50, 75→100
    expect(aqiRows('aqi_day', DAY0)).toEqual([250]);
    expect(aqiRows('aqi_hour', DAY0 + 47 * H, 'st-late')).toHaveLength(2); // station hour recomputed
    expect(aqiRows('aqi_hour', DAY0 + 47 * H)).toHaveLength(2); // and the region's
    expect(alerting.engine.getAlarm(proposal!.id)).toMatchObject({
      state: 'cleared',
      clearReason: 'corrected',
    });
    expect(alerting.engine.events(proposal!.id).map((e) => e.transition)).toEqual(['open', 'correct']);

    // Nothing late any more: the next tick recomputes nothing.
    now += H;
    expect(await hp.tick(now)).toMatchObject({ hours: 0, days: 0 });
  });
});
