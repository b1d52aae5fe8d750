import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadRegistry } from '../config/registry.js';
import { isPipelineError } from '../core/errors.js';
import { createReadingSource, type SimReading } from './readings.js';
import { loadScenario, parseScenario, type Scenario } from './scenario.js';

const registry = loadRegistry(fileURLToPath(new URL('../config/examples/park.yaml', import.meta.url)));
const ctx = { timeZone: registry.timeZone, registry };
const START = Date.parse('2026-11-23T10:00:00+08:00');
const unit1 = registry.findByMn('010000A8900016F000169DC0');
const unit2 = registry.findByMn('010000A8900016F000169DC1');
if (!unit1 || !unit2) throw new Error('park.yaml changed: power units missing');

function readings(mn: string, scenario: Scenario | undefined, minutes = 60): SimReading[] {
  const entry = registry.findByMn(mn);
  if (!entry) throw new Error(mn);
  const src = createReadingSource({
    seed: 3,
    entry,
    timeZone: registry.timeZone,
    intervalSec: 60,
    startMs: START,
    endMs: START + minutes * 60_000,
    ...(scenario && { scenario }),
  });
  const out: SimReading[] = [];
  for (let r = src.next(); r; r = src.next()) out.push(r);
  return out;
}

describe('scenario rules', () => {
  const base = readings(unit1.gateway.mn, undefined);
  const inWindow = (r: SimReading) =>
    r.dataTimeMs >= Date.parse('2026-11-23T10:10:00+08:00') &&
    r.dataTimeMs < Date.parse('2026-11-23T10:20:00+08:00');

  it('overrides a value inside the window only (from inclusive, to exclusive; local times)', () => {
    const scenario = parseScenario(
      {
        rules: [
          {
            outlet: 'hn-power-unit1',
            code: 'a21026',
            from: '2026-11-23T10:10:00',
            to: '2026-11-23T10:20:00',
            value: 80,
          },
        ],
      },
      ctx,
    );
    const got = readings(unit1.gateway.mn, scenario);
    got.forEach((r, i) => {
      const expected = inWindow(r) ? 80 : base[i]?.values.a21026?.rtd;
      expect(r.values.a21026?.rtd).toBe(expected);
      expect(r.values.a21002).toEqual(base[i]?.values.a21002); // other codes untouched
      expect(JSON.parse(r.payload ?? '{}').values.a21026.rtd).toBe(expected); // report = payload
    });
    expect(got.filter(inWindow)).toHaveLength(10);
    // Another gateway is not touched.
    expect(readings(unit2.gateway.mn, scenario)).toEqual(readings(unit2.gateway.mn, undefined));
  });

  it('multiplies and adds with wire rounding, in file order, and sets flags', () => {
    const scenario = parseScenario(
      {
        rules: [
          {
            mn: unit1.gateway.mn,
            code: 'a21002',
            from: '2026-11-23T10:10:00+08:00',
            to: '2026-11-23T10:20:00+08:00',
            multiply: 3,
          },
          {
            mn: unit1.gateway.mn,
            code: 'a21002',
            from: '2026-11-23T10:10:00+08:00',
            to: '2026-11-23T10:20:00+08:00',
            add: 0.1,
          },
          { code: '*', from: '2026-11-23T10:30:00+08:00', to: '2026-11-23T10:35:00+08:00', flag: 'C' },
        ],
      },
      ctx,
    );
    const got = readings(unit1.gateway.mn, scenario);
    got.forEach((r, i) => {
      const before = base[i]?.values.a21002?.rtd ?? Number.NaN;
      if (inWindow(r)) {
        expect(r.values.a21002?.rtd).toBe(Math.round((Math.round(before * 3 * 100) / 100 + 0.1) * 100) / 100);
        expect(String(r.values.a21002?.rtd)).toMatch(/^\d+(\.\d{1,2})?$/);
      }
      const calibrating =
        r.dataTimeMs >= Date.parse('2026-11-23T10:30:00+08:00') &&
        r.dataTimeMs < Date.parse('2026-11-23T10:35:00+08:00');
      for (const v of Object.values(r.values)) expect(v.flag).toBe(calibrating ? 'C' : 'N');
    });
  });

  it('drops codes (gap) and whole readings (nothing left to publish)', () => {
    const scenario = parseScenario(
      {
        rules: [
          {
            outlet: 'hn-power-unit1',
            code: 'a34013',
            from: '2026-11-23T10:00:00+08:00',
            to: '2026-11-23T10:05:00+08:00',
            drop: true,
          },
          {
            outlet: 'hn-power-unit1',
            code: '*',
            from: '2026-11-23T10:40:00+08:00',
            to: '2026-11-23T10:45:00+08:00',
            drop: true,
          },
        ],
      },
      ctx,
    );
    const got = readings(unit1.gateway.mn, scenario);
    expect(got).toHaveLength(60); // data times never shift
    const partial = got.slice(0, 5);
    for (const r of partial) {
      expect(r.values.a34013).toBeUndefined();
      expect(r.dropped).toEqual(['a34013']);
      expect(JSON.parse(r.payload ?? '{}').values.a34013).toBeUndefined();
    }
    const gap = got.slice(40, 45);
    for (const r of gap) {
      expect(r.payload).toBeUndefined();
      expect(r.values).toEqual({});
      expect(r.dropped).toHaveLength(unit1.outlet.pollutants.length);
    }
    expect(got[45]?.payload).toBe(base[45]?.payload);
  });

  it('can add a code the outlet does not measure (unknown-pollutant tests), even negative values', () => {
    const scenario = parseScenario(
      {
        rules: [
          {
            outlet: 'hn-power-unit1',
            code: 'a99999',
            from: '2026-11-23T10:00:00+08:00',
            to: '2026-11-23T10:01:00+08:00',
            value: -1.5,
          },
        ],
      },
      ctx,
    );
    const [first, second] = readings(unit1.gateway.mn, scenario, 2);
    expect(first?.values.a99999).toEqual({ rtd: -1.5, flag: 'N' });
    expect(second?.values.a99999).toBeUndefined();
  });
});

describe('scenario file errors', () => {
  it('lists every issue with its path', () => {
    let message = '';
    try {
      parseScenario(
        {
          rules: [
            {
              outlet: 'no-such-outlet',
              code: 'a21026',
              from: 'yesterday',
              to: '2026-11-23T10:00:00+08:00',
              value: 1,
            },
            { code: 'a21026', from: '2026-11-23T12:00:00+08:00', to: '2026-11-23T10:00:00+08:00' },
            {
              mn: 'NOPE000000',
              code: '*',
              from: '2026-11-23T10:00:00+08:00',
              to: '2026-11-23T11:00:00+08:00',
              value: 3,
            },
          ],
        },
        ctx,
        'bad.yaml',
      );
    } catch (err) {
      expect(isPipelineError(err, 'CFG_INVALID')).toBe(true);
      message = (err as Error).message;
    }
    expect(message).toContain('bad.yaml is invalid');
    expect(message).toContain('rules.0.from: "yesterday" is not an ISO 8601 time');
    expect(message).toContain('rules.0.outlet: unknown outlet "no-such-outlet"');
    expect(message).toContain('rules.1.to: must be after from');
    expect(message).toContain('rules.1: needs at least one of value, multiply, add, flag, drop');
    expect(message).toContain('rules.2.mn: unknown gateway MN "NOPE000000"');
    expect(message).toContain('rules.2.value: cannot set one value for code "*"');
  });

  it('reports schema issues with paths (types, unknown keys, flags)', () => {
    expect(() =>
      parseScenario(
        { rules: [{ code: 'SO2', from: 1, to: '2026-11-23T10:00:00Z', flag: 'bad flag', extra: true }] },
        ctx,
      ),
    ).toThrowError(/rules\.0\.code: .*\n.*rules\.0\.from: .*\n(.*\n)*.*rules\.0\.flag/);
    expect(() => parseScenario({ rule: [] }, ctx)).toThrowError(/rules: /);
  });

  it('loads YAML files and reports unreadable ones', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sim-scenario-'));
    const path = join(dir, 'ok.yaml');
    writeFileSync(
      path,
      [
        'version: 1',
        'rules:',
        '  - outlet: bj-wwtp-main',
        '    code: w01018',
        '    from: 2026-11-23T00:00:00+08:00',
        '    to: 2026-11-24T00:00:00+08:00',
        '    multiply: 2.5',
        '    note: COD daily-mean exceedance',
      ].join('\n'),
    );
    const s = loadScenario(path, ctx);
    expect(s.rules).toEqual([
      {
        outlet: 'bj-wwtp-main',
        code: 'w01018',
        fromMs: Date.parse('2026-11-23T00:00:00+08:00'),
        toMs: Date.parse('2026-11-24T00:00:00+08:00'),
        multiply: 2.5,
      },
    ]);
    expect(() => loadScenario(join(dir, 'missing.yaml'), ctx)).toThrowError(/cannot read scenario/);
  });
});
