import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { isPipelineError } from '../core/errors.js';
import { loadRegistry, parseRegistry } from './registry.js';

const PARK = 'config/examples/park.yaml';

describe('site registry', () => {
  it('loads the example park: ≥5 enterprises, ≥8 outlets, both media, real codes', () => {
    const reg = loadRegistry(PARK);
    expect(reg.file.enterprises.length).toBeGreaterThanOrEqual(5);
    expect(reg.entries().length).toBeGreaterThanOrEqual(8);
    const media = new Set(reg.entries().map((e) => e.outlet.medium));
    expect(media).toEqual(new Set(['gas', 'water']));
    const codes = new Set(reg.entries().flatMap((e) => [...e.pollutantCodes]));
    for (const code of [
      'a21026',
      'a21002',
      'a34013',
      'a19001',
      'a00000',
      'a01012',
      'w01018',
      'w21003',
      'w21011',
      'w21001',
      'w01001',
      'w00000',
    ]) {
      expect(codes).toContain(code);
    }
    const unit1 = reg.findByMn('010000A8900016F000169DC0');
    expect(unit1?.enterprise.name).toBe('华能滨江热电有限公司');
    expect(unit1?.outlet.id).toBe('hn-power-unit1');
    expect(Object.isFrozen(reg.file)).toBe(true);
  });

  it('lists every problem with its path in one error', () => {
    const doc = parseYaml(readFileSync(PARK, 'utf8')) as { enterprises: Array<Record<string, unknown>> };
    const first = doc.enterprises[0] as { id: string; outlets: Array<Record<string, unknown>> };
    first.id = 'Bad Id';
    (first.outlets[0] as { medium: string }).medium = 'air';
    (doc.enterprises[1] as { outlets: Array<{ gateway: { mn: string } }> }).outlets[0]!.gateway.mn =
      '010000A8900016F000169DC0';
    try {
      parseRegistry(doc, 'park.yaml');
      expect.unreachable();
    } catch (err) {
      expect(isPipelineError(err, 'CFG_REGISTRY_INVALID')).toBe(true);
      const msg = (err as Error).message;
      expect(msg).toContain('enterprises.0.id');
      expect(msg).toContain('enterprises.0.outlets.0.medium');
      expect(msg).toContain('duplicate gateway MN "010000A8900016F000169DC0"');
    }
  });

  it('rejects an unknown time zone and a short password', () => {
    const doc = parseYaml(readFileSync(PARK, 'utf8')) as Record<string, unknown>;
    expect(() => parseRegistry({ ...doc, timeZone: 'Mars/Olympus' })).toThrow(/timeZone/);
    const d2 = parseYaml(readFileSync(PARK, 'utf8')) as {
      enterprises: Array<{ outlets: Array<{ gateway: { password: string } }> }>;
    };
    d2.enterprises[0]!.outlets[0]!.gateway.password = '123';
    expect(() => parseRegistry(d2)).toThrow(/password: at least 6/);
  });

  it('names the file when it cannot be read', () => {
    expect(() => loadRegistry('/nonexistent/park.yaml')).toThrow(
      /cannot read registry \/nonexistent\/park.yaml/,
    );
  });
});
