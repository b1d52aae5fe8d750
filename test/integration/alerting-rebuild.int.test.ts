import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertingConfig } from '../../alerting/config.js';
import { type Alerting, createAlerting } from '../../alerting/index.js';
import { rtdReading } from '../../alerting/testing/harness.js';
import { type LocalInfluxd, startLocalInfluxd } from '../../cli/local-influxd.js';
import { parseRegistry } from '../../config/registry.js';
import { createLogger } from '../../core/logger.js';
import { createDatabase } from '../../ingest/influx-query.js';
import { createInfluxWriter } from '../../ingest/influx-writer.js';
import { toLineProtocol } from '../../ingest/line-protocol.js';
import { readingToPoints } from '../../ingest/points.js';
import { boilerRegistryDoc } from '../support/boiler-registry.js';

/**
 * Open windows after a restart: 40 minutes of an hour are folded in, the engine is replaced by a new
 * instance on the same journal and InfluxDB, the remaining 20 minutes arrive; the hour is judged with
 * 60 valid minutes and the alarm opens exactly once. With InfluxDB unreachable the window is restored
 * partially, not judged while the background retry is pending, and judged after the retry gave up.
 */
const H = 3_600_000;
const T0 = Date.parse('2026-11-23T10:00:00+08:00');
const MN = 'REBUILDBOILER1';
const registry = parseRegistry(
  boilerRegistryDoc({ id: 'rebuild-co', name: '重建测试企业', region: '测试区' }, [
    { id: 'rebuild-o1', name: '1号锅炉', mn: MN },
  ]),
);
const site = registry.findByMn(MN)!;

let influxd: LocalInfluxd;
const running: Alerting[] = [];
beforeAll(async () => {
  influxd = await startLocalInfluxd();
  await createDatabase(influxd.url, 'rebuild');
});
afterAll(async () => {
  for (const a of running) await a.stop(1000);
  await influxd?.stop();
});

function engine(stateDir: string, clock: { t: number }, influxUrl: string, lines: string[]) {
  const a = createAlerting(alertingConfig({ stateDir, scheduler: 'manual', reminderMinutes: 0 }), {
    registry,
    log: createLogger({ level: 'silent' }),
    clock: { now: () => clock.t },
    influx: { url: influxUrl, db: 'rebuild', timeoutMs: 2000 },
    rebuildRetry: { attempts: 1, initialMs: 50 },
    writeLines: async (l) => {
      lines.push(...l);
    },
  });
  running.push(a);
  return a;
}

describe('open windows after a restart', () => {
  it('are rebuilt from InfluxDB: 40 + 20 minutes judge one valid hour, the alarm opens once', async () => {
    const writer = createInfluxWriter({ api: 'v1', url: influxd.url, db: 'rebuild' }, { timeoutMs: 5000 });
    const stateDir = mkdtempSync(join(tmpdir(), 'alerting-rebuild-'));
    const clock = { t: T0 };
    const lines: string[] = [];
    const feed = (a: Alerting, from: number, to: number) => {
      const stored: string[] = [];
      for (let m = from; m < to; m++) {
        clock.t = T0 + m * 60_000;
        const r = rtdReading(MN, clock.t, { a21026: { rtd: 60 }, a19001: { rtd: 9 } });
        a.onReading(r, site);
        for (const p of readingToPoints(r, site)) stored.push(toLineProtocol(p));
      }
      return writer.write(stored); // what the ingest writes to emission_rtd
    };
    const first = engine(stateDir, clock, influxd.url, lines);
    await first.start();
    await feed(first, 0, 40);
    await first.stop(1000);

    const second = engine(stateDir, clock, influxd.url, lines);
    await second.start();
    await feed(second, 40, 60);
    clock.t = T0 + H + 15 * 60_000;
    expect(second.tick(clock.t).hoursJudged).toBe(1);
    await second.flush();
    const alarms = second.engine.listAlarms({ limit: 10, offset: 0 });
    expect(alarms.total).toBe(1);
    expect(alarms.items[0]).toMatchObject({ state: 'active', firstWindowStart: T0, value: 60 });
    expect(second.engine.events(alarms.items[0]!.id).map((e) => e.transition)).toEqual(['open']);
    const agg = lines.filter((l) => l.startsWith('agg_hour,') && l.includes('pollutant=a21026'));
    expect(agg).toHaveLength(1);
    expect(agg[0]).toContain('valid_minutes=60i');
    await second.stop(1000);

    // A third instance after the hour was judged: nothing is judged or opened again.
    const third = engine(stateDir, clock, influxd.url, lines);
    await third.start();
    clock.t += 60_000;
    expect(third.tick(clock.t).hoursJudged).toBe(0);
    expect(third.engine.listAlarms({ limit: 10, offset: 0 }).total).toBe(1);
    expect(third.engine.events(alarms.items[0]!.id).map((e) => e.transition)).toEqual(['open']);
  });

  it('InfluxDB unreachable: restored partially, held while retrying, judged after giving up', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'alerting-rebuild-down-'));
    const clock = { t: T0 + 2 * H + 40 * 60_000 };
    const lines: string[] = [];
    const a = engine(stateDir, clock, 'http://127.0.0.1:9', lines);
    await a.start(); // does not fail: logs ALR_REBUILD_PARTIAL, retries once in the background
    for (let m = 40; m < 60; m++) {
      clock.t = T0 + 2 * H + m * 60_000;
      a.onReading(rtdReading(MN, clock.t, { a21026: { rtd: 60 }, a19001: { rtd: 9 } }), site);
    }
    clock.t = T0 + 3 * H + 15 * 60_000;
    expect(a.engine.holdPartial).toBe(true);
    expect(a.tick(clock.t).hoursJudged).toBe(0); // partial window held while the retry is pending
    await a.rebuilt();
    expect(a.engine.holdPartial).toBe(false);
    expect(a.tick(clock.t).hoursJudged).toBe(1); // judged with what arrived (20 minutes: invalid)
    expect(a.engine.listAlarms({ limit: 10, offset: 0 }).total).toBe(0);
  });
});
