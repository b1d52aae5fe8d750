import { describe, expect, it } from 'vitest';
import { parseRegistry } from '../../config/registry.js';
import { isPipelineError } from '../../core/errors.js';
import { buildStandardsLibrary, loadStandardsLibrary } from './library.js';
import { effectiveMax, resolveOutletLimits } from './resolve.js';
import { conversionFactor, convert, flowToM3PerHour, toMgPerM3 } from './units.js';

const lib = loadStandardsLibrary('config/standards');

function site(outlet: Record<string, unknown>) {
  const reg = parseRegistry({
    version: 1,
    enterprises: [
      {
        id: 'e',
        name: 'E',
        region: 'R',
        outlets: [{ id: 'o', name: 'O', gateway: { mn: 'MN0000001', password: 'secret-pw' }, ...outlet }],
      },
    ],
  });
  return reg.entries()[0]!;
}

describe('standards library', () => {
  it('loads every standard with sources and confidence marks', () => {
    for (const id of [
      'gb13271-2014/existing/coal',
      'gb13271-2014/new/gas',
      'gb13271-2014/special/oil',
      'gb13223-2011/ultra-low',
      'gb4915-2013/kiln/t1',
      'gb18918-2002/1a',
      'gb18918-2002/3',
      'gb8978-1996/class1',
    ])
      expect(lib.get(id), id).toBeDefined();
    expect(lib.get('gb13271-2014/new/coal')!.referenceO2).toMatchObject({ value: 9, confidence: 'V' });
    expect(lib.get('gb13271-2014/new/gas')!.referenceO2?.value).toBe(3.5);
    expect(lib.get('gb4915-2013/kiln/t1')!.referenceO2?.value).toBe(10);
    expect(lib.get('gb4915-2013/other/t1')!.referenceO2).toBeUndefined();
    const ul = lib.get('gb13223-2011/ultra-low')!;
    expect(ul.referenceO2).toMatchObject({ value: 6, confidence: 'S' });
    expect(ul.limits.map((l) => [l.code, l.max])).toEqual([
      ['a34013', 10],
      ['a21026', 35],
      ['a21002', 50],
    ]);
    // Values the reference marks U stay marked U.
    expect(lib.get('gb13223-2011/gas-turbine/gas')!.limits.every((l) => l.confidence === 'U')).toBe(true);
  });

  it('reports every problem of a bad library at once', () => {
    try {
      buildStandardsLibrary(
        new Map<string, unknown>([
          [
            'a.yaml',
            {
              version: 1,
              standard: 'X',
              titleZh: 'x',
              titleEn: 'x',
              medium: 'gas',
              sets: [
                {
                  id: 'x',
                  nameZh: 'x',
                  nameEn: 'x',
                  limits: [{ code: 'a21026', unit: 'mg/m3', clause: 'c', confidence: 'Q' }],
                },
              ],
            },
          ],
          ['defaults.yaml', { version: 1, bySourceType: { 'gas-boiler': 'missing' } }],
        ]),
      );
      expect.unreachable();
    } catch (err) {
      expect(isPipelineError(err, 'ALR_STANDARDS_INVALID')).toBe(true);
      expect((err as Error).message).toContain('confidence');
      expect((err as Error).message).toContain('unknown limit set "missing"');
    }
  });

  it('resolves an outlet: default set by source type, permit override, unit conversion', () => {
    const s = site({
      medium: 'water',
      sourceType: 'municipal-wwtp',
      pollutants: [
        { code: 'w01018', unit: 'mg/L' },
        { code: 'w21003', unit: 'ug/L' },
        { code: 'w20115', unit: 'ug/L' },
      ],
      limits: [{ code: 'w20115', max: 0.01, unit: 'mg/L', source: '排污许可证' }],
    });
    const l = resolveOutletLimits(s, lib);
    expect(l.setId).toBe('gb18918-2002/1a');
    expect(l.problems).toEqual([]);
    // NH3-N limit 5 mg/L, gateway sends μg/L: 5000 μg/L; cold-water 8 mg/L → 8000 μg/L.
    const nh3 = l.limits.get('w21003')!;
    expect(nh3).toMatchObject({
      max: 5000,
      unit: 'ug/L',
      limitUnit: 'mg/L',
      factor: 1000,
      coldWater: { max: 8000, atOrBelowC: 12 },
    });
    expect(effectiveMax(nh3, 15)).toEqual({ max: 5000, condition: 'warm' });
    expect(effectiveMax(nh3, 12)).toEqual({ max: 8000, condition: 'cold' });
    expect(effectiveMax(nh3, undefined)).toEqual({ max: 5000, condition: 'temperature-unknown' });
    const cd = l.limits.get('w20115')!;
    expect(cd.max).toBeCloseTo(10, 9);
    expect(cd.source).toMatchObject({ override: true, confidence: 'permit' });
    expect(l.limits.get('w01001')).toMatchObject({ min: 6, max: 9 });
  });

  it('reports a limit whose unit cannot be converted, and uses the registry reference O2', () => {
    const s = site({
      medium: 'gas',
      sourceType: 'gas-boiler',
      referenceO2: 6,
      pollutants: [{ code: 'a21026', unit: 'ppm' }],
    });
    const l = resolveOutletLimits(s, lib);
    expect(l.referenceO2).toEqual({ value: 6, source: 'registry referenceO2' });
    expect(l.limits.has('a21026')).toBe(false);
    expect(l.problems[0]).toContain('cannot be converted');
  });
});

describe('units', () => {
  it('converts mass per volume explicitly and refuses the rest', () => {
    expect(convert(1, 'mg/L', 'ug/L')).toBe(1000);
    expect(convert(500, 'μg/L', 'mg/L')).toBeCloseTo(0.5, 12);
    expect(conversionFactor('mg/m3', 'mg/L')).toBeUndefined();
    expect(conversionFactor('ppm', 'mg/m3')).toBeUndefined();
    expect(toMgPerM3(1, 'mg/L')).toBe(1000);
    expect(flowToM3PerHour(1, 'm3/s')).toBe(3600);
    expect(flowToM3PerHour(1, 'L/s')).toBeCloseTo(3.6, 12);
  });
});
