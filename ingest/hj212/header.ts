/**
 * The data-segment header: every field before `CP=&&` (HJ 212-2017 表3; hj212.md §1, §3).
 *
 * Parsed by key, not by position, because CRC-valid frames from real devices put `PNO` before `PNUM`,
 * `QN` after `CN`, write `FLAG=0`, and use junk separators like `;,MN=` or `QN=…,ST=` (hj212.md §8.6,
 * §8.13). Hence: split on `;` and `,` (header values never contain `,`), keys matched
 * case-insensitively, keys and values trimmed.
 */

export const HEADER_KEYS = ['QN', 'ST', 'CN', 'PW', 'MN', 'Flag', 'PNUM', 'PNO'] as const;
export type HeaderKey = (typeof HEADER_KEYS)[number];

/** Header fields exactly as received (canonical key spelling), only those present. */
export type Hj212HeaderFields = Partial<Record<HeaderKey, string>>;

export interface ParsedHeader {
  fields: Hj212HeaderFields;
  /** `key=value` items that are not header fields (vendor additions), in order. */
  unknown: { key: string; value: string }[];
  /** Header keys seen more than once; the first occurrence wins. */
  duplicates: HeaderKey[];
}

/** Canonical header key for a key written in any case, or undefined. */
export function canonicalHeaderKey(key: string): HeaderKey | undefined {
  // Exact spelling first: the standard's casing is by far the most common, and avoids a toUpperCase.
  switch (key) {
    case 'QN':
    case 'ST':
    case 'CN':
    case 'PW':
    case 'MN':
    case 'Flag':
    case 'PNUM':
    case 'PNO':
      return key;
  }
  switch (key.toUpperCase()) {
    case 'QN':
      return 'QN';
    case 'ST':
      return 'ST';
    case 'CN':
      return 'CN';
    case 'PW':
      return 'PW';
    case 'MN':
      return 'MN';
    case 'FLAG':
      return 'Flag';
    case 'PNUM':
      return 'PNUM';
    case 'PNO':
      return 'PNO';
    default:
      return undefined;
  }
}

/** Parses the header text (the segment before `CP=&&`). Never throws. */
export function parseHeader(text: string): ParsedHeader {
  // Locals instead of keyed stores on one object: a fixed-shape result is built once at the end.
  let qn: string | undefined;
  let st: string | undefined;
  let cn: string | undefined;
  let pw: string | undefined;
  let mn: string | undefined;
  let flag: string | undefined;
  let pnum: string | undefined;
  let pno: string | undefined;
  let unknown: ParsedHeader['unknown'] | undefined;
  let duplicates: HeaderKey[] | undefined;
  const n = text.length;
  let itemStart = 0;
  while (itemStart <= n) {
    const itemEnd = nextSeparator(text, itemStart);
    const equalsAt = text.indexOf('=', itemStart);
    if (equalsAt >= 0 && equalsAt < itemEnd) {
      const rawKey = trimmedSlice(text, itemStart, equalsAt);
      const value = trimmedSlice(text, equalsAt + 1, itemEnd);
      const key = canonicalHeaderKey(rawKey);
      let duplicate = false;
      switch (key) {
        case 'QN':
          if (qn === undefined) qn = value;
          else duplicate = true;
          break;
        case 'ST':
          if (st === undefined) st = value;
          else duplicate = true;
          break;
        case 'CN':
          if (cn === undefined) cn = value;
          else duplicate = true;
          break;
        case 'PW':
          if (pw === undefined) pw = value;
          else duplicate = true;
          break;
        case 'MN':
          if (mn === undefined) mn = value;
          else duplicate = true;
          break;
        case 'Flag':
          if (flag === undefined) flag = value;
          else duplicate = true;
          break;
        case 'PNUM':
          if (pnum === undefined) pnum = value;
          else duplicate = true;
          break;
        case 'PNO':
          if (pno === undefined) pno = value;
          else duplicate = true;
          break;
        default:
          unknown ??= [];
          unknown.push({ key: rawKey, value });
      }
      if (duplicate) {
        duplicates ??= [];
        duplicates.push(key as HeaderKey);
      }
    } else {
      const junk = trimmedSlice(text, itemStart, itemEnd);
      if (junk.length > 0) {
        unknown ??= [];
        unknown.push({ key: junk, value: '' });
      }
    }
    itemStart = itemEnd + 1;
  }
  const fields: Hj212HeaderFields = {};
  if (qn !== undefined) fields.QN = qn;
  if (st !== undefined) fields.ST = st;
  if (cn !== undefined) fields.CN = cn;
  if (pw !== undefined) fields.PW = pw;
  if (mn !== undefined) fields.MN = mn;
  if (flag !== undefined) fields.Flag = flag;
  if (pnum !== undefined) fields.PNUM = pnum;
  if (pno !== undefined) fields.PNO = pno;
  return { fields, unknown: unknown ?? [], duplicates: duplicates ?? [] };
}

/** Index of the next `;` or `,` at or after `from`, or `text.length`. */
function nextSeparator(text: string, from: number): number {
  const semicolon = text.indexOf(';', from);
  const comma = text.indexOf(',', from);
  if (semicolon < 0) return comma < 0 ? text.length : comma;
  return comma < 0 || semicolon < comma ? semicolon : comma;
}

/** The Flag bit field (HJ 212-2017 表3: bits V5..V0 D A). */
export interface FlagBits {
  value: number;
  /** Bit 0 (A): the receiver must answer (9014 for uploads, 9011/9012 for requests). */
  ackRequired: boolean;
  /** Bit 1 (D): the packet is one of several (PNUM/PNO present). */
  split: boolean;
  /** Bits 7..2: 0 = HJ/T 212-2005, 1 = HJ 212-2017, 2 = HJ 212-2025 (caoyiliang/HJ212; hj212.md top). */
  version: number;
}

/** Largest Flag value: one byte (HJ 212-2017 表3 "Flag=" width 8 incl. key, bits 7..0). */
const FLAG_MAX = 255;

/**
 * Decodes a Flag value. Decodes bits and never whitelists values: Flag=8 and Flag=9 occur (hj212.md §3).
 * Returns undefined when absent or not a decimal integer 0–255.
 */
export function decodeFlag(flag: string | undefined): FlagBits | undefined {
  const value = parseSmallUint(flag);
  if (value === undefined || value > FLAG_MAX) return undefined;
  return { value, ackRequired: (value & 1) === 1, split: (value & 2) === 2, version: value >> 2 };
}

export type ProtocolVersion = '2005' | '2017' | '2025' | 'unknown';

/** Protocol from the Flag version bits; no Flag means HJ/T 212-2005 (which predates the version bits). */
export function protocolOf(version: number | undefined): ProtocolVersion {
  switch (version) {
    case undefined:
    case 0:
      return '2005';
    case 1:
      return '2017';
    case 2:
      return '2025';
    default:
      return 'unknown';
  }
}

/** Decimal digits only (up to 9 of them), as a number; undefined otherwise. Used for Flag, PNUM, PNO. */
export function parseSmallUint(text: string | undefined): number | undefined {
  if (text === undefined || text.length === 0 || text.length > 9) return undefined;
  let value = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i) - 0x30;
    if (c < 0 || c > 9) return undefined;
    value = value * 10 + c;
  }
  return value;
}

/** `text.slice(start, end).trim()` with one allocation (whitespace = ASCII ≤ 0x20, as devices pad with it). */
export function trimmedSlice(text: string, start: number, end: number): string {
  while (start < end && text.charCodeAt(start) <= 0x20) start++;
  while (end > start && text.charCodeAt(end - 1) <= 0x20) end--;
  return text.slice(start, end);
}
