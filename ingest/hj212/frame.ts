import { TextDecoder } from 'node:util';
import { formatCrc, hj212Crc, hj212CrcOfString, modbusCrcLowFirst, parseCrcHex } from './crc.js';
import { CR, CRC_CHARS, DIGIT_0, HASH, isDigit, LF, MAX_LENGTH_DIGITS } from './frame-layout.js';

/**
 * One complete HJ 212 frame, cut into its parts (hj212.md §1):
 *
 *     ## <1–4 length digits> <data segment> <4 CRC chars> [\r\n]
 *
 * Segment boundaries come from the frame itself — after the length digits up to the last 4 characters
 * before the terminator — never from the length field, which real gateways get wrong (char vs byte
 * counts, unpadded `##81`; hj212.md §1, §8). The length field is only checked and reported.
 */
export interface Hj212Frame {
  /** The digits after `##` as written (normally 4, zero-padded). */
  lengthField: string;
  declaredLength: number;
  /** Bytes of the segment as received (UTF-8 bytes when the frame was given as a string). */
  lengthBytes: number;
  /** UTF-16 code units of the decoded segment: what Java/C# implementations put in the length field. */
  lengthChars: number;
  /** 4-digit length field equal to the byte count (STD 表2 "数据段的 ASCII 字符数"; UTF-8 bytes for 汉字). */
  lengthOk: boolean;
  segment: string;
  /** The 4 CRC characters as sent, case preserved. */
  crcTransmitted: string;
  /** HJ 212-2017 附录A CRC of the segment bytes, `%04X`. */
  crcComputed: string;
  /** Transmitted CRC equals the computed one, case-insensitively (lower-case hex is common, hj212.md §8.3). */
  crcOk: boolean;
  /**
   * The transmitted CRC is CRC-16/MODBUS printed low byte first (the real-gateway bug, hj212.md §2.2).
   * Only tried when `crcOk` is false, so it is false for every frame with a correct CRC.
   */
  crcMatchesModbusLowFirst: boolean;
  /** The frame ended with `\r\n` (包尾). A lone `\n` or `\r` is tolerated but reported as false. */
  terminator: boolean;
  /**
   * How the segment bytes were turned into text. HJ 212 says UTF-8 (STD §6.3); some gateways send GBK
   * inside `-Info` log text (hj212.md §1, §10), so invalid UTF-8 is retried as GB18030 (a GBK superset).
   */
  textEncoding: 'utf8' | 'gb18030';
}

export type FrameParseResult = { ok: true; frame: Hj212Frame } | { ok: false; reason: string };

let gb18030Decoder: TextDecoder | undefined;

/**
 * Cuts one complete frame (string or bytes) into its parts and checks length and CRC. Pure; never throws
 * for any string or byte input. A Buffer/Uint8Array is checked over its raw bytes; a string over its
 * UTF-8 encoding (hj212.md §1: the standard counts bytes; UTF-8 for 汉字).
 */
export function parseFrame(raw: string | Uint8Array): FrameParseResult {
  return typeof raw === 'string' ? parseFrameString(raw) : parseFrameBytes(raw);
}

function parseFrameString(raw: string): FrameParseResult {
  if (raw.charCodeAt(0) !== HASH || raw.charCodeAt(1) !== HASH) {
    return { ok: false, reason: 'frame does not start with "##"' };
  }
  let digitsEnd = 2;
  let declaredLength = 0;
  while (digitsEnd < raw.length && digitsEnd - 2 < MAX_LENGTH_DIGITS) {
    const c = raw.charCodeAt(digitsEnd);
    if (!isDigit(c)) break;
    declaredLength = declaredLength * 10 + (c - DIGIT_0);
    digitsEnd++;
  }
  if (digitsEnd === 2) return { ok: false, reason: 'no length digits after "##"' };

  let end = raw.length;
  let terminator = false;
  if (raw.charCodeAt(end - 1) === LF) {
    end--;
    if (raw.charCodeAt(end - 1) === CR) {
      end--;
      terminator = true;
    }
  } else if (raw.charCodeAt(end - 1) === CR) {
    end--;
  }
  const crcStart = end - CRC_CHARS;
  if (crcStart < digitsEnd) return { ok: false, reason: 'frame too short to hold a CRC' };

  const segment = raw.slice(digitsEnd, crcStart);
  const crcTransmitted = raw.slice(crcStart, end);
  let lengthBytes = segment.length;
  let crc: number;
  let segmentBytes: Buffer | undefined;
  if (isAscii(segment)) {
    crc = hj212CrcOfString(segment);
  } else {
    segmentBytes = Buffer.from(segment, 'utf8');
    lengthBytes = segmentBytes.length;
    crc = hj212Crc(segmentBytes);
  }
  const crcOk = parseCrcHex(crcTransmitted) === crc;
  let crcMatchesModbusLowFirst = false;
  if (!crcOk) {
    const bytes = segmentBytes ?? Buffer.from(segment, 'utf8');
    crcMatchesModbusLowFirst = modbusCrcLowFirst(bytes) === crcTransmitted.toUpperCase();
  }
  const lengthField = raw.slice(2, digitsEnd);
  return {
    ok: true,
    frame: {
      lengthField,
      declaredLength,
      lengthBytes,
      lengthChars: segment.length,
      lengthOk: lengthField.length === MAX_LENGTH_DIGITS && declaredLength === lengthBytes,
      segment,
      crcTransmitted,
      crcComputed: formatCrc(crc),
      crcOk,
      crcMatchesModbusLowFirst,
      terminator,
      textEncoding: 'utf8',
    },
  };
}

function parseFrameBytes(input: Uint8Array): FrameParseResult {
  // A view, not a copy: Buffer gives fast latin1/utf8 slicing on any Uint8Array.
  const raw = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  if (raw[0] !== HASH || raw[1] !== HASH) return { ok: false, reason: 'frame does not start with "##"' };
  let digitsEnd = 2;
  let declaredLength = 0;
  while (digitsEnd < raw.length && digitsEnd - 2 < MAX_LENGTH_DIGITS) {
    const c = raw[digitsEnd] as number;
    if (!isDigit(c)) break;
    declaredLength = declaredLength * 10 + (c - DIGIT_0);
    digitsEnd++;
  }
  if (digitsEnd === 2) return { ok: false, reason: 'no length digits after "##"' };

  let end = raw.length;
  let terminator = false;
  if (raw[end - 1] === LF) {
    end--;
    if (raw[end - 1] === CR) {
      end--;
      terminator = true;
    }
  } else if (raw[end - 1] === CR) {
    end--;
  }
  const crcStart = end - CRC_CHARS;
  if (crcStart < digitsEnd) return { ok: false, reason: 'frame too short to hold a CRC' };

  const crc = hj212Crc(raw, digitsEnd, crcStart);
  const lengthBytes = crcStart - digitsEnd;
  // Node's UTF-8 decoder is SIMD-fast on ASCII; fewer chars than bytes means multi-byte text (汉字).
  let segment = raw.toString('utf8', digitsEnd, crcStart);
  let textEncoding: Hj212Frame['textEncoding'] = 'utf8';
  if (segment.length !== lengthBytes && segment.includes('\uFFFD')) {
    if (raw.indexOf(REPLACEMENT_UTF8, digitsEnd) < 0) {
      const gbk = decodeGb18030(raw.subarray(digitsEnd, crcStart));
      if (gbk !== undefined) {
        segment = gbk;
        textEncoding = 'gb18030';
      }
    }
  }
  const crcTransmitted = raw.toString('latin1', crcStart, end);
  const crcOk = parseCrcHex(crcTransmitted) === crc;
  const crcMatchesModbusLowFirst =
    !crcOk && modbusCrcLowFirst(raw, digitsEnd, crcStart) === crcTransmitted.toUpperCase();
  return {
    ok: true,
    frame: {
      lengthField: raw.toString('latin1', 2, digitsEnd),
      declaredLength,
      lengthBytes,
      lengthChars: segment.length,
      lengthOk: digitsEnd - 2 === MAX_LENGTH_DIGITS && declaredLength === lengthBytes,
      segment,
      crcTransmitted,
      crcComputed: formatCrc(crc),
      crcOk,
      crcMatchesModbusLowFirst,
      terminator,
      textEncoding,
    },
  };
}

/** U+FFFD encoded in UTF-8: if the device really sent it, the text is UTF-8 and must not be re-decoded. */
const REPLACEMENT_UTF8 = Buffer.from([0xef, 0xbf, 0xbd]);

function decodeGb18030(bytes: Uint8Array): string | undefined {
  try {
    gb18030Decoder ??= new TextDecoder('gb18030', { fatal: true });
    return gb18030Decoder.decode(bytes);
  } catch {
    // Neither UTF-8 nor GB18030: keep the UTF-8 text with replacement characters.
    return undefined;
  }
}

function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) >= 0x80) return false;
  return true;
}
