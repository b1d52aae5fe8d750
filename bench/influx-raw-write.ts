/**
 * Raw InfluxDB 1.x write throughput: pre-encoded line protocol posted by ingest/influx-writer.ts to a
 * local influxd, 5000 lines per request, with 1 and 4 requests in flight. No buffer, no spool, no
 * decoding: this is the ceiling the ingest pipeline's sink can approach (reference/anchors.md quotes
 * ≈ 208k / 336k points/s on a 2-core box).
 *
 *   npx tsx bench/influx-raw-write.ts [--points 300000] [--runs 3] [--batch 5000] [--shape reading|narrow]
 *
 * Starts its own influxd in a temporary directory; writes .bench/influx-raw-write.json.
 */
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startLocalInfluxd } from '../cli/local-influxd.js';
import { createDatabase, influxQueryOne, seriesRows } from '../ingest/influx-query.js';
import { createInfluxWriter, type InfluxWriter } from '../ingest/influx-writer.js';
import { type Point, toLineProtocol } from '../ingest/line-protocol.js';
import { deployedInfluxEnv } from './lib/services.js';

const { values: args } = parseArgs({
  options: {
    points: { type: 'string', default: '300000' },
    runs: { type: 'string', default: '3' },
    batch: { type: 'string', default: '5000' },
    // reading: production tags (8, some Chinese) and 8 fields; narrow: 2 tags, 1 field (for comparison).
    shape: { type: 'string', default: 'reading' },
  },
});
const SHAPE = args.shape === 'narrow' ? 'narrow' : 'reading';
const POINTS_PER_RUN = Number(args.points);
const RUNS = Number(args.runs);
const BATCH = Number(args.batch);
const IN_FLIGHT = [1, 4] as const;
const GATEWAYS = 1000;
const POLLUTANTS = ['a21026', 'a21002', 'a34013', 'a19001', 'a01012', 'a01011', 'a01013', 'a00000'];
const T0 = Date.parse('2026-01-01T00:00:00Z');
const DB = 'bench';

function out(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** Production-shaped point (ingest/points.ts tags) with 8 fields per reading. */
function point(i: number, minuteOffset: number): Point {
  const series = i % (GATEWAYS * POLLUTANTS.length);
  const gw = Math.floor(series / POLLUTANTS.length);
  const minute = minuteOffset + Math.floor(i / (GATEWAYS * POLLUTANTS.length));
  const v = 20 + (i % 97) / 10;
  const timeMs = T0 + minute * 60_000;
  if (SHAPE === 'narrow') {
    return {
      measurement: 'emission_minute',
      tags: {
        mn: `8888880000${String(gw).padStart(4, '0')}`,
        pollutant: POLLUTANTS[series % POLLUTANTS.length] as string,
      },
      fields: { value: v },
      timeMs,
    };
  }
  return {
    measurement: 'emission_minute',
    tags: {
      enterprise: `E${gw % 200}`,
      enterprise_name: `某某热电有限公司${gw % 200}`,
      medium: 'gas',
      mn: `8888880000${String(gw).padStart(4, '0')}`,
      outlet: `O${gw}`,
      outlet_name: `${gw % 5}号锅炉排口`,
      pollutant: POLLUTANTS[series % POLLUTANTS.length] as string,
      region: '370100',
    },
    fields: {
      value: v,
      min: v - 1.5,
      max: v + 2.25,
      zs: v * 1.1,
      zs_min: v,
      zs_max: v * 1.2,
      flag: 'N',
    },
    timeMs,
  };
}

let encodeMs = 0;

/** Request bodies for one run; only toLineProtocol + join count as encoding time. */
function bodies(run: number): string[] {
  const minutesPerRun = Math.ceil(POINTS_PER_RUN / (GATEWAYS * POLLUTANTS.length));
  const result: string[] = [];
  for (let start = 0; start < POINTS_PER_RUN; start += BATCH) {
    const end = Math.min(start + BATCH, POINTS_PER_RUN);
    const points: Point[] = [];
    for (let i = start; i < end; i++) points.push(point(i, run * minutesPerRun));
    const t0 = performance.now();
    result.push(points.map(toLineProtocol).join('\n'));
    encodeMs += performance.now() - t0;
  }
  return result;
}

/** utime + stime of a process in seconds (Linux /proc). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // USER_HZ is 100 on Linux
}

async function send(writer: InfluxWriter, payloads: readonly string[], inFlight: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < payloads.length) {
      const body = payloads[next++] as string;
      await writer.write(body);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

async function main(): Promise<void> {
  const loadAtStart = loadavg()[0];
  const influx = await startLocalInfluxd({ env: deployedInfluxEnv() });
  try {
    await createDatabase(influx.url, DB);
    const writer = createInfluxWriter({ api: 'v1', url: influx.url, db: DB }, { timeoutMs: 60_000 });

    // Encoder figure on the same points, for the ratio against the writer.
    const warm = bodies(0);
    const encodeSeconds = encodeMs / 1000;
    const bodyBytes = warm.reduce((n, b) => n + Buffer.byteLength(b), 0);
    out(
      `encoder: ${Math.round(POINTS_PER_RUN / encodeSeconds)} lines/s, ${Math.round(bodyBytes / POINTS_PER_RUN)} B/line`,
    );
    // Warm-up run (creates the series and shards) is not counted.
    await send(writer, warm, 4);

    const runs: Record<
      number,
      Array<{ seconds: number; pointsPerSec: number; influxdCpu: number; nodeCpu: number }>
    > = {
      1: [],
      4: [],
    };
    let run = 1;
    for (let r = 0; r < RUNS; r++) {
      // Interleaved (1, 4, 1, 4, …) so drift on a noisy machine hits both alike.
      for (const inFlight of IN_FLIGHT) {
        const payloads = bodies(run++);
        const cpu0 = cpuSeconds(influx.pid);
        const node0 = process.cpuUsage();
        const t0 = performance.now();
        await send(writer, payloads, inFlight);
        const seconds = (performance.now() - t0) / 1000;
        const node = process.cpuUsage(node0);
        const result = {
          seconds,
          pointsPerSec: Math.round(POINTS_PER_RUN / seconds),
          influxdCpu: Number(((cpuSeconds(influx.pid) - cpu0) / seconds).toFixed(2)),
          nodeCpu: Number(((node.user + node.system) / 1e6 / seconds).toFixed(2)),
        };
        runs[inFlight]?.push(result);
        out(
          `in flight ${inFlight}: ${result.pointsPerSec} points/s (${seconds.toFixed(2)} s; influxd ${result.influxdCpu} cores, node ${result.nodeCpu} cores)`,
        );
      }
    }

    const total = POINTS_PER_RUN * run;
    const [count] = seriesRows(
      await influxQueryOne(
        { url: influx.url, db: DB, timeoutMs: 120_000 },
        'SELECT count(value) FROM emission_minute',
      ),
    );
    const stored = Number(count?.count ?? 0);
    if (stored !== total) throw new Error(`stored ${stored} points, wrote ${total}`);

    const summary = {
      bench: 'influx-raw-write',
      date: new Date().toISOString(),
      // Other work on a shared box skews the figures: the 1-minute load average shows how much.
      machine: {
        cpus: cpus().length,
        node: process.version,
        loadAvg1mAtStart: loadAtStart,
        loadAvg1mAtEnd: loadavg()[0],
      },
      server: 'influxd 1.6.7 (Debian), POST /write?precision=ms, no gzip',
      shape: SHAPE,
      linesPerRequest: BATCH,
      fieldsPerPoint: SHAPE === 'narrow' ? 1 : 8,
      tagsPerPoint: SHAPE === 'narrow' ? 2 : 8,
      bytesPerLine: Math.round(bodyBytes / POINTS_PER_RUN),
      pointsPerRun: POINTS_PER_RUN,
      encoderLinesPerSec: Math.round(POINTS_PER_RUN / encodeSeconds),
      results: IN_FLIGHT.map((inFlight) => ({
        inFlight,
        medianPointsPerSec: median((runs[inFlight] ?? []).map((x) => x.pointsPerSec)),
        runs: runs[inFlight],
      })),
      verifiedStoredPoints: stored,
    };
    for (const r of summary.results) out(`median, ${r.inFlight} in flight: ${r.medianPointsPerSec} points/s`);
    await mkdir('.bench', { recursive: true });
    const file = join(
      '.bench',
      SHAPE === 'narrow' ? 'influx-raw-write-narrow.json' : 'influx-raw-write.json',
    );
    await writeFile(file, `${JSON.stringify(summary, null, 2)}\n`);
    out(`wrote ${file}`);
  } finally {
    await influx.stop();
  }
}

await main();
