import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_DECIMAL_TEXT_BYTES, writeDecimalText } from './decimal-text.js';

/** The text written for `n`, or undefined when the fast path declines it. */
function text(n: number): string | undefined {
  const target = Buffer.alloc(MAX_DECIMAL_TEXT_BYTES + 4, 0x7e);
  const end = writeDecimalText(target, 2, n);
  if (end < 0) {
    expect(target.every((b) => b === 0x7e)).toBe(true); // declined without writing
    return undefined;
  }
  expect(end - 2).toBeLessThanOrEqual(MAX_DECIMAL_TEXT_BYTES);
  expect(target[end]).toBe(0x7e); // nothing written past the returned end
  return target.toString('latin1', 2, end);
}

/** A value with at most `decimals` places, as a monitor reports it (the double nearest that decimal). */
const monitorValue = fc
  .tuple(fc.integer({ min: -999_999_999, max: 999_999_999 }), fc.integer({ min: 0, max: 6 }))
  .chain(([whole, decimals]) =>
    fc
      .integer({ min: 0, max: 10 ** decimals - 1 })
      .map((fraction) => Number(`${whole}.${String(fraction).padStart(decimals, '0')}`)),
  );

describe('writeDecimalText', () => {
  it.each([
    [0, '0'],
    [-0, '0'],
    [12, '12'],
    [12.5, '12.5'],
    [-3.25, '-3.25'],
    [153.03, '153.03'],
    [0.000001, '0.000001'],
    [0.1, '0.1'],
    [999_999_999, '999999999'],
    [999_999_999.999999, '999999999.999999'],
    [-999_999_999.999999, '-999999999.999999'],
    [35.000001, '35.000001'],
  ])('writes %s as %s, the text String() gives', (n, expected) => {
    expect(text(n)).toBe(expected);
    expect(String(n)).toBe(expected);
  });

  it.each([
    ['not finite', Number.NaN],
    ['infinite', Number.POSITIVE_INFINITY],
    ['-infinite', Number.NEGATIVE_INFINITY],
    ['10⁹', 1e9],
    ['seven decimals', 0.0000001],
    ['binary noise', 0.1 + 0.2],
    ['exponent notation', 1e-7],
  ])('declines %s (String() is the fallback)', (_, n) => {
    expect(text(n)).toBeUndefined();
  });

  it('writes every value with up to six decimals below 10⁹ exactly as String() does', () => {
    fc.assert(
      fc.property(monitorValue, (n) => {
        expect(text(n)).toBe(String(n));
      }),
      { numRuns: 20_000 },
    );
  });

  it('never writes a text that differs from String(), for any double', () => {
    fc.assert(
      fc.property(fc.double(), (n) => {
        const written = text(n);
        if (written !== undefined) expect(written).toBe(String(n));
      }),
      { numRuns: 20_000 },
    );
  });
});
