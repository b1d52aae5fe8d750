import { crc32 } from 'node:zlib';
import type { LineBlock } from '../point-sink.js';

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
export const MAX_LINES = 0xffff;

/** Bytes a record holding `block` takes on disk. */
export function recordSize(block: LineBlock): number {
  return RECORD_HEADER_BYTES + block.bytes.length;
}

/**
 * Writes the record of `block` into `target` at `offset` and returns its size. The spool frames a
 * whole group commit into one buffer this way: one allocation and one `write` per group, not per reading.
 */
export function writeRecord(target: Buffer, offset: number, block: LineBlock): number {
  if (block.lines === 0 || block.lines > MAX_LINES)
    throw new RangeError(`record must hold 1–${MAX_LINES} lines`);
  const length = block.bytes.length;
  target[offset] = MAGIC_0;
  target[offset + 1] = MAGIC_1;
  target.writeUInt16LE(block.lines, offset + 2);
  target.writeUInt32LE(length, offset + 4);
  target.writeUInt32LE(crc32(block.bytes), offset + 8);
  target.set(block.bytes, offset + RECORD_HEADER_BYTES);
  return RECORD_HEADER_BYTES + length;
}

/** One record as its own buffer (tests and tools; the spool uses `writeRecord`). */
export function encodeRecord(block: LineBlock): Buffer {
  const record = Buffer.allocUnsafe(recordSize(block));
  writeRecord(record, 0, block);
  return record;
}

export type DecodeOutcome =
  /** A whole, intact record at `offset`; `size` is header + payload. */
  | { kind: 'record'; lines: number; payload: Buffer; size: number }
  /** Not enough bytes yet to tell (the rest is beyond the buffer). */
  | { kind: 'incomplete'; needed: number }
  /** Bytes at `offset` are not a valid record (torn write or corruption). */
  | { kind: 'corrupt'; reason: string };

/**
 * `verifyChecksum` false skips the CRC: for records this process wrote itself or already verified when
 * it opened the spool (the drain's reads), where a checksum cannot find anything recovery did not.
 */
export function decodeRecord(buf: Buffer, offset: number, verifyChecksum = true): DecodeOutcome {
  const available = buf.length - offset;
  if (available < RECORD_HEADER_BYTES) return { kind: 'incomplete', needed: RECORD_HEADER_BYTES };
  if (buf[offset] !== MAGIC_0 || buf[offset + 1] !== MAGIC_1) return { kind: 'corrupt', reason: 'bad magic' };
  const lines = buf.readUInt16LE(offset + 2);
  const length = buf.readUInt32LE(offset + 4);
  const size = RECORD_HEADER_BYTES + length;
  if (available < size) return { kind: 'incomplete', needed: size };
  const payload = buf.subarray(offset + RECORD_HEADER_BYTES, offset + size);
  if (verifyChecksum && crc32(payload) !== buf.readUInt32LE(offset + 8))
    return { kind: 'corrupt', reason: 'checksum mismatch' };
  if (lines === 0) return { kind: 'corrupt', reason: 'zero lines' };
  return { kind: 'record', lines, payload, size };
}
