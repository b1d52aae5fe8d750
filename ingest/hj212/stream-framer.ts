/**
 * Per-connection incremental HJ 212 framer (hj212.md §10, §8.10, §8.11).
 *
 * TCP delivers several frames per read, frames split across reads, and non-HJ 212 bytes on the same
 * socket (the real rx.log interleaves Modbus-like hex lines). The length field cannot be trusted for
 * cutting: Java/C# gateways write the character count (short by 2 bytes per 汉字), sCair writes an
 * unpadded `##81`, and some gateways omit CR or the whole terminator. So a frame ends at the first of:
 *
 *  1. a line feed whose frame looks complete: `&&` + 4 hex before the (optional CR +) LF, or the length
 *     field agrees with the position;
 *  2. the next frame header (`##` + a digit) — the frame had no terminator.
 *
 * A line feed that does neither while the length field says the frame continues is taken as part of the
 * text (a newline inside `-Info`), and scanning goes on. Decisions depend only on the bytes, never on how
 * they were chunked, so 1-byte reads give the same frames as one big read. Bytes outside frames are
 * reported as `garbage`; a candidate that outgrows the buffer cap is discarded with `overflow`. Memory is
 * one fixed buffer of `maxBufferBytes`, allocated up front.
 */
import { CR, CRC_CHARS, HASH, isDigit, LF, MAX_LENGTH_DIGITS } from './frame-layout.js';

export type FramerOutput =
  /** One complete frame (a copy, owned by the caller), `##` through the terminator if any. */
  | { type: 'frame'; frame: Buffer }
  /** Bytes skipped between frames; `head` holds at most the first 32 of them, for logs. */
  | { type: 'garbage'; bytes: number; head: Buffer }
  /** A frame candidate reached the buffer cap without ending and was discarded. */
  | { type: 'overflow'; bytes: number };

export interface StreamFramerOptions {
  /**
   * Cap on buffered bytes (default 16 KiB). The largest legal frame is 2 + 4 + 9999 + 4 + 2 = 10 011
   * bytes (hj212.md §1), so the default never cuts a frame the length field can describe.
   */
  maxBufferBytes?: number;
}

export const DEFAULT_MAX_BUFFER_BYTES = 16 * 1024;
/** Smallest sensible cap: room for a header, a short segment and the CRC. */
const MIN_BUFFER_BYTES = 64;
const GARBAGE_HEAD_BYTES = 32;
const AMP = 0x26;

function isHex(c: number): boolean {
  return isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

export class Hj212StreamFramer {
  private readonly cap: number;
  private readonly buf: Buffer;
  /** Unconsumed bytes are buf[start, end). */
  private start = 0;
  private end = 0;
  /** True while buf[start] begins a frame candidate (`##` + digits). */
  private inFrame = false;
  /** Length digits of the current candidate (0 until known) and their value. */
  private digits = 0;
  private declaredLength = 0;
  /** Next byte of the candidate to examine for a boundary (resumes across pushes). */
  private scanPos = 0;
  /** Garbage skipped since the last garbage event. */
  private garbageBytes = 0;
  private garbageHead: Buffer | undefined;
  private garbageHeadLength = 0;

  constructor(options: StreamFramerOptions = {}) {
    const cap = options.maxBufferBytes ?? DEFAULT_MAX_BUFFER_BYTES;
    if (!Number.isInteger(cap) || cap < MIN_BUFFER_BYTES) {
      throw new RangeError(`maxBufferBytes must be an integer >= ${MIN_BUFFER_BYTES}, got ${cap}`);
    }
    this.cap = cap;
    this.buf = Buffer.alloc(cap);
  }

  /** Bytes currently held (never more than `maxBufferBytes`). */
  get bufferedBytes(): number {
    return this.end - this.start;
  }

  get maxBufferBytes(): number {
    return this.cap;
  }

  /** Feeds one chunk as received; returns the frames and events it completes, in stream order. */
  push(chunk: Uint8Array): FramerOutput[] {
    const out: FramerOutput[] = [];
    let offset = 0;
    while (offset < chunk.length) {
      if (this.end === this.cap) {
        this.compact();
        if (this.end === this.cap) this.overflow(out);
      }
      const n = Math.min(chunk.length - offset, this.cap - this.end);
      this.buf.set(chunk.subarray(offset, offset + n), this.end);
      this.end += n;
      offset += n;
      this.scan(out);
    }
    // A socket that sends only junk still gets reported, once per buffer's worth.
    if (this.garbageBytes >= this.cap) this.reportGarbage(out);
    return out;
  }

  /**
   * End of stream (connection closed): a pending candidate that can hold a CRC is emitted as a frame
   * without terminator (hj212.md §8.11: some gateways send none), anything else as garbage.
   */
  flush(): FramerOutput[] {
    const out: FramerOutput[] = [];
    if (this.inFrame && this.hasRoomForCrc(this.end)) {
      this.emitFrame(out, this.end);
    } else if (this.end > this.start) {
      this.skipGarbage(this.end);
    }
    this.reportGarbage(out);
    this.start = 0;
    this.end = 0;
    this.inFrame = false;
    return out;
  }

  private scan(out: FramerOutput[]): void {
    const buf = this.buf;
    for (;;) {
      if (!this.inFrame) {
        if (!this.seekHeader()) break;
      }
      if (this.digits === 0) {
        // Read 1–4 length digits after "##"; wait if the buffer ends inside them.
        let i = this.start + 2;
        let value = 0;
        while (i < this.end && i - this.start - 2 < MAX_LENGTH_DIGITS && isDigit(buf[i] as number)) {
          value = value * 10 + ((buf[i] as number) - 0x30);
          i++;
        }
        if (i === this.end && i - this.start - 2 < MAX_LENGTH_DIGITS) return;
        this.digits = i - this.start - 2; // ≥ 1: seekHeader only enters frames at "##" + digit
        this.declaredLength = value;
        this.scanPos = i;
      }
      if (!this.findBoundary(out)) return;
    }
  }

  /**
   * Moves `start` to the next `##` followed by a digit, reporting skipped bytes as garbage. Returns false
   * when more bytes are needed (a trailing `#` or `##` is kept, it may begin a header).
   */
  private seekHeader(): boolean {
    const buf = this.buf;
    let i = this.start;
    while (i < this.end) {
      if (buf[i] !== HASH) {
        i++;
        continue;
      }
      if (i + 1 >= this.end) break; // "#" at the end: wait
      if (buf[i + 1] !== HASH) {
        i += 2;
        continue;
      }
      if (i + 2 >= this.end) break; // "##" at the end: wait for the first digit
      if (!isDigit(buf[i + 2] as number)) {
        i++; // "##x" or "###": the second '#' may start a header
        continue;
      }
      this.skipGarbage(i);
      this.inFrame = true;
      this.digits = 0;
      return true;
    }
    this.skipGarbage(i);
    if (this.start === this.end) {
      this.start = 0;
      this.end = 0;
    }
    return false;
  }

  /**
   * Scans the candidate for its end (see the file comment). Emits and returns true when the candidate
   * is resolved; returns false when more bytes are needed.
   */
  private findBoundary(out: FramerOutput[]): boolean {
    const buf = this.buf;
    const bodyStart = this.start + 2 + this.digits;
    // Where the terminator belongs if the length field is right.
    const lengthEnd = bodyStart + this.declaredLength + CRC_CHARS;
    let i = this.scanPos;
    while (i < this.end) {
      const c = buf[i] as number;
      if (c === LF) {
        const contentEnd = buf[i - 1] === CR && i - 1 >= bodyStart ? i - 1 : i;
        if (lengthEnd <= contentEnd || this.looksLikeTail(contentEnd)) {
          this.emitCandidate(out, i + 1);
          return true;
        }
        i++; // a newline inside the text; the length field says the frame goes on
        continue;
      }
      if (c === HASH) {
        if (i + 2 >= this.end) break; // need two more bytes to tell "##<digit>"
        if (buf[i + 1] === HASH && isDigit(buf[i + 2] as number)) {
          this.emitCandidate(out, i);
          return true;
        }
      }
      i++;
    }
    this.scanPos = i;
    return false;
  }

  /** `&&` + 4 hex characters end at `contentEnd`: the CP close and the CRC. */
  private looksLikeTail(contentEnd: number): boolean {
    const buf = this.buf;
    const p = contentEnd - CRC_CHARS - 2;
    if (p < this.start + 2 + this.digits) return false;
    return (
      buf[p] === AMP &&
      buf[p + 1] === AMP &&
      isHex(buf[p + 2] as number) &&
      isHex(buf[p + 3] as number) &&
      isHex(buf[p + 4] as number) &&
      isHex(buf[p + 5] as number)
    );
  }

  private hasRoomForCrc(frameEnd: number): boolean {
    let contentEnd = frameEnd;
    if (this.buf[contentEnd - 1] === LF) contentEnd--;
    if (this.buf[contentEnd - 1] === CR) contentEnd--;
    return contentEnd - (this.start + 2 + this.digits) >= CRC_CHARS;
  }

  /** Emits buf[start, frameEnd) as a frame, or as garbage when it cannot even hold a CRC. */
  private emitCandidate(out: FramerOutput[], frameEnd: number): void {
    if (this.hasRoomForCrc(frameEnd)) this.emitFrame(out, frameEnd);
    else this.skipGarbage(frameEnd);
    this.inFrame = false;
    this.digits = 0;
  }

  private emitFrame(out: FramerOutput[], frameEnd: number): void {
    this.reportGarbage(out);
    const frame = Buffer.allocUnsafe(frameEnd - this.start);
    this.buf.copy(frame, 0, this.start, frameEnd);
    out.push({ type: 'frame', frame });
    this.start = frameEnd;
    this.inFrame = false;
    this.digits = 0;
  }

  /** Counts buf[start, upTo) as garbage (keeping a short head for logs) and consumes it. */
  private skipGarbage(upTo: number): void {
    const n = upTo - this.start;
    if (n <= 0) return;
    if (this.garbageHeadLength < GARBAGE_HEAD_BYTES) {
      this.garbageHead ??= Buffer.allocUnsafe(GARBAGE_HEAD_BYTES);
      const take = Math.min(n, GARBAGE_HEAD_BYTES - this.garbageHeadLength);
      this.buf.copy(this.garbageHead, this.garbageHeadLength, this.start, this.start + take);
      this.garbageHeadLength += take;
    }
    this.garbageBytes += n;
    this.start = upTo;
  }

  private reportGarbage(out: FramerOutput[]): void {
    if (this.garbageBytes === 0) return;
    const head = Buffer.from((this.garbageHead as Buffer).subarray(0, this.garbageHeadLength));
    out.push({ type: 'garbage', bytes: this.garbageBytes, head });
    this.garbageBytes = 0;
    this.garbageHeadLength = 0;
  }

  /** The buffer is full of one unfinished candidate: drop it (its tail will arrive as garbage). */
  private overflow(out: FramerOutput[]): void {
    this.reportGarbage(out);
    out.push({ type: 'overflow', bytes: this.end - this.start });
    this.start = 0;
    this.end = 0;
    this.inFrame = false;
    this.digits = 0;
  }

  private compact(): void {
    if (this.start === 0) return;
    this.buf.copy(this.buf, 0, this.start, this.end);
    this.end -= this.start;
    this.scanPos -= this.start;
    this.start = 0;
  }
}
