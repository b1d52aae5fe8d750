import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { appendFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertingConfig } from '../../alerting/config.js';
import { type Alerting, createAlerting } from '../../alerting/index.js';
import { JOURNAL_FILE } from '../../alerting/store/journal.js';
import { type HttpReceiver, rtdReading, startHttpReceiver } from '../../alerting/testing/harness.js';
import { type LocalInfluxd, startLocalInfluxd } from '../../cli/local-influxd.js';
import { parseRegistry } from '../../config/registry.js';
import { createLogger } from '../../core/logger.js';
import { createDatabase, influxQueryOne, seriesRows } from '../../ingest/influx-query.js';
import { createInfluxWriter } from '../../ingest/influx-writer.js';
import { boilerRegistryDoc } from '../support/boiler-registry.js';

/**
 * Durability and late data. A child process opens an alarm and is killed with SIGKILL mid-episode; a
 * new engine rebuilt from the journal keeps the same alarm id and does not notify it again. Late data
 * re-opens a judged hour and corrects the alarm (opens one, or withdraws one).
 */
const H = 3_600_000;
const T0 = Date.parse('2026-11-23T00:00:00+08:00');
const MN = 'RESTARTBOILER1';
const LATE_MN = 'LATEBOILER0001';
const registryDoc = boilerRegistryDoc(
  { id: 'restart-co', name: '重启测试企业', region: '测试区' },
  [MN, LATE_MN].map((mn) => ({ id: mn.toLowerCase(), name: `${mn} 排气筒`, mn })),
);
const registry = parseRegistry(registryDoc);

let http: HttpReceiver;
let influxd: LocalInfluxd;
const engines: Alerting[] = [];

beforeAll(async () => {
  http = await startHttpReceiver();
  influxd = await startLocalInfluxd();
  await createDatabase(influxd.url, 'late');
});

afterAll(async () => {
  for (const e of engines) await e.stop();
  await http?.close();
  await influxd?.stop();
});

function engine(
  stateDir: string,
  clock: { now(): number },
  writeLines?: (l: readonly string[]) => Promise<void>,
): Alerting {
  const deps: Parameters<typeof createAlerting>[1] = {
    registry,
    log: createLogger({ level: 'silent' }),
    clock,
  };
  if (writeLines) deps.writeLines = writeLines;
  const a = createAlerting(
    alertingConfig({
      stateDir,
      scheduler: 'manual',
      reminderMinutes: 0,
      channels: [{ id: 'hook', type: 'webhook', url: `${http.url}/hook` }],
      routes: [{ channels: ['hook'] }],
    }),
    deps,
  );
  engines.push(a);
  return a;
}

function feed(a: Alerting, mn: string, from: number, minutes: number, so2: number, clock: { t: number }) {
  const site = registry.findByMn(mn)!;
  for (let m = 0; m < minutes; m++) {
    const t = from + m * 60_000;
    clock.t = Math.max(clock.t, t);
    a.onReading(rtdReading(mn, t, { a21026: { rtd: so2 }, a19001: { rtd: 9 } }), site);
  }
}

describe('restart in the middle of an episode', () => {
  it('after kill -9 the rebuilt engine keeps the alarm id and does not notify again', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'alerting-restart-'));
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'alerting/testing/restart-child.ts',
        JSON.stringify({ stateDir, registry: registryDoc, hookUrl: `${http.url}/hook`, t0: T0, mn: MN }),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.setEncoding('utf8');
    const opened = new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk: string) => {
        out += chunk;
        const m = /opened (\S+)\n/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.once('exit', (code) => reject(new Error(`child exited early (${code}): ${out}`)));
    });
    const id = await opened;
    await http.waitFor((c) => c.path === '/hook');
    child.kill('SIGKILL');
    await once(child, 'exit');
    // A crash mid-write leaves a torn last line: the journal must survive it.
    appendFileSync(join(stateDir, JOURNAL_FILE), '{"k":"a","e":{"seq":99');

    const clock = { t: T0 + 75 * 60_000 };
    const a = engine(stateDir, { now: () => clock.t });
    await a.start();
    expect(a.engine.getAlarm(id)).toMatchObject({ state: 'active', outletId: MN.toLowerCase(), value: 60 });
    // The exceedance goes on: same episode, no second notification.
    feed(a, MN, T0 + H, 60, 60, clock);
    clock.t = T0 + 2 * H + 15 * 60_000;
    a.tick(clock.t);
    await a.flush();
    expect(a.engine.listAlarms({ limit: 10, offset: 0 }).total).toBe(1);
    expect(http.requests.filter((c) => c.path === '/hook')).toHaveLength(1);
    // Recovery clears the same alarm id.
    feed(a, MN, T0 + 2 * H, 60, 5, clock);
    feed(a, MN, T0 + 3 * H, 60, 5, clock);
    clock.t = T0 + 4 * H + 15 * 60_000;
    a.tick(clock.t);
    const hooks = await http.waitFor((c) => c.path === '/hook', 2);
    expect(hooks[1]!.body).toMatchObject({ transition: 'clear', alarm: { id } });
    expect(a.engine.events(id).map((e) => e.transition)).toEqual(['open', 'update', 'update', 'clear']);
  });
});

describe('late data', () => {
  it('re-judges a window: an hour not judged (40 minutes) becomes an exceedance, then is withdrawn', async () => {
    http.requests.length = 0;
    const clock = { t: T0 };
    const writer = createInfluxWriter({ api: 'v1', url: influxd.url, db: 'late' }, { timeoutMs: 5000 });
    const a = engine(mkdtempSync(join(tmpdir(), 'alerting-late-')), { now: () => clock.t }, (l) =>
      writer.write(l),
    );
    await a.start();
    feed(a, LATE_MN, T0, 40, 60, clock);
    clock.t = T0 + H + 15 * 60_000;
    expect(a.tick(clock.t).hoursJudged).toBe(1);
    expect(a.engine.listAlarms({ limit: 10, offset: 0 }).total).toBe(0); // 40 valid minutes: not judged

    // The missing 20 minutes arrive 30 minutes late: the hour is re-opened and re-judged.
    const site = registry.findByMn(LATE_MN)!;
    for (let m = 40; m < 60; m++)
      a.onReading(rtdReading(LATE_MN, T0 + m * 60_000, { a21026: { rtd: 60 }, a19001: { rtd: 9 } }), site);
    clock.t += 60_000;
    expect(a.tick(clock.t).hoursJudged).toBe(1);
    const [alarm] = a.engine.listAlarms({ limit: 10, offset: 0 }).items;
    expect(alarm).toMatchObject({ state: 'active', firstWindowStart: T0 });
    await http.waitFor((c) => c.path === '/hook' && c.body.transition === 'open');

    // A corrected upload (device re-sends the hour's values) brings the hour below the limit.
    for (let m = 0; m < 60; m++)
      a.onReading(rtdReading(LATE_MN, T0 + m * 60_000, { a21026: { rtd: 0 }, a19001: { rtd: 9 } }), site);
    clock.t += 60_000;
    a.tick(clock.t);
    // Mean of the minute means is now (60 + 0) / 2 = 30 < 35: the only exceeding window is gone.
    expect(a.engine.getAlarm(alarm!.id)).toMatchObject({ state: 'cleared', clearReason: 'corrected' });
    const [withdrawn] = await http.waitFor((c) => c.path === '/hook' && c.body.transition === 'correct');
    expect(String(withdrawn!.body.textZh)).toContain('撤销');
    await a.flush();
    const rows = seriesRows(
      await influxQueryOne(
        { url: influxd.url, db: 'late' },
        `SELECT * FROM agg_hour WHERE pollutant = 'a21026'`,
      ),
    );
    // One row per hour: re-judging overwrites the same point.
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ valid: true, valid_minutes: 60, mean: 30 });
    const events = seriesRows(
      await influxQueryOne({ url: influxd.url, db: 'late' }, `SELECT transition, state FROM alarm_event`),
    );
    expect(events.map((e) => e.transition)).toEqual(['open', 'correct']);
  });
});
