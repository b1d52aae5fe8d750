import { z } from 'zod';
import { parseFlexibleTime } from '../core/local-time.js';
import { KIND_BY_CN, type PollutantValue, type Reading, type ReadingSource } from './reading.js';

/**
 * The JSON payload gateways publish on `emissions/{mn}/up` (DESIGN.md §4):
 * `{ "st": "31", "cn": "2011", "dataTime": "2026-11-23T10:00:00+08:00",
 *    "values": { "a21026": { "rtd": 12.3, "flag": "N" } } }`
 * Field names mirror the HJ 212 suffixes so both intakes produce the same reading.
 */

/** z.number() already rejects NaN and (in zod 4) ±Infinity, which JSON.parse makes of 1e999; the refine keeps it explicit. */
const Num = z.number().refine(Number.isFinite, 'must be a finite number');

// Shared by the schema and by `fastDecode` below, which must accept nothing the schema rejects.
const FLAG = /^[A-Za-z0-9]{1,4}$/;
const CODE = /^[A-Za-z0-9][A-Za-z0-9_]{0,15}$/;
const ST = /^[0-9A-Z]{2,3}$/;
const CNS = Object.keys(KIND_BY_CN) as [string, ...string[]];
const CN_SET: ReadonlySet<string> = new Set(CNS);

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
  flag: z.string().regex(FLAG, 'a data flag such as N, M, C, D, T').optional(),
  eflag: z.string().max(8).optional(),
  sampleTime: z.string().optional(),
  rs: Num.optional(),
  rt: Num.optional(),
});

/**
 * The contract for JSON payloads (also rendered as JSON Schema for the docs). `decodeJsonPayload` checks
 * well-formed payloads with a hand-written equivalent (`fastDecode`) and falls back to this schema for
 * everything that one declines, so rejections and their reasons always come from here. Changing the
 * schema means changing `fastDecode` too; json-payload.fast.test.ts checks the two agree.
 */
export const JsonPayload = z.strictObject({
  st: z.string().regex(ST, 'HJ 212 system code, e.g. 31 (flue gas) or 32 (wastewater)'),
  cn: z.enum(CNS, 'a data upload CN: 2011, 2051, 2061, 2031, 2021 or 2041'),
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

export type DecodeContext = { mn: string; timeZone: string; receivedAt: Date; source?: ReadingSource };

/**
 * Validates a JSON payload and builds the normalized reading. Never throws: every rejection comes
 * back with a stable code and a one-line reason for the log and the device's down topic.
 */
export function decodeJsonPayload(payload: Buffer | string, ctx: DecodeContext): DecodeResult {
  let doc: unknown;
  try {
    doc = JSON.parse(typeof payload === 'string' ? payload : payload.toString('utf8'));
  } catch (err) {
    return notJson(err);
  }
  const reading = fastDecode(doc, ctx);
  return reading ? { ok: true, reading } : decodeWithZod(doc, ctx);
}

/**
 * `decodeJsonPayload` through the zod schema only (what it did before `fastDecode`): same results,
 * about three times slower. Kept as the reference the fast path is tested against.
 */
export function decodeJsonPayloadWithZod(payload: Buffer | string, ctx: DecodeContext): DecodeResult {
  let doc: unknown;
  try {
    doc = JSON.parse(typeof payload === 'string' ? payload : payload.toString('utf8'));
  } catch (err) {
    return notJson(err);
  }
  return decodeWithZod(doc, ctx);
}

function notJson(err: unknown): DecodeResult {
  return { ok: false, code: 'ING_PAYLOAD_NOT_JSON', reason: `not JSON: ${(err as Error).message}` };
}

function decodeWithZod(doc: unknown, ctx: DecodeContext): DecodeResult {
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

type Doc = Record<string, unknown>;

function isRecord(x: unknown): x is Doc {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function isFiniteNumber(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x);
}

/**
 * zod measures string length in code points. Answers from UTF-16 units where the two cannot disagree
 * about the outcome and says no otherwise (too long in units, or surrogates near the minimum), which
 * sends the payload to zod.
 */
function lengthWithin(s: string, min: number, max: number): boolean {
  const n = s.length;
  if (n > max || n < min) return false;
  if (n >= min * 2) return true;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdfff) return false;
  }
  return true;
}

/**
 * The hot path of `decodeJsonPayload`: checks a parsed document against `JsonPayload` by hand and builds
 * the reading in the same walk. Returns the reading only when the schema would accept the document, both
 * times parse, and the result is exactly what the zod path builds (field order included); returns
 * undefined for anything else, including documents zod would accept that are not worth a fast path
 * (`__proto__` keys, which zod drops from records; lengths that depend on code points), and lets
 * `decodeWithZod` decide and word the rejection.
 */
export function fastDecode(doc: unknown, ctx: DecodeContext): Reading | undefined {
  if (!isRecord(doc)) return undefined;
  let st: unknown;
  let cn: unknown;
  let dataTimeText: unknown;
  let values: unknown;
  // `for…in`, like zod's strict-key check, so an own "__proto__" (JSON.parse makes one) is seen as a key.
  for (const key in doc) {
    const x = doc[key];
    switch (key) {
      case 'st':
        st = x;
        break;
      case 'cn':
        cn = x;
        break;
      case 'dataTime':
        dataTimeText = x;
        break;
      case 'qn':
        if (typeof x !== 'string' || !lengthWithin(x, 0, 20)) return undefined;
        break;
      case 'values':
        values = x;
        break;
      default:
        return undefined;
    }
  }
  if (typeof st !== 'string' || !ST.test(st)) return undefined;
  if (typeof cn !== 'string' || !CN_SET.has(cn)) return undefined;
  if (typeof dataTimeText !== 'string' || !lengthWithin(dataTimeText, 8, 40)) return undefined;
  if (!isRecord(values)) return undefined;
  const dataTime = parseFlexibleTime(dataTimeText, ctx.timeZone);
  if (!dataTime) return undefined;

  const out: PollutantValue[] = [];
  // Own enumerable keys in property order: what zod's record iterates (Reflect.ownKeys) and rebuilds.
  // zod skips a "__proto__" key unvalidated (CODE rejects it anyway); either way it is zod's to handle.
  for (const code in values) {
    if (code === '__proto__' || !Object.hasOwn(values, code) || !CODE.test(code)) return undefined;
    const v = values[code];
    if (!isRecord(v)) return undefined;
    for (const key in v) {
      const x = v[key];
      switch (key) {
        case 'rtd':
        case 'avg':
        case 'min':
        case 'max':
        case 'zsRtd':
        case 'zsAvg':
        case 'zsMin':
        case 'zsMax':
        case 'cou':
        case 'rs':
        case 'rt':
          if (!isFiniteNumber(x)) return undefined;
          break;
        case 'flag':
          if (typeof x !== 'string' || !FLAG.test(x)) return undefined;
          break;
        case 'eflag':
          if (typeof x !== 'string' || !lengthWithin(x, 0, 8)) return undefined;
          break;
        case 'sampleTime':
          if (typeof x !== 'string') return undefined;
          break;
        default:
          return undefined;
      }
    }
    // Validated above; now copied in schema order (zod's output order), then sampleTime last, as the zod
    // path's `{ code, ...rest }` + `value.sampleTime = …` does.
    const value: PollutantValue = { code };
    if (v.rtd !== undefined) value.rtd = v.rtd as number;
    if (v.avg !== undefined) value.avg = v.avg as number;
    if (v.min !== undefined) value.min = v.min as number;
    if (v.max !== undefined) value.max = v.max as number;
    if (v.zsRtd !== undefined) value.zsRtd = v.zsRtd as number;
    if (v.zsAvg !== undefined) value.zsAvg = v.zsAvg as number;
    if (v.zsMin !== undefined) value.zsMin = v.zsMin as number;
    if (v.zsMax !== undefined) value.zsMax = v.zsMax as number;
    if (v.cou !== undefined) value.cou = v.cou as number;
    if (v.flag !== undefined) value.flag = v.flag as string;
    if (v.eflag !== undefined) value.eflag = v.eflag as string;
    if (v.rs !== undefined) value.rs = v.rs as number;
    if (v.rt !== undefined) value.rt = v.rt as number;
    if (v.sampleTime !== undefined) {
      const sampleTime = parseFlexibleTime(v.sampleTime as string, ctx.timeZone);
      if (!sampleTime) return undefined;
      value.sampleTime = sampleTime;
    }
    out.push(value);
  }
  if (out.length === 0) return undefined;
  return {
    mn: ctx.mn,
    st,
    cn,
    kind: KIND_BY_CN[cn] ?? 'rtd',
    dataTime,
    receivedAt: ctx.receivedAt,
    source: ctx.source ?? 'mqtt-json',
    values: out,
  };
}
