import { PipelineError } from '../core/errors.js';

/**
 * InfluxDB line protocol encoder (millisecond precision), hand-written because it sits on the hot path:
 * the influxdb-client `Point` builder is ~5x slower (reference/anchors.md).
 *
 * Output rules, chosen so that one point is always exactly one physical line that InfluxDB 1.x, 2.x,
 * 3.x and VictoriaMetrics all parse the same way:
 *
 * - Escaping follows the InfluxDB docs: measurement `,` and space; tag keys, tag values and field keys
 *   `,` `=` and space; string field values `"` and `\`.
 * - CR and LF anywhere (names, tag values, string values) become one space. InfluxDB 1.x/2.x accept a
 *   raw newline inside a quoted string, but VictoriaMetrics and every line-oriented tool split on it and
 *   lose the point (verified against victoria-metrics), and a newline in a name cannot be escaped at all.
 *   Lossy by design: `"a\r\nb"` is stored as `"a b"`.
 * - A backslash in a name or tag value is kept, except where it would escape the next separator or sit at
 *   the end (InfluxDB 1.x has no `\\` escape there and rejects or mis-splits the line): those become `/`.
 *   Such characters do not occur in MNs, codes or enterprise names; the rule only keeps lines parseable.
 * - Tags are sorted by key (InfluxDB's recommendation: it sorts them anyway, pre-sorted input is cheaper);
 *   empty tag values are omitted because InfluxDB rejects `k=` ("missing tag value").
 * - Fields: plain number → float (`String(n)` round-trips, `12` is a float in line protocol), `{ int }` →
 *   `<n>i`, boolean → `true`/`false`, string → quoted. `undefined` fields are skipped (optional values).
 * - Points InfluxDB would reject are a programming error upstream (intakes validate first), so they throw
 *   PipelineError('SINK_WRITE_REJECTED') here instead of becoming a silently dropped line: non-finite
 *   float, non-integer or out-of-range int, no fields, empty measurement or key, the reserved key `time`,
 *   a measurement starting with `#` (a comment line in InfluxDB 1.x), a non-integer timestamp.
 */

export type FieldValue = number | boolean | string | { int: number };

export interface Point {
  measurement: string;
  tags: Record<string, string>;
  fields: Record<string, FieldValue>;
  /** Unix epoch milliseconds; must be a safe integer. */
  timeMs: number;
}

// Fast paths: most names and values contain none of these, so the common case is one regex test.
const MEASUREMENT_SPECIAL = /[ ,\\\r\n]/;
const KEY_SPECIAL = /[ ,=\\\r\n]/;
const STRING_SPECIAL = /["\\\r\n]/;
const NEWLINES = /\r\n|[\r\n]/g;

const INT64_LIMIT = 2 ** 63;

function reject(message: string, details: Record<string, unknown>): never {
  throw new PipelineError('SINK_WRITE_REJECTED', message, details);
}

/** Escapes `s` where `escapeEquals` selects the tag/field-key rules, otherwise the measurement rules. */
function escapeName(s: string, escapeEquals: boolean): string {
  const src = s.replace(NEWLINES, ' ');
  let out = '';
  for (let i = 0; i < src.length; i++) {
    const c = src[i] as string;
    if (c === ',' || c === ' ' || (escapeEquals && c === '=')) {
      out += `\\${c}`;
    } else if (c === '\\') {
      const next = src[i + 1];
      const escapesNext =
        next === undefined || next === ',' || next === ' ' || (escapeEquals && next === '=');
      out += escapesNext ? '/' : '\\';
    } else {
      out += c;
    }
  }
  return out;
}

function escapeMeasurement(s: string): string {
  return MEASUREMENT_SPECIAL.test(s) ? escapeName(s, false) : s;
}

function escapeKey(s: string): string {
  return KEY_SPECIAL.test(s) ? escapeName(s, true) : s;
}

/*
 * Tag sets repeat: every point of a site carries the same MN, enterprise and outlet names, and field keys
 * are a handful of constants. Caching the escaped `,key=value` segments and `key=` prefixes cuts the
 * encoding cost by about a third (fewer escape scans, fewer string pieces for V8 to allocate and flatten
 * when the batch is joined). Bounded: a key's value map is dropped when it exceeds MAX_VALUES_PER_KEY,
 * the whole cache when it exceeds MAX_KEYS, so arbitrary tag values cannot grow memory.
 */
const MAX_KEYS = 256;
const MAX_VALUES_PER_KEY = 4096;
const tagSegments = new Map<string, Map<string, string>>();
const fieldPrefixes = new Map<string, string>();

function tagSegment(key: string, value: string): string {
  let byValue = tagSegments.get(key);
  if (byValue === undefined) {
    if (tagSegments.size >= MAX_KEYS) tagSegments.clear();
    byValue = new Map();
    tagSegments.set(key, byValue);
  }
  let segment = byValue.get(value);
  if (segment === undefined) {
    if (byValue.size >= MAX_VALUES_PER_KEY) byValue.clear();
    segment = `,${escapeKey(key)}=${escapeKey(value)}`;
    byValue.set(value, segment);
  }
  return segment;
}

function fieldPrefix(key: string): string {
  let prefix = fieldPrefixes.get(key);
  if (prefix === undefined) {
    if (fieldPrefixes.size >= MAX_KEYS) fieldPrefixes.clear();
    prefix = `${escapeKey(key)}=`;
    fieldPrefixes.set(key, prefix);
  }
  return prefix;
}

function quoteString(s: string): string {
  if (!STRING_SPECIAL.test(s)) return `"${s}"`;
  let out = '"';
  const src = s.replace(NEWLINES, ' ');
  for (let i = 0; i < src.length; i++) {
    const c = src[i] as string;
    out += c === '"' || c === '\\' ? `\\${c}` : c;
  }
  return `${out}"`;
}

/** The validated value text of a field (what follows `key=`). */
export function encodeField(measurement: string, key: string, value: FieldValue): string {
  switch (typeof value) {
    case 'number':
      if (!Number.isFinite(value)) {
        reject(`field "${key}" of "${measurement}" is not a finite number (${value})`, {
          measurement,
          field: key,
        });
      }
      return String(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'string':
      return quoteString(value);
    default: {
      const n = value.int;
      if (!Number.isInteger(n) || Math.abs(n) >= INT64_LIMIT) {
        reject(`field "${key}" of "${measurement}" is not a 64-bit integer (${n})`, {
          measurement,
          field: key,
        });
      }
      return `${n}i`;
    }
  }
}

function tagSection(measurement: string, tags: Record<string, string>): string {
  const keys = Object.keys(tags);
  // Callers build tags in a fixed order, usually already sorted: check before paying for a sort.
  for (let i = 1; i < keys.length; i++) {
    if ((keys[i - 1] as string) > (keys[i] as string)) {
      keys.sort();
      break;
    }
  }
  let out = '';
  for (const key of keys) {
    const value = tags[key];
    if (value === undefined || value === '') continue;
    if (key === '' || key === 'time') {
      reject(`invalid tag key "${key}" on "${measurement}"`, { measurement, tag: key });
    }
    out += tagSegment(key, value);
  }
  return out;
}

/**
 * The escaped `measurement,tag=value,…` part of a line. A series' key never changes, so hot paths cache
 * it per series and append only fields and time (see `lineWithKey`).
 */
export function seriesKey(measurement: string, tags: Record<string, string>): string {
  if (measurement === '' || measurement.charCodeAt(0) === 35 /* # */) {
    reject(`invalid measurement name "${measurement}"`, { measurement });
  }
  return `${escapeMeasurement(measurement)}${tagSection(measurement, tags)}`;
}

/** A line from a key made by `seriesKey(measurement, …)`, its fields and a millisecond timestamp. */
export function lineWithKey(
  key: string,
  measurement: string,
  fields: Record<string, FieldValue>,
  timeMs: number,
): string {
  checkTimestamp(measurement, timeMs);
  let text = '';
  for (const name of Object.keys(fields)) {
    const value = fields[name];
    if (value === undefined) continue;
    text += `${text === '' ? '' : ','}${fieldText(measurement, name, value)}`;
  }
  if (text === '') reject(`point of "${measurement}" has no fields`, { measurement });
  return `${key} ${text} ${timeMs}`;
}

/** One escaped, validated `key=value` field of a point of `measurement` (the pieces `lineWithKey` joins). */
function fieldText(measurement: string, name: string, value: FieldValue): string {
  return `${fieldKeyText(measurement, name)}${encodeField(measurement, name, value)}`;
}

/** The escaped `key=` of a field (validated); `encodeField` gives what follows the `=`. */
export function fieldKeyText(measurement: string, name: string): string {
  if (name === '' || name === 'time') {
    reject(`invalid field key "${name}" on "${measurement}"`, { measurement, field: name });
  }
  return fieldPrefix(name);
}

/** Throws unless `timeMs` is a valid line-protocol timestamp (an integer millisecond). */
export function checkTimestamp(measurement: string, timeMs: number): void {
  if (!Number.isSafeInteger(timeMs)) {
    reject(`timestamp of "${measurement}" is not an integer millisecond (${timeMs})`, { measurement });
  }
}

/** One line of line protocol (no trailing newline), timestamp in milliseconds. */
export function toLineProtocol(p: Point): string {
  return lineWithKey(seriesKey(p.measurement, p.tags), p.measurement, p.fields, p.timeMs);
}
