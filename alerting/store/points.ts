import type { SiteEntry } from '../../config/registry.js';
import type { FieldValue, Point } from '../../ingest/line-protocol.js';
import { siteTags } from '../../ingest/points.js';
import type { AggregateMismatch, DayAggregate, HourAggregate } from '../aggregate/aggregate.js';
import type { Alarm, AlarmEvent } from '../lifecycle/book.js';

/** Points of the measurements the alerting engine writes (docs/data-model.md, "Written by the alerting engine"). */

function setNum(fields: Record<string, FieldValue>, key: string, v: number | undefined): void {
  if (v !== undefined && Number.isFinite(v)) fields[key] = v;
}

export function aggHourPoint(site: SiteEntry, a: HourAggregate, limit: number | undefined): Point {
  const fields: Record<string, FieldValue> = { valid: a.valid };
  setNum(fields, 'mean', a.mean);
  setNum(fields, 'zs_mean', a.zsMean);
  setNum(fields, 'min', a.min);
  setNum(fields, 'max', a.max);
  if (a.validMinutes !== undefined) fields.valid_minutes = { int: a.validMinutes };
  if (a.totalMinutes !== undefined) fields.total_minutes = { int: a.totalMinutes };
  if (a.zsValidMinutes !== undefined) fields.zs_valid_minutes = { int: a.zsValidMinutes };
  if (a.zsMean !== undefined || a.zsValidMinutes !== undefined) fields.zs_valid = a.zsValid;
  setNum(fields, 'limit', limit);
  setNum(fields, 'load_kg_h', a.loadKgH);
  if (a.unit !== undefined) fields.unit = a.unit;
  if (a.flag !== undefined) fields.flag = a.flag;
  return {
    measurement: 'agg_hour',
    tags: { ...siteTags(site), pollutant: a.code, origin: a.origin },
    fields,
    timeMs: a.start,
  };
}

export function aggDayPoint(site: SiteEntry, d: DayAggregate, limit: number | undefined): Point {
  const fields: Record<string, FieldValue> = { valid: d.valid, valid_hours: { int: d.validHours } };
  setNum(fields, 'mean', d.mean);
  setNum(fields, 'zs_mean', d.zsMean);
  setNum(fields, 'min', d.min);
  setNum(fields, 'max', d.max);
  setNum(fields, 'limit', limit);
  setNum(fields, 'load_kg', d.loadKg);
  if (d.unit !== undefined) fields.unit = d.unit;
  return {
    measurement: 'agg_day',
    tags: { ...siteTags(site), pollutant: d.code, origin: d.origin },
    fields,
    timeMs: d.start,
  };
}

/**
 * `timeMs` is the transition time, nudged by the caller to be unique per series: same tags + time
 * overwrite in InfluxDB, and two transitions of one outlet/pollutant/rule can share a millisecond.
 */
export function alarmEventPoint(
  site: SiteEntry,
  a: Alarm,
  e: AlarmEvent,
  textZh: string,
  textEn: string,
  timeMs: number,
): Point {
  const fields: Record<string, FieldValue> = {
    alarm_id: a.id,
    transition: e.transition,
    state: e.state,
    basis: a.basis,
    window_start: { int: a.lastWindowStart },
    window_end: { int: a.lastWindowEnd },
    text_zh: textZh,
    text_en: textEn,
    actor: e.actor,
    seq: { int: e.seq },
  };
  setNum(fields, 'value', e.value);
  setNum(fields, 'limit', e.limit);
  if (a.unit !== undefined) fields.unit = a.unit;
  if (e.comment !== undefined) fields.comment = e.comment;
  return {
    measurement: 'alarm_event',
    tags: { ...siteTags(site), rule: a.rule, severity: e.severity, pollutant: a.pollutant },
    fields,
    timeMs,
  };
}

export function mismatchPoint(site: SiteEntry, m: AggregateMismatch, at: number): Point {
  const fields: Record<string, FieldValue> = {
    kind: m.kind,
    window_start: { int: m.start },
    text_zh: `数采仪小时数据与中心计算值不一致（${m.kind === 'validity' ? '有效性' : '数值'}）`,
  };
  setNum(fields, 'value', m.device);
  setNum(fields, 'computed', m.computed);
  return {
    measurement: 'quality_signal',
    tags: { ...siteTags(site), signal: 'aggregate_mismatch', pollutant: m.code },
    fields,
    timeMs: at,
  };
}
