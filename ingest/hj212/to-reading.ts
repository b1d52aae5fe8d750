import { MAX_2005_CODE_LENGTH, map2005Code } from '../../config/pollutant-codes.js';
import type { ErrorCode } from '../../core/errors.js';
import { parseCompactLocalTime } from '../../core/local-time.js';
import { KIND_BY_CN, type PollutantValue, type Reading, type ReadingSource } from '../reading.js';
import { lastDashIndex } from './cp.js';
import type { Hj212Extra } from './encode.js';
import type { Hj212Packet } from './packet.js';

/**
 * Data upload packet → normalized Reading (DESIGN.md §4; hj212.md §4, §10).
 *
 * Nothing is lost silently: a value that cannot go into the Reading (not a number, not finite, bad
 * SampleTime, a duplicate) is listed in `problems`; a CP item with no PollutantValue field (unknown
 * suffix such as `-ValidNum`, `-Info`, `-Data`, bare keys such as `PolId`) is kept in `extras`.
 */

export interface ToReadingOptions {
  /** IANA zone the gateway writes DataTime in (HJ 212 has no zone on the wire); callers pass the site's. */
  zone: string;
  receivedAt: Date;
  /** Default `hj212-tcp`. */
  source?: ReadingSource;
}

export type ReadingProblemKind =
  | 'not-a-number' // value is not a decimal number ("", "--", "0x1F", "N/A")
  | 'not-finite' // decimal that overflows a double (1e999)
  | 'bad-time' // SampleTime not YYYYMMDDhhmmss[zzz] or impossible
  | 'empty' // Flag/EFlag with an empty value
  | 'duplicate'; // the same code and field twice: the first value is kept

export interface ReadingProblem {
  kind: ReadingProblemKind;
  /** CP key as received, e.g. "a21026-Rtd". */
  key: string;
  value: string;
}

export type ToReadingResult =
  | {
      ok: true;
      reading: Reading;
      problems: ReadingProblem[];
      extras: Hj212Extra[];
      /** 2005 codes renamed to 2017 codes (附录B 原编码), each pair once. */
      renamedCodes: { from: string; to: string }[];
    }
  | { ok: false; code: ErrorCode; reason: string };

/** PollutantValue fields, as small integers so dispatch is a jump table, not string compares. */
enum Field {
  Rtd,
  Avg,
  Min,
  Max,
  ZsRtd,
  ZsAvg,
  ZsMin,
  ZsMax,
  Cou,
  Rs,
  Rt,
  Flag,
  EFlag,
  SampleTime,
  Unknown,
}

/** HJ 212 suffix → field (STD 表4; hj212.md §4). Suffixes are case-sensitive per STD §6.3.3. */
function fieldOf(suffix: string): Field {
  switch (suffix) {
    case 'Rtd':
      return Field.Rtd;
    case 'Flag':
      return Field.Flag;
    case 'Avg':
      return Field.Avg;
    case 'Min':
      return Field.Min;
    case 'Max':
      return Field.Max;
    case 'Cou':
      return Field.Cou;
    case 'ZsRtd':
      return Field.ZsRtd;
    case 'ZsAvg':
      return Field.ZsAvg;
    case 'ZsMin':
      return Field.ZsMin;
    case 'ZsMax':
      return Field.ZsMax;
    case 'EFlag':
      return Field.EFlag;
    case 'SampleTime':
      return Field.SampleTime;
    case 'RS':
      return Field.Rs;
    case 'RT':
      return Field.Rt;
    default:
      return Field.Unknown;
  }
}

const CANONICAL_SUFFIXES = [
  'Rtd',
  'Avg',
  'Min',
  'Max',
  'ZsRtd',
  'ZsAvg',
  'ZsMin',
  'ZsMax',
  'Cou',
  'Flag',
  'EFlag',
  'SampleTime',
  'RS',
  'RT',
] as const;

/**
 * Suffix lookup that also accepts other casings (`-rtd`, `-ZSRTD`): gateways are not consistent, and a
 * misspelt case is still unambiguous. Exact spelling is tried first (the fast, common path).
 */
function fieldOfAnyCase(suffix: string): Field {
  const exact = fieldOf(suffix);
  if (exact !== Field.Unknown) return exact;
  const lower = suffix.toLowerCase();
  for (const canonical of CANONICAL_SUFFIXES)
    if (canonical.toLowerCase() === lower) return fieldOf(canonical);
  return Field.Unknown;
}

/**
 * Per-code accumulator with every field present from construction: one hidden class, so the hot loop's
 * loads and stores stay monomorphic. Converted to a PollutantValue (only the fields that were set) at the end.
 */
class ValueSlot {
  rtd: number | undefined = undefined;
  avg: number | undefined = undefined;
  min: number | undefined = undefined;
  max: number | undefined = undefined;
  zsRtd: number | undefined = undefined;
  zsAvg: number | undefined = undefined;
  zsMin: number | undefined = undefined;
  zsMax: number | undefined = undefined;
  cou: number | undefined = undefined;
  rs: number | undefined = undefined;
  rt: number | undefined = undefined;
  flag: string | undefined = undefined;
  eflag: string | undefined = undefined;
  sampleTime: Date | undefined = undefined;
  /** Any field set (a code whose every value was rejected yields no PollutantValue). */
  any = false;
  constructor(readonly code: string) {}

  has(field: Field): boolean {
    switch (field) {
      case Field.Rtd:
        return this.rtd !== undefined;
      case Field.Avg:
        return this.avg !== undefined;
      case Field.Min:
        return this.min !== undefined;
      case Field.Max:
        return this.max !== undefined;
      case Field.ZsRtd:
        return this.zsRtd !== undefined;
      case Field.ZsAvg:
        return this.zsAvg !== undefined;
      case Field.ZsMin:
        return this.zsMin !== undefined;
      case Field.ZsMax:
        return this.zsMax !== undefined;
      case Field.Cou:
        return this.cou !== undefined;
      case Field.Rs:
        return this.rs !== undefined;
      case Field.Rt:
        return this.rt !== undefined;
      case Field.Flag:
        return this.flag !== undefined;
      case Field.EFlag:
        return this.eflag !== undefined;
      case Field.SampleTime:
        return this.sampleTime !== undefined;
      default:
        return false;
    }
  }

  setNumber(field: Field, n: number): void {
    this.any = true;
    switch (field) {
      case Field.Rtd:
        this.rtd = n;
        return;
      case Field.Avg:
        this.avg = n;
        return;
      case Field.Min:
        this.min = n;
        return;
      case Field.Max:
        this.max = n;
        return;
      case Field.ZsRtd:
        this.zsRtd = n;
        return;
      case Field.ZsAvg:
        this.zsAvg = n;
        return;
      case Field.ZsMin:
        this.zsMin = n;
        return;
      case Field.ZsMax:
        this.zsMax = n;
        return;
      case Field.Cou:
        this.cou = n;
        return;
      case Field.Rs:
        this.rs = n;
        return;
      case Field.Rt:
        this.rt = n;
        return;
    }
  }

  toValue(): PollutantValue {
    const v: PollutantValue = { code: this.code };
    if (this.sampleTime !== undefined) v.sampleTime = this.sampleTime;
    if (this.rtd !== undefined) v.rtd = this.rtd;
    if (this.zsRtd !== undefined) v.zsRtd = this.zsRtd;
    if (this.cou !== undefined) v.cou = this.cou;
    if (this.min !== undefined) v.min = this.min;
    if (this.avg !== undefined) v.avg = this.avg;
    if (this.max !== undefined) v.max = this.max;
    if (this.zsMin !== undefined) v.zsMin = this.zsMin;
    if (this.zsAvg !== undefined) v.zsAvg = this.zsAvg;
    if (this.zsMax !== undefined) v.zsMax = this.zsMax;
    if (this.rs !== undefined) v.rs = this.rs;
    if (this.rt !== undefined) v.rt = this.rt;
    if (this.flag !== undefined) v.flag = this.flag;
    if (this.eflag !== undefined) v.eflag = this.eflag;
    return v;
  }
}

/** Exact powers of ten as doubles (10^0 … 10^22 are exactly representable). */
const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);
/** Digit count below which the mantissa is an exact integer double (< 2^53). */
const EXACT_DIGITS = 15;

/**
 * Strict decimal: optional sign, digits with at most one point, optional exponent. `Number()` alone
 * would accept "", " ", "0x1F", "Infinity" (→ 0, 31, ∞), which are not HJ 212 numbers.
 *
 * Short plain decimals (≤ 15 digits, the HJ 212 `N5.2`-style norm) are computed as mantissa / 10^k,
 * which is correctly rounded because both operands are exact doubles (Clinger's fast path); anything
 * else goes through `Number()`.
 */
export function parseDecimal(text: string): number | undefined {
  const n = text.length;
  let i = 0;
  let c = text.charCodeAt(0);
  const negative = c === 0x2d;
  if (negative || c === 0x2b) i++;
  let digits = 0;
  let fractionDigits = 0;
  let point = false;
  let mantissa = 0;
  for (; i < n; i++) {
    c = text.charCodeAt(i);
    if (c >= 0x30 && c <= 0x39) {
      digits++;
      mantissa = mantissa * 10 + (c - 0x30);
      if (point) fractionDigits++;
    } else if (c === 0x2e && !point) {
      point = true;
    } else {
      break;
    }
  }
  if (digits === 0) return undefined;
  if (i === n) {
    if (digits <= EXACT_DIGITS) {
      const value = mantissa / (POW10[fractionDigits] as number);
      return negative ? -value : value;
    }
    return Number(text);
  }
  if (c !== 0x65 && c !== 0x45) return undefined; // e / E
  i++;
  c = text.charCodeAt(i);
  if (c === 0x2b || c === 0x2d) i++;
  const exponentStart = i;
  for (; i < n; i++) {
    c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return undefined;
  }
  if (i === exponentStart) return undefined;
  return Number(text);
}

/**
 * Builds the Reading of a decoded data upload. Errors: CN is not a Reading kind (ING_PAYLOAD_INVALID),
 * DataTime missing or unparsable (ING_DATATIME_INVALID).
 */
export function toReading(packet: Hj212Packet, options: ToReadingOptions): ToReadingResult {
  const { header } = packet;
  const kind = Object.hasOwn(KIND_BY_CN, header.cn) ? KIND_BY_CN[header.cn] : undefined;
  if (kind === undefined) {
    return {
      ok: false,
      code: 'ING_PAYLOAD_INVALID',
      reason: `CN ${header.cn} is not a data upload with readings`,
    };
  }
  if (packet.dataTime === undefined) {
    return {
      ok: false,
      code: 'ING_DATATIME_INVALID',
      reason: `CN ${header.cn} without DataTime (a request?)`,
    };
  }
  const dataTime = parseCompactLocalTime(packet.dataTime, options.zone);
  if (dataTime === undefined) {
    return {
      ok: false,
      code: 'ING_DATATIME_INVALID',
      reason: `DataTime "${packet.dataTime}" is not YYYYMMDDhhmmss`,
    };
  }

  const byCode = new Map<string, ValueSlot>();
  const problems: ReadingProblem[] = [];
  const extras: Hj212Extra[] = [];
  const renamedCodes: { from: string; to: string }[] = [];
  let dataTimeSeen = false;
  // Items of one pollutant are adjacent (one group per code), so remember the last code's resolution.
  let lastWireCode = '';
  let lastSlot: ValueSlot | undefined;

  for (const group of packet.cp) {
    for (const item of group) {
      const { key, value } = item;
      const dash = lastDashIndex(key);
      if (dash < 0) {
        // The first DataTime is the reading's time; anything else without a code is kept as an extra.
        if (key === 'DataTime' && !dataTimeSeen) dataTimeSeen = true;
        else extras.push({ code: undefined, field: key, value });
        continue;
      }
      let slot: ValueSlot;
      if (lastSlot !== undefined && dash === lastWireCode.length && hasPrefix(key, lastWireCode)) {
        slot = lastSlot;
      } else {
        const wireCode = key.slice(0, dash);
        const code = resolveCode(wireCode, header.st, renamedCodes);
        let found = byCode.get(code);
        if (found === undefined) {
          found = new ValueSlot(code);
          byCode.set(code, found);
        }
        slot = found;
        lastWireCode = wireCode;
        lastSlot = slot;
      }
      const suffix = key.slice(dash + 1);
      const field = fieldOfAnyCase(suffix);
      if (field === Field.Unknown) {
        extras.push({ code: slot.code, field: suffix, value });
      } else if (slot.has(field)) {
        problems.push({ kind: 'duplicate', key, value });
      } else {
        assignField(slot, field, key, value, options.zone, problems);
      }
    }
  }

  const values: PollutantValue[] = [];
  for (const slot of byCode.values()) if (slot.any) values.push(slot.toValue());

  const reading: Reading = {
    mn: header.mn,
    st: header.st,
    cn: header.cn,
    kind,
    dataTime,
    receivedAt: options.receivedAt,
    source: options.source ?? 'hj212-tcp',
    values,
    crc: packet.crc,
  };
  return { ok: true, reading, problems, extras, renamedCodes };
}

function resolveCode(wireCode: string, st: string, renamed: { from: string; to: string }[]): string {
  // 2017 codes (a21026, w01018, SB1 …) are longer than any 2005 code: skip the table lookups for them.
  if (wireCode.length > MAX_2005_CODE_LENGTH) return wireCode;
  const mapped = map2005Code(wireCode, st);
  if (mapped === undefined) return wireCode;
  if (!renamed.some((r) => r.from === wireCode)) renamed.push({ from: wireCode, to: mapped });
  return mapped;
}

function assignField(
  slot: ValueSlot,
  field: Field,
  key: string,
  value: string,
  zone: string,
  problems: ReadingProblem[],
): void {
  switch (field) {
    case Field.Flag:
    case Field.EFlag:
      if (value.length === 0) {
        problems.push({ kind: 'empty', key, value });
      } else {
        if (field === Field.Flag) slot.flag = value;
        else slot.eflag = value;
        slot.any = true;
      }
      return;
    case Field.SampleTime: {
      const time = parseCompactLocalTime(value, zone);
      if (time === undefined) {
        problems.push({ kind: 'bad-time', key, value });
      } else {
        slot.sampleTime = time;
        slot.any = true;
      }
      return;
    }
    default: {
      const n = parseDecimal(value);
      if (n === undefined) problems.push({ kind: 'not-a-number', key, value });
      else if (!Number.isFinite(n)) problems.push({ kind: 'not-finite', key, value });
      else slot.setNumber(field, n);
    }
  }
}

/** `text.startsWith(prefix)` as a char loop (short strings; startsWith is a slow call on this hot path). */
function hasPrefix(text: string, prefix: string): boolean {
  if (text.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (text.charCodeAt(i) !== prefix.charCodeAt(i)) return false;
  return true;
}
