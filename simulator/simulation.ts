import type { GatewayProtocol, Registry, SiteEntry } from '../config/registry.js';
import { type Clock, systemClock } from '../core/clock.js';
import { errorMessage, PipelineError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { type AmbientPlan, publishAmbient } from './ambient.js';
import { createGatewayClient, type GatewayClient } from './gateway.js';
import type { QuirkSpec } from './hj212-quirks.js';
import { HJ212_SIM_DEFAULTS, runHj212Gateway } from './hj212-run.js';
import { createReadingSource, type SimReading } from './readings.js';
import {
  type GatewaySummary,
  nullReport,
  openReport,
  type ReportReadingLine,
  type ReportWriter,
  type SimulationSummary,
  toReportLine,
} from './report.js';
import type { Scenario } from './scenario.js';
import { createSemaphore, createWaits } from './timers.js';
/**
 * Virtual gateways on a simulated clock. Reading k of a gateway has data time start + k·interval and is
 * published at wall time wallStart + k·interval/speed; a gateway that falls behind (slow broker, lost
 * connection, full in-flight window) catches up as fast as acks allow and never skips a reading. Every
 * gateway runs independently: one that cannot connect is counted and the others go on.
 */

export interface SimulationOptions {
  brokerUrl: string;
  registry: Registry;
  /** Subset to run: MNs or outlet ids. Default: every gateway of the registry. */
  devices?: readonly string[];
  /** Simulated seconds between real-time readings. Default 60. */
  intervalSec?: number;
  /** Simulated seconds per wall second; 'max' (or Infinity) = as fast as acks allow. Default 1. */
  speed?: number | 'max';
  /** Simulated start (data time of reading 0). Default: now, floored to the interval. */
  start?: Date;
  /** Simulated duration; undefined = until stop(). */
  durationSec?: number;
  /** Default 1. Same seed ⇒ same data for each gateway, whatever the subset or order. */
  seed?: number;
  scenario?: Scenario;
  /** Ground-truth JSON Lines report (see report.ts). */
  reportPath?: string;
  /** Gateways connecting at the same time (a load run must not SYN-flood the broker). Default 100. */
  connectConcurrency?: number;
  /** Unacknowledged QoS 1 readings per gateway before it waits (bounds memory and broker queues). Default 32. */
  maxInFlight?: number;
  /** Wall ms for a gateway's first connection before it counts as failed. Default 30 000. */
  connectTimeoutMs?: number;
  /** Wall ms to wait for outstanding PUBACKs at the end or at stop(). Default 5 000. */
  drainTimeoutMs?: number;
  /** Wall ms between reconnection attempts. Default 1 000. */
  reconnectPeriodMs?: number;
  /**
   * Publish every reading no earlier than its own data time (requires speed 1): readings of a start in
   * the past are sent at once, later ones in real time. The demo backfills history this way.
   */
  followClock?: boolean;
  /** Protocol of every gateway; default: each gateway's registry `protocol`. */
  protocol?: GatewayProtocol;
  /** The centre's HJ 212 TCP listener (hj212-tcp gateways). Default 127.0.0.1:9212. */
  hj212Tcp?: { host: string; port: number };
  /** Firmware quirks of HJ 212 gateways (simulator/hj212-quirks.ts). */
  quirks?: QuirkSpec;
  /** HJ 212 minute-data interval in simulated minutes (STD 表C.8). Default 10. */
  minIntervalMin?: number;
  /** HJ 212 OverTime (simulated s) and ReCount (STD 表1). Default 10 s × 3. */
  overTimeSec?: number;
  reCount?: number;
  /** Floor of the scaled OverTime, wall ms. Default 2 000. */
  minAckTimeoutMs?: number;
  /**
   * Ambient air-quality stations of the registry (`ambientStations`): hourly ST=22 readings (CN 2061)
   * following this PM2.5 daily plan (simulator/ambient.ts), published at once next to the gateways.
   */
  ambient?: AmbientPlan;
}

export interface SimulationDeps {
  log: Logger;
  clock?: Clock;
}

export interface Simulation {
  /** Resolves once every selected gateway's first connection has succeeded or failed. */
  start(): Promise<void>;
  /** Stops generating, waits a bounded time for acks, publishes `offline`, closes. Idempotent. */
  stop(): Promise<void>;
  /** Resolves at the end of the simulated duration (or after stop) with the final counts. */
  readonly done: Promise<SimulationSummary>;
}

export type { SimulationSummary } from './report.js';

interface GatewayRun {
  entry: SiteEntry;
  stats: GatewaySummary;
  client?: GatewayClient;
  inFlight: number;
  /** Waiting for the first CONNACK: stop() must cut this short instead of waiting for the deadline. */
  connecting: boolean;
  /** Readings published and not yet settled, written as not acked if the run ends first. */
  pending: Set<SimReading>;
  /** HJ 212 gateways: closes the link (stop() during the first connection). */
  closeLink?: (timeoutMs: number) => Promise<void>;
}

const CLOSE_STEP_TIMEOUT_MS = 2000;
/** MinInterval values the standard allows (STD 表C.8), minutes. */
const MIN_INTERVALS: readonly number[] = [1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30];

/** Resolves a `devices` list (MNs or outlet ids) against the registry; unknown names are an error. */
export function selectEntries(registry: Registry, devices: readonly string[] | undefined): SiteEntry[] {
  const all = registry.entries();
  if (!devices || devices.length === 0) return [...all];
  const wanted = new Set(devices);
  const selected = all.filter((e) => wanted.has(e.gateway.mn) || wanted.has(e.outlet.id));
  const known = new Set(selected.flatMap((e) => [e.gateway.mn, e.outlet.id]));
  const unknown = devices.filter((d) => !known.has(d));
  if (unknown.length > 0) {
    throw new PipelineError('CFG_INVALID', `devices: unknown MN or outlet id: ${unknown.join(', ')}`);
  }
  return selected;
}

function validate(opts: SimulationOptions): { intervalSec: number; speed: number; seed: number } {
  const issues: string[] = [];
  const intervalSec = opts.intervalSec ?? 60;
  const speed = opts.speed === 'max' ? Number.POSITIVE_INFINITY : (opts.speed ?? 1);
  const seed = opts.seed ?? 1;
  if (!(intervalSec > 0 && Number.isFinite(intervalSec)))
    issues.push('intervalSec: must be a positive number');
  if (!(speed > 0)) issues.push('speed: must be a positive number or "max"');
  if (opts.followClock && speed !== 1) issues.push('followClock: needs speed 1');
  if (!Number.isInteger(seed)) issues.push('seed: must be an integer');
  if (opts.durationSec !== undefined && !(opts.durationSec > 0)) issues.push('durationSec: must be positive');
  if (opts.start && Number.isNaN(opts.start.getTime())) issues.push('start: invalid date');
  if (opts.minIntervalMin !== undefined && !MIN_INTERVALS.includes(opts.minIntervalMin)) {
    issues.push(`minIntervalMin: one of ${MIN_INTERVALS.join(', ')} (HJ 212 表C.8)`);
  }
  if (opts.overTimeSec !== undefined && !(opts.overTimeSec > 0)) issues.push('overTimeSec: must be positive');
  if (opts.reCount !== undefined && !(Number.isInteger(opts.reCount) && opts.reCount >= 0)) {
    issues.push('reCount: must be an integer >= 0');
  }
  for (const key of ['connectConcurrency', 'maxInFlight'] as const) {
    const v = opts[key];
    if (v !== undefined && !(Number.isInteger(v) && v > 0)) issues.push(`${key}: must be a positive integer`);
  }
  if (issues.length > 0)
    throw new PipelineError('CFG_INVALID', `simulation options invalid:\n  ${issues.join('\n  ')}`);
  return { intervalSec, speed, seed };
}

export function createSimulation(opts: SimulationOptions, deps: SimulationDeps): Simulation {
  const { intervalSec, speed, seed } = validate(opts);
  const entries = selectEntries(opts.registry, opts.devices);
  const clock = deps.clock ?? systemClock;
  const log = deps.log.child({ component: 'simulator' });
  const timeZone = opts.registry.timeZone;
  const stepMs = intervalSec * 1000;
  const maxInFlight = opts.maxInFlight ?? 32;
  const drainTimeoutMs = opts.drainTimeoutMs ?? 5000;
  const connectTimeoutMs = opts.connectTimeoutMs ?? 30_000;
  // Two sets of owned waits: the schedule's sleeps end at stop(); ack waits live on until the drain is over.
  const schedule = createWaits();
  const acks = createWaits();
  const connectSlots = createSemaphore(opts.connectConcurrency ?? 100);

  const runs: GatewayRun[] = entries.map((entry) => ({
    entry,
    stats: {
      outlet: entry.outlet.id,
      generated: 0,
      published: 0,
      acked: 0,
      notAcked: 0,
      dropped: 0,
      reconnects: 0,
    },
    inFlight: 0,
    connecting: false,
    pending: new Set(),
  }));

  let startMs = 0;
  let endMs: number | undefined;
  let wallStart = 0;
  let startedAt = 0;
  let report: ReportWriter = nullReport;
  let started: Promise<void> | undefined;
  let stopping = false;
  let stopped: Promise<void> | undefined;
  let maxSeq = 0;

  let resolveDone: (s: SimulationSummary) => void = () => {};
  let rejectDone: (err: unknown) => void = () => {};
  const done = new Promise<SimulationSummary>((resolve, reject) => {
    resolveDone = resolve;
    rejectDone = reject;
  });
  // stop() awaits `done`; a caller that never looks at `done` must not see an unhandled rejection.
  done.catch(() => {});

  const settle = (run: GatewayRun, r: SimReading, acked: boolean, extra?: Partial<ReportReadingLine>) => {
    if (!run.pending.delete(r)) return; // already settled (late callback after the end)
    run.inFlight--;
    if (acked) run.stats.acked++;
    else run.stats.notAcked++;
    report.write({ ...toReportLine(r, { published: true, acked }), ...extra });
    acks.signal(run.entry.gateway.mn);
  };

  async function drain(run: GatewayRun): Promise<void> {
    if (run.inFlight === 0) return;
    let timedOut = false;
    const deadline = acks.sleep(drainTimeoutMs).then(() => {
      timedOut = true;
    });
    // Bounded: every pass is woken by an ack, and the deadline timer ends the loop.
    while (run.inFlight > 0 && !timedOut && !acks.cancelled) {
      await Promise.race([acks.waitFor(run.entry.gateway.mn), deadline]);
    }
  }

  const hj212Context = {
    brokerUrl: opts.brokerUrl,
    tcp: opts.hj212Tcp ?? { host: '127.0.0.1', port: 9212 },
    quirks: opts.quirks,
    minIntervalMin: opts.minIntervalMin ?? HJ212_SIM_DEFAULTS.minIntervalMin,
    overTimeSec: opts.overTimeSec ?? HJ212_SIM_DEFAULTS.overTimeSec,
    reCount: opts.reCount ?? HJ212_SIM_DEFAULTS.reCount,
    minAckTimeoutMs: opts.minAckTimeoutMs ?? HJ212_SIM_DEFAULTS.minAckTimeoutMs,
    seed,
    scenario: opts.scenario,
    timeZone,
    intervalSec,
    speed,
    maxInFlight,
    connectTimeoutMs,
    reconnectPeriodMs: opts.reconnectPeriodMs,
    closeStepTimeoutMs: CLOSE_STEP_TIMEOUT_MS,
    log,
    clock,
    schedule,
    acks,
    connectSlots,
    times: () => ({ startMs, endMs, wallStart }),
    isStopping: () => stopping,
    report: () => report,
    settle,
    noteSeq: (seq: number) => {
      maxSeq = Math.max(maxSeq, seq);
    },
    drain,
  };

  async function runGateway(run: GatewayRun, firstConnect: () => void): Promise<void> {
    const protocol = opts.protocol ?? run.entry.gateway.protocol;
    if (protocol !== 'json-mqtt') return runHj212Gateway(run, { ...hj212Context, protocol }, firstConnect);
    const { mn } = run.entry.gateway;
    await connectSlots.acquire();
    if (stopping) {
      connectSlots.release();
      run.stats.failure = 'stopped before connecting';
      firstConnect();
      return;
    }
    const client = createGatewayClient({
      brokerUrl: opts.brokerUrl,
      mn,
      password: run.entry.gateway.password,
      connectTimeoutMs,
      log,
      ...(opts.reconnectPeriodMs !== undefined && { reconnectPeriodMs: opts.reconnectPeriodMs }),
    });
    run.client = client;
    run.connecting = true;
    const outcome = await client.connected;
    run.connecting = false;
    connectSlots.release();
    firstConnect();
    if (!outcome.ok) {
      run.stats.failure = outcome.reason;
      await client.close(CLOSE_STEP_TIMEOUT_MS);
      return;
    }

    const source = createReadingSource({
      seed,
      entry: run.entry,
      timeZone,
      intervalSec,
      startMs,
      ...(endMs !== undefined && { endMs }),
      ...(opts.scenario && { scenario: opts.scenario }),
    });
    for (let k = 0; !stopping; k++) {
      if (Number.isFinite(speed)) {
        const due = wallStart + (k * stepMs) / speed;
        const wait = due - clock.now();
        if (wait > 0) await schedule.sleep(wait);
      }
      while (run.inFlight >= maxInFlight && !stopping) await acks.waitFor(mn);
      await report.writable();
      if (stopping) break;
      const r = source.next();
      if (!r) break;
      run.stats.generated++;
      maxSeq = Math.max(maxSeq, r.seq + 1);
      if (r.payload === undefined) {
        run.stats.dropped++;
        report.write(toReportLine(r, { published: false, acked: false }));
        continue;
      }
      run.stats.published++;
      run.inFlight++;
      run.pending.add(r);
      client.publish(r.payload).then(
        () => settle(run, r, true),
        (err: unknown) => {
          log.debug({ mn, seq: r.seq, err: errorMessage(err) }, 'simulator :: publish failed');
          settle(run, r, false);
        },
      );
    }
    await drain(run);
    run.stats.reconnects = client.reconnects();
    await client.close(CLOSE_STEP_TIMEOUT_MS);
    // Whatever is still pending has no PUBACK and never will from this client.
    for (const r of [...run.pending]) settle(run, r, false);
  }

  let ambientPublished = 0;
  let ambientFailure: string | undefined;

  function summary(): SimulationSummary {
    const endedAt = clock.now();
    const perGateway: Record<string, GatewaySummary> = {};
    const total = { generated: 0, published: 0, acked: 0, notAcked: 0, dropped: 0, failed: 0 };
    for (const run of runs) {
      perGateway[run.entry.gateway.mn] = run.stats;
      total.generated += run.stats.generated;
      total.published += run.stats.published;
      total.acked += run.stats.acked;
      total.notAcked += run.stats.notAcked;
      total.dropped += run.stats.dropped;
      if (run.stats.failure !== undefined) total.failed++;
    }
    const wallMs = Math.max(0, endedAt - startedAt);
    return {
      startedAt: new Date(startedAt).toISOString(),
      endedAt: new Date(endedAt).toISOString(),
      wallMs,
      simStart: new Date(startMs).toISOString(),
      simEnd: new Date(startMs + maxSeq * stepMs).toISOString(),
      intervalSec,
      speed: Number.isFinite(speed) ? speed : 'max',
      seed,
      gateways: runs.length,
      connected: runs.length - total.failed,
      failedConnections: total.failed,
      generated: total.generated,
      published: total.published,
      acked: total.acked,
      notAcked: total.notAcked,
      dropped: total.dropped,
      ackedPerSec: wallMs > 0 ? Math.round((total.acked / wallMs) * 1000 * 10) / 10 : 0,
      perGateway,
      ...(opts.ambient
        ? {
            ambient: {
              stations: opts.registry.stations().length,
              published: ambientPublished,
              ...(ambientFailure !== undefined ? { failure: ambientFailure } : {}),
            },
          }
        : {}),
    };
  }

  async function finish(): Promise<void> {
    schedule.cancelAll();
    acks.cancelAll();
    const s = summary();
    report.write({ type: 'summary', ...s });
    await report.close();
    log.info(
      {
        gateways: s.gateways,
        failedConnections: s.failedConnections,
        published: s.published,
        acked: s.acked,
        notAcked: s.notAcked,
        ackedPerSec: s.ackedPerSec,
      },
      'simulator :: finished',
    );
    resolveDone(s);
  }

  return {
    done,
    start() {
      started ??= (async () => {
        if (stopping) return;
        startedAt = clock.now();
        startMs = opts.start ? opts.start.getTime() : Math.floor(startedAt / stepMs) * stepMs;
        // followClock: the schedule is the data time itself, so a start in the past is sent at once
        // (as fast as acks allow) and the run then continues in real time.
        wallStart = opts.followClock ? startMs : startedAt;
        if (opts.durationSec !== undefined) endMs = startMs + opts.durationSec * 1000;
        if (opts.reportPath) {
          report = openReport(opts.reportPath, (err) =>
            log.error({ err: err.message, path: opts.reportPath }, 'simulator :: report not writable'),
          );
        }
        log.info(
          {
            gateways: runs.length,
            broker: opts.brokerUrl,
            simStart: new Date(startMs).toISOString(),
            durationSec: opts.durationSec,
            intervalSec,
            speed: Number.isFinite(speed) ? speed : 'max',
            seed,
            protocol: opts.protocol ?? 'per registry',
          },
          'simulator :: starting',
        );
        const firstConnects = runs.map(() => {
          let mark: () => void = () => {};
          const p = new Promise<void>((resolve) => {
            mark = resolve;
          });
          return { p, mark };
        });
        const all = runs.map((run, i) =>
          runGateway(run, firstConnects[i]?.mark ?? (() => {})).catch((err: unknown) => {
            // A bug in one gateway's loop must not take the others down; it shows in the log and the counts.
            run.stats.failure ??= `error: ${errorMessage(err)}`;
            firstConnects[i]?.mark();
            log.error({ mn: run.entry.gateway.mn, err: errorMessage(err) }, 'simulator :: gateway crashed');
          }),
        );
        if (opts.ambient) {
          const stations = opts.registry.stations();
          all.push(
            publishAmbient(opts.brokerUrl, stations, opts.ambient, opts.registry.timeZone).then(
              (n) => {
                ambientPublished = n;
              },
              (err: unknown) => {
                ambientFailure = errorMessage(err);
                log.error({ err: ambientFailure }, 'simulator :: ambient stations failed');
              },
            ),
          );
        }
        void Promise.all(all).then(finish).catch(rejectDone);
        await Promise.all(firstConnects.map((f) => f.p));
        const failed = runs.filter((r) => r.stats.failure !== undefined).length;
        log.info({ connected: runs.length - failed, failed }, 'simulator :: gateways connected');
      })();
      return started;
    },
    stop() {
      stopped ??= (async () => {
        stopping = true;
        // Wake sleepers and window waiters; drain() still gives outstanding acks a bounded time.
        schedule.cancelAll();
        for (const run of runs) {
          acks.signal(run.entry.gateway.mn);
          if (run.connecting) {
            void run.client?.close(CLOSE_STEP_TIMEOUT_MS);
            void run.closeLink?.(CLOSE_STEP_TIMEOUT_MS);
          }
        }
        if (!started) {
          // Never started: nothing to close, but `done` must still resolve.
          startedAt = clock.now();
          await finish();
          return;
        }
        await done.catch(() => undefined);
      })();
      return stopped;
    },
  };
}
