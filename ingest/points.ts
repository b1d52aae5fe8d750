import type { SiteEntry } from '../config/registry.js';
import { type FieldValue, lineWithKey, type Point, seriesKey } from './line-protocol.js';
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

function valueFields(kind: ReadingKind, v: PollutantValue, crc: Reading['crc']): Record<string, FieldValue> {
  const fields: Record<string, FieldValue> = {};
  // `value` is the number a trend shows: Rtd for real-time data, Avg for interval data (HJ 212 §4).
  const main = kind === 'rtd' ? v.rtd : kind === 'status' ? v.rs : kind === 'runtime' ? v.rt : v.avg;
  if (main !== undefined) fields.value = main;
  // A real-time upload may still carry Avg/Min/Max, and an interval upload a Rtd: keep whatever came.
  if (kind !== 'rtd' && v.rtd !== undefined) fields.rtd = v.rtd;
  if (kind === 'rtd' && v.avg !== undefined) fields.avg = v.avg;
  if (v.min !== undefined) fields.min = v.min;
  if (v.max !== undefined) fields.max = v.max;
  const zs = kind === 'rtd' ? v.zsRtd : v.zsAvg;
  if (zs !== undefined) fields.zs = zs;
  if (kind !== 'rtd' && v.zsRtd !== undefined) fields.zs_rtd = v.zsRtd;
  if (v.zsMin !== undefined) fields.zs_min = v.zsMin;
  if (v.zsMax !== undefined) fields.zs_max = v.zsMax;
  if (v.cou !== undefined) fields.cou = v.cou;
  if (v.flag !== undefined) fields.flag = v.flag;
  if (v.eflag !== undefined) fields.eflag = v.eflag;
  if (v.sampleTime !== undefined) fields.sample_time = { int: v.sampleTime.getTime() };
  if (kind !== 'status' && v.rs !== undefined) fields.rs = v.rs;
  if (kind !== 'runtime' && v.rt !== undefined) fields.rt = v.rt;
  fields.valid = isValidFlag(v.flag);
  // HJ 212 frames accepted despite a non-standard CRC (lenient/off policy) stay identifiable.
  if (crc !== undefined && crc !== 'ok') fields.crc = crc;
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
 * Reading → line-protocol lines, the hot path of ingest. Output is identical to
 * `readingToPoints(...).map(toLineProtocol)`; the escaped series key of each (kind, gateway, pollutant)
 * is built once and cached, because a site's 8 tags (Chinese names included) never change between
 * readings. Bounded: cleared when it holds `maxSeries` keys.
 */
export function createLineEncoder(maxSeries = 200_000) {
  const keys = new Map<string, string>();
  return {
    readingLines(reading: Reading, site: SiteEntry): string[] {
      const measurement = MEASUREMENT_BY_KIND[reading.kind];
      const timeMs = reading.dataTime.getTime();
      const lines: string[] = [];
      for (const v of reading.values) {
        const cacheKey = `${measurement}\u0000${site.gateway.mn}\u0000${v.code}`;
        let key = keys.get(cacheKey);
        if (key === undefined) {
          if (keys.size >= maxSeries) keys.clear();
          key = seriesKey(measurement, { ...siteTags(site), pollutant: v.code });
          keys.set(cacheKey, key);
        }
        lines.push(lineWithKey(key, measurement, valueFields(reading.kind, v, reading.crc), timeMs));
      }
      return lines;
    },
  };
}

export type LineEncoder = ReturnType<typeof createLineEncoder>;
