import { describe, expect, it } from 'vitest';
import { parseRegistry, SOURCE_TYPES } from '../config/registry.js';
import { generateRegistry } from './generate-registry.js';

describe('generateRegistry', () => {
  it('produces 1000 gateways that pass parseRegistry, with unique 24-hex MNs and passwords', () => {
    const file = generateRegistry({ gateways: 1000, seed: 9 });
    const registry = parseRegistry(file, 'generated');
    const entries = registry.entries();
    expect(entries).toHaveLength(1000);
    const mns = entries.map((e) => e.gateway.mn);
    expect(new Set(mns).size).toBe(1000);
    for (const e of entries) {
      expect(e.gateway.mn).toMatch(/^[0-9A-F]{24}$/);
      expect(e.gateway.password.length).toBeGreaterThanOrEqual(6);
      expect(e.outlet.medium).toBe(
        e.outlet.sourceType.includes('wwtp') || e.outlet.sourceType.includes('wastewater') ? 'water' : 'gas',
      );
    }
    // Spread over every source type, with Chinese names.
    expect(new Set(entries.map((e) => e.outlet.sourceType))).toEqual(new Set(SOURCE_TYPES));
    expect(entries[0]?.enterprise.name).toMatch(/[\u4e00-\u9fff]/);
    expect(new Set(file.enterprises.map((e) => e.name)).size).toBe(file.enterprises.length);
  });

  it('is deterministic per seed and differs between seeds', () => {
    expect(generateRegistry({ gateways: 50, seed: 1 })).toEqual(generateRegistry({ gateways: 50, seed: 1 }));
    const a = generateRegistry({ gateways: 50, seed: 1 });
    const b = generateRegistry({ gateways: 50, seed: 2 });
    expect(b.enterprises[0]?.outlets[0]?.gateway.mn).not.toBe(a.enterprises[0]?.outlets[0]?.gateway.mn);
  });

  it('handles exact small counts, the time zone, and 10 000 gateways quickly', () => {
    const one = generateRegistry({ gateways: 1, timeZone: 'Asia/Urumqi' });
    expect(one.timeZone).toBe('Asia/Urumqi');
    expect(one.enterprises.flatMap((e) => e.outlets)).toHaveLength(1);
    const t0 = performance.now();
    const big = parseRegistry(generateRegistry({ gateways: 10_000 }));
    expect(big.entries()).toHaveLength(10_000);
    expect(performance.now() - t0).toBeLessThan(10_000);
    expect(() => generateRegistry({ gateways: 0 })).toThrow(RangeError);
  });
});
