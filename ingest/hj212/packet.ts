import type { ErrorCode } from '../../core/errors.js';
import { type CpGroup, findCpValue, parseCp, splitSegment } from './cp.js';
import { type Hj212Frame, parseFrame } from './frame.js';
import {
  decodeFlag,
  type HeaderKey,
  type Hj212HeaderFields,
  type ParsedHeader,
  type ProtocolVersion,
  parseHeader,
  parseSmallUint,
  protocolOf,
} from './header.js';

/**
 * Frame → typed packet, with a configurable CRC policy (hj212.md §10: record the CRC verdict; strict
 * mode optional). Pure; `decodeFrame` never throws and returns a discriminated result.
 */

/**
 * - `strict`: a CRC mismatch rejects the frame (STD 表2 "如果 CRC 错误，执行结束").
 * - `lenient`: also accept CRC-16/MODBUS printed low byte first, the bug of real gateways (hj212.md §2.2).
 * - `off`: accept every CRC (as the most-forked parser does by default); the verdict records it.
 *
 * The verdict always says what was found, whatever the policy: a correct CRC is `ok` and a MODBUS one is
 * `modbus` even when checking is off; `unchecked` means "wrong, accepted only because the policy is off".
 */
export type CrcPolicy = 'strict' | 'lenient' | 'off';

/** How the accepted frame's CRC was judged; the same values as `Reading.crc`. */
export type CrcVerdict = 'ok' | 'modbus' | 'unchecked';

/** Non-fatal oddities, for metrics and logs. Each names one deviation listed in hj212.md §8. */
export type Hj212Warning =
  | 'length-mismatch' // length field ≠ UTF-8 byte count, or not 4 digits (§1, §8)
  | 'oversize' // segment > 1024 bytes (STD 表2 limit; real traffic exceeds it, §8.4)
  | 'no-terminator' // no "\r\n" at the end (§8.11)
  | 'crc-lowercase' // CRC written in lower-case hex (§8.3)
  | 'crc-modbus' // MODBUS low-byte-first CRC accepted by the lenient policy (§2.2)
  | 'crc-unchecked' // CRC wrong but accepted because the policy is off
  | 'flag-invalid' // Flag present but not an integer 0–255
  | 'split-fields-invalid' // PNUM/PNO missing or not numbers although Flag.D = 1
  | 'header-duplicate' // a header key appears twice (first wins)
  | 'header-unknown' // items in the header that are not header fields (§8.6)
  | 'cp-missing' // no "CP=&&" at all
  | 'cp-unterminated' // no closing "&&"
  | 'text-gb18030'; // segment was not UTF-8 and was decoded as GB18030 (§1)

export interface Hj212Header {
  /** Request id `YYYYMMDDhhmmsszzz`; absent in 2005-style frames (§8.5). */
  qn?: string;
  st: string;
  cn: string;
  pw?: string;
  mn: string;
  /** Flag as a number; absent when not sent or not a valid integer. */
  flag?: number;
  /** Total sub-packets and this sub-packet's number (1-based), when sent as numbers. */
  pnum?: number;
  pno?: number;
}

export interface Hj212Packet {
  frame: Hj212Frame;
  header: Hj212Header;
  /** Header fields as received (canonical key spelling), only those present. */
  rawHeader: Hj212HeaderFields;
  /** Items in the header that are not header fields, kept rather than dropped. */
  unknownHeaderItems: ParsedHeader['unknown'];
  /** Flag >> 2, or null without a (valid) Flag. */
  flagVersion: number | null;
  protocol: ProtocolVersion;
  /** Flag bit 0 (A); false without a Flag. */
  ackRequired: boolean;
  /** Flag bit 1 (D); false without a Flag, even when PNUM/PNO are present (vectors: libem-pno-before-pnum). */
  split: boolean;
  cp: CpGroup[];
  /** First `DataTime` value in CP, as sent. */
  dataTime: string | undefined;
  crc: CrcVerdict;
  warnings: Hj212Warning[];
}

export interface DecodeOptions {
  /** Default `strict`. */
  crcPolicy?: CrcPolicy;
}

export type DecodeResult = { ok: true; packet: Hj212Packet } | { ok: false; code: ErrorCode; reason: string };

/** Data segments above this are oversize per STD 表2 (0 ≤ n ≤ 1024), accepted but reported. */
export const STANDARD_MAX_SEGMENT_BYTES = 1024;

/** Header fields without which a frame cannot be attributed or routed. */
const REQUIRED_HEADER_KEYS: readonly HeaderKey[] = ['ST', 'CN', 'MN'];

/**
 * Decodes one complete frame (string, or bytes as cut by the stream framer). Never throws: any input,
 * including non-frames, yields `{ ok: false, code, reason }` with ING_HJ212_FRAME, ING_HJ212_CRC or
 * ING_HJ212_HEADER.
 */
export function decodeFrame(raw: string | Uint8Array, options?: DecodeOptions): DecodeResult {
  try {
    if (typeof raw !== 'string' && !(raw instanceof Uint8Array)) {
      return { ok: false, code: 'ING_HJ212_FRAME', reason: 'input is neither a string nor bytes' };
    }
    return decodeUnchecked(raw, options?.crcPolicy ?? 'strict');
  } catch (err) {
    // Defensive: the decoder is written not to throw (fuzz-tested); if it ever does, the contract holds.
    return { ok: false, code: 'ING_HJ212_FRAME', reason: `decoder bug: ${String(err)}` };
  }
}

function decodeUnchecked(raw: string | Uint8Array, crcPolicy: CrcPolicy): DecodeResult {
  const parsed = parseFrame(raw);
  if (!parsed.ok) return { ok: false, code: 'ING_HJ212_FRAME', reason: parsed.reason };
  const frame = parsed.frame;
  const warnings: Hj212Warning[] = [];

  let crc: CrcVerdict;
  if (frame.crcOk) {
    crc = 'ok';
    if (frame.crcTransmitted !== frame.crcComputed) warnings.push('crc-lowercase');
  } else if (crcPolicy !== 'strict' && frame.crcMatchesModbusLowFirst) {
    crc = 'modbus';
    warnings.push('crc-modbus');
  } else if (crcPolicy === 'off') {
    crc = 'unchecked';
    warnings.push('crc-unchecked');
  } else {
    const modbus = frame.crcMatchesModbusLowFirst ? ' (it is CRC-16/MODBUS low byte first)' : '';
    return {
      ok: false,
      code: 'ING_HJ212_CRC',
      reason: `CRC ${frame.crcTransmitted} does not match computed ${frame.crcComputed}${modbus}`,
    };
  }
  if (!frame.lengthOk) warnings.push('length-mismatch');
  if (frame.lengthBytes > STANDARD_MAX_SEGMENT_BYTES) warnings.push('oversize');
  if (!frame.terminator) warnings.push('no-terminator');
  if (frame.textEncoding !== 'utf8') warnings.push('text-gb18030');

  const parts = splitSegment(frame.segment);
  if (!parts.cpFound) warnings.push('cp-missing');
  else if (!parts.cpClosed) warnings.push('cp-unterminated');
  const headerParse = parseHeader(parts.headerText);
  const fields = headerParse.fields;
  if (headerParse.duplicates.length > 0) warnings.push('header-duplicate');
  if (headerParse.unknown.length > 0) warnings.push('header-unknown');

  if (!fields.ST || !fields.CN || !fields.MN) {
    const missing = REQUIRED_HEADER_KEYS.filter((key) => !fields[key]);
    return { ok: false, code: 'ING_HJ212_HEADER', reason: `header lacks ${missing.join(', ')}` };
  }

  const flagBits = decodeFlag(fields.Flag);
  if (fields.Flag !== undefined && flagBits === undefined) warnings.push('flag-invalid');
  const header: Hj212Header = {
    st: fields.ST as string,
    cn: fields.CN as string,
    mn: fields.MN as string,
  };
  if (fields.QN !== undefined) header.qn = fields.QN;
  if (fields.PW !== undefined) header.pw = fields.PW;
  if (flagBits !== undefined) header.flag = flagBits.value;
  const pnum = parseSmallUint(fields.PNUM);
  const pno = parseSmallUint(fields.PNO);
  if (pnum !== undefined) header.pnum = pnum;
  if (pno !== undefined) header.pno = pno;
  const split = flagBits?.split ?? false;
  if (split && (pnum === undefined || pno === undefined || pno < 1 || pno > pnum)) {
    warnings.push('split-fields-invalid');
  }

  const cp = parseCp(parts.cpText);
  return {
    ok: true,
    packet: {
      frame,
      header,
      rawHeader: fields,
      unknownHeaderItems: headerParse.unknown,
      flagVersion: flagBits?.version ?? null,
      protocol: protocolOf(flagBits?.version),
      ackRequired: flagBits?.ackRequired ?? false,
      split,
      cp,
      dataTime: findCpValue(cp, 'DataTime'),
      crc,
      warnings,
    },
  };
}
