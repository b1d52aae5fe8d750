import { z } from 'zod';
import { parseFlexibleTime } from '../core/local-time.js';
import { KIND_BY_CN, type PollutantValue, type Reading, type ReadingSource } from './reading.js';

/**
 * The JSON payload gateways publish on `emissions/{mn}/up` (DESIGN.md §4):
 * `{ "st": "31", "cn": "2011", "dataTime": "2026-11-23T10:00:00+08:00",
 *    "values": { "a21026": { "rtd": 12.3, "flag": "N" } } }`
 * Field names mirror the HJ 212 suffixes so both intakes produce the same reading.
 */

/** z.number() already rejects NaN; `.finite()` semantics also reject ±Infinity (JSON cannot carry them, but be explicit). */
const Num = z.number().refine(Number.isFinite, 'must be a finite number');

const ValueObject = z.strictObject({
  rtd: Num.optional(),
  avg: Num.optional(),
  min: Num.optional(),
  max: Num.optional(),
  zsRtd: Num.optional(),
  zsAvg: Num.optional(),
  zsMin: Num.optional(),
  zsMax: Num.optional(),
  cou: Num.optional(),
  flag: z
    .string()
    .regex(/^[A-Za-z0-9]{1,4}$/, 'a data flag such as N, M, C, D, T')
    .optional(),
  eflag: z.string().max(8).optional(),
  sampleTime: z.string().optional(),
  rs: Num.optional(),
  rt: Num.optional(),
});

const CODE = /^[A-Za-z0-9][A-Za-z0-9_]{0,15}$/;

export const JsonPayload = z.strictObject({
  st: z.string().regex(/^[0-9A-Z]{2,3}$/, 'HJ 212 system code, e.g. 31 (flue gas) or 32 (wastewater)'),
  cn: z.enum(
    Object.keys(KIND_BY_CN) as [string, ...string[]],
    'a data upload CN: 2011, 2051, 2061, 2031, 2021 or 2041',
  ),
  dataTime: z.string().min(8).max(40),
  qn: z.string().max(20).optional(),
  values: z
    .record(z.string().regex(CODE, 'pollutant code such as a21026'), ValueObject)
    .refine((v) => Object.keys(v).length > 0, 'at least one value'),
});
export type JsonPayload = z.infer<typeof JsonPayload>;

export type DecodeResult =
  | { ok: true; reading: Reading }
  | {
      ok: false;
      code: 'ING_PAYLOAD_NOT_JSON' | 'ING_PAYLOAD_INVALID' | 'ING_DATATIME_INVALID';
      reason: string;
    };

/**
 * Validates a JSON payload and builds the normalized reading. Never throws: every rejection comes
 * back with a stable code and a one-line reason for the log and the device's down topic.
 */
export function decodeJsonPayload(
  payload: Buffer | string,
  ctx: { mn: string; timeZone: string; receivedAt: Date; source?: ReadingSource },
): DecodeResult {
  let doc: unknown;
  try {
    doc = JSON.parse(typeof payload === 'string' ? payload : payload.toString('utf8'));
  } catch (err) {
    return { ok: false, code: 'ING_PAYLOAD_NOT_JSON', reason: `not JSON: ${(err as Error).message}` };
  }
  const parsed = JsonPayload.safeParse(doc);
  if (!parsed.success) {
    const reason = parsed.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
      .join('; ');
    return { ok: false, code: 'ING_PAYLOAD_INVALID', reason };
  }
  const p = parsed.data;
  const dataTime = parseFlexibleTime(p.dataTime, ctx.timeZone);
  if (!dataTime) {
    return {
      ok: false,
      code: 'ING_DATATIME_INVALID',
      reason: `dataTime "${p.dataTime}" is not a valid time`,
    };
  }
  const values: PollutantValue[] = [];
  for (const [code, v] of Object.entries(p.values)) {
    const { sampleTime, ...rest } = v;
    const value: PollutantValue = { code, ...rest };
    if (sampleTime !== undefined) {
      const st = parseFlexibleTime(sampleTime, ctx.timeZone);
      if (!st) {
        return {
          ok: false,
          code: 'ING_DATATIME_INVALID',
          reason: `values.${code}.sampleTime "${sampleTime}" is not a valid time`,
        };
      }
      value.sampleTime = st;
    }
    values.push(value);
  }
  return {
    ok: true,
    reading: {
      mn: ctx.mn,
      st: p.st,
      cn: p.cn,
      kind: KIND_BY_CN[p.cn] ?? 'rtd',
      dataTime,
      receivedAt: ctx.receivedAt,
      source: ctx.source ?? 'mqtt-json',
      values,
    },
  };
}
