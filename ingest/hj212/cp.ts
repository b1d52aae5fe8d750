import { trimmedSlice } from './header.js';

/**
 * The command-parameter area `CP=&&…&&` (HJ 212-2017 §6.3.3, 表4; hj212.md §4):
 *
 *     CP    := "CP=&&" [ group *( ";" group ) ] "&&"
 *     group := item *( "," item )        one pollutant/topic per group
 *     item  := key "=" value             key = Name | code "-" Suffix
 *
 * Tolerant reading (vectors README "Parsing rules"): split on `;`, then `,`, then the first `=`; keys
 * and values trimmed (the standard's own examples have `CP=&& PolId=`); empty groups dropped
 * (`CP=&&&&` → []); duplicate keys kept in order (表C.29 repeats `e01001-Rtd`).
 */

export interface CpItem {
  readonly key: string;
  readonly value: string;
}

/** One `;`-separated group, items in wire order. */
export type CpGroup = readonly CpItem[];

export interface SegmentParts {
  /** Text before the first `CP=&&` (the whole segment when there is none). */
  headerText: string;
  /** Text between `CP=&&` and the last `&&`; '' when there is no CP. */
  cpText: string;
  cpFound: boolean;
  /** A closing `&&` exists after the opening one (otherwise cpText runs to the end of the segment). */
  cpClosed: boolean;
}

const CP_OPEN = 'CP=&&';
const CP_CLOSE = '&&';

/**
 * Splits a data segment at the first `CP=&&` and the last `&&`. Splitting at `CP=&&` (not at `;CP=`)
 * also absorbs the standard's `Flag=5CP=&&` typo (表C.19), leaving `Flag=5` in the header.
 */
export function splitSegment(segment: string): SegmentParts {
  const open = segment.indexOf(CP_OPEN);
  if (open < 0) return { headerText: segment, cpText: '', cpFound: false, cpClosed: false };
  const cpStart = open + CP_OPEN.length;
  const close = segment.lastIndexOf(CP_CLOSE);
  const cpClosed = close >= cpStart;
  return {
    headerText: segment.slice(0, open),
    cpText: cpClosed ? segment.slice(cpStart, close) : segment.slice(cpStart),
    cpFound: true,
    cpClosed,
  };
}

const SLASH = 0x2f;

/**
 * Parses the CP text (without `CP=&&` and the closing `&&`) into groups. Never throws.
 *
 * A value starting with `//` runs to the next `//` even across `;` and `,`: that is how -Info log text is
 * delimited (表B.10, 表C.40 `i11001-Info=//清洗管路//`), and free text may contain separators.
 *
 * Separators are found with native indexOf (positions cached until passed) rather than a per-char loop:
 * this is the hot path of every upload.
 */
export function parseCp(text: string): CpGroup[] {
  const groups: CpGroup[] = [];
  let group: CpItem[] = [];
  const n = text.length;
  let semicolon = indexOrEnd(text, ';', 0);
  let comma = indexOrEnd(text, ',', 0);
  let equals = indexOrEnd(text, '=', 0);
  let itemStart = 0;
  while (itemStart <= n) {
    if (equals < itemStart) equals = indexOrEnd(text, '=', itemStart);
    if (semicolon < itemStart) semicolon = indexOrEnd(text, ';', itemStart);
    if (comma < itemStart) comma = indexOrEnd(text, ',', itemStart);
    let itemEnd = Math.min(semicolon, comma);
    if (equals < itemEnd) {
      const logEnd = delimitedLogEnd(text, equals + 1);
      if (logEnd > itemEnd) {
        semicolon = indexOrEnd(text, ';', logEnd);
        comma = indexOrEnd(text, ',', logEnd);
        itemEnd = Math.min(semicolon, comma);
      }
      group.push({
        key: trimmedSlice(text, itemStart, equals),
        value: trimmedSlice(text, equals + 1, itemEnd),
      });
    } else {
      const bare = trimmedSlice(text, itemStart, itemEnd);
      // An item without "=" (e.g. a stray word) is kept as a key with an empty value, not lost.
      if (bare.length > 0) group.push({ key: bare, value: '' });
    }
    if (itemEnd === semicolon && group.length > 0) {
      groups.push(group);
      group = [];
    }
    itemStart = itemEnd + 1;
  }
  return groups;
}

/** `text.indexOf(char, from)`, with "not found" as `text.length` (an end-of-text separator). */
function indexOrEnd(text: string, char: string, from: number): number {
  const i = text.indexOf(char, from);
  return i < 0 ? text.length : i;
}

/**
 * If the value at `from` (after optional spaces) starts with `//` and a closing `//` follows, returns the
 * index just past the closing `//`; otherwise -1.
 */
function delimitedLogEnd(text: string, from: number): number {
  let i = from;
  while (i < text.length && text.charCodeAt(i) === 0x20) i++;
  if (text.charCodeAt(i) !== SLASH || text.charCodeAt(i + 1) !== SLASH) return -1;
  const close = text.indexOf('//', i + 2);
  return close < 0 ? -1 : close + 2;
}

/** Splits `a21026-Rtd` at the LAST `-` (codes never contain `-`; hj212.md §4). No `-` → no code. */
export function splitCpKey(key: string): { code: string | undefined; field: string } {
  const dash = lastDashIndex(key);
  if (dash < 0) return { code: undefined, field: key };
  return { code: key.slice(0, dash), field: key.slice(dash + 1) };
}

/**
 * Index of the last `-` in a CP key, or -1. A backward char scan: keys are short and the suffix is 2–10
 * chars, and String.prototype.lastIndexOf is a slow runtime call in V8 on this hot path.
 */
export function lastDashIndex(key: string): number {
  for (let i = key.length - 1; i >= 0; i--) if (key.charCodeAt(i) === 0x2d) return i;
  return -1;
}

/** First value of `key` anywhere in CP (e.g. `DataTime`), or undefined. */
export function findCpValue(groups: readonly CpGroup[], key: string): string | undefined {
  for (const group of groups) {
    for (const item of group) if (item.key === key) return item.value;
  }
  return undefined;
}

/**
 * Groups as plain `key → value` objects, as the test vectors write them. Later duplicates within one
 * group overwrite earlier ones here; the CpGroup form keeps both. Built with Object.fromEntries so a
 * key such as `__proto__` becomes an own property instead of touching the prototype.
 */
export function cpGroupsToRecords(groups: readonly CpGroup[]): Record<string, string>[] {
  return groups.map((group) => Object.fromEntries(group.map((item) => [item.key, item.value])));
}
