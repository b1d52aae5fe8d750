import type { SiteEntry } from '../config/registry.js';
import { MAX_DECIMAL_TEXT_BYTES, writeDecimalText } from './decimal-text.js';
import {
  checkTimestamp,
  encodeField,
  type FieldValue,
  fieldKeyText,
  type Point,
  seriesKey,
} from './line-protocol.js';
import type { LineBlock } from './point-sink.js';
import type { PollutantValue, Reading, ReadingKind } from './reading.js';

/**
 * Storage layout (README "Data in InfluxDB"): one point per pollutant per data time, one measurement
 * per data kind. Tags identify the series; because the same tags + time overwrite in InfluxDB, a
 * gateway's retransmission of a reading rewrites the same points instead of adding new ones.
 */
export const MEASUREMENT_BY_KIND: Readonly<Record<ReadingKind, string>> = {
  rtd: 'emission_rtd',
  minute: 'emission_minute',
  hour: 'emission_hour',
  day: 'emission_day',
  status: 'device_status',
  runtime: 'device_runtime',
};

/** Only flag N counts as a valid measurement (regulations.md §1.2, R1). A value without a flag is taken as N. */
export function isValidFlag(flag: string | undefined): boolean {
  return flag === undefined || flag === 'N';
}

export function siteTags(site: SiteEntry): Record<string, string> {
  return {
    mn: site.gateway.mn,
    enterprise: site.enterprise.id,
    enterprise_name: site.enterprise.name,
    outlet: site.outlet.id,
    outlet_name: site.outlet.name,
    region: site.enterprise.region,
    medium: site.outlet.medium,
  };
}

type FieldSink = (name: string, value: FieldValue) => void;

/**
 * The fields of one pollutant value, in line order, handed to `emit`: the single definition of the
 * field layout, shared by the generic point builder and the hot-path byte encoder.
 */
function emitValueFields(kind: ReadingKind, v: PollutantValue, crc: Reading['crc'], emit: FieldSink): void {
  // `value` is the number a trend shows: Rtd for real-time data, Avg for interval data (HJ 212 §4).
  const main = kind === 'rtd' ? v.rtd : kind === 'status' ? v.rs : kind === 'runtime' ? v.rt : v.avg;
  if (main !== undefined) emit('value', main);
  // A real-time upload may still carry Avg/Min/Max, and an interval upload a Rtd: keep whatever came.
  if (kind !== 'rtd' && v.rtd !== undefined) emit('rtd', v.rtd);
  if (kind === 'rtd' && v.avg !== undefined) emit('avg', v.avg);
  if (v.min !== undefined) emit('min', v.min);
  if (v.max !== undefined) emit('max', v.max);
  const zs = kind === 'rtd' ? v.zsRtd : v.zsAvg;
  if (zs !== undefined) emit('zs', zs);
  if (kind !== 'rtd' && v.zsRtd !== undefined) emit('zs_rtd', v.zsRtd);
  if (v.zsMin !== undefined) emit('zs_min', v.zsMin);
  if (v.zsMax !== undefined) emit('zs_max', v.zsMax);
  if (v.cou !== undefined) emit('cou', v.cou);
  // Validity is `flag = 'N'` in every query (regulations.md R1). A value that came without a flag is
  // normal data and is stored as N, so no separate `valid` field is needed: each field is its own
  // column in InfluxDB, and a third one per point cost about a quarter of its write throughput
  // (docs/benchmarks.md). Status and run-time items (SB codes) carry a flag only when one was sent.
  const flag = v.flag ?? (kind === 'status' || kind === 'runtime' ? undefined : 'N');
  if (flag !== undefined) emit('flag', flag);
  if (v.eflag !== undefined) emit('eflag', v.eflag);
  if (v.sampleTime !== undefined) emit('sample_time', { int: v.sampleTime.getTime() });
  if (kind !== 'status' && v.rs !== undefined) emit('rs', v.rs);
  if (kind !== 'runtime' && v.rt !== undefined) emit('rt', v.rt);
  // HJ 212 frames accepted despite a non-standard CRC (lenient/off policy) stay identifiable.
  if (crc !== undefined && crc !== 'ok') emit('crc', crc);
}

function valueFields(kind: ReadingKind, v: PollutantValue, crc: Reading['crc']): Record<string, FieldValue> {
  const fields: Record<string, FieldValue> = {};
  emitValueFields(kind, v, crc, (name, value) => {
    fields[name] = value;
  });
  return fields;
}

/** Points for one reading of a registered gateway. */
export function readingToPoints(reading: Reading, site: SiteEntry): Point[] {
  const tags = siteTags(site);
  const measurement = MEASUREMENT_BY_KIND[reading.kind];
  const timeMs = reading.dataTime.getTime();
  return reading.values.map((v) => ({
    measurement,
    tags: { ...tags, pollutant: v.code },
    fields: valueFields(reading.kind, v, reading.crc),
    timeMs,
  }));
}

/** Online/offline transitions of a gateway (DESIGN.md §4 `device_state`). */
export function deviceStatePoint(site: SiteEntry, online: boolean, transport: string, timeMs: number): Point {
  return {
    measurement: 'device_state',
    tags: { ...siteTags(site), transport },
    fields: { online, state: online ? 'online' : 'offline' },
    timeMs,
  };
}

/**
 * Reading → line protocol as UTF-8 bytes, the hot path of ingest: what the spool stores and InfluxDB
 * receives. The text is identical to `readingToPoints(...).map(toLineProtocol).join('\n')`, but built
 * without intermediate points, field objects or per-line strings: the escaped series key of each
 * (kind, gateway, pollutant) is kept as bytes, because a site's 8 tags (Chinese names included) never
 * change between readings, and each line is written straight into a shared slab (key bytes, cached
 * `,name=` bytes, the value's text, the time); the block is a view of its part of the slab. Keeping the
 * Chinese tag text out of per-reading strings also keeps V8 from building two-byte strings for every
 * line, which was a large share of the garbage ingest made. Bounded: the key cache is cleared when it
 * holds `maxSeries` keys (a registry reload brings new site objects; the old ones' keys go with them).
 */
export function createLineEncoder(maxSeries = 200_000) {
  // Site → kind → pollutant code → key bytes. Looked up by object identity and short, usually
  // internalized code strings: no per-value cache-key string to build and hash.
  let keys = new WeakMap<SiteEntry, Map<string, Buffer>[]>();
  let cached = 0;
  /** `name=` and `,name=` as bytes per field name (a handful of constants). */
  const fieldKeys = new Map<string, { first: Buffer; next: Buffer }>();
  // Blocks are written straight into a slab and handed out as views of it (no copy, no allocation per
  // reading); a new slab is started when one is full. A slab is freed once all its blocks are (they live
  // until their group commit, milliseconds).
  let slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
  let start = 0; // where the block being written begins
  let at = 0; // write position
  let firstField = true;
  let measurementOf = '';

  function reserve(bytes: number): void {
    if (at + bytes <= slab.length) return;
    const partial = at - start;
    const next = Buffer.allocUnsafeSlow(Math.max(SLAB_BYTES, (partial + bytes) * 2));
    slab.copy(next, 0, start, at);
    slab = next;
    start = 0;
    at = partial;
  }

  function fieldKeyBytes(name: string): { first: Buffer; next: Buffer } {
    let k = fieldKeys.get(name);
    if (k === undefined) {
      const text = fieldKeyText(measurementOf, name);
      k = { first: Buffer.from(text, 'utf8'), next: Buffer.from(`,${text}`, 'utf8') };
      if (fieldKeys.size < 256) fieldKeys.set(name, k); // field names are constants; bound it anyway
    }
    return k;
  }

  /**
   * Appends `text` as UTF-8. Field values and times are short and almost always ASCII: a byte loop
   * beats `Buffer#write`'s per-call overhead (which was a fifth of the encoding time) for them.
   */
  function writeText(text: string): void {
    const n = text.length;
    reserve(n * 3); // UTF-8 needs at most 3 bytes per UTF-16 unit
    for (let j = 0; j < n; j++) {
      const c = text.charCodeAt(j);
      if (c >= 0x80) {
        // From the first non-ASCII unit on (a code point boundary: everything before was ASCII).
        at += slab.write(j === 0 ? text : text.slice(j), at, 'utf8');
        return;
      }
      slab[at++] = c;
    }
  }

  /**
   * The quoted text of short string values as bytes: flags (`"N"`), eflags and CRC states come from a
   * handful of values, so each is quoted and encoded once. Bounded like the other caches.
   */
  const shortStrings = new Map<string, Buffer>();

  // One reusable field sink per encoder (no closure per value): writes `,name=value` at `at`.
  const writeField: FieldSink = (name, value) => {
    const k = fieldKeyBytes(name);
    const key = firstField ? k.first : k.next;
    firstField = false;
    reserve(key.length + MAX_DECIMAL_TEXT_BYTES);
    slab.set(key, at);
    at += key.length;
    if (typeof value === 'number') {
      const end = writeDecimalText(slab, at, value);
      if (end >= 0) {
        at = end;
        return;
      }
    } else if (typeof value === 'string' && value.length <= SHORT_STRING) {
      let bytes = shortStrings.get(value);
      if (bytes === undefined) {
        bytes = Buffer.from(encodeField(measurementOf, name, value), 'utf8');
        if (shortStrings.size >= 256) shortStrings.clear();
        shortStrings.set(value, bytes);
      }
      reserve(bytes.length);
      for (let j = 0; j < bytes.length; j++) slab[at++] = bytes[j] as number;
      return;
    }
    writeText(encodeField(measurementOf, name, value)); // other numbers (String(n)) and their rejections
  };

  function keyBytes(kind: ReadingKind, site: SiteEntry, code: string): Buffer {
    let byKind = keys.get(site);
    if (byKind === undefined) {
      byKind = [];
      keys.set(site, byKind);
    }
    const kindIndex = KIND_INDEX[kind];
    let byCode = byKind[kindIndex];
    if (byCode === undefined) {
      byCode = new Map();
      byKind[kindIndex] = byCode;
    }
    let key = byCode.get(code);
    if (key === undefined) {
      if (cached >= maxSeries) {
        keys = new WeakMap();
        cached = 0;
        return keyBytes(kind, site, code);
      }
      const measurement = MEASUREMENT_BY_KIND[kind];
      key = Buffer.from(`${seriesKey(measurement, { ...siteTags(site), pollutant: code })} `, 'utf8');
      byCode.set(code, key);
      cached++;
    }
    return key;
  }

  return {
    /** The reading's lines joined by `\n` (no trailing newline); `lines` is 0 for a reading without values. */
    readingBlock(reading: Reading, site: SiteEntry): LineBlock {
      const count = reading.values.length;
      if (count === 0) return EMPTY_BLOCK;
      const measurement = MEASUREMENT_BY_KIND[reading.kind];
      const timeMs = reading.dataTime.getTime();
      checkTimestamp(measurement, timeMs);
      const time = ` ${timeMs}`; // ASCII digits
      measurementOf = measurement;
      at = start; // drops what a reading that threw half-way (invalid value) left behind
      for (let i = 0; i < count; i++) {
        const v = reading.values[i] as PollutantValue;
        const key = keyBytes(reading.kind, site, v.code);
        reserve(key.length + 1);
        if (i > 0) slab[at++] = NEWLINE;
        slab.set(key, at); // TypedArray#set: a plain memcpy, cheaper than Buffer#copy for short keys
        at += key.length;
        firstField = true;
        emitValueFields(reading.kind, v, reading.crc, writeField);
        writeText(time);
      }
      const bytes = slab.subarray(start, at);
      start = at;
      return { bytes, lines: count };
    },
  };
}

const NEWLINE = 0x0a;
/** String values up to this many UTF-16 units have their quoted bytes cached (flags, eflags, CRC states). */
const SHORT_STRING = 8;
/** About 120 readings of 8 lines: one ArrayBuffer per slab instead of one pool slice per reading. */
const SLAB_BYTES = 256 * 1024;
const KIND_INDEX: Readonly<Record<ReadingKind, number>> = {
  rtd: 0,
  minute: 1,
  hour: 2,
  day: 3,
  status: 4,
  runtime: 5,
};
const EMPTY_BLOCK: LineBlock = { bytes: Buffer.alloc(0), lines: 0 };

export type LineEncoder = ReturnType<typeof createLineEncoder>;
