/**
 * HJ 212 decode throughput on one core: a typical CEMS real-time upload (CN=2011, 8 pollutants with
 * Rtd/ZsRtd/Flag, ~500-byte segment) through decodeFrame (strict CRC) + toReading, as the TCP intake
 * runs them per frame. Prints frames/s and writes .bench/hj212-decode.json.
 *
 *   npx tsx bench/hj212-decode.ts [seconds=3]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseCompactLocalTime } from '../core/local-time.js';
import { decodeFrame, encodeUpload, Hj212StreamFramer, toReading } from '../ingest/hj212/index.js';
import { callFor } from './lib/timed-calls.js';

const ZONE = 'Asia/Shanghai';
const seconds = Number(process.argv[2] ?? 3);

const dataTime = parseCompactLocalTime('20260123101500', ZONE) as Date;
const [frameText] = encodeUpload(
  {
    st: '31',
    cn: '2011',
    mn: '010000A8900016F000169DC0',
    dataTime,
    values: [
      { code: 'a34013', rtd: 3.217, zsRtd: 4.102, flag: 'N' },
      { code: 'a21026', rtd: 12.53, zsRtd: 15.97, flag: 'N' },
      { code: 'a21002', rtd: 28.4, zsRtd: 36.21, flag: 'N' },
      { code: 'a19001', rtd: 9.63, flag: 'N' },
      { code: 'a01011', rtd: 11.42, flag: 'N' },
      { code: 'a01012', rtd: 48.7, flag: 'N' },
      { code: 'a01013', rtd: -0.152, flag: 'N' },
      { code: 'a00000', rtd: 152.3, cou: 9138, flag: 'N' },
    ],
  },
  { qn: '20260123101503123', pw: '123456', zone: ZONE },
);
const frame = Buffer.from(frameText as string, 'utf8');
const receivedAt = new Date();

function decodeOnce(): number {
  const decoded = decodeFrame(frame, { crcPolicy: 'strict' });
  if (!decoded.ok) throw new Error(decoded.reason);
  const result = toReading(decoded.packet, { zone: ZONE, receivedAt });
  if (!result.ok) throw new Error(result.reason);
  return result.reading.values.length;
}

function decodeOnly(): number {
  const decoded = decodeFrame(frame, { crcPolicy: 'strict' });
  if (!decoded.ok) throw new Error(decoded.reason);
  return decoded.packet.cp.length - 1;
}

/** 64 KiB reads of back-to-back frames through the stream framer (framing only). */
const framerInput = Buffer.concat(Array.from({ length: Math.ceil(65_536 / frame.length) }, () => frame));
const framesPerRead = Math.ceil(65_536 / frame.length);
const framer = new Hj212StreamFramer();
function frameOnly(): number {
  return framer.push(framerInput).length === framesPerRead ? 8 : 0;
}

/** Calls `once` (which returns 8 per frame) until `durationMs` has passed. */
function run(once: () => number, durationMs: number, framesPerCall = 1): { frames: number; ms: number } {
  const { calls, ms, sum } = callFor(durationMs, once);
  if (sum !== calls * 8) throw new Error('unexpected result');
  return { frames: calls * framesPerCall, ms };
}

const rate = (m: { frames: number; ms: number }) => Math.round((m.frames / m.ms) * 1000);

// Warm-up: let V8 optimise the hot paths before measuring.
run(decodeOnce, 500);
run(decodeOnly, 200);
run(frameOnly, 200, framesPerRead);
const measured = run(decodeOnce, seconds * 1000);
const framesPerSecond = rate(measured);
const decodeOnlyPerSecond = rate(run(decodeOnly, 1000));
const framerPerSecond = rate(run(frameOnly, 1000, framesPerRead));

const result = {
  benchmark: 'hj212-decode',
  description: 'decodeFrame (strict CRC, Buffer input) + toReading, CEMS 2011 frame with 8 pollutants',
  frameBytes: frame.length,
  frames: measured.frames,
  durationMs: Math.round(measured.ms),
  framesPerSecond,
  microsecondsPerFrame: Number((1e6 / framesPerSecond).toFixed(2)),
  decodeFrameOnlyPerSecond: decodeOnlyPerSecond,
  streamFramerFramesPerSecond: framerPerSecond,
  node: process.version,
  cpu: cpus()[0]?.model ?? 'unknown',
  date: new Date().toISOString(),
};
mkdirSync('.bench', { recursive: true });
writeFileSync('.bench/hj212-decode.json', `${JSON.stringify(result, null, 2)}\n`);
process.stdout.write(
  `hj212-decode: ${framesPerSecond.toLocaleString('en-US')} frames/s on one core ` +
    `(${result.microsecondsPerFrame} µs/frame, ${frame.length}-byte frame; decodeFrame alone ` +
    `${decodeOnlyPerSecond.toLocaleString('en-US')}/s, stream framer ${framerPerSecond.toLocaleString('en-US')}/s) ` +
    '→ .bench/hj212-decode.json\n',
);
