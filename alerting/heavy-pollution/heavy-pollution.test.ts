import { describe, expect, it } from 'vitest';
import {
  BREAKPOINTS,
  type BreakpointColumn,
  categoryOf,
  dailyAqi,
  hourlyAqi,
  IAQI_LEVELS,
  iaqi,
} from './aqi.js';
import { observedLevel } from './levels.js';
import { measureFor, verifyHour } from './measures.js';
import { levelAt, type Warning } from './warnings.js';

describe('IAQI (HJ 633-2012, reference/aqi.md Table 1)', () => {
  it('every breakpoint maps to its IAQI row; full columns reach 500 at the top', () => {
    for (const [col, bps] of Object.entries(BREAKPOINTS) as [BreakpointColumn, readonly number[]][]) {
      bps.forEach((c, i) => {
        expect(iaqi(col, c), `${col} ${c}`).toBe(IAQI_LEVELS[i]);
      });
    }
  });
  it('interpolates between breakpoints and rounds up (hand-computed)', () => {
    expect(iaqi('pm25_24h', 55)).toBe(75); // 50 + 50/40 × 20
    expect(iaqi('pm25_24h', 100)).toBe(132); // 100 + 50/40 × 25 = 131.25 ↑
    expect(iaqi('pm25_24h', 180)).toBe(230); // 200 + 100/100 × 30
    expect(iaqi('so2_24h', 200)).toBe(108); // 100 + 50/325 × 50 = 107.7 ↑
    expect(iaqi('co_1h', 7.5)).toBe(75);
    expect(iaqi('o3_1h', 700)).toBe(275);
    expect(iaqi('no2_24h', 50)).toBe(63); // 62.5 ↑
    expect(iaqi('pm25_24h', 55, { rounding: 'round' })).toBe(75);
    expect(iaqi('no2_24h', 50, { rounding: 'round' })).toBe(63);
  });
  it('caps at 500 and refuses negative values', () => {
    expect(iaqi('pm25_24h', 800)).toBe(500);
    expect(iaqi('pm10_24h', 600.1)).toBe(500);
    expect(iaqi('pm25_24h', -1)).toBeUndefined();
  });
  it('SO2 1-h above 800 uses the 24-h mean (note ³); exactly 800 is 200', () => {
    expect(hourlyAqi({ so2_1h: 800 })?.aqi).toBe(200);
    expect(hourlyAqi({ so2_1h: 900, so2_24h: 200 })?.iaqi.a21026).toBe(108);
    expect(hourlyAqi({ so2_1h: 900 })).toBeUndefined();
  });
  it('O3 8-h above 800 gives way to the 1-h value (note ²)', () => {
    expect(hourlyAqi({ o3_8h: 900, o3_1h: 700 })?.iaqi.a05024).toBe(275);
    expect(hourlyAqi({ o3_8h: 800 })?.aqi).toBe(300);
    expect(dailyAqi({ o3_8h_max: 900, o3_1h_max: 1100 })?.aqi).toBe(450);
  });
  it('daily example: primary pollutant, category, colour', () => {
    const r = dailyAqi({ pm25_24h: 180, pm10_24h: 200, so2_24h: 30, no2_24h: 50, co_24h: 1, o3_8h_max: 120 });
    expect(r).toMatchObject({ aqi: 230, primary: ['a34004'], iaqi: { a34002: 125, a21004: 63, a21026: 30 } });
    expect(r?.category).toMatchObject({ category: 5, nameZh: '重度污染', colour: 'purple' });
  });
  it('hourly example uses 1-h NO2 and 24-h PM; no primary pollutant at AQI ≤ 50', () => {
    const r = hourlyAqi({ no2_1h: 150, pm25_24h: 55, so2_1h: 10 });
    expect(r).toMatchObject({ aqi: 75, primary: ['a21004', 'a34004'] });
    expect(hourlyAqi({ pm25_24h: 20 })?.primary).toEqual([]);
    expect(
      [0, 50, 51, 100, 101, 150, 151, 200, 201, 300, 301, 500].map((a) => categoryOf(a).category),
    ).toEqual([1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6]);
  });
});

describe('observed warning level (aqi.md defaults)', () => {
  const D = 86_400_000;
  const days = (aqis: number[]) => aqis.map((aqi, i) => ({ day: i * D, aqi }));
  it('yellow after 2 days > 200, orange after 3 with one > 300, red after 4 with two > 300 or 500', () => {
    expect(observedLevel(days([150, 210]))).toBeUndefined();
    expect(observedLevel(days([210, 220]))?.level).toBe('yellow');
    expect(observedLevel(days([210, 220, 250]))?.level).toBe('yellow');
    expect(observedLevel(days([210, 220, 310]))?.level).toBe('orange');
    expect(observedLevel(days([210, 320, 220, 310]))?.level).toBe('red');
    expect(observedLevel(days([100, 500]))?.level).toBe('red');
    expect(observedLevel(days([310, 310, 150, 210]))).toBeUndefined();
    expect(observedLevel(days([210, 220]), { ...observedDefaults(), yellowDays: 3 })).toBeUndefined();
  });
});
function observedDefaults() {
  return {
    heavyAbove: 200,
    severeAbove: 300,
    redReach: 500,
    yellowDays: 2,
    orangeDays: 3,
    orangeSevereDays: 1,
    redDays: 4,
    redSevereDays: 2,
  };
}

describe('measures', () => {
  const hour = (flow: number, load: number, o2 = 8) => ({
    start: 0,
    flow,
    o2,
    pollutants: new Map([['a21026', { loadKgH: load, conc: 20, limit: 50, valid: true }]]),
  });
  const baseline = { loadKgH: new Map([['a21026', 10]]), flow: 100, hours: 48 };
  it('grade defaults and overrides', () => {
    expect(measureFor('D', 'orange', 'o1', [])).toEqual({ type: 'stop' });
    expect(measureFor('B', 'orange', 'o1', [])).toEqual({ type: 'limit', percent: 80 });
    expect(measureFor('A', 'red', 'o1', [])).toEqual({ type: 'self' });
    expect(
      measureFor('B', 'orange', 'o1', [{ level: 'orange', outlet: 'o1', type: 'cap', percent: 70 }]),
    ).toEqual({ type: 'cap', percent: 70 });
    expect(measureFor(undefined, 'orange', 'o1', [])).toBeUndefined();
  });
  it('stop: flow above the share of baseline flow or running O2 ⇒ non-compliant', () => {
    expect(verifyHour({ type: 'stop' }, hour(50, 5), baseline)).toMatchObject({
      status: 'noncompliant',
      observed: 50,
      allowed: 10,
      baseline: 100,
    });
    expect(verifyHour({ type: 'stop' }, hour(0, 0, 20.9), baseline).status).toBe('compliant');
    expect(verifyHour({ type: 'stop' }, hour(0, 0, 10), baseline).status).toBe('noncompliant');
  });
  it('limit: load vs percent × baseline; cap: concentration vs percent × limit', () => {
    expect(verifyHour({ type: 'limit', percent: 80 }, hour(80, 8), baseline)).toMatchObject({
      status: 'compliant',
      allowed: 8,
    });
    expect(verifyHour({ type: 'limit', percent: 80 }, hour(100, 9), baseline)).toMatchObject({
      status: 'noncompliant',
      observed: 9,
      allowed: 8,
      baseline: 10,
    });
    expect(verifyHour({ type: 'limit', percent: 80 }, hour(100, 9), undefined).status).toBe('unknown');
    expect(verifyHour({ type: 'cap', percent: 30 }, hour(100, 9), baseline)).toMatchObject({
      status: 'noncompliant',
      observed: 20,
      allowed: 15,
    });
    expect(verifyHour({ type: 'self' }, hour(100, 9), baseline).status).toBe('monitored');
  });
  it('level in force follows the warning history', () => {
    const w: Warning = {
      id: 'w',
      region: 'r',
      level: 'red',
      start: 100,
      plannedEnd: 1000,
      end: 900,
      authority: 'a',
      docNo: 'd',
      state: 'lifted',
      createdAt: 50,
      history: [
        { at: 50, transition: 'issued', level: 'orange', actor: 'x', plannedEnd: 1000 },
        { at: 500, transition: 'changed', level: 'red', actor: 'x', plannedEnd: 1000 },
        { at: 900, transition: 'lifted', level: 'red', actor: 'x', plannedEnd: 1000 },
      ],
    };
    expect([99, 100, 499, 500, 899, 900].map((t) => levelAt(w, t))).toEqual([
      undefined,
      'orange',
      'orange',
      'red',
      'red',
      undefined,
    ]);
  });
});
