/**
 * The per-reading CPU of `serve`'s own JSON hot path on one core, side by side with the slower
 * equivalents it replaced: JSON payload → reading (`decodeJsonPayload`, the zod-only path beside it),
 * reading → line-protocol bytes (`createLineEncoder().readingBlock`, the generic point builder beside it),
 * and float → text (`writeDecimalText`, `String(n)` beside it). The readings are the benchmark's own: the
 * simulator's payloads for the 50-gateway bench registry (8 values each, ../lib/registry.ts).
 * Prints µs per reading (ns per value) and writes .bench/json-ingest.json.
 *
 *   npx tsx bench/json-ingest.ts [seconds per measurement=1]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseRegistry, type SiteEntry } from '../config/registry.js';
import { MAX_DECIMAL_TEXT_BYTES, writeDecimalText } from '../ingest/decimal-text.js';
import { decodeJsonPayload, decodeJsonPayloadWithZod } from '../ingest/json-payload.js';
import { toLineProtocol } from '../ingest/line-protocol.js';
import { createLineEncoder, readingToPoints } from '../ingest/points.js';
import type { Reading } from '../ingest/reading.js';
import { createReadingSource } from '../simulator/readings.js';
import { benchRegistry } from './lib/registry.js';
import { callFor } from './lib/timed-calls.js';

const seconds = Number(process.argv[2] ?? 1);
const READINGS_PER_GATEWAY = 200;

const registry = parseRegistry(benchRegistry(50).simulator);
const startMs = Date.parse('2026-01-01T00:00:00+08:00');
const payloads: { payload: string; site: SiteEntry }[] = [];
for (const site of registry.entries()) {
  const source = createReadingSource({
    seed: 1,
    entry: site,
    timeZone: registry.timeZone,
    intervalSec: 60,
    startMs,
  });
  for (let k = 0; k < READINGS_PER_GATEWAY; k++) {
    const payload = source.next()?.payload;
    if (payload !== undefined) payloads.push({ payload, site });
  }
}
const context = () => ({ mn: '', timeZone: registry.timeZone, receivedAt: new Date() });
const readings: { reading: Reading; site: SiteEntry }[] = payloads.map(({ payload, site }) => {
  const decoded = decodeJsonPayload(payload, { ...context(), mn: site.gateway.mn });
  if (!decoded.ok) throw new Error(decoded.reason);
  return { reading: decoded.reading, site };
});
const values = readings.flatMap(({ reading }) => reading.values.map((v) => v.rtd ?? 0));

/** Runs `once(i)` over the `count` inputs round-robin until `ms` have passed; ns per call. */
function nsPerCall(count: number, once: (i: number) => number, ms: number): number {
  const run = callFor(ms, (n) => once(n % count), 1000);
  if (Number.isNaN(run.sum)) throw new Error('unreachable: reading the sum keeps the work alive');
  return (run.ms * 1e6) / run.calls;
}

const encoder = createLineEncoder();
const textTarget = Buffer.allocUnsafe(MAX_DECIMAL_TEXT_BYTES);
const cases = {
  decode: (i: number) => {
    const { payload, site } = payloads[i] as (typeof payloads)[number];
    return decodeJsonPayload(payload, { ...context(), mn: site.gateway.mn }).ok ? 1 : 0;
  },
  decodeZodOnly: (i: number) => {
    const { payload, site } = payloads[i] as (typeof payloads)[number];
    return decodeJsonPayloadWithZod(payload, { ...context(), mn: site.gateway.mn }).ok ? 1 : 0;
  },
  encode: (i: number) => {
    const { reading, site } = readings[i] as (typeof readings)[number];
    return encoder.readingBlock(reading, site).lines;
  },
  encodeGeneric: (i: number) => {
    const { reading, site } = readings[i] as (typeof readings)[number];
    return Buffer.from(readingToPoints(reading, site).map(toLineProtocol).join('\n'), 'utf8').length;
  },
  floatText: (i: number) => writeDecimalText(textTarget, 0, values[i] as number),
  floatString: (i: number) => String(values[i] as number).length,
};

// Warm-up, then each case in turn, twice, alternating order, best of two (the box is noisy).
for (const once of Object.values(cases)) nsPerCall(1000, once, 200);
const best: Record<string, number> = {};
for (const round of [0, 1]) {
  const names = Object.keys(cases) as (keyof typeof cases)[];
  for (const name of round === 0 ? names : names.reverse()) {
    const count = name.startsWith('float') ? values.length : payloads.length;
    const ns = nsPerCall(count, cases[name], seconds * 1000);
    best[name] = Math.min(best[name] ?? Number.POSITIVE_INFINITY, ns);
  }
}

const us = (ns: number | undefined) => Number(((ns ?? 0) / 1000).toFixed(2));
const result = {
  benchmark: 'json-ingest',
  description:
    'serve JSON hot path per simulator reading (8 values), one core, best of two alternating rounds',
  readings: payloads.length,
  valuesPerReading: (values.length / readings.length).toFixed(1),
  microsecondsPerReading: {
    decode: us(best.decode),
    decodeZodOnly: us(best.decodeZodOnly),
    encode: us(best.encode),
    encodeGeneric: us(best.encodeGeneric),
  },
  nanosecondsPerValue: {
    writeDecimalText: Number((best.floatText ?? 0).toFixed(1)),
    string: Number((best.floatString ?? 0).toFixed(1)),
  },
  node: process.version,
  cpu: cpus()[0]?.model ?? 'unknown',
  date: new Date().toISOString(),
};
mkdirSync('.bench', { recursive: true });
writeFileSync('.bench/json-ingest.json', `${JSON.stringify(result, null, 2)}\n`);
const r = result.microsecondsPerReading;
const v = result.nanosecondsPerValue;
process.stdout.write(
  `json-ingest (µs per reading): decode ${r.decode} (zod only ${r.decodeZodOnly}), ` +
    `encode ${r.encode} (generic points ${r.encodeGeneric}); float text ${v.writeDecimalText} ns ` +
    `(String ${v.string} ns) → .bench/json-ingest.json\n`,
);
