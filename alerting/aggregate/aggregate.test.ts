import { describe, expect, it } from 'vitest';
import {
  addLoads,
  addSample,
  chooseHour,
  computeDay,
  computeHour,
  deviceHour,
  type HourSpec,
  newHourWindow,
  zheSuan,
} from './aggregate.js';
import { dayEndOf, dayStartOf, hourStartOf } from './time.js';

const units: Record<string, string> = { a21026: 'mg/m3', a19001: '%', a00000: 'm3/s' };
const gas: HourSpec = {
  medium: 'gas',
  referenceO2: 9,
  minValidMinutes: 45,
  minValidSamples: 1,
  unitOf: (c) => units[c],
};
const T = Date.parse('2026-11-23T10:00:00+08:00');

function hour(
  minutes: number,
  so2: number | ((m: number) => number),
  o2: number,
  flag = 'N',
  samplesPerMinute = 2,
) {
  const w = newHourWindow(T);
  for (let m = 0; m < minutes; m++) {
    for (let s = 0; s < samplesPerMinute; s++) {
      addSample(w, 'a21026', m, typeof so2 === 'number' ? so2 : so2(m), flag);
      addSample(w, 'a19001', m, o2, 'N');
      addSample(w, 'a00000', m, 40, 'N');
    }
  }
  return w;
}

describe('hourly aggregation', () => {
  it('needs 45 valid minutes; 折算 uses the same minute O2', () => {
    const ok = computeHour(hour(45, 30, 12), gas).get('a21026')!;
    expect(ok).toMatchObject({ valid: true, zsValid: true, validMinutes: 45, totalMinutes: 45 });
    // C × (21 − 9)/(21 − 12) = 30 × 12/9 = 40
    expect(ok.zsMean).toBeCloseTo(40, 9);
    expect(ok.mean).toBe(30);
    expect(computeHour(hour(44, 30, 12), gas).get('a21026')).toMatchObject({
      valid: false,
      zsValid: false,
      validMinutes: 44,
    });
  });

  it('counts only flag N: C/M/D/F/S/B/T samples are not valid', () => {
    for (const flag of ['C', 'M', 'D', 'F', 'S', 'B', 'T']) {
      const a = computeHour(hour(60, 60, 9, flag), gas).get('a21026')!;
      expect(a, flag).toMatchObject({ valid: false, validMinutes: 0, totalMinutes: 60 });
      expect(a.invalidFlags[flag]).toBe(120);
      expect(a.overRange).toBe(flag === 'T');
    }
  });

  it('a minute is valid with one valid sample; its mean is the mean of its valid samples', () => {
    const w = newHourWindow(T);
    addSample(w, 'a21026', 0, 10, 'N');
    addSample(w, 'a21026', 0, 1000, 'C');
    addSample(w, 'a21026', 0, 20, 'N');
    const a = computeHour(w, { ...gas, referenceO2: undefined } as HourSpec).get('a21026')!;
    expect(a).toMatchObject({ validMinutes: 1, mean: 15, min: 10, max: 20 });
  });

  it('O2 ≥ 21 % gives no 折算 value (never infinite)', () => {
    expect(zheSuan(50, 21, 9)).toBeUndefined();
    expect(zheSuan(50, 25, 9)).toBeUndefined();
    const a = computeHour(hour(60, 50, 21), gas).get('a21026')!;
    expect(a).toMatchObject({ valid: true, zsValid: false, zsValidMinutes: 0, o2InvalidMinutes: 60 });
    expect(a.zsMean).toBeUndefined();
  });

  it('load kg/h = measured mean × flow', () => {
    const m = computeHour(hour(60, 50, 12), gas);
    addLoads(m, 'gas');
    // 50 mg/m³ × 40 m³/s × 3600 × 1e-6 = 7.2 kg/h (measured, not 折算)
    expect(m.get('a21026')!.loadKgH).toBeCloseTo(7.2, 9);
  });

  it('uses device hour values when present and records a mismatch with our aggregate', () => {
    const w = hour(60, 30, 9);
    w.device.set('a21026', { avg: 45, flag: 'N' });
    w.device.set('a19001', { avg: 9, flag: 'N' });
    const { chosen, mismatches } = chooseHour(computeHour(w, gas), deviceHour(w, gas), 0.05);
    expect(chosen.get('a21026')).toMatchObject({ origin: 'device', mean: 45, zsMean: 45, valid: true });
    expect(mismatches).toEqual([{ code: 'a21026', start: T, kind: 'value', computed: 30, device: 45 }]);
    w.device.set('a21026', { avg: 30.5, flag: 'N' });
    expect(chooseHour(computeHour(w, gas), deviceHour(w, gas), 0.05).mismatches).toEqual([]);
  });
});

describe('daily aggregation and local days', () => {
  it('needs 20 valid hours', () => {
    const hours = Array.from({ length: 20 }, (_, i) => ({
      ...computeHour(hour(60, 10 + i, 9), gas).get('a21026')!,
      start: T + i * 3_600_000,
    }));
    expect(computeDay('a21026', T, T + 86_400_000, hours, 20)).toMatchObject({
      valid: true,
      validHours: 20,
      mean: 19.5,
    });
    expect(computeDay('a21026', T, T + 86_400_000, hours.slice(1), 20)).toMatchObject({
      valid: false,
      validHours: 19,
    });
  });

  it('hours and days start at local boundaries (Asia/Shanghai)', () => {
    const t = Date.parse('2026-11-23T01:30:00+08:00');
    expect(hourStartOf(t, 'Asia/Shanghai')).toBe(Date.parse('2026-11-23T01:00:00+08:00'));
    expect(dayStartOf(t, 'Asia/Shanghai')).toBe(Date.parse('2026-11-23T00:00:00+08:00'));
    expect(dayEndOf(dayStartOf(t, 'Asia/Shanghai'), 'Asia/Shanghai')).toBe(
      Date.parse('2026-11-24T00:00:00+08:00'),
    );
    // India is +05:30: hours still start at local :00.
    expect(hourStartOf(Date.parse('2026-11-23T10:45:00+05:30'), 'Asia/Kolkata')).toBe(
      Date.parse('2026-11-23T10:00:00+05:30'),
    );
    // DST day in New York has 23 hours.
    const ny = dayStartOf(Date.parse('2026-03-08T12:00:00-04:00'), 'America/New_York');
    expect(dayEndOf(ny, 'America/New_York') - ny).toBe(23 * 3_600_000);
  });
});
