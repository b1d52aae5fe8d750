/**
 * The decimal text of a float written straight into a buffer as ASCII, for the values monitors send:
 * magnitudes below 10⁹ with at most six decimals (concentrations, flows, temperatures). `String(n)` is
 * V8's general shortest-round-trip conversion and allocates a string for every value; this is about five
 * times faster, which is a few per cent of ingest's CPU at eight values per reading.
 *
 * Why the text is exactly `String(n)`: the first k (0…6) for which m = round(|n|·10^k) gives m/10^k === |n|
 * is found. Both m and 10^k are exact doubles, so m/10^k is the double nearest the decimal m·10^-k, i.e.
 * that decimal reads back as n. Below 10⁹ doubles lie less than 1.2·10⁻⁷ apart, so no two decimals with
 * up to six places read back as the same double: the first k found is the shortest round-trip text, which
 * is what `String(n)` prints in plain notation (it uses plain notation from 10⁻⁶ up, and k ≤ 6 means
 * |n| ≥ 10⁻⁶ unless n is 0).
 */

/** Longest text written: sign, nine integer digits, point, six decimals. */
export const MAX_DECIMAL_TEXT_BYTES = 17;

const POWERS_OF_TEN = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000] as const;
const MAX_DECIMALS = 6;
const LIMIT = 1e9;
const MINUS = 0x2d;
const POINT = 0x2e;
const ZERO = 0x30;

/**
 * Writes the text of `n` at `at` (room for MAX_DECIMAL_TEXT_BYTES is the caller's) and returns the
 * position after it, or -1 without writing when `n` is not finite, not below 10⁹ in magnitude or needs
 * more than six decimals; the caller then falls back to `String(n)`.
 */
export function writeDecimalText(target: Uint8Array, at: number, n: number): number {
  const negative = n < 0;
  const magnitude = negative ? -n : n;
  if (!(magnitude < LIMIT)) return -1; // also NaN
  let decimals = 0;
  let scaled = magnitude;
  if (scaled !== Math.floor(scaled)) {
    for (decimals = 1; ; decimals++) {
      if (decimals > MAX_DECIMALS) return -1;
      scaled = Math.round(magnitude * (POWERS_OF_TEN[decimals] as number));
      if (scaled / (POWERS_OF_TEN[decimals] as number) === magnitude) break;
    }
  }
  const unit = POWERS_OF_TEN[decimals] as number;
  // Below 10⁹ both parts fit in 31 bits, so integer arithmetic (`| 0`) is exact from here on.
  let whole = Math.floor(scaled / unit);
  let fraction = scaled - whole * unit;
  let pos = at;
  if (negative) target[pos++] = MINUS;
  let digits = 1;
  for (let rest = (whole / 10) | 0; rest > 0; rest = (rest / 10) | 0) digits++;
  pos += digits;
  for (let p = pos - 1; p >= pos - digits; p--) {
    target[p] = ZERO + (whole % 10);
    whole = (whole / 10) | 0;
  }
  if (decimals > 0) {
    target[pos++] = POINT;
    pos += decimals;
    for (let p = pos - 1; p >= pos - decimals; p--) {
      target[p] = ZERO + (fraction % 10);
      fraction = (fraction / 10) | 0;
    }
  }
  return pos;
}
