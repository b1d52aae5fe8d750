/**
 * The ingest benchmark suite, in one go on this machine (`npm run bench`):
 *
 *  A. ceiling: the load generator (`emissions simulate --speed max`, QoS 1) against aedes in its own
 *     process with an in-process `aedes.subscribe` counter (bench/lib/ceiling-broker.ts); optionally
 *     Debian mosquitto (max_queued_messages 1e6) with an mqtt.js counting subscriber.
 *  B. raw InfluxDB 1.6.7 writes of exactly the pipeline's lines (simulator readings → decoder → encoder),
 *     in WRITE_BATCH_BYTES (8 MiB, the default) bodies, 2 and 4 (production default) requests in flight.
 *  C. the pipeline end to end (`emissions serve`, durable spool, InfluxDB on the same box): JSON over
 *     MQTT with 50 and 1000 gateways, HJ 212 over TCP with 50; 8 pollutants per reading; zero loss
 *     verified by counting what InfluxDB stored; p50/p99 publish → queryable from a probe gateway.
 *     C′ alternates ceiling and pipeline runs for the ratio; C″ alternates pipeline runs with influxd on
 *     Go's default GOMAXPROCS and on the deployed one.
 *  D. memory: RSS of `serve` per idle connected gateway (10 000 connections).
 *  E. outage: 5 000 readings/s, InfluxDB down for 2 minutes, then the drain rate while ingest continues.
 *
 * Each target gets a fresh influxd and spool. Prints a summary, writes .bench/suite.json and
 * docs/benchmarks.md (the measured part between the markers; the method text around it is kept).
 *
 *   npx tsx bench/suite.ts [--seconds 60] [--only A,B,C,D,E] [--runs json-50,json-1000,hj212] [--pairs 5]
 *                          [--procs-pairs 3] [--outage-sec 120] [--idle 10000] [--profile DIR] [--no-docs]
 *                          [--merge]
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { connect } from 'mqtt';
import { stringify } from 'yaml';
import { findExecutable, type LocalInfluxd, startLocalInfluxd } from '../cli/local-influxd.js';
import type { RegistryFile } from '../config/registry.js';
import { createDatabase, influxQueryOne, seriesRows } from '../ingest/influx-query.js';
import { createInfluxWriter, type InfluxWriter } from '../ingest/influx-writer.js';
import { startMosquitto } from '../test/support/mosquitto.js';
import { updateDocs } from './lib/docs.js';
import { openIdleConnections } from './lib/idle-connections.js';
import { simulatedMeasurements } from './lib/measurements.js';
import { type ProbeResult, startProbe } from './lib/probe.js';
import { type CpuSample, coreShare, peakRssMb, sampleProcess, watchPeakRss } from './lib/proc-stats.js';
import { bodies, pipelineLines } from './lib/raw-lines.js';
import { benchRegistry, PROBE_MN } from './lib/registry.js';
import {
  buildForBench,
  deployedInfluxEnv,
  deployedNodeOptions,
  sampler,
  startCeilingBroker,
  startServe,
  startSimulator,
} from './lib/services.js';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    only: { type: 'string', default: 'A,B,C,D,E' },
    'outage-sec': { type: 'string', default: '120' },
    idle: { type: 'string', default: '10000' },
    profile: { type: 'string' },
    /** Extra node flags for `serve`, space-separated (GC experiments). */
    'serve-node-args': { type: 'string' },
    /** Extra environment for every `serve`, `K=V,K=V` (setting experiments, e.g. WRITE_BATCH_BYTES). */
    'serve-env': { type: 'string' },
    /** Alternating ceiling / pipeline pairs (50 gateways, 20 s each) for the ratio; 0 = none. */
    pairs: { type: 'string', default: '5' },
    /** Alternating pipeline pairs (influxd with Go's default GOMAXPROCS, then as deployed); 0 = none. */
    'procs-pairs': { type: 'string', default: '3' },
    /** Comma-separated pipeline runs of C: json-50, json-1000, hj212. */
    runs: { type: 'string', default: 'json-50,json-1000,hj212' },
    'no-docs': { type: 'boolean', default: false },
    /** Keep the sections of .bench/suite.json that this run does not measure (re-running one section). */
    merge: { type: 'boolean', default: false },
  },
});
const SECONDS = Number(args.seconds);
const ONLY = new Set((args.only ?? '').split(',').map((s) => s.trim().toUpperCase()));
const OUTAGE_SEC = Number(args['outage-sec']);
const IDLE = Number(args.idle);
const DB = 'bench';
const VALUES = 8;
const WRITE_BATCH_BYTES = 8 * 1024 * 1024;
const SERVE_NODE_ARGS = (args['serve-node-args'] ?? '').split(' ').filter(Boolean);
const SERVE_ENV: Record<string, string> = Object.fromEntries(
  (args['serve-env'] ?? '')
    .split(',')
    .filter(Boolean)
    .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
);
const RUNS = new Set((args.runs ?? '').split(','));
const PAIRS = Number(args.pairs);
const PROCS_PAIRS = Number(args['procs-pairs']);
const WORK = mkdtempSync('/tmp/bench-suite-');
/** Every influxd here runs with the deployment's Go runtime settings (docker-compose.yml). */
const INFLUXD_ENV = deployedInfluxEnv();

const out = (line: string) => process.stdout.write(`${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (x: number, d = 0) => Math.round(x * 10 ** d) / 10 ** d;
/** The pairs' reported median: the middle value (the upper one of an even count), one that a pair had. */
const middleValue = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

function writeRegistry(name: string, reg: RegistryFile): string {
  const file = join(WORK, name);
  writeFileSync(file, stringify(reg));
  return file;
}

/** CPU (cores) of each process between two snapshots, and peak RSS (MB) over the run. */
function procWatch(pids: Record<string, number>) {
  const at = (): Record<string, CpuSample | undefined> =>
    Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, sampleProcess(pid)]));
  const rss = watchPeakRss(pids);
  let a = at();
  return {
    restart() {
      a = at();
    },
    finish(): { cpuCores: Record<string, number | null>; peakRssMB: Record<string, number> } {
      const b = at();
      const peak = rss.stop();
      return {
        cpuCores: Object.fromEntries(
          Object.keys(pids).map((k) => {
            const x = a[k];
            const y = b[k];
            return [k, x && y ? round(coreShare(x, y), 2) : null];
          }),
        ),
        peakRssMB: Object.fromEntries(Object.entries(peak).map(([k, v]) => [k, round(v / 1048576)])),
      };
    },
  };
}

async function countPoints(url: string, measurements: readonly string[]): Promise<number> {
  let total = 0;
  for (const m of measurements) {
    const rows = seriesRows(
      await influxQueryOne(
        { url, db: DB, timeoutMs: 120_000 },
        `SELECT count(value) FROM ${m} WHERE mn != '${PROBE_MN}'`,
      ),
    );
    total += Number(rows[0]?.count ?? 0);
  }
  return total;
}

/** Waits (bounded) until the stored count reaches `want` or stops growing for 10 s. */
async function waitStored(url: string, measurements: readonly string[], want: number): Promise<number> {
  let stored = 0;
  let last = -1;
  let still = 0;
  for (let i = 0; i < 600 && stored < want && still < 20; i++) {
    stored = await countPoints(url, measurements);
    still = stored === last ? still + 1 : 0;
    last = stored;
    if (stored < want) await sleep(500);
  }
  return stored;
}

// ---------------------------------------------------------------------------------------------------
// A. ceiling

export interface CeilingResult {
  broker: string;
  gateways: number;
  seconds: number;
  readingsPerSec: number;
  acked: number;
  counted: number;
  cpuCores: Record<string, number | null>;
  peakRssMB: Record<string, number>;
}

/**
 * Runs the load generator for `seconds` against a broker whose subscriber counts with `count`, then
 * stops it. Rate = counter increase over the run (first 2 s skipped); CPU and RSS of `pids`.
 */
async function countWhileLoaded(
  sim: ReturnType<typeof startSimulator>,
  pids: Record<string, number>,
  count: () => number,
  seconds: number,
): Promise<Omit<CeilingResult, 'broker' | 'gateways' | 'seconds'>> {
  await sim.connected;
  const watch = procWatch(pids);
  const s = sampler(() => ({ received: count() }), 250);
  const t0 = performance.now();
  await sleep(seconds * 1000);
  const t1 = performance.now();
  const stats = watch.finish();
  s.stop();
  const summary = await sim.stop();
  // Let the last deliveries reach the counter before reading it.
  await sleep(500);
  return {
    readingsPerSec: round(s.rate('received', t0 + 2000, t1)),
    acked: Number(summary.acked),
    counted: count(),
    ...stats,
  };
}

async function ceilingAedes(gateways: number, seconds: number): Promise<CeilingResult> {
  const { simulator } = benchRegistry(gateways);
  const regFile = writeRegistry(`ceiling-${gateways}.yaml`, simulator);
  const broker = await startCeilingBroker();
  const sim = startSimulator({
    brokerUrl: broker.mqttUrl,
    registryFile: regFile,
    logFile: join(WORK, `ceiling-aedes-${gateways}.sim.log`),
  });
  try {
    return {
      broker: 'aedes (own process, in-process subscribe counter)',
      gateways,
      seconds,
      ...(await countWhileLoaded(sim, { simulator: sim.cli.pid, broker: broker.pid }, broker.count, seconds)),
    };
  } finally {
    await broker.stop();
  }
}

async function ceilingMosquitto(gateways: number, seconds: number): Promise<CeilingResult | undefined> {
  if (!findExecutable('mosquitto')) return undefined;
  const { simulator } = benchRegistry(gateways);
  const regFile = writeRegistry(`ceiling-mosq-${gateways}.yaml`, simulator);
  const mosq = await startMosquitto({ maxQueuedMessages: 10_000_000 });
  let n = 0;
  const sub = connect(mosq.url, { clientId: 'bench-counter', clean: true, protocolVersion: 4 });
  sub.on('message', () => {
    n++;
  });
  await sub.subscribeAsync('emissions/+/up', { qos: 0 });
  const sim = startSimulator({
    brokerUrl: mosq.url,
    registryFile: regFile,
    logFile: join(WORK, `ceiling-mosq-${gateways}.sim.log`),
  });
  try {
    const pids = { simulator: sim.cli.pid, mosquitto: mosq.pid, benchSubscriber: process.pid };
    return {
      broker: 'mosquitto 2 (QoS 0 mqtt.js counting subscriber)',
      gateways,
      seconds,
      ...(await countWhileLoaded(sim, pids, () => n, seconds)),
    };
  } finally {
    await sub.endAsync(true).catch(() => undefined);
    await mosq.stop();
  }
}

// ---------------------------------------------------------------------------------------------------
// B. raw InfluxDB writes

/** Posts every body in order with `inFlight` requests outstanding at a time. */
async function writeBodies(
  writer: InfluxWriter,
  payloads: readonly Buffer[],
  inFlight: number,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < payloads.length) await writer.write(payloads[next++] as Buffer);
    }),
  );
}

async function rawWrite() {
  const gateways = 1000;
  const perRun = 40; // readings per gateway per run → 320 000 points
  const { simulator } = benchRegistry(gateways);
  const influx = await startLocalInfluxd({ env: INFLUXD_ENV });
  try {
    await createDatabase(influx.url, DB);
    const writer = createInfluxWriter({ api: 'v1', url: influx.url, db: DB }, { timeoutMs: 120_000 });
    const t2026 = Date.parse('2026-01-01T00:00:00+08:00');
    const runBodies = (run: number) =>
      bodies(pipelineLines(simulator, perRun, t2026 + run * perRun * 60_000), WRITE_BATCH_BYTES);
    const warm = runBodies(0);
    const lineCount = (b: readonly Buffer[]) =>
      b.reduce((n, x) => n + x.toString('latin1').split('\n').length, 0);
    const bytesPerLine = round(warm.reduce((n, b) => n + b.length, 0) / lineCount(warm));
    for (const b of warm) await writer.write(b);
    const results: Array<{ inFlight: number; pointsPerSec: number; influxdCpu: number | null }> = [];
    let run = 1;
    for (const inFlight of [2, 4, 2, 4]) {
      const payloads = runBodies(run++);
      const points = lineCount(payloads);
      const a = sampleProcess(influx.pid);
      const t0 = performance.now();
      await writeBodies(writer, payloads, inFlight);
      const sec = (performance.now() - t0) / 1000;
      const b = sampleProcess(influx.pid);
      results.push({
        inFlight,
        pointsPerSec: round(points / sec),
        influxdCpu: a && b ? round(coreShare(a, b), 2) : null,
      });
      out(`  raw write, ${inFlight} in flight: ${round(points / sec)} points/s`);
    }
    const stored = await countPoints(influx.url, ['emission_rtd']);
    const best = (k: number) =>
      Math.max(...results.filter((r) => r.inFlight === k).map((r) => r.pointsPerSec));
    return {
      shape:
        'pipeline lines: emission_rtd, 8 tags (Chinese enterprise/outlet/region names), fields value, flag',
      bytesPerLine,
      batchBytes: WRITE_BATCH_BYTES,
      runs: results,
      bestPointsPerSec: { 2: best(2), 4: best(4) },
      readingsPerSecEquivalent: round(Math.max(best(2), best(4)) / VALUES),
      storedPoints: stored,
      expectedPoints: run * gateways * perRun * VALUES,
    };
  } finally {
    await influx.stop();
  }
}

/**
 * B′. influxd's Go garbage collector: the same 3.2 M pipeline points (2 requests in flight) into a fresh
 * influxd with Go's default GOGC=100 and with the deployment's setting, alternating, three times each
 * (the deployment's other Go settings in both).
 * CPU counts until 3 s after the last write so background work started by the writes is included.
 */
export interface InfluxGcRun {
  gogc: string;
  pointsPerSec: number;
  influxdCpuUsPerPoint: number;
  influxdPeakRssMB: number | null;
}

export interface InfluxGcResult {
  points: number;
  inFlight: number;
  runs: InfluxGcRun[];
}

async function influxGc(): Promise<InfluxGcResult> {
  const { simulator } = benchRegistry(1000);
  const t2026 = Date.parse('2026-01-01T00:00:00+08:00');
  // 11 × 40 readings × 1000 gateways × 8 values: one batch set to warm up, ten measured.
  const sets = Array.from({ length: 11 }, (_, i) =>
    bodies(pipelineLines(simulator, 40, t2026 + i * 40 * 60_000), WRITE_BATCH_BYTES),
  );
  const points = 10 * 40 * 1000 * VALUES;
  // Only GOGC differs between the arms; the deployment's other settings (GOMAXPROCS) apply to both.
  const settings = [{ ...INFLUXD_ENV, GOGC: '100' }, INFLUXD_ENV];
  const runs: InfluxGcRun[] = [];
  for (const env of [...settings, ...settings, ...settings]) {
    const influx = await startLocalInfluxd({ env });
    try {
      await createDatabase(influx.url, DB);
      const writer = createInfluxWriter({ api: 'v1', url: influx.url, db: DB }, { timeoutMs: 120_000 });
      for (const b of sets[0] as Buffer[]) await writer.write(b);
      const a = sampleProcess(influx.pid);
      const t0 = performance.now();
      for (const set of sets.slice(1)) await writeBodies(writer, set, 2);
      const sec = (performance.now() - t0) / 1000;
      await sleep(3000);
      const b = sampleProcess(influx.pid);
      const run = {
        gogc: env.GOGC ?? '100',
        pointsPerSec: round(points / sec),
        influxdCpuUsPerPoint: a && b ? round(((b.cpuMs - a.cpuMs) * 1000) / points, 2) : Number.NaN,
        influxdPeakRssMB: peakRssMb(influx.pid),
      };
      runs.push(run);
      out(
        `  GOGC=${run.gogc}: ${run.pointsPerSec} points/s, influxd ${run.influxdCpuUsPerPoint} µs CPU/point, peak RSS ${run.influxdPeakRssMB} MB`,
      );
    } finally {
      await influx.stop();
    }
  }
  return { points, inFlight: 2, runs };
}

// ---------------------------------------------------------------------------------------------------
// C. pipeline end to end

export interface PipelineResult {
  label: string;
  protocol: string;
  gateways: number;
  seconds: number;
  readingsPerSec: number;
  pointsAcceptedPerSec: number;
  pointsWrittenPerSec: number;
  backlogPointsAtEnd: number;
  published: number;
  acked: number;
  expectedPointsMin: number;
  storedPoints: number;
  lost: number;
  /** Absent when the run had no latency probe (the ratio pairs: their ceiling runs carry none either). */
  latencyMs?: ProbeResult;
  /** Spool group commits over the window: per second, mean duration (framing + durable write), records each. */
  spoolCommits: { perSec: number; meanMs: number; recordsEach: number };
  cpuCores: Record<string, number | null>;
  peakRssMB: Record<string, number>;
}

export interface RatioPair {
  ceilingReadingsPerSec: number;
  pipelineReadingsPerSec: number;
  ratio: number;
  lost: number;
}

/** Section C″: one pipeline run on each influxd GOMAXPROCS, back to back. */
export interface ProcsPair {
  /** readings/s with Go's default (one P per core) and with the deployed GOMAXPROCS. */
  goDefaultReadingsPerSec: number;
  deployedReadingsPerSec: number;
  /** deployed / Go default. */
  gain: number;
  /** influxd CPU per reading (µs) in each run. */
  influxdUsPerReading: { goDefault: number; deployed: number };
  /** p99 publish → queryable (ms) in each run: one P must not make data visible later. */
  p99QueryableMs: { goDefault: number; deployed: number };
  lost: number;
}

export interface ProcsPairsResult {
  deployedGomaxprocs: string;
  seconds: number;
  pairs: ProcsPair[];
  medianGain: number;
}

/** Section C′: every pair, and the median pair's ratio. */
export interface RatioPairsResult {
  pairs: RatioPair[];
  medianRatio: number;
}

/** Group-commit figures between two /metrics scrapes `seconds` apart. */
function commitStats(before: Record<string, number>, after: Record<string, number>, seconds: number) {
  const delta = (name: string) => (after[name] ?? 0) - (before[name] ?? 0);
  const commits = delta('emissions_spool_commit_seconds_count');
  return {
    perSec: round(commits / seconds),
    meanMs: commits > 0 ? round((delta('emissions_spool_commit_seconds_sum') / commits) * 1000, 2) : 0,
    recordsEach: commits > 0 ? round(delta('emissions_spool_committed_records_total') / commits) : 0,
  };
}

async function pipeline(opts: {
  label: string;
  gateways: number;
  seconds: number;
  protocol?: 'hj212-tcp';
  profile?: string;
  /** influxd's environment; the deployment's by default. */
  influxEnv?: Record<string, string>;
  /** The publish → queryable probe (a 51st gateway and a query every 50 ms); on by default. */
  latencyProbe?: boolean;
}): Promise<PipelineResult> {
  const protocol = opts.protocol ?? 'json-mqtt';
  const regs = benchRegistry(opts.gateways, protocol);
  const simReg = writeRegistry(`${opts.label}.sim.yaml`, regs.simulator);
  const serveReg = writeRegistry(`${opts.label}.serve.yaml`, regs.serve);
  const dir = join(WORK, opts.label);
  mkdirSync(dir, { recursive: true });
  const influx = await startLocalInfluxd({ env: opts.influxEnv ?? INFLUXD_ENV });
  const serve = await startServe({
    registryFile: serveReg,
    influxUrl: influx.url,
    db: DB,
    dir,
    nodeArgs: SERVE_NODE_ARGS,
    env: SERVE_ENV,
    ...(opts.profile ? { profileDir: opts.profile } : {}),
  });
  // Every measurement the simulator's acked records land in (HJ 212 day records included).
  const measurements = simulatedMeasurements(protocol);
  try {
    const sim = startSimulator({
      brokerUrl: serve.mqttUrl,
      registryFile: simReg,
      logFile: join(dir, 'simulate.log'),
      ...(protocol === 'hj212-tcp' && { protocol, hj212Tcp: `127.0.0.1:${serve.hj212Port}` }),
    });
    await sim.connected;
    const probe =
      opts.latencyProbe === false
        ? undefined
        : startProbe({ brokerUrl: serve.mqttUrl, influxUrl: influx.url, db: DB });
    const watch = procWatch({
      simulator: sim.cli.pid,
      serve: serve.cli.pid,
      influxd: influx.pid,
      bench: process.pid,
    });
    // One /metrics scrape per tick for both rates: every scrape is work for the serve being measured.
    const counters = sampler(async () => {
      const m = await serve.metrics();
      return {
        accepted: m.emissions_messages_accepted_total ?? 0,
        written: m.emissions_points_written_total ?? 0,
      };
    }, 500);
    // Rates skip the first 2 s (connection burst, series creation in InfluxDB).
    await sleep(2000);
    watch.restart();
    const t0 = performance.now();
    const m0 = await serve.metrics();
    await sleep(opts.seconds * 1000);
    const t1 = performance.now();
    const stats = watch.finish();
    counters.stop();
    const m = await serve.metrics();
    const summary = await sim.stop();
    const latencyMs = await probe?.stop();
    const published = Number(summary.published);
    const acked = Number(summary.acked);
    const stored = await waitStored(influx.url, measurements, acked * VALUES);
    const readingsPerSec = counters.rate('accepted', t0, t1);
    const result: PipelineResult = {
      label: opts.label,
      protocol,
      gateways: opts.gateways,
      seconds: opts.seconds,
      readingsPerSec: round(readingsPerSec),
      pointsAcceptedPerSec: round(readingsPerSec * VALUES),
      pointsWrittenPerSec: round(counters.rate('written', t0, t1)),
      backlogPointsAtEnd: m.emissions_points_pending ?? 0,
      published,
      acked,
      expectedPointsMin: acked * VALUES,
      storedPoints: stored,
      // Acked readings must all be stored; published-but-unacked ones (cut off by the stop) may be.
      lost: Math.max(0, acked * VALUES - stored) + Math.max(0, stored - published * VALUES),
      ...(latencyMs && { latencyMs }),
      spoolCommits: commitStats(m0, m, (t1 - t0) / 1000),
      ...stats,
    };
    out(
      `  ${opts.label}: ${result.readingsPerSec} readings/s, written ${result.pointsWrittenPerSec} points/s, lost ${result.lost}, ${latencyMs ? `p50/p99 ${latencyMs.queryable.p50}/${latencyMs.queryable.p99} ms, ` : ''}CPU ${JSON.stringify(stats.cpuCores)}, commits ${JSON.stringify(result.spoolCommits)}`,
    );
    return result;
  } finally {
    await serve.stop();
    await influx.stop();
  }
}

/**
 * C″. influxd's GOMAXPROCS under the pipeline: 30-s pipeline runs (50 gateways) with influxd on Go's
 * default (one P per core) and on the deployed setting, back to back (order alternating), `n` times.
 * What the setting is for (a second P spinning and running idle-time GC workers on cores the pipeline
 * needs) only shows with the pipeline on the same cores, so this is measured end to end rather than with
 * raw writes.
 */
async function procsPairs(n: number): Promise<ProcsPairsResult | undefined> {
  const deployed = INFLUXD_ENV.GOMAXPROCS;
  if (deployed === undefined) {
    out("C″. skipped: the deployment leaves influxd's GOMAXPROCS to Go");
    return undefined;
  }
  const { GOMAXPROCS: _, ...goDefault } = INFLUXD_ENV;
  const seconds = Math.min(SECONDS, 30);
  out(
    `C″. influxd GOMAXPROCS: Go default and ${deployed}, order alternating (pipeline, 50 gateways, ${seconds} s each) × ${n}`,
  );
  const usPerReading = (run: PipelineResult) =>
    round(((run.cpuCores.influxd ?? Number.NaN) * 1e6) / run.readingsPerSec, 1);
  const pairs: ProcsPair[] = [];
  for (let i = 1; i <= n; i++) {
    // Which arm runs first alternates, so a drift of the box's speed does not favour one of them.
    const runDefault = () =>
      pipeline({ label: `procs-default-${i}`, gateways: 50, seconds, influxEnv: goDefault });
    const runDeployed = () => pipeline({ label: `procs-deployed-${i}`, gateways: 50, seconds });
    let onDefault: PipelineResult;
    let onDeployed: PipelineResult;
    if (i % 2 === 1) {
      onDefault = await runDefault();
      onDeployed = await runDeployed();
    } else {
      onDeployed = await runDeployed();
      onDefault = await runDefault();
    }
    const pair: ProcsPair = {
      goDefaultReadingsPerSec: onDefault.readingsPerSec,
      deployedReadingsPerSec: onDeployed.readingsPerSec,
      gain: round(onDeployed.readingsPerSec / onDefault.readingsPerSec, 3),
      influxdUsPerReading: { goDefault: usPerReading(onDefault), deployed: usPerReading(onDeployed) },
      p99QueryableMs: {
        goDefault: onDefault.latencyMs?.queryable.p99 ?? Number.NaN,
        deployed: onDeployed.latencyMs?.queryable.p99 ?? Number.NaN,
      },
      lost: onDefault.lost + onDeployed.lost,
    };
    out(`  pair ${i}: ${JSON.stringify(pair)}`);
    pairs.push(pair);
  }
  return { deployedGomaxprocs: deployed, seconds, pairs, medianGain: middleValue(pairs.map((p) => p.gain)) };
}

// ---------------------------------------------------------------------------------------------------
// D. memory per idle connection

async function idleMemory(n: number) {
  const regs = benchRegistry(n);
  const serveReg = writeRegistry('idle.serve.yaml', regs.serve);
  const dir = join(WORK, 'idle');
  mkdirSync(dir, { recursive: true });
  const influx = await startLocalInfluxd({ env: INFLUXD_ENV });
  const serve = await startServe({
    registryFile: serveReg,
    influxUrl: influx.url,
    db: DB,
    dir,
    env: SERVE_ENV,
    nodeArgs: SERVE_NODE_ARGS,
  });
  try {
    const gateways = regs.simulator.enterprises.flatMap((e) => e.outlets.map((o) => o.gateway));
    const port = Number(new URL(serve.mqttUrl).port);
    // Marginal cost: the baseline is taken after the first 10 % are connected, so start-up garbage
    // (parsing a 10 000-gateway registry) has been collected and aedes' per-broker state exists already.
    const warmCount = Math.ceil(gateways.length / 10);
    const warm = await openIdleConnections({
      host: '127.0.0.1',
      port,
      gateways: gateways.slice(0, warmCount),
    });
    await sleep(8000);
    const before = sampleProcess(serve.cli.pid)?.rssBytes ?? 0;
    const heapBefore = (await serve.metrics()).emissions_nodejs_heap_size_used_bytes ?? 0;
    const t0 = performance.now();
    const conns = await openIdleConnections({ host: '127.0.0.1', port, gateways: gateways.slice(warmCount) });
    const connectSec = (performance.now() - t0) / 1000;
    await sleep(8000);
    const after = sampleProcess(serve.cli.pid)?.rssBytes ?? 0;
    const m = await serve.metrics();
    const added = conns.sockets.length;
    const connected = added + warm.sockets.length;
    conns.close();
    warm.close();
    const r = {
      connections: connected,
      measuredConnections: added,
      failed: conns.failed + warm.failed,
      connectSeconds: round(connectSec, 1),
      rssBeforeMB: round(before / 1048576, 1),
      rssAfterMB: round(after / 1048576, 1),
      rssPerConnectionKB: round((after - before) / 1024 / Math.max(1, added), 1),
      heapUsedPerConnectionKB: round(
        ((m.emissions_nodejs_heap_size_used_bytes ?? 0) - heapBefore) / 1024 / Math.max(1, added),
        1,
      ),
      gaugeConnected: m['emissions_gateways_connected{transport="mqtt"}'] ?? null,
    };
    out(
      `  idle: ${connected} connections, ${r.rssPerConnectionKB} KB RSS each (heap ${r.heapUsedPerConnectionKB} KB)`,
    );
    return r;
  } finally {
    await serve.stop();
    await influx.stop();
  }
}

// ---------------------------------------------------------------------------------------------------
// E. outage and drain

async function outage(outageSec: number) {
  // 100 gateways × one reading per 10 simulated s × speed 500 = 5 000 readings/s.
  const gateways = 100;
  const regs = benchRegistry(gateways);
  const simReg = writeRegistry('outage.sim.yaml', regs.simulator);
  const serveReg = writeRegistry('outage.serve.yaml', regs.serve);
  const dir = join(WORK, 'outage');
  mkdirSync(dir, { recursive: true });
  const influx: LocalInfluxd = await startLocalInfluxd({ dir: join(dir, 'influxd'), env: INFLUXD_ENV });
  // 2 min × 5 000 × 8 points × ~290 B ≈ 1.4 GB: more than the 1 GiB default, so the bound is raised here.
  const serve = await startServe({
    registryFile: serveReg,
    influxUrl: influx.url,
    db: DB,
    dir,
    env: { SPOOL_MAX_BYTES: String(8 * 1024 ** 3), ...SERVE_ENV },
    nodeArgs: SERVE_NODE_ARGS,
  });
  const timeline: Array<{
    t: number;
    accepted: number;
    written: number;
    pending: number;
    spoolBytes: number;
  }> = [];
  const tStart = performance.now();
  let polling = true;
  const poller = (async () => {
    while (polling) {
      try {
        const m = await serve.metrics();
        timeline.push({
          t: round((performance.now() - tStart) / 1000, 1),
          accepted: m.emissions_messages_accepted_total ?? 0,
          written: m.emissions_points_written_total ?? 0,
          pending: m.emissions_points_pending ?? 0,
          spoolBytes: m.emissions_spool_bytes ?? 0,
        });
      } catch {
        // serve busy: next sample
      }
      await sleep(1000);
    }
  })();
  try {
    const sim = startSimulator({
      brokerUrl: serve.mqttUrl,
      registryFile: simReg,
      logFile: join(dir, 'simulate.log'),
      speed: '500',
      intervalSec: 10,
    });
    await sim.connected;
    await sleep(20_000);
    const downAt = (performance.now() - tStart) / 1000;
    await influx.kill();
    out(`  outage: influxd killed at ${round(downAt)} s; down for ${outageSec} s`);
    await sleep(outageSec * 1000);
    const upAt = (performance.now() - tStart) / 1000;
    await influx.restart();
    // Bounded: until the backlog is under one batch, at most 10 minutes.
    let drainedAt: number | undefined;
    for (let i = 0; i < 600 && drainedAt === undefined; i++) {
      await sleep(1000);
      const last = timeline[timeline.length - 1];
      if (last && last.t > upAt + 2 && last.pending < 20_000) drainedAt = last.t;
    }
    await sleep(5000);
    const summary = await sim.stop();
    const at = (t: number) =>
      timeline.reduce((best, s) => (Math.abs(s.t - t) < Math.abs(best.t - t) ? s : best));
    const up = at(upAt);
    const end =
      drainedAt !== undefined ? at(drainedAt) : (timeline[timeline.length - 1] as (typeof timeline)[number]);
    const sec = Math.max(1, end.t - up.t);
    const writeRate = (end.written - up.written) / sec;
    const ingestRate = ((end.accepted - up.accepted) * VALUES) / sec;
    const before = at(downAt - 1);
    const steadyIngest = ((before.accepted - at(5).accepted) * VALUES) / Math.max(1, before.t - 5);
    const stored = await waitStored(influx.url, ['emission_rtd'], Number(summary.acked) * VALUES);
    const r = {
      gateways,
      targetReadingsPerSec: 5000,
      ingestReadingsPerSecBeforeOutage: round(steadyIngest / VALUES),
      outageSec,
      backlogPointsAtRestart: up.pending,
      backlogBytesAtRestart: up.spoolBytes,
      drainSeconds: drainedAt !== undefined ? round(drainedAt - upAt, 1) : null,
      writePointsPerSecDuringDrain: round(writeRate),
      ingestPointsPerSecDuringDrain: round(ingestRate),
      drainToIngestRatio: round(writeRate / Math.max(1, ingestRate), 2),
      netBacklogReductionPointsPerSec: round(writeRate - ingestRate),
      acked: Number(summary.acked),
      storedPoints: stored,
      lost: Math.max(0, Number(summary.acked) * VALUES - stored),
      timeline,
    };
    out(
      `  outage: backlog ${r.backlogPointsAtRestart} points drained in ${r.drainSeconds} s; write ${r.writePointsPerSecDuringDrain} vs ingest ${r.ingestPointsPerSecDuringDrain} points/s (${r.drainToIngestRatio}×), lost ${r.lost}`,
    );
    return r;
  } finally {
    polling = false;
    await poller;
    await serve.stop();
    await influx.stop();
  }
}

// ---------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  out('building dist/ (serve and the simulator run compiled, as deployed)');
  buildForBench();
  const started = new Date();
  const machine = {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? '?',
    memGB: round(totalmem() / 1024 ** 3, 1),
    kernel: release(),
    node: process.version,
    loadAvgAtStart: loadavg().map((x) => round(x, 2)),
  };
  out(
    `bench suite: ${machine.cpus} CPUs, load average ${machine.loadAvgAtStart.join(' ')}; work dir ${WORK}`,
  );
  const previous = args.merge
    ? (JSON.parse(readFileSync('.bench/suite.json', 'utf8')) as Record<string, unknown>)
    : {};
  // --merge keeps the main run's date and machine line and notes which sections were measured again.
  const results: Record<string, unknown> = args.merge
    ? { ...previous, remeasured: { sections: [...ONLY].join(','), date: started.toISOString(), machine } }
    : { date: started.toISOString(), machine, seconds: SECONDS };
  // What serve ran with: the deployed node options plus this run's experiments (if any).
  results.serveSettings = { nodeOptions: [...deployedNodeOptions(), ...SERVE_NODE_ARGS], env: SERVE_ENV };
  results.influxdSettings = { env: INFLUXD_ENV };
  const ceilingSec = Math.min(SECONDS, 20);

  if (ONLY.has('A')) {
    out('A. ceiling');
    const a50 = await ceilingAedes(50, ceilingSec);
    out(`  aedes, 50 gateways: ${a50.readingsPerSec} readings/s`);
    const a1000 = await ceilingAedes(1000, ceilingSec);
    out(`  aedes, 1000 gateways: ${a1000.readingsPerSec} readings/s`);
    const m50 = await ceilingMosquitto(50, ceilingSec).catch((err: unknown) => {
      out(`  mosquitto skipped: ${String(err)}`);
      return undefined;
    });
    if (m50) out(`  mosquitto, 50 gateways: ${m50.readingsPerSec} readings/s`);
    results.ceiling = { aedes50: a50, aedes1000: a1000, ...(m50 && { mosquitto50: m50 }) };
  }
  if (ONLY.has('B')) {
    out('B. raw InfluxDB writes');
    results.rawWrite = await rawWrite();
    out(`B′. influxd Go GC: default GOGC=100 vs the deployment's GOGC=${INFLUXD_ENV.GOGC}`);
    results.influxGc = await influxGc();
  }
  if (ONLY.has('C')) {
    out('C. pipeline');
    const runs: Record<string, PipelineResult | { error: string }> = {};
    // --profile DIR: one CPU profile of serve per pipeline run, in DIR/<run label>.
    const profile = (label: string) => (args.profile ? { profile: join(args.profile, label) } : {});
    if (RUNS.has('json-50'))
      runs.json50 = await pipeline({
        label: 'json-50',
        gateways: 50,
        seconds: SECONDS,
        ...profile('json-50'),
      });
    if (RUNS.has('json-1000'))
      runs.json1000 = await pipeline({
        label: 'json-1000',
        gateways: 1000,
        seconds: Math.min(SECONDS, 30),
        ...profile('json-1000'),
      });
    if (RUNS.has('hj212'))
      runs.hj212 = await pipeline({
        label: 'hj212-tcp-50',
        gateways: 50,
        seconds: Math.min(SECONDS, 30),
        protocol: 'hj212-tcp',
        ...profile('hj212-tcp-50'),
      }).catch((err: unknown) => {
        out(`  HJ 212 TCP run failed: ${String(err)}`);
        return { error: String(err) };
      });
    results.pipeline = runs;
  }
  if (ONLY.has('C') && PAIRS > 0) {
    // The box's speed drifts within minutes (identical 20-s runs gave 14 000–20 000 readings/s):
    // a ceiling measured minutes before the pipeline can land on either side of a drift. Alternating
    // short runs pair each pipeline run with a ceiling measured right before it; the median pair is the
    // ratio reported. The pipeline runs carry no latency probe, as the ceiling runs carry none.
    out(`C'. ratio pairs (aedes ceiling, then pipeline; 50 gateways, 20 s each) × ${PAIRS}`);
    const pairs: RatioPair[] = [];
    for (let i = 1; i <= PAIRS; i++) {
      const ceiling = await ceilingAedes(50, 20);
      const run = await pipeline({ label: `pair-${i}`, gateways: 50, seconds: 20, latencyProbe: false });
      const pair = {
        ceilingReadingsPerSec: ceiling.readingsPerSec,
        pipelineReadingsPerSec: run.readingsPerSec,
        ratio: round(run.readingsPerSec / ceiling.readingsPerSec, 3),
        lost: run.lost,
      };
      out(`  pair ${i}: ${JSON.stringify(pair)}`);
      pairs.push(pair);
    }
    const ratioPairs: RatioPairsResult = { pairs, medianRatio: middleValue(pairs.map((p) => p.ratio)) };
    results.ratioPairs = ratioPairs;
  }
  if (ONLY.has('C') && PROCS_PAIRS > 0) {
    results.procsPairs = await procsPairs(PROCS_PAIRS);
  }
  if (ONLY.has('D')) {
    out('D. memory per idle connection');
    results.idle = await idleMemory(IDLE);
  }
  if (ONLY.has('E')) {
    out('E. outage and drain');
    results.outage = await outage(OUTAGE_SEC);
  }
  if (!args.merge) {
    (results.machine as Record<string, unknown>).loadAvgAtEnd = loadavg().map((x) => round(x, 2));
    (results as { wallMinutes?: number }).wallMinutes = round((Date.now() - started.getTime()) / 60_000, 1);
  }
  mkdirSync('.bench', { recursive: true });
  const file = `.bench/suite-${started.toISOString().replace(/[:.]/g, '-')}.json`;
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync('.bench/suite.json', `${JSON.stringify(results, null, 2)}\n`);
  out(`wrote ${file} and .bench/suite.json`);
  if (!args['no-docs']) {
    updateDocs(results);
    out('updated docs/benchmarks.md');
  }
  // Any run that lost an acknowledged reading fails the suite (timings never do).
  const losses = [
    ...Object.values((results.pipeline ?? {}) as Record<string, { lost?: number }>),
    ...((results.ratioPairs as RatioPairsResult | undefined)?.pairs ?? []),
    ...((results.procsPairs as ProcsPairsResult | undefined)?.pairs ?? []),
    ...(results.outage ? [results.outage as { lost?: number }] : []),
  ].map((r) => r.lost ?? 0);
  if (losses.some((lost) => lost !== 0)) {
    process.exitCode = 1;
    out(`kept the work dir for inspection: ${WORK}`);
  } else {
    // Databases and spools of a passing run are hundreds of MB that nobody needs afterwards.
    rmSync(WORK, { recursive: true, force: true });
  }
}

await main();
