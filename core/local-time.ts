/**
 * Wall-clock time in a site's zone ↔ UTC. HJ 212 DataTime/QN carry no zone (hj212.md §4): gateways
 * write local time, so intake interprets it in the site zone (default Asia/Shanghai) and stores UTC.
 */

const formatters = new Map<string, Intl.DateTimeFormat>();
/** Offsets change at most at hour boundaries in real zones; caching per (zone, UTC hour) keeps the hot path cheap. */
const offsetCache = new Map<string, number>();
const OFFSET_CACHE_MAX = 10_000;
const HOUR_MS = 3_600_000;

function formatterFor(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(zone, f);
  }
  return f;
}

/** Offset of `zone` from UTC at instant `utcMs`, in ms (Asia/Shanghai → +28 800 000). */
export function zoneOffsetMs(zone: string, utcMs: number): number {
  const key = `${zone}|${Math.floor(utcMs / HOUR_MS)}`;
  const cached = offsetCache.get(key);
  if (cached !== undefined) return cached;
  const parts = formatterFor(zone).formatToParts(new Date(utcMs));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const asUtc = Date.UTC(
    get('year'),
    get('month') - 1,
    get('day'),
    get('hour'),
    get('minute'),
    get('second'),
  );
  const offset = asUtc - (utcMs - (utcMs % 1000));
  if (offsetCache.size >= OFFSET_CACHE_MAX) offsetCache.clear();
  offsetCache.set(key, offset);
  return offset;
}

export interface WallTime {
  year: number;
  month: number; // 1–12
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond?: number;
}

/** UTC instant of a wall-clock time in `zone`. Returns NaN for impossible field values. */
export function wallTimeToUtc(t: WallTime, zone: string): number {
  if (
    t.month < 1 ||
    t.month > 12 ||
    t.day < 1 ||
    t.day > 31 ||
    t.hour > 23 ||
    t.minute > 59 ||
    t.second > 59 ||
    t.hour < 0 ||
    t.minute < 0 ||
    t.second < 0
  ) {
    return Number.NaN;
  }
  const asUtc = Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second, t.millisecond ?? 0);
  // Reject 2026-02-30 and the like: Date.UTC silently rolls them over.
  if (new Date(asUtc).getUTCDate() !== t.day) return Number.NaN;
  // Two passes settle DST transitions: the offset at the guess may differ from the offset at the answer.
  let utc = asUtc - zoneOffsetMs(zone, asUtc);
  utc = asUtc - zoneOffsetMs(zone, utc);
  return utc;
}

const COMPACT = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{3})?$/;

/**
 * Parses HJ 212 `YYYYMMDDhhmmss` (DataTime, SampleTime) or `YYYYMMDDhhmmsszzz` (QN; some gateways send
 * 17-digit DataTime too, hj212.md §8.7) as wall time in `zone`. Returns undefined when malformed.
 */
export function parseCompactLocalTime(text: string, zone: string): Date | undefined {
  const m = COMPACT.exec(text);
  if (!m) return undefined;
  const utc = wallTimeToUtc(
    {
      year: Number(m[1]),
      month: Number(m[2]),
      day: Number(m[3]),
      hour: Number(m[4]),
      minute: Number(m[5]),
      second: Number(m[6]),
      millisecond: m[7] ? Number(m[7]) : 0,
    },
    zone,
  );
  return Number.isNaN(utc) ? undefined : new Date(utc);
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** Wall-clock fields of a UTC instant in `zone`. */
export function utcToWallTime(utcMs: number, zone: string): Required<WallTime> {
  const d = new Date(utcMs + zoneOffsetMs(zone, utcMs));
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
    millisecond: d.getUTCMilliseconds(),
  };
}

/** `YYYYMMDDhhmmss` in `zone` (HJ 212 DataTime). */
export function formatCompactLocalTime(utcMs: number, zone: string): string {
  const w = utcToWallTime(utcMs, zone);
  return `${w.year}${pad(w.month)}${pad(w.day)}${pad(w.hour)}${pad(w.minute)}${pad(w.second)}`;
}

/** `YYYYMMDDhhmmsszzz` in `zone` (HJ 212 QN). */
export function formatQn(utcMs: number, zone: string): string {
  const w = utcToWallTime(utcMs, zone);
  return `${formatCompactLocalTime(utcMs, zone)}${pad(w.millisecond, 3)}`;
}

/** ISO 8601 with the zone's offset, e.g. 2026-11-23T10:00:00+08:00 (what gateways put in JSON). */
export function formatIsoLocal(utcMs: number, zone: string): string {
  const w = utcToWallTime(utcMs, zone);
  const offMin = Math.round(zoneOffsetMs(zone, utcMs) / 60_000);
  const sign = offMin >= 0 ? '+' : '-';
  const abs = Math.abs(offMin);
  const ms = w.millisecond ? `.${pad(w.millisecond, 3)}` : '';
  return `${w.year}-${pad(w.month)}-${pad(w.day)}T${pad(w.hour)}:${pad(w.minute)}:${pad(w.second)}${ms}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:?\d{2})$/;
const ISO_LOCAL = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?$/;

/**
 * Parses a JSON payload's dataTime: ISO 8601 with a zone or offset (taken as is), ISO without one, or
 * HJ 212 compact form (both interpreted in the site zone).
 */
export function parseFlexibleTime(text: string, zone: string): Date | undefined {
  if (ISO_WITH_ZONE.test(text)) {
    const ms = Date.parse(text);
    return Number.isNaN(ms) ? undefined : new Date(ms);
  }
  const m = ISO_LOCAL.exec(text);
  if (m) {
    const utc = wallTimeToUtc(
      {
        year: Number(m[1]),
        month: Number(m[2]),
        day: Number(m[3]),
        hour: Number(m[4]),
        minute: Number(m[5]),
        second: Number(m[6] ?? 0),
        millisecond: m[7] ? Number(m[7].padEnd(3, '0')) : 0,
      },
      zone,
    );
    return Number.isNaN(utc) ? undefined : new Date(utc);
  }
  return parseCompactLocalTime(text, zone);
}
