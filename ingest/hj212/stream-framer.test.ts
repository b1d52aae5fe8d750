import { describe, expect, it } from 'vitest';
import { encodeFrame } from './encode.js';
import { decodeFrame } from './packet.js';
import { type FramerOutput, Hj212StreamFramer } from './stream-framer.js';
import { loadVectorPackets, vectorById } from './vectors.fixture.js';

/** Deterministic PRNG (mulberry32) so failures reproduce. */
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

/** Junk seen between frames on real sockets (hj212.md §8.10) and a few nastier ones. */
const GARBAGE = [
  '010000000006010400000014\r\n', // Modbus-TCP-like hex line from the real rx.log
  '\x00\x01\x02\xff',
  'HEARTBEAT\r\n',
  '#', // a lone '#'
  '##', // '##' without length digits
  '###x\r\n',
  '##QN=no-length;CP=&&&&\r\n',
  '\r\n',
];

interface Stream {
  bytes: Buffer;
  /** Frames the framer must return, in order. */
  expected: Buffer[];
  garbageBytes: number;
}

/**
 * All vector frames, with garbage between them. A frame without terminator is followed directly by the
 * next frame (anything else would be glued to it: without a terminator only the next "##" ends it).
 */
function buildStream(seed: number): Stream {
  const rnd = prng(seed);
  const parts: Buffer[] = [];
  const expected: Buffer[] = [];
  let garbageBytes = 0;
  for (const p of loadVectorPackets()) {
    const frame = Buffer.from(p.raw, 'utf8');
    parts.push(frame);
    expected.push(frame);
    if (p.expect.terminator && rnd() < 0.6) {
      const junk = Buffer.from(GARBAGE[Math.floor(rnd() * GARBAGE.length)] as string, 'latin1');
      parts.push(junk);
      garbageBytes += junk.length;
    }
  }
  return { bytes: Buffer.concat(parts), expected, garbageBytes };
}

function feed(framer: Hj212StreamFramer, bytes: Buffer, cuts: number[]): FramerOutput[] {
  const out: FramerOutput[] = [];
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    out.push(...framer.push(bytes.subarray(from, cut)));
    expect(framer.bufferedBytes).toBeLessThanOrEqual(framer.maxBufferBytes);
    from = cut;
  }
  out.push(...framer.flush());
  return out;
}

const framesOf = (out: FramerOutput[]) => out.flatMap((o) => (o.type === 'frame' ? [o.frame] : []));
const garbageOf = (out: FramerOutput[]) => out.reduce((n, o) => n + (o.type === 'garbage' ? o.bytes : 0), 0);

describe('Hj212StreamFramer on the shared vectors', () => {
  const stream = buildStream(212);

  it('one big chunk: every frame exactly once, garbage accounted for', () => {
    const out = feed(new Hj212StreamFramer(), stream.bytes, []);
    expect(framesOf(out)).toEqual(stream.expected);
    expect(garbageOf(out)).toBe(stream.garbageBytes);
    expect(out.some((o) => o.type === 'overflow')).toBe(false);
  });

  it('1 byte at a time gives the same frames', () => {
    const cuts = Array.from({ length: stream.bytes.length - 1 }, (_, i) => i + 1);
    const out = feed(new Hj212StreamFramer(), stream.bytes, cuts);
    expect(framesOf(out)).toEqual(stream.expected);
    expect(garbageOf(out)).toBe(stream.garbageBytes);
  });

  it('random cut points (seeded) give the same frames', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const s = buildStream(seed);
      const rnd = prng(seed * 7919);
      const cuts: number[] = [];
      let at = 0;
      for (;;) {
        at += 1 + Math.floor(rnd() * (rnd() < 0.5 ? 8 : 700));
        if (at >= s.bytes.length) break;
        cuts.push(at);
      }
      const out = feed(new Hj212StreamFramer(), s.bytes, cuts);
      expect(framesOf(out)).toEqual(s.expected);
      expect(garbageOf(out)).toBe(s.garbageBytes);
    }
  });

  it('every frame with terminator decodes with the vector CRC verdict', () => {
    const out = feed(new Hj212StreamFramer(), stream.bytes, []);
    const frames = framesOf(out);
    const packets = loadVectorPackets();
    frames.forEach((frame, i) => {
      const decoded = decodeFrame(frame, { crcPolicy: 'strict' });
      expect(decoded.ok).toBe(packets[i]?.expect.crcOk);
    });
  });
});

describe('Hj212StreamFramer edge cases', () => {
  const segment = vectorById('std-A-1062-set-rtdinterval').expect.segment;
  const good = encodeFrame(segment);

  it('length written as char count (short by 8 bytes) still cuts at the terminator', () => {
    const raw = vectorById('synthetic-C40-char-count-length').raw;
    const framer = new Hj212StreamFramer();
    const frames = framesOf(feed(framer, Buffer.from(raw + good + raw, 'utf8'), []));
    expect(frames.map((f) => f.toString('utf8'))).toEqual([raw, good, raw]);
  });

  it('unpadded length "##101" and a too-large length both work', () => {
    const unpadded = `##101${good.slice(6)}`;
    const tooLarge = `##0999${good.slice(6)}`;
    const frames = framesOf(feed(new Hj212StreamFramer(), Buffer.from(unpadded + tooLarge + good), []));
    expect(frames.map((f) => f.toString())).toEqual([unpadded, tooLarge, good]);
    const decoded = decodeFrame(frames[0] as Buffer);
    expect(decoded.ok && decoded.packet.frame.lengthOk).toBe(false);
  });

  it('missing CR: LF alone ends a frame', () => {
    const lfOnly = good.replace('\r\n', '\n');
    const frames = framesOf(feed(new Hj212StreamFramer(), Buffer.from(lfOnly + lfOnly), [5, 107]));
    expect(frames.map((f) => f.toString())).toEqual([lfOnly, lfOnly]);
  });

  it('a newline inside -Info text does not cut a frame whose length says it goes on', () => {
    const withNewline = encodeFrame(
      'QN=20160801085857223;ST=32;CN=3020;PW=123456;MN=010000A8900016F000169DC0;Flag=5;CP=&&DataTime=20100301145000;PolId=w01018;i11001-Info=//line one\r\nline two//&&',
    );
    const bytes = Buffer.from(withNewline + good);
    for (const cuts of [[], Array.from({ length: bytes.length - 1 }, (_, i) => i + 1)]) {
      const frames = framesOf(feed(new Hj212StreamFramer(), bytes, cuts));
      expect(frames.map((f) => f.toString())).toEqual([withNewline, good]);
    }
  });

  it('a frame without terminator is cut at the next header, or emitted by flush at end of stream', () => {
    const noCrLf = good.slice(0, -2);
    const framer = new Hj212StreamFramer();
    expect(framesOf(framer.push(Buffer.from(noCrLf + good + noCrLf))).map(String)).toEqual([noCrLf, good]);
    expect(framer.bufferedBytes).toBe(noCrLf.length);
    expect(framesOf(framer.flush()).map(String)).toEqual([noCrLf]);
    expect(framer.bufferedBytes).toBe(0);
  });

  it('overflow: an endless candidate is discarded, memory stays bounded, the next frame is found', () => {
    const framer = new Hj212StreamFramer({ maxBufferBytes: 1024 });
    const out: FramerOutput[] = [];
    out.push(...framer.push(Buffer.from('##0100QN=')));
    const junk = Buffer.alloc(700, 0x41);
    for (let i = 0; i < 10; i++) {
      out.push(...framer.push(junk));
      expect(framer.bufferedBytes).toBeLessThanOrEqual(1024);
    }
    out.push(...framer.push(Buffer.from(`\r\n${good}`)));
    expect(out.filter((o) => o.type === 'overflow')).toHaveLength(1);
    expect(framesOf(out).map(String)).toEqual([good]);
    const accounted = out.reduce(
      (n, o) =>
        n +
        (o.type === 'frame' ? o.frame.length : o.type === 'garbage' || o.type === 'overflow' ? o.bytes : 0),
      0,
    );
    expect(accounted).toBe(9 + 7000 + 2 + good.length);
  });

  it('a socket that sends only junk is reported without buffering it', () => {
    const framer = new Hj212StreamFramer({ maxBufferBytes: 256 });
    const out = framer.push(Buffer.alloc(10_000, 0x30));
    expect(framer.bufferedBytes).toBe(0);
    expect(garbageOf(out)).toBe(10_000);
    const head = out.find((o) => o.type === 'garbage');
    expect(head?.type === 'garbage' && head.head.length).toBe(32);
  });

  it('garbage before a frame is reported before the frame', () => {
    const out = new Hj212StreamFramer().push(Buffer.from(`xyz${good}`));
    expect(out.map((o) => o.type)).toEqual(['garbage', 'frame']);
  });

  it('rejects silly caps', () => {
    expect(() => new Hj212StreamFramer({ maxBufferBytes: 10 })).toThrow(RangeError);
  });
});
