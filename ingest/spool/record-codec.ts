import { crc32 } from 'node:zlib';

/**
 * Spool record framing. One record holds the line-protocol lines of one accepted reading:
 *
 *   magic 0xE5 0x5A | u16 line count | u32 payload length | u32 CRC-32 of payload | payload (UTF-8 lines joined by \n)
 *
 * The CRC detects torn writes after a crash (a record whose length or checksum does not fit ends the
 * valid part of a segment); the magic lets a reader tell a record start from garbage.
 */
export const RECORD_HEADER_BYTES = 12;
const MAGIC_0 = 0xe5;
const MAGIC_1 = 0x5a;
const MAX_LINES = 0xffff;

export function encodeRecord(lines: readonly string[]): Buffer {
  if (lines.length === 0 || lines.length > MAX_LINES)
    throw new RangeError(`record must hold 1–${MAX_LINES} lines`);
  // Encoded straight into the record (one allocation, no intermediate payload buffer to copy): this
  // runs once per accepted reading.
  const text = lines.join('\n');
  const length = Buffer.byteLength(text, 'utf8');
  const record = Buffer.allocUnsafe(RECORD_HEADER_BYTES + length);
  record.write(text, RECORD_HEADER_BYTES, 'utf8');
  const payload = record.subarray(RECORD_HEADER_BYTES);
  record[0] = MAGIC_0;
  record[1] = MAGIC_1;
  record.writeUInt16LE(lines.length, 2);
  record.writeUInt32LE(length, 4);
  record.writeUInt32LE(crc32(payload), 8);
  return record;
}

export type DecodeOutcome =
  /** A whole, intact record at `offset`; `size` is header + payload. */
  | { kind: 'record'; lines: number; payload: Buffer; size: number }
  /** Not enough bytes yet to tell (the rest is beyond the buffer). */
  | { kind: 'incomplete'; needed: number }
  /** Bytes at `offset` are not a valid record (torn write or corruption). */
  | { kind: 'corrupt'; reason: string };

export function decodeRecord(buf: Buffer, offset: number): DecodeOutcome {
  const available = buf.length - offset;
  if (available < RECORD_HEADER_BYTES) return { kind: 'incomplete', needed: RECORD_HEADER_BYTES };
  if (buf[offset] !== MAGIC_0 || buf[offset + 1] !== MAGIC_1) return { kind: 'corrupt', reason: 'bad magic' };
  const lines = buf.readUInt16LE(offset + 2);
  const length = buf.readUInt32LE(offset + 4);
  const size = RECORD_HEADER_BYTES + length;
  if (available < size) return { kind: 'incomplete', needed: size };
  const payload = buf.subarray(offset + RECORD_HEADER_BYTES, offset + size);
  if (crc32(payload) !== buf.readUInt32LE(offset + 8))
    return { kind: 'corrupt', reason: 'checksum mismatch' };
  if (lines === 0) return { kind: 'corrupt', reason: 'zero lines' };
  return { kind: 'record', lines, payload, size };
}
