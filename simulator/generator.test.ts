import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadRegistry, type SiteEntry } from '../config/registry.js';
import { utcToWallTime } from '../core/local-time.js';
import { reflect01, roundTo } from './generator.js';
import { profileFor } from './profiles.js';
import { createReadingSource, type SimReading } from './readings.js';

const registry = loadRegistry(fileURLToPath(new URL('../config/examples/park.yaml', import.meta.url)));
const zone = registry.timeZone;
const START = Date.parse('2026-11-16T00:00:00+08:00'); // a Monday
const WEEK_MS = 7 * 86_400_000;

function run(entry: SiteEntry, seed: number, durationMs: number, intervalSec = 60): SimReading[] {
  const src = createReadingSource({
    seed,
    entry,
    timeZone: zone,
    intervalSec,
    startMs: START,
    endMs: START + durationMs,
  });
  const out: SimReading[] = [];
  for (let r = src.next(); r; r = src.next()) out.push(r);
  return out;
}

/** Plausible ranges from the regulations notes (ultra-low coal power, low-NOx gas, 1A effluent …). */
const EXPECTED: Record<string, Record<string, [number, number]>> = {
  'coal-power': {
    a21026: [5, 30],
    a21002: [20, 45],
    a34013: [1, 5],
    a19001: [6, 9],
    a00000: [100, 700],
    a01012: [45, 55],
  },
  'gas-boiler': { a21026: [2, 8], a21002: [20, 45], a34013: [1, 4], a19001: [3, 6] },
  'cement-kiln': { a21002: [150, 300], a21026: [10, 60], a34013: [5, 15], a19001: [8, 12] },
  'cement-grinding': { a34013: [3, 10] },
  incinerator: { a21024: [5, 30], a21005: [5, 40] },
  'municipal-wwtp': {
    w01018: [15, 40],
    w21003: [0.3, 3],
    w21011: [0.1, 0.4],
    w21001: [5, 12],
    w01001: [6.8, 7.6],
    w00000: [100, 1000],
    w01010: [12, 25],
  },
  'industrial-wastewater': { w01018: [40, 90] },
};

describe('reading source', () => {
  it('gives identical data for the same seed and different data for another seed', () => {
    for (const entry of registry.entries()) {
      const a = run(entry, 42, 6 * 3_600_000).map((r) => r.payload);
      const b = run(entry, 42, 6 * 3_600_000).map((r) => r.payload);
      const c = run(entry, 43, 6 * 3_600_000).map((r) => r.payload);
      expect(b).toEqual(a);
      expect(c).not.toEqual(a);
    }
  });

  it('does not depend on which other gateways run or in what order', () => {
    const [first, second] = registry.entries();
    if (!first || !second) throw new Error('park.yaml has at least two outlets');
    const alone = run(second, 5, 3_600_000).map((r) => r.payload);
    // Interleave with another gateway, starting that one first.
    const s1 = createReadingSource({
      seed: 5,
      entry: first,
      timeZone: zone,
      intervalSec: 60,
      startMs: START,
    });
    const s2 = createReadingSource({
      seed: 5,
      entry: second,
      timeZone: zone,
      intervalSec: 60,
      startMs: START,
      endMs: START + 3_600_000,
    });
    const interleaved: (string | undefined)[] = [];
    s1.next();
    for (let r = s2.next(); r; r = s2.next()) {
      s1.next();
      interleaved.push(r.payload);
    }
    expect(interleaved).toEqual(alone);
    // Two units of the same plant do not send identical data.
    expect(run(first, 5, 3_600_000).map((r) => r.values.a21026)).not.toEqual(
      run(second, 5, 3_600_000).map((r) => r.values.a21026),
    );
  });

  it('builds the wire payload: st, cn 2011, local data time with offset, rtd + flag N', () => {
    const entries = registry.entries();
    const gas = entries.find((e) => e.outlet.medium === 'gas');
    const water = entries.find((e) => e.outlet.medium === 'water');
    if (!gas || !water) throw new Error('park.yaml has gas and water outlets');
    const [g0, g1] = run(gas, 1, 120_000);
    expect(g0?.seq).toBe(0);
    expect(g1?.dataTimeMs).toBe(START + 60_000);
    const payload = JSON.parse(g1?.payload ?? '{}');
    expect(payload).toMatchObject({ st: '31', cn: '2011', dataTime: '2026-11-16T00:01:00+08:00' });
    expect(Object.keys(payload.values)).toEqual(gas.outlet.pollutants.map((p) => p.code));
    for (const v of Object.values(payload.values)) expect(v).toEqual({ rtd: expect.any(Number), flag: 'N' });
    expect(payload.values).toEqual(g1?.values);
    expect(JSON.parse(run(water, 1, 60_000)[0]?.payload ?? '{}').st).toBe('32');
  });

  it('stays in plausible ranges over a simulated week for every outlet of park.yaml', () => {
    for (const entry of registry.entries()) {
      const readings = run(entry, 1, WEEK_MS);
      expect(readings).toHaveLength(7 * 24 * 60);
      const expected = EXPECTED[entry.outlet.sourceType] ?? {};
      for (const { code } of entry.outlet.pollutants) {
        const values = readings.map((r) => r.values[code]?.rtd ?? Number.NaN);
        const profile = profileFor(entry.outlet.sourceType, code);
        const [lo, hi] = expected[code] ?? [profile.lo, profile.hi];
        const min = Math.min(...values);
        const max = Math.max(...values);
        const where = `${entry.outlet.id} ${code}`;
        expect(min, where).toBeGreaterThanOrEqual(Math.max(lo, 0));
        expect(max, where).toBeLessThanOrEqual(hi);
        // Not a flat line: real analysers move (and a constant value is itself a fraud signal).
        // (Water temperature follows the season: it moves little within one week.)
        expect(max - min, where).toBeGreaterThan((profile.hi - profile.lo) * (profile.season ? 0.05 : 0.2));
        expect(new Set(values).size, where).toBeGreaterThan(10);
        let run = 1;
        let longest = 1;
        for (let i = 1; i < values.length; i++) {
          run = values[i] === values[i - 1] ? run + 1 : 1;
          longest = Math.max(longest, run);
        }
        // The fraud rules flag a value constant for ≥ 4 h; normal data must stay far from that.
        expect(longest, where).toBeLessThan(60);
      }
    }
  });

  it('shows the daily load profile in the flow (day mean ≠ night mean, in the right direction)', () => {
    for (const entry of registry.entries()) {
      const flowCode = entry.outlet.medium === 'gas' ? 'a00000' : 'w00000';
      const day: number[] = [];
      const night: number[] = [];
      for (const r of run(entry, 1, WEEK_MS)) {
        const h = utcToWallTime(r.dataTimeMs, zone).hour;
        const v = r.values[flowCode]?.rtd;
        if (v === undefined) continue;
        if (h >= 9 && h < 18) day.push(v);
        if (h < 6) night.push(v);
      }
      const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
      const profile = profileFor(entry.outlet.sourceType, flowCode);
      const diff = mean(day) - mean(night);
      const where = `${entry.outlet.id} ${entry.outlet.sourceType}`;
      expect(Math.abs(diff), where).toBeGreaterThan((profile.hi - profile.lo) * 0.05);
      // Cement mills grind on the off-peak tariff at night; everything else works harder by day.
      if (entry.outlet.sourceType === 'cement-grinding') expect(diff, where).toBeLessThan(0);
      else expect(diff, where).toBeGreaterThan(0);
    }
  });

  it('follows the season in the water temperature (warm in July, cold in January)', () => {
    const wwtp = registry.entries().find((e) => e.outlet.sourceType === 'municipal-wwtp');
    if (!wwtp) throw new Error('park.yaml has a WWTP');
    const meanTemp = (iso: string) => {
      const startMs = Date.parse(iso);
      const src = createReadingSource({
        seed: 1,
        entry: wwtp,
        timeZone: zone,
        intervalSec: 600,
        startMs,
        endMs: startMs + 86_400_000,
      });
      const xs: number[] = [];
      for (let r = src.next(); r; r = src.next()) xs.push(r.values.w01010?.rtd ?? Number.NaN);
      return xs.reduce((s, x) => s + x, 0) / xs.length;
    };
    const july = meanTemp('2026-07-28T00:00:00+08:00');
    const january = meanTemp('2026-01-28T00:00:00+08:00');
    expect(july).toBeGreaterThan(21);
    expect(january).toBeLessThan(16);
  });

  it('gives an unknown code a generic positive profile', () => {
    const [entry] = registry.entries();
    if (!entry) throw new Error('empty registry');
    const custom: SiteEntry = {
      ...entry,
      outlet: { ...entry.outlet, pollutants: [{ code: 'a99901', unit: 'mg/m3' }] },
    };
    const values = run(custom, 1, 86_400_000).map((r) => r.values.a99901?.rtd ?? -1);
    expect(Math.min(...values)).toBeGreaterThan(0);
  });
});

describe('helpers', () => {
  it('reflects into [0, 1] and rounds without -0', () => {
    expect(reflect01(1.2)).toBeCloseTo(0.8);
    expect(reflect01(-0.3)).toBeCloseTo(0.3);
    expect(reflect01(2.5)).toBeCloseTo(0.5);
    expect(Object.is(roundTo(-0.0001, 2), 0)).toBe(true);
    expect(roundTo(12.3456, 2)).toBe(12.35);
  });
});
