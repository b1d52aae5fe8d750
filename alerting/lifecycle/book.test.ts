import { describe, expect, it } from 'vitest';
import type { HourAggregate } from '../aggregate/aggregate.js';
import { type JudgeSettings, judgeHour } from '../rules/judge.js';
import type { ResolvedLimit } from '../standards/resolve.js';
import { createAlarmBook } from './book.js';

const H = 3_600_000;
const site = { enterpriseId: 'e', region: 'r', mn: 'MN' };
const limit: ResolvedLimit = {
  code: 'a21026',
  max: 35,
  unit: 'mg/m3',
  limitUnit: 'mg/m3',
  factor: 1,
  averaging: 'hour',
  source: { standard: 'X', nameZh: 'X', nameEn: 'X', clause: 'c', confidence: 'V', override: false },
};
const ph: ResolvedLimit = { ...limit, code: 'w01001', min: 6, max: 9, unit: '无量纲', averaging: 'day' };

function agg(i: number, zs: number | undefined, valid = true): HourAggregate {
  const a: HourAggregate = {
    code: 'a21026',
    start: i * H,
    end: (i + 1) * H,
    origin: 'computed',
    valid,
    zsValid: valid,
    overRange: false,
    invalidFlags: {},
    validMinutes: valid ? 60 : 30,
  };
  if (zs !== undefined) {
    a.zsMean = zs;
    a.mean = zs;
  }
  return a;
}

function setup(settings: Partial<JudgeSettings> = {}) {
  let n = 0;
  const book = createAlarmBook({ newId: () => `A${++n}`, clearWindows: () => 2 });
  const s: JudgeSettings = { earlyWarning: { enabled: false, share: 0.8 }, clearShare: 0.9, ...settings };
  const judge = (i: number, zs: number | undefined, valid = true) =>
    book.apply(judgeHour('o', 'gas', agg(i, zs, valid), limit, 9, undefined, s)!, site, i * H + H);
  return { book, judge };
}

describe('alarm lifecycle', () => {
  it('one episode while exceeding; clears after 2 consecutive valid windows below 90 %', () => {
    const { book, judge } = setup();
    expect(judge(0, 60).map((c) => c.event.transition)).toEqual(['open']);
    expect(judge(1, 70).map((c) => [c.event.transition, c.notify])).toEqual([['update', false]]);
    expect(judge(2, 33).map((c) => c.alarm.belowCount)).toEqual([0]); // 33 ≥ 31.5: not clearly below
    expect(judge(3, 30, false)).toEqual([]); // invalid window: neither counts nor resets
    expect(judge(4, 30)[0]!.alarm.belowCount).toBe(1);
    const cleared = judge(5, 20);
    expect(cleared.map((c) => [c.event.transition, c.notify, c.alarm.state, c.alarm.clearReason])).toEqual([
      ['clear', true, 'cleared', 'recovered'],
    ]);
    expect(book.alarms.get('A1')).toMatchObject({ peakValue: 70, windows: [0, H] });
    // A new exceedance after the clear is a new episode with a new id.
    expect(judge(6, 50)[0]).toMatchObject({ event: { transition: 'open' }, alarm: { id: 'A2' } });
  });

  it('the same window judged twice (duplicate input) does not open a second alarm', () => {
    const { book, judge } = setup();
    judge(0, 60);
    expect(judge(0, 60)).toEqual([]);
    expect(judge(0, 61).map((c) => c.event.transition)).toEqual(['correct']);
    expect(book.alarms.size).toBe(1);
  });

  it('severity rises within an episode: early warning → exceedance keeps the id', () => {
    const { judge } = setup({ earlyWarning: { enabled: true, share: 0.8 } });
    expect(judge(0, 30)[0]).toMatchObject({
      event: { transition: 'open' },
      alarm: { id: 'A1', severity: 'early_warning' },
    });
    expect(judge(1, 40)[0]).toMatchObject({
      event: { transition: 'escalate' },
      notify: true,
      alarm: { id: 'A1', severity: 'exceedance' },
    });
    expect(judge(2, 29)[0]!.alarm.severity).toBe('exceedance'); // never falls
  });

  it('ack, comment and manual clear record the actor; invalid operations are refused', () => {
    const { book, judge } = setup();
    judge(0, 60);
    expect(book.ack('A1', '李四', 100, '已通知')).toMatchObject({
      ok: true,
      change: {
        alarm: { state: 'acknowledged', ackedBy: '李四', ackedAt: 100 },
        event: { comment: '已通知' },
      },
    });
    expect(book.ack('A1', '李四', 101)).toMatchObject({ ok: false, code: 'ALR_STATE_CONFLICT' });
    expect(book.comment('A1', '王五', '检修', 102)).toMatchObject({
      ok: true,
      change: { event: { transition: 'comment', actor: '王五' } },
    });
    expect(book.clear('A1', 'admin', 103)).toMatchObject({
      ok: true,
      change: { alarm: { state: 'cleared', clearReason: 'manual', clearedBy: 'admin' }, notify: true },
    });
    expect(book.clear('A1', 'admin', 104)).toMatchObject({ ok: false, code: 'ALR_STATE_CONFLICT' });
    expect(book.ack('nope', 'x', 1)).toMatchObject({ ok: false, code: 'ALR_NOT_FOUND' });
  });

  it('a range limit (pH 6–9) alarms below the minimum and clears inside the range', () => {
    let n = 0;
    const book = createAlarmBook({ newId: () => `P${++n}`, clearWindows: () => 1 });
    const s: JudgeSettings = { earlyWarning: { enabled: true, share: 0.8 }, clearShare: 0.9 };
    const phAgg = (v: number): HourAggregate => ({ ...agg(0, v), code: 'w01001' });
    const j1 = judgeHour('o', 'water', phAgg(5.2), ph, undefined, undefined, s)!;
    expect(j1).toMatchObject({ kind: 'exceeded', level: 'warning', limit: 9, limitMin: 6 });
    book.apply(j1, site, 1);
    const j2 = judgeHour('o', 'water', { ...phAgg(8.5), start: H, end: 2 * H }, ph, undefined, undefined, s)!;
    expect(j2.kind).toBe('below'); // no early warning on a range limit
    expect(book.apply(j2, site, 2)[0]!.event.transition).toBe('clear');
  });
});
