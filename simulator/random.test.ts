import { describe, expect, it } from 'vitest';
import { createRng, hashKeys, streamFor } from './random.js';

describe('seeded random streams', () => {
  it('repeats a stream for the same seed and keys', () => {
    const a = streamFor(7, 'MN1', 'a21026');
    const b = streamFor(7, 'MN1', 'a21026');
    const xs = Array.from({ length: 100 }, () => a.next());
    expect(Array.from({ length: 100 }, () => b.next())).toEqual(xs);
  });

  it('gives unrelated streams for other seeds, MNs or key splits', () => {
    const first = (r: ReturnType<typeof createRng>) => Array.from({ length: 5 }, () => r.next());
    const base = first(streamFor(7, 'MN1', 'a21026'));
    expect(first(streamFor(8, 'MN1', 'a21026'))).not.toEqual(base);
    expect(first(streamFor(7, 'MN2', 'a21026'))).not.toEqual(base);
    expect(hashKeys('ab', 'c')).not.toBe(hashKeys('a', 'bc'));
  });

  it('produces uniform values in [0, 1) and standard normals', () => {
    const r = createRng(12345);
    const n = 20_000;
    let sum = 0;
    let sumN = 0;
    let sumN2 = 0;
    for (let i = 0; i < n; i++) {
      const u = r.next();
      expect(u).toBeGreaterThanOrEqual(0);
      expect(u).toBeLessThan(1);
      sum += u;
      const z = r.normal();
      sumN += z;
      sumN2 += z * z;
    }
    expect(sum / n).toBeCloseTo(0.5, 1);
    expect(sumN / n).toBeCloseTo(0, 1);
    expect(sumN2 / n).toBeCloseTo(1, 1);
  });

  it('int and pick stay within bounds', () => {
    const r = createRng(1);
    for (let i = 0; i < 1000; i++) {
      const k = r.int(3, 5);
      expect(k).toBeGreaterThanOrEqual(3);
      expect(k).toBeLessThanOrEqual(5);
    }
    expect(['x']).toContain(r.pick(['x']));
    expect(() => r.pick([])).toThrow(RangeError);
  });
});
