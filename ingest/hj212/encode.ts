import { code2005Of } from '../../config/pollutant-codes.js';
import { formatCompactLocalTime } from '../../core/local-time.js';
import type { PollutantValue } from '../reading.js';
import {
  CN_DATA_ACK,
  CN_EXE_RTN,
  CN_NOTIFY_ACK,
  CN_QN_RTN,
  DATA_UPLOAD_CNS,
  DEVICE_NOTIFICATION_CNS,
  type EncodeVersion,
  makeFlag,
  PLATFORM_NOTIFICATION_CNS,
  ST_SYSTEM_INTERACTION,
} from './commands.js';
import { formatCrc, hj212CrcOfString, modbusCrcLowFirst } from './crc.js';
import type { Hj212Packet } from './packet.js';

/**
 * Frame and message builders (HJ 212-2017 §6.3, 附录C; hj212.md §1, §7). Pure string builders: the
 * caller supplies QN (e.g. `formatQn(clock.now(), zone)`), so nothing here reads a clock.
 */

/**
 * How the CRC is written. `upper` is the standard (`%04X`); `lower` and `modbus-low-first` reproduce
 * real-gateway quirks for tests and the simulator (hj212.md §8.1, §8.3).
 */
export type CrcStyle = 'upper' | 'lower' | 'modbus-low-first';

/** Largest segment the 4-digit length field can state (hj212.md §1). */
export const MAX_SEGMENT_BYTES = 9999;

/**
 * `##` + 4-digit UTF-8 byte length + segment + CRC + `\r\n` (STD §6.3.1 表2). Throws RangeError when the
 * segment exceeds 9999 bytes: no 4-digit length can describe it, so it is a caller bug.
 */
export function encodeFrame(segment: string, crcStyle: CrcStyle = 'upper'): string {
  const byteLength = Buffer.byteLength(segment, 'utf8');
  if (byteLength > MAX_SEGMENT_BYTES) {
    throw new RangeError(`HJ 212 data segment of ${byteLength} bytes exceeds ${MAX_SEGMENT_BYTES}`);
  }
  let crc: string;
  if (crcStyle === 'modbus-low-first') crc = modbusCrcLowFirst(Buffer.from(segment, 'utf8'));
  else {
    crc = formatCrc(hj212CrcOfString(segment));
    if (crcStyle === 'lower') crc = crc.toLowerCase();
  }
  return `##${String(byteLength).padStart(4, '0')}${segment}${crc}\r\n`;
}

/** Header fields of a segment to build. Omitted QN/Flag give a 2005-style header (hj212.md §8.5). */
export interface SegmentHeader {
  qn?: string;
  st: string;
  cn: string;
  pw: string;
  mn: string;
  flag?: number;
  pnum?: number;
  pno?: number;
}

/** CP content: groups (joined by `;`) of `[key, value]` items (joined by `,`). */
export type CpParams = readonly (readonly (readonly [key: string, value: string])[])[];

/** `QN=…;ST=…;CN=…;PW=…;MN=…;Flag=…;[PNUM=…;PNO=…;]CP=&&<cp>&&` in the standard's field order (表3). */
export function buildSegment(header: SegmentHeader, cpText: string): string {
  let s = header.qn === undefined ? '' : `QN=${header.qn};`;
  s += `ST=${header.st};CN=${header.cn};PW=${header.pw};MN=${header.mn};`;
  if (header.flag !== undefined) s += `Flag=${header.flag};`;
  if (header.pnum !== undefined) s += `PNUM=${header.pnum};`;
  if (header.pno !== undefined) s += `PNO=${header.pno};`;
  return `${s}CP=&&${cpText}&&`;
}

/** CP text from groups of items. */
export function formatCp(params: CpParams): string {
  return params.map((group) => group.map(([key, value]) => `${key}=${value}`).join(',')).join(';');
}

/** A complete frame from header fields and CP groups. */
export function buildFrame(header: SegmentHeader, params: CpParams, crcStyle: CrcStyle = 'upper'): string {
  return encodeFrame(buildSegment(header, formatCp(params)), crcStyle);
}

// ---------------------------------------------------------------------------------------------------
// Replies (ST=91, Flag=4, QN echoed, PW/MN copied; hj212.md §7, 表C.1, C.4, C.14)

/** The header of the message being answered. */
export interface ReplyTo {
  qn?: string;
  pw?: string;
  mn: string;
}

/** Flag of every reply: version 2017, no further ack (附录C). */
const REPLY_FLAG = 4;

function buildReply(to: ReplyTo, cn: string, params: CpParams): string {
  return buildFrame(
    { qn: to.qn ?? '', st: ST_SYSTEM_INTERACTION, cn, pw: to.pw ?? '', mn: to.mn, flag: REPLY_FLAG },
    params,
  );
}

/** 9011 请求应答 (device → platform), `QnRtn` from 表7 (1 = ready to execute). */
export function buildQnRtn9011(to: ReplyTo, qnRtn = 1): string {
  return buildReply(to, CN_QN_RTN, [[['QnRtn', String(qnRtn)]]]);
}

/** 9012 执行结果 (device → platform), `ExeRtn` from 表6 (1 = success). */
export function buildExeRtn9012(to: ReplyTo, exeRtn = 1): string {
  return buildReply(to, CN_EXE_RTN, [[['ExeRtn', String(exeRtn)]]]);
}

/** 9013 通知应答, `CP=&&&&`. */
export function buildNotifyAck9013(to: ReplyTo): string {
  return buildReply(to, CN_NOTIFY_ACK, []);
}

/** 9014 数据应答, `CP=&&&&`. */
export function buildDataAck9014(to: ReplyTo): string {
  return buildReply(to, CN_DATA_ACK, []);
}

/**
 * The 9014 a platform owes for a decoded packet, or null (vectors README "reply9014"): Flag.A = 1, CN is a
 * data upload, CP has DataTime (a platform request with the same CN has none), ST ≠ 91, and QN present.
 * The CRC condition is the decoder's: a packet exists only if its CRC policy accepted the frame, and STD
 * 表2 says a frame with a bad CRC is not answered, so strict decoding yields no ack for it.
 */
export function buildAck9014(packet: Hj212Packet): string | null {
  const { header } = packet;
  if (!packet.ackRequired || header.qn === undefined || packet.dataTime === undefined) return null;
  if (header.st === ST_SYSTEM_INTERACTION || !DATA_UPLOAD_CNS.has(header.cn)) return null;
  return buildDataAck9014(header);
}

/**
 * The 9013 a platform owes for a device notification (1013 时间校准请求, 表C.4), or null. Unlike 9014
 * this does not depend on Flag.A: the standard's flow always answers the notification.
 */
export function buildNotifyAckFor(packet: Hj212Packet): string | null {
  const { header } = packet;
  if (header.st === ST_SYSTEM_INTERACTION || header.qn === undefined) return null;
  if (!DEVICE_NOTIFICATION_CNS.has(header.cn)) return null;
  return buildNotifyAck9013(header);
}

/** True for CNs a device answers with 9013 rather than 9011/9012 (2012, 2022). */
export function isPlatformNotification(cn: string): boolean {
  return PLATFORM_NOTIFICATION_CNS.has(cn);
}

// ---------------------------------------------------------------------------------------------------
// Platform → device requests (附录C; Flag=5: 2017 and answer wanted)

/** Addressee of a platform request: the device's ST, PW and MN, and a fresh QN. */
export interface RequestTarget {
  qn: string;
  st: string;
  pw: string;
  mn: string;
  /** Default 5 (HJ 212-2017, answer wanted), as every request in 附录C. */
  flag?: number;
}

const REQUEST_FLAG = 5;

/** Any platform request: one CP group per parameter, as 附录C writes them (`PolId=…;SystemTime=…`). */
export function buildRequest(
  target: RequestTarget,
  cn: string,
  params: readonly (readonly [string, string])[] = [],
): string {
  return buildFrame(
    { qn: target.qn, st: target.st, cn, pw: target.pw, mn: target.mn, flag: target.flag ?? REQUEST_FLAG },
    params.map((item) => [item]),
  );
}

function withPolId(polId: string | undefined, rest: readonly (readonly [string, string])[] = []) {
  return polId === undefined ? rest : [['PolId', polId] as const, ...rest];
}

/** 1000 设置超时时间及重发次数 (表C.1). */
export function buildSetTimeoutRetry1000(
  target: RequestTarget,
  overTimeSeconds: number,
  reCount: number,
): string {
  return buildRequest(target, '1000', [
    ['OverTime', String(overTimeSeconds)],
    ['ReCount', String(reCount)],
  ]);
}

/** 1011 提取现场机时间 (表C.2); PolId optional (the gateway's own clock when absent). */
export function buildGetTime1011(target: RequestTarget, polId?: string): string {
  return buildRequest(target, '1011', withPolId(polId));
}

/** 1012 设置现场机时间, `SystemTime=YYYYMMDDhhmmss` local time (表C.3). */
export function buildSetTime1012(target: RequestTarget, systemTime: string, polId?: string): string {
  return buildRequest(target, '1012', withPolId(polId, [['SystemTime', systemTime]]));
}

/** 1061 提取实时数据间隔 (表C.5). */
export function buildGetRtdInterval1061(target: RequestTarget): string {
  return buildRequest(target, '1061');
}

/** 1062 设置实时数据间隔, seconds 30–3600 (表C.6). */
export function buildSetRtdInterval1062(target: RequestTarget, seconds: number): string {
  return buildRequest(target, '1062', [['RtdInterval', String(seconds)]]);
}

/** 1063 提取分钟数据间隔 (表C.7). */
export function buildGetMinInterval1063(target: RequestTarget): string {
  return buildRequest(target, '1063');
}

/** 1064 设置分钟数据间隔, minutes 1,2,3,4,5,6,10,12,15,20,30 (表C.8). */
export function buildSetMinInterval1064(target: RequestTarget, minutes: number): string {
  return buildRequest(target, '1064', [['MinInterval', String(minutes)]]);
}

/** 1072 设置现场机访问密码 (表C.9). */
export function buildSetPassword1072(target: RequestTarget, newPassword: string): string {
  return buildRequest(target, '1072', [['NewPW', newPassword]]);
}

/** Start/stop uploads: 2011/2012 real-time data, 2021/2022 run state (表C.10–C.13). `CP=&&&&`. */
export type UploadSwitchCn = '2011' | '2012' | '2021' | '2022';
export function buildUploadSwitch(target: RequestTarget, cn: UploadSwitchCn): string {
  return buildRequest(target, cn);
}

/** History requests: 2031 day, 2041 run time, 2051 minute, 2061 hour; times `YYYYMMDDhhmmss` (表C.20–C.23). */
export type HistoryCn = '2031' | '2041' | '2051' | '2061';
export function buildHistoryRequest(
  target: RequestTarget,
  cn: HistoryCn,
  beginTime: string,
  endTime: string,
): string {
  return buildRequest(target, cn, [
    ['BeginTime', beginTime],
    ['EndTime', endTime],
  ]);
}

/**
 * Control commands carrying a PolId (表C.30–C.39): 3011 零点/量程校准, 3012 即时采样, 3013 启动清洗/反吹,
 * 3014 比对采样, 3015 超标留样 (PolId optional), 3017 提取采样时间周期, 3018 提取出样时间, 3019 提取设备唯一标识.
 */
export type PolIdCommandCn = '3011' | '3012' | '3013' | '3014' | '3015' | '3017' | '3018' | '3019';
export function buildPolIdCommand(target: RequestTarget, cn: PolIdCommandCn, polId?: string): string {
  return buildRequest(target, cn, withPolId(polId));
}

/** 3016 设置采样时间周期: start `hhmmss` and period in hours (表C.35). */
export function buildSetSamplePeriod3016(
  target: RequestTarget,
  polId: string,
  cstartTime: string,
  ctimeHours: number,
): string {
  return buildRequest(target, '3016', [
    ['PolId', polId],
    ['CstartTime', cstartTime],
    ['CTime', String(ctimeHours)],
  ]);
}

/** 3020 提取现场机信息; BeginTime/EndTime for logs (表C.40–C.45). */
export function buildGetInfo3020(
  target: RequestTarget,
  polId: string,
  infoId: string,
  range?: { beginTime: string; endTime: string },
): string {
  const params: [string, string][] = [
    ['PolId', polId],
    ['InfoId', infoId],
  ];
  if (range) params.push(['BeginTime', range.beginTime], ['EndTime', range.endTime]);
  return buildRequest(target, '3020', params);
}

/** 3021 设置现场机参数 (表C.46). */
export function buildSetInfo3021(
  target: RequestTarget,
  polId: string,
  infoId: string,
  value: string,
): string {
  return buildRequest(target, '3021', [
    ['PolId', polId],
    ['InfoId', infoId],
    [`${infoId}-Info`, value],
  ]);
}

// ---------------------------------------------------------------------------------------------------
// Device → platform data uploads (表C.14–C.19, C.49/C.50 for split packets)

/**
 * A CP item that has no place in PollutantValue (unknown suffix such as `-ValidNum`, or a bare key);
 * `toReading` reports the same shape, so extras round-trip.
 */
export interface Hj212Extra {
  /** Code before the last `-`; undefined for bare keys (`FANSTATUS=1`). */
  code: string | undefined;
  /** Suffix after the last `-`, or the whole key when there is no code. */
  field: string;
  value: string;
}

/** What an upload carries: the shape of a Reading, so a Reading can be passed as is. */
export interface UploadData {
  st: string;
  cn: string;
  mn: string;
  dataTime: Date;
  values: readonly PollutantValue[];
}

export interface UploadOptions {
  /** QN of the first (or only) packet; sub-packet i gets QN + i ms (表C.49/C.50). Ignored for 2005. */
  qn: string;
  pw: string;
  /** Zone of DataTime/SampleTime on the wire (HJ 212 carries local time without zone). */
  zone: string;
  /** Flag.A (default true: uploads normally ask for 9014). */
  ackRequired?: boolean;
  /** `2017` (default) or `2025` set the version bits; `2005` writes no QN, no Flag (unless split/ack), 2005 codes. */
  version?: EncodeVersion;
  /** Split above this many bytes per segment (default 1024, STD 表2). */
  maxSegmentBytes?: number;
  crcStyle?: CrcStyle;
  /** Fixed decimals for every number; default: shortest exact decimal (round-trips the double). */
  decimals?: number;
  /** Items appended to their code's group (or as own groups when the code has no values). */
  extras?: readonly Hj212Extra[];
}

/** Standard segment limit (STD 表2: 0 ≤ n ≤ 1024). */
const STANDARD_SEGMENT_BYTES = 1024;

/**
 * Encodes a data upload as one frame, or as PNUM/PNO sub-packets when the segment would exceed
 * `maxSegmentBytes` (表C.49/C.50: each sub-packet is a full frame with its own QN, the same CN, Flag.D
 * set, and repeats `DataTime`). Groups are never split across sub-packets; a single group longer than
 * the limit travels alone in an oversize frame (real gateways do, hj212.md §8.4).
 */
export function encodeUpload(data: UploadData, options: UploadOptions): string[] {
  const version = options.version ?? '2017';
  const ackRequired = options.ackRequired ?? true;
  const maxBytes = options.maxSegmentBytes ?? STANDARD_SEGMENT_BYTES;
  const crcStyle = options.crcStyle ?? 'upper';
  const dataTimeItem = `DataTime=${formatCompactLocalTime(data.dataTime.getTime(), options.zone)}`;
  const groups = uploadGroups(data.values, options, version === '2005');

  const headerFor = (split: boolean, pnum?: number, pno?: number, qn?: string): SegmentHeader => {
    const flag = makeFlag(version, split, ackRequired);
    const header: SegmentHeader = { st: data.st, cn: data.cn, pw: options.pw, mn: data.mn };
    if (version !== '2005') {
      header.qn = qn ?? options.qn;
      header.flag = flag;
    } else if (flag !== 0) {
      header.flag = flag; // 2005 frames still need the D/A bits when split or acked (bocon 1045, Flag=2)
    }
    if (pnum !== undefined) header.pnum = pnum;
    if (pno !== undefined) header.pno = pno;
    return header;
  };

  const whole = [dataTimeItem, ...groups].join(';');
  const single = buildSegment(headerFor(false), whole);
  if (Buffer.byteLength(single, 'utf8') <= maxBytes) return [encodeFrame(single, crcStyle)];

  // PNUM's digit count changes the header length, which can change the packing: iterate to a fixed point.
  let packs = packGroups(groups, dataTimeItem, maxBytes - headerBytes(headerFor(true, 2, 2)));
  for (let attempt = 0; attempt < 4; attempt++) {
    const n = packs.length;
    const next = packGroups(groups, dataTimeItem, maxBytes - headerBytes(headerFor(true, n, n)));
    if (next.length === n) break;
    packs = next;
  }
  const pnum = packs.length;
  // One group alone exceeds the limit: send it oversize, unsplit (PNUM=1 would say nothing).
  if (pnum === 1) return [encodeFrame(single, crcStyle)];
  return packs.map((cpText, index) =>
    encodeFrame(
      buildSegment(headerFor(true, pnum, index + 1, addMillisToQn(options.qn, index)), cpText),
      crcStyle,
    ),
  );
}

/** Bytes a segment spends outside its CP content. */
function headerBytes(header: SegmentHeader): number {
  return Buffer.byteLength(buildSegment(header, ''), 'utf8');
}

/** Greedy packing of groups into CP texts that each start with DataTime and fit `budget` bytes. */
function packGroups(groups: readonly string[], dataTimeItem: string, budget: number): string[] {
  const packs: string[] = [];
  let current = dataTimeItem;
  let currentBytes = Buffer.byteLength(current, 'utf8');
  let currentHasGroups = false;
  for (const group of groups) {
    const groupBytes = Buffer.byteLength(group, 'utf8') + 1; // + ";"
    if (currentHasGroups && currentBytes + groupBytes > budget) {
      packs.push(current);
      current = dataTimeItem;
      currentBytes = Buffer.byteLength(current, 'utf8');
    }
    current += `;${group}`;
    currentBytes += groupBytes;
    currentHasGroups = true;
  }
  packs.push(current);
  return packs;
}

/** Suffix order within a group: as in 附录C (SampleTime first, Flag last). */
function uploadGroups(values: readonly PollutantValue[], options: UploadOptions, as2005: boolean): string[] {
  const { decimals, zone } = options;
  const extrasByCode = new Map<string, Hj212Extra[]>();
  const bareExtras: Hj212Extra[] = [];
  for (const extra of options.extras ?? []) {
    if (extra.code === undefined) {
      bareExtras.push(extra);
      continue;
    }
    const list = extrasByCode.get(extra.code);
    if (list) list.push(extra);
    else extrasByCode.set(extra.code, [extra]);
  }
  const groups: string[] = [];
  const num = (n: number) => formatDecimal(n, decimals);
  for (const v of values) {
    const code = as2005 ? (code2005Of(v.code) ?? v.code) : v.code;
    const items: string[] = [];
    if (v.sampleTime !== undefined) {
      items.push(`${code}-SampleTime=${formatCompactLocalTime(v.sampleTime.getTime(), zone)}`);
    }
    if (v.rtd !== undefined) items.push(`${code}-Rtd=${num(v.rtd)}`);
    if (v.zsRtd !== undefined) items.push(`${code}-ZsRtd=${num(v.zsRtd)}`);
    if (v.cou !== undefined) items.push(`${code}-Cou=${num(v.cou)}`);
    if (v.min !== undefined) items.push(`${code}-Min=${num(v.min)}`);
    if (v.avg !== undefined) items.push(`${code}-Avg=${num(v.avg)}`);
    if (v.max !== undefined) items.push(`${code}-Max=${num(v.max)}`);
    if (v.zsMin !== undefined) items.push(`${code}-ZsMin=${num(v.zsMin)}`);
    if (v.zsAvg !== undefined) items.push(`${code}-ZsAvg=${num(v.zsAvg)}`);
    if (v.zsMax !== undefined) items.push(`${code}-ZsMax=${num(v.zsMax)}`);
    if (v.rs !== undefined) items.push(`${code}-RS=${num(v.rs)}`);
    if (v.rt !== undefined) items.push(`${code}-RT=${num(v.rt)}`);
    for (const extra of extrasByCode.get(v.code) ?? [])
      items.push(`${code}-${extra.field}=${safeText(extra.value)}`);
    extrasByCode.delete(v.code);
    if (v.flag !== undefined) items.push(`${code}-Flag=${safeText(v.flag)}`);
    if (v.eflag !== undefined) items.push(`${code}-EFlag=${safeText(v.eflag)}`);
    if (items.length > 0) groups.push(items.join(','));
  }
  for (const [code, extras] of extrasByCode) {
    groups.push(extras.map((extra) => `${code}-${extra.field}=${safeText(extra.value)}`).join(','));
  }
  for (const extra of bareExtras) groups.push(`${extra.field}=${safeText(extra.value)}`);
  return groups;
}

/**
 * Text values must not contain the CP separators or a line break: they would change the grouping or cut
 * the frame on the receiving side (a caller bug, so it throws).
 */
function safeText(value: string): string {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x3b || c === 0x2c || c === 0x0d || c === 0x0a) {
      throw new RangeError(`CP value ${JSON.stringify(value)} contains ";", "," or a line break`);
    }
  }
  return value;
}

/**
 * A number as a plain decimal (no exponent: HJ 212 values are `N5.2`-style digit strings, 附录B).
 * Without `decimals` the shortest string that parses back to the same double.
 */
export function formatDecimal(n: number, decimals?: number): string {
  if (!Number.isFinite(n)) throw new RangeError(`cannot encode non-finite value ${n}`);
  if (decimals !== undefined) return n.toFixed(decimals);
  const s = String(n);
  const e = s.indexOf('e');
  if (e < 0) return s;
  // Expand "1.5e-7" / "1e+21" into plain digits.
  const negative = s.charCodeAt(0) === 0x2d;
  const mantissa = s.slice(negative ? 1 : 0, e);
  const exponent = Number(s.slice(e + 1));
  const dot = mantissa.indexOf('.');
  const digits = dot < 0 ? mantissa : mantissa.slice(0, dot) + mantissa.slice(dot + 1);
  const pointAt = (dot < 0 ? mantissa.length : dot) + exponent;
  let plain: string;
  if (pointAt <= 0) plain = `0.${'0'.repeat(-pointAt)}${digits}`;
  else if (pointAt >= digits.length) plain = digits + '0'.repeat(pointAt - digits.length);
  else plain = `${digits.slice(0, pointAt)}.${digits.slice(pointAt)}`;
  return negative ? `-${plain}` : plain;
}

/**
 * QN + `ms` milliseconds, keeping the `YYYYMMDDhhmmsszzz` form (split sub-packets: QN+1 ms, 表C.49).
 * Wall-clock arithmetic in UTC, so no zone is needed. A QN that is not 17 digits gets `ms` added as a
 * decimal number on its last digits instead.
 */
export function addMillisToQn(qn: string, ms: number): string {
  if (ms === 0) return qn;
  if (/^\d{17}$/.test(qn)) {
    const t = Date.UTC(
      Number(qn.slice(0, 4)),
      Number(qn.slice(4, 6)) - 1,
      Number(qn.slice(6, 8)),
      Number(qn.slice(8, 10)),
      Number(qn.slice(10, 12)),
      Number(qn.slice(12, 14)),
      Number(qn.slice(14, 17)),
    );
    if (Number.isFinite(t)) {
      const d = new Date(t + ms);
      const p = (v: number, w = 2) => String(v).padStart(w, '0');
      const year = d.getUTCFullYear();
      if (year >= 1000 && year <= 9999) {
        return `${year}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}${p(d.getUTCMilliseconds(), 3)}`;
      }
    }
  }
  const digits = /\d+$/.exec(qn)?.[0] ?? '';
  if (digits.length === 0) return `${qn}${ms}`;
  const bumped = (BigInt(digits) + BigInt(ms)).toString().padStart(digits.length, '0');
  return qn.slice(0, qn.length - digits.length) + bumped;
}

/** True when `cn` is a data upload CN (2011, 2021, 2031, 2041, 2051, 2061, 2081, 3019, 3020). */
export function isDataUploadCn(cn: string): boolean {
  return DATA_UPLOAD_CNS.has(cn);
}

/** A device response inside a request flow (Flag=4, same QN as the request; 表C.2, C.5, C.7, C.37). */
export function buildDeviceResponse(
  request: { qn?: string; st: string; cn: string; pw?: string; mn: string },
  params: readonly (readonly [string, string])[],
  version: EncodeVersion = '2017',
): string {
  return buildFrame(
    {
      qn: request.qn ?? '',
      st: request.st,
      cn: request.cn,
      pw: request.pw ?? '',
      mn: request.mn,
      flag: makeFlag(version, false, false),
    },
    params.map((item) => [item]),
  );
}
