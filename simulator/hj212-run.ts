import type { GatewayProtocol, SiteEntry } from '../config/registry.js';
import type { Clock } from '../core/clock.js';
import { errorMessage } from '../core/errors.js';
import { formatQn } from '../core/local-time.js';
import type { Logger } from '../core/logger.js';
import { encodeUpload } from '../ingest/hj212/index.js';
import type { PollutantValue } from '../ingest/reading.js';
import { createIntervalAggregator, type IntervalAggregator, type IntervalKind } from './hj212-aggregate.js';
import { createHj212Device, type UploadFrame } from './hj212-device.js';
import { createMqttLink, createTcpLink, type Hj212Link } from './hj212-link.js';
import { encodingFor, type QuirkSpec, quirksFor } from './hj212-quirks.js';
import { createReadingSource, type SimReading, type SimReadingKind } from './readings.js';
import { type GatewaySummary, type ReportReadingLine, type ReportWriter, toReportLine } from './report.js';
import type { Scenario } from './scenario.js';
import type { Waits } from './timers.js';

/**
 * The run loop of one simulated HJ 212 gateway (TCP or MQTT): real-time data (2011) every interval,
 * minute data (2051) every MinInterval, hour (2061) and day (2031) data at their boundaries, all in
 * simulated time; each upload asks for a 9014 (Flag=5) and is retransmitted when none comes
 * (hj212-device.ts). The schedule, in-flight window and report handling mirror the JSON gateway's loop
 * in simulation.ts, which owns the shared state passed in `Hj212RunContext`.
 */

/** HJ 212 defaults: STD 表1 OverTime 10 s × ReCount 3 (GPRS/4G links); MinInterval 10 min (表C.8 example). */
export const HJ212_SIM_DEFAULTS = {
  overTimeSec: 10,
  reCount: 3,
  minIntervalMin: 10,
  /** Floor of the scaled OverTime in wall ms: at high speeds 10 s / speed would be shorter than an fsync. */
  minAckTimeoutMs: 2000,
} as const;

/** Interval records a simulated HJ 212 gateway computes from its real-time data (hj212-aggregate.ts). */
export const HJ212_INTERVAL_KINDS = ['minute', 'hour', 'day'] as const satisfies readonly IntervalKind[];

/**
 * Every kind of record a simulated HJ 212 gateway uploads, each counted in the summary's `acked`: anything
 * that checks the store against `acked` (bench/lib/measurements.ts) must count all of them, day data
 * (2031 → emission_day) included.
 */
export const HJ212_UPLOAD_KINDS = [
  'rtd',
  ...HJ212_INTERVAL_KINDS,
] as const satisfies readonly SimReadingKind[];

/** QN offsets (simulated ms after the triggering data time) keep every frame's QN unique per gateway. */
const QN_OFFSET_MS = { rtd: 0, minute: 100, hour: 200, day: 300 } as const;

/** The part of a gateway's run state this loop updates (simulation.ts GatewayRun). */
export interface Hj212GatewayRun {
  entry: SiteEntry;
  stats: GatewaySummary;
  inFlight: number;
  connecting: boolean;
  pending: Set<SimReading>;
  /** Lets stop() cut a pending first connection short. */
  closeLink?: (timeoutMs: number) => Promise<void>;
}

export interface Hj212RunContext {
  protocol: Exclude<GatewayProtocol, 'json-mqtt'>;
  brokerUrl: string;
  tcp: { host: string; port: number };
  quirks: QuirkSpec | undefined;
  minIntervalMin: number;
  overTimeSec: number;
  reCount: number;
  minAckTimeoutMs: number;
  seed: number;
  scenario: Scenario | undefined;
  timeZone: string;
  intervalSec: number;
  speed: number;
  maxInFlight: number;
  connectTimeoutMs: number;
  reconnectPeriodMs: number | undefined;
  closeStepTimeoutMs: number;
  log: Logger;
  clock: Clock;
  schedule: Waits;
  acks: Waits;
  connectSlots: { acquire(): Promise<void>; release(): void };
  /** Values fixed once the simulation starts. */
  times(): { startMs: number; endMs: number | undefined; wallStart: number };
  isStopping(): boolean;
  report(): ReportWriter;
  /** Records a reading's fate (report line, counters) and wakes the window waiter. */
  settle(run: Hj212GatewayRun, r: SimReading, acked: boolean, extra?: Partial<ReportReadingLine>): void;
  noteSeq(seq: number): void;
  drain(run: Hj212GatewayRun): Promise<void>;
}

function toPollutantValues(r: SimReading): PollutantValue[] {
  return Object.entries(r.values).map(([code, v]) => {
    const out: PollutantValue = { code, flag: v.flag };
    if (v.rtd !== undefined) out.rtd = v.rtd;
    if (v.avg !== undefined) out.avg = v.avg;
    if (v.min !== undefined) out.min = v.min;
    if (v.max !== undefined) out.max = v.max;
    return out;
  });
}

export async function runHj212Gateway(
  run: Hj212GatewayRun,
  ctx: Hj212RunContext,
  firstConnect: () => void,
): Promise<void> {
  const { entry } = run;
  const { mn } = entry.gateway;
  const log = ctx.log;
  const quirks = quirksFor(ctx.quirks, entry);
  const encoding = encodingFor(quirks);
  const quirkList = [...quirks];
  run.stats.protocol = ctx.protocol;
  await ctx.connectSlots.acquire();
  if (ctx.isStopping()) {
    ctx.connectSlots.release();
    run.stats.failure = 'stopped before connecting';
    firstConnect();
    return;
  }

  // The device writes through the link, the link feeds the device: created in this order, tied by closure.
  let link: Hj212Link | undefined;
  // Scaled by the speed; at speed max there is no time scale, so the standard's wall-clock OverTime applies.
  const overTimeWallMs = (ctx.overTimeSec * 1000) / (Number.isFinite(ctx.speed) ? ctx.speed : 1);
  const device = createHj212Device({
    write: (frames) => link?.write(frames),
    ackTimeoutMs: Math.max(ctx.minAckTimeoutMs, overTimeWallMs),
    reCount: ctx.reCount,
    framedInput: ctx.protocol === 'hj212-mqtt',
  });
  link =
    ctx.protocol === 'hj212-tcp'
      ? createTcpLink({
          host: ctx.tcp.host,
          port: ctx.tcp.port,
          mn,
          log,
          connectTimeoutMs: ctx.connectTimeoutMs,
          reconnectPeriodMs: ctx.reconnectPeriodMs ?? 1000,
          sticky: quirks.has('sticky'),
          oneByteWrites: quirks.has('one-byte-writes'),
          onData: (chunk) => device.receive(chunk),
        })
      : createMqttLink({
          brokerUrl: ctx.brokerUrl,
          mn,
          password: entry.gateway.password,
          log,
          connectTimeoutMs: ctx.connectTimeoutMs,
          ...(ctx.reconnectPeriodMs !== undefined && { reconnectPeriodMs: ctx.reconnectPeriodMs }),
          onData: (payload) => device.receive(payload),
        });
  const activeLink = link;
  run.closeLink = (timeoutMs) => activeLink.close(timeoutMs);
  run.connecting = true;
  const outcome = await activeLink.connected;
  run.connecting = false;
  ctx.connectSlots.release();
  firstConnect();
  if (!outcome.ok) {
    run.stats.failure = outcome.reason;
    device.stop();
    await activeLink.close(ctx.closeStepTimeoutMs);
    return;
  }

  const { startMs, endMs, wallStart } = ctx.times();
  const source = createReadingSource({
    seed: ctx.seed,
    entry,
    timeZone: ctx.timeZone,
    intervalSec: ctx.intervalSec,
    startMs,
    ...(endMs !== undefined && { endMs }),
    ...(ctx.scenario && { scenario: ctx.scenario }),
  });
  const aggregators: IntervalAggregator[] = HJ212_INTERVAL_KINDS.map((kind) =>
    createIntervalAggregator({
      kind,
      zone: ctx.timeZone,
      sourceType: entry.outlet.sourceType,
      minIntervalMin: ctx.minIntervalMin,
    }),
  );
  const stepMs = ctx.intervalSec * 1000;

  const sendReading = (r: SimReading, sendAtMs: number): void => {
    const values = toPollutantValues(r);
    if (values.length === 0) {
      run.stats.dropped++;
      ctx.report().write({ ...toReportLine(r, { published: false, acked: false }), protocol: ctx.protocol });
      return;
    }
    const qn = formatQn(sendAtMs, ctx.timeZone);
    const frames = encodeUpload(
      { st: r.st, cn: r.cn, mn, dataTime: new Date(r.dataTimeMs), values },
      {
        qn,
        pw: entry.gateway.password,
        zone: ctx.timeZone,
        version: encoding.version,
        crcStyle: encoding.crcStyle,
        ackRequired: encoding.ackRequired,
        ...(encoding.maxSegmentBytes !== undefined && { maxSegmentBytes: encoding.maxSegmentBytes }),
      },
    );
    const uploadFrames: UploadFrame[] = frames.map((frame) => ({
      frame,
      qn: encoding.version === '2005' ? undefined : /QN=(\d+);/.exec(frame)?.[1],
    }));
    run.stats.published++;
    run.inFlight++;
    run.pending.add(r);
    const extra: Partial<ReportReadingLine> = {
      protocol: ctx.protocol,
      frames: frames.length,
      ackRequested: encoding.ackRequired,
      ...(encoding.version !== '2005' && { qn }),
      ...(quirkList.length > 0 && { quirks: quirkList }),
    };
    device.send(uploadFrames, encoding.ackRequired).then(
      (result) => {
        run.stats.retransmissions = device.stats.retransmissions;
        ctx.settle(run, r, result.acked, { ...extra, retransmissions: result.retransmissions });
      },
      (err: unknown) => {
        log.debug({ mn, err: errorMessage(err) }, 'simulator :: HJ 212 send failed');
        ctx.settle(run, r, false, extra);
      },
    );
  };

  for (let k = 0; !ctx.isStopping(); k++) {
    if (Number.isFinite(ctx.speed)) {
      const wait = wallStart + (k * stepMs) / ctx.speed - ctx.clock.now();
      if (wait > 0) await ctx.schedule.sleep(wait);
    }
    while (run.inFlight >= ctx.maxInFlight && !ctx.isStopping()) await ctx.acks.waitFor(mn);
    await ctx.report().writable();
    if (ctx.isStopping()) break;
    const r = source.next();
    if (!r) break;
    run.stats.generated++;
    ctx.noteSeq(r.seq + 1);
    if (r.payload === undefined) {
      // Every code dropped by the scenario: an intended gap (the same report line as the JSON gateway's).
      run.stats.dropped++;
      ctx.report().write({ ...toReportLine(r, { published: false, acked: false }), protocol: ctx.protocol });
    } else {
      sendReading(r, r.dataTimeMs + QN_OFFSET_MS.rtd);
    }
    const next = r.dataTimeMs + stepMs;
    for (const agg of aggregators) {
      const record = agg.add(r, next);
      if (!record) continue;
      run.stats.generated++;
      sendReading(record, r.dataTimeMs + QN_OFFSET_MS[record.kind as 'minute' | 'hour' | 'day']);
    }
  }
  await ctx.drain(run);
  device.stop();
  run.stats.reconnects = activeLink.reconnects();
  run.stats.retransmissions = device.stats.retransmissions;
  run.stats.unexpectedAcks = device.stats.unexpectedAcks;
  run.stats.badAcks = device.stats.badAcks;
  run.stats.refusals = device.stats.refusals;
  run.stats.clockSets = device.stats.clockSets;
  await activeLink.close(ctx.closeStepTimeoutMs);
}
