import { describe, expect, it } from 'vitest';
import { buildAck9014, buildNotifyAckFor } from './encode.js';
import { type CrcPolicy, decodeFrame } from './packet.js';
import { Hj212StreamFramer } from './stream-framer.js';
import { toReading } from './to-reading.js';
import { loadVectorPackets } from './vectors.fixture.js';

/**
 * Fuzz: ≥ 100k random and mutated frames through decodeFrame (+ toReading and the reply builders on
 * whatever decodes) and through the stream framer. Nothing may throw; the framer stays within its cap.
 */

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const seeds = loadVectorPackets().map((p) => Buffer.from(p.raw, 'utf8'));
/** Bytes that matter to the grammar, so mutations hit interesting paths often. */
const SPECIAL = Buffer.from('#;,=&-\r\n0123456789ABCDEFabcdef .QNSTCMPWFlagPNUMPNODataTime', 'latin1');
const POLICIES: CrcPolicy[] = ['strict', 'lenient', 'off'];

function mutate(source: Buffer, rnd: () => number): Buffer {
  let bytes = Buffer.from(source);
  const edits = 1 + Math.floor(rnd() * 6);
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(rnd() * (bytes.length + 1));
    const pick = () =>
      rnd() < 0.6 ? (SPECIAL[Math.floor(rnd() * SPECIAL.length)] as number) : Math.floor(rnd() * 256);
    switch (Math.floor(rnd() * 8)) {
      case 0: // replace a byte
        if (at < bytes.length) bytes[at] = pick();
        break;
      case 1: // insert a byte
        bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from([pick()]), bytes.subarray(at)]);
        break;
      case 2: // delete a run
        bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + 1 + Math.floor(rnd() * 20))]);
        break;
      case 3: // truncate
        bytes = bytes.subarray(0, at);
        break;
      case 4: // duplicate a slice
        bytes = Buffer.concat([
          bytes.subarray(0, at),
          bytes.subarray(Math.floor(rnd() * bytes.length)),
          bytes.subarray(at),
        ]);
        break;
      case 5: // splice in another frame's tail
        bytes = Buffer.concat([
          bytes.subarray(0, at),
          (seeds[Math.floor(rnd() * seeds.length)] as Buffer).subarray(Math.floor(rnd() * 200)),
        ]);
        break;
      case 6: // mess up the length field
        if (bytes.length > 6) {
          const digits = String(Math.floor(rnd() * 10_000)).padStart(Math.floor(rnd() * 5), '0');
          bytes = Buffer.concat([bytes.subarray(0, 2), Buffer.from(digits, 'latin1'), bytes.subarray(6)]);
        }
        break;
      default: // invalid UTF-8 / GBK bytes
        bytes = Buffer.concat([
          bytes.subarray(0, at),
          Buffer.from([0xc7, 0xe5, 0xff, 0xfe, 0xed]),
          bytes.subarray(at),
        ]);
    }
  }
  return bytes;
}

function randomBytes(rnd: () => number): Buffer {
  const bytes = Buffer.allocUnsafe(Math.floor(rnd() * 200));
  for (let i = 0; i < bytes.length; i++)
    bytes[i] =
      rnd() < 0.5 ? (SPECIAL[Math.floor(rnd() * SPECIAL.length)] as number) : Math.floor(rnd() * 256);
  if (rnd() < 0.5) bytes.write('##', 0, 'latin1');
  return bytes;
}

const DECODE_CODES = new Set(['ING_HJ212_FRAME', 'ING_HJ212_CRC', 'ING_HJ212_HEADER']);

/**
 * Decodes and, when that works, builds the reading and the replies. Returns whether it decoded; contract
 * violations are collected in `failures` (plain checks: `expect` in a 100k loop would dominate the time).
 */
function exercise(input: Buffer | string, policy: CrcPolicy, failures: string[]): boolean {
  const decoded = decodeFrame(input, { crcPolicy: policy });
  if (!decoded.ok) {
    if (!DECODE_CODES.has(decoded.code) || decoded.reason.startsWith('decoder bug')) {
      failures.push(`${decoded.code}: ${decoded.reason}`);
    }
    return false;
  }
  buildAck9014(decoded.packet);
  buildNotifyAckFor(decoded.packet);
  const reading = toReading(decoded.packet, { zone: 'Asia/Shanghai', receivedAt: new Date(0) });
  if (reading.ok) {
    for (const v of reading.reading.values) {
      for (const [field, x] of Object.entries(v)) {
        if (typeof x === 'number' && !Number.isFinite(x)) failures.push(`${field}=${x} in ${String(input)}`);
      }
    }
  }
  return true;
}

describe('fuzz', () => {
  it('decodeFrame never throws on 100k+ random and mutated frames', () => {
    const rnd = prng(0x212);
    let decodedOk = 0;
    const failures: string[] = [];
    const total = 110_000;
    for (let n = 0; n < total; n++) {
      const input =
        n % 10 === 0 ? randomBytes(rnd) : mutate(seeds[Math.floor(rnd() * seeds.length)] as Buffer, rnd);
      const policy = POLICIES[n % 3] as CrcPolicy;
      if (exercise(input, policy, failures)) decodedOk++;
      // Strings take a different code path (UTF-16 input, lone surrogates after latin1 decoding).
      if (n % 4 === 0) exercise(input.toString(n % 8 === 0 ? 'latin1' : 'utf8'), policy, failures);
    }
    expect(failures).toEqual([]);
    // The mutations must leave a good share decodable, or the fuzz would only test the front door.
    expect(decodedOk).toBeGreaterThan(total / 10);
  });

  it('the stream framer never throws and never exceeds its cap on mutated streams', () => {
    const rnd = prng(0xf00d);
    const framer = new Hj212StreamFramer({ maxBufferBytes: 2048 });
    let frames = 0;
    let fed = 0;
    let accounted = 0;
    let maxBufferedSeen = 0;
    for (let n = 0; n < 100_000; n++) {
      const chunk =
        n % 7 === 0 ? randomBytes(rnd) : mutate(seeds[Math.floor(rnd() * seeds.length)] as Buffer, rnd);
      // Re-chunk arbitrarily.
      let from = 0;
      while (from < chunk.length) {
        const to = Math.min(chunk.length, from + 1 + Math.floor(rnd() * 400));
        for (const out of framer.push(chunk.subarray(from, to))) {
          if (out.type === 'frame') {
            frames++;
            accounted += out.frame.length;
            decodeFrame(out.frame, { crcPolicy: 'off' });
          } else {
            accounted += out.bytes;
          }
        }
        if (framer.bufferedBytes > 2048) maxBufferedSeen = framer.bufferedBytes;
        from = to;
      }
      fed += chunk.length;
    }
    for (const out of framer.flush()) accounted += out.type === 'frame' ? out.frame.length : out.bytes;
    expect(maxBufferedSeen).toBe(0);
    expect(frames).toBeGreaterThan(10_000);
    // Every byte is either in a frame, reported as garbage, or reported as overflow.
    expect(accounted).toBe(fed);
  });
});
