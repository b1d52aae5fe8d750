import { once } from 'node:events';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { GatewayProtocol } from '../config/registry.js';
import type { SimReading, SimReadingKind } from './readings.js';
import type { SystemCode, WireValue } from './wire.js';

/**
 * Ground-truth report: JSON Lines, one line per generated reading once its fate is known, then one
 * summary line. Integration tests compare it with what the pipeline stored, value by value, so the
 * numbers here are the very numbers that went into the payload.
 *
 * - A reading line is written when its PUBACK arrives (`acked: true`), or at the end of the run when it
 *   never came (`acked: false`). Lines are therefore in acknowledgement order, not data-time order.
 * - Readings whose every code was dropped by the scenario are listed with `published: false` and empty
 *   `values` (an intended gap is ground truth too); partly dropped ones list the dropped codes in `dropped`.
 * - Gateways that never connected (refused, or not within the connect deadline) generate no readings;
 *   they appear only in the summary.
 * Written through one stream with backpressure: memory stays bounded on long load runs.
 */

export interface ReportReadingLine {
  type: 'reading';
  mn: string;
  outlet: string;
  enterprise: string;
  st: SystemCode;
  /** rtd; HJ 212 gateways also send minute (2051), hour (2061) and day (2031) records. */
  kind: SimReadingKind;
  cn: string;
  /** Index k of the reading within its gateway's run (counted per kind). */
  seq: number;
  /** Data time, UTC ISO 8601 (the payload carries the same instant in local time). */
  dataTime: string;
  values: Record<string, WireValue>;
  published: boolean;
  /** JSON: PUBACK arrived. HJ 212: a 9014 arrived for every frame (sub-packet) of the reading. */
  acked: boolean;
  dropped?: string[];
  /** HJ 212 gateways only (absent for json-mqtt): */
  protocol?: GatewayProtocol;
  /** QN of the (first) frame. */
  qn?: string;
  /** Frames the reading took (> 1: split upload, Flag.D). */
  frames?: number;
  /** Flag.A was set (false for HJ/T 212-2005 frames, which have no QN to echo). */
  ackRequested?: boolean;
  /** Frames sent again because no 9014 came within OverTime. */
  retransmissions?: number;
  quirks?: string[];
}

export interface GatewaySummary {
  outlet: string;
  /** Never connected: `refused: <reason>` or `unreachable`. */
  failure?: string;
  generated: number;
  published: number;
  acked: number;
  notAcked: number;
  /** Readings not sent at all because the scenario dropped every code. */
  dropped: number;
  reconnects: number;
  /** HJ 212 gateways: protocol and its counters (absent for json-mqtt). */
  protocol?: GatewayProtocol;
  /** Frames sent again (OverTime expired without 9014). */
  retransmissions?: number;
  /** 9014s received for a QN already acknowledged, or for no pending frame. */
  unexpectedAcks?: number;
  /** 9014s not as the standard prescribes (ST ≠ 91, Flag ≠ 4, non-empty CP, or a bad CRC never gets here). */
  badAcks?: number;
  /** 9011 refusals received (QnRtn ≠ 1: wrong PW, unknown MN …). */
  refusals?: number;
  /** 1012 SystemTime requests received from the centre (answered 9011 + 9012). */
  clockSets?: number;
}

export interface SimulationSummary {
  /** Ambient stations (`--ambient`): hourly ST=22 readings published (QoS 1, acknowledged). */
  ambient?: { stations: number; published: number; failure?: string };
  /** Wall-clock start and end of the run (UTC ISO). */
  startedAt: string;
  endedAt: string;
  wallMs: number;
  /** Simulated data-time window: start and the end (exclusive) actually reached. */
  simStart: string;
  simEnd: string;
  intervalSec: number;
  speed: number | 'max';
  seed: number;
  gateways: number;
  connected: number;
  failedConnections: number;
  generated: number;
  published: number;
  acked: number;
  notAcked: number;
  dropped: number;
  /** Acked readings per wall second over the run. */
  ackedPerSec: number;
  perGateway: Record<string, GatewaySummary>;
}

export interface ReportSummaryLine extends SimulationSummary {
  type: 'summary';
}

export type ReportLine = ReportReadingLine | ReportSummaryLine;

export function toReportLine(r: SimReading, fate: { published: boolean; acked: boolean }): ReportReadingLine {
  const line: ReportReadingLine = {
    type: 'reading',
    mn: r.mn,
    outlet: r.outlet,
    enterprise: r.enterprise,
    st: r.st,
    kind: r.kind,
    cn: r.cn,
    seq: r.seq,
    dataTime: new Date(r.dataTimeMs).toISOString(),
    values: r.values,
    published: fate.published,
    acked: fate.acked,
  };
  if (r.dropped.length > 0) line.dropped = r.dropped;
  return line;
}

export interface ReportWriter {
  write(line: ReportLine): void;
  /** Resolves when the stream has room again; callers await it before generating more. */
  writable(): Promise<void>;
  /** Flushes and closes; resolves when the file is complete. */
  close(): Promise<void>;
}

/** A writer that discards everything (no reportPath). */
export const nullReport: ReportWriter = {
  write: () => {},
  writable: () => Promise.resolve(),
  close: () => Promise.resolve(),
};

/** 1 MiB of buffered lines before writers are asked to wait. */
const HIGH_WATER_MARK = 1 << 20;

export function openReport(path: string, onError: (err: Error) => void): ReportWriter {
  const stream: WriteStream = createWriteStream(path, { highWaterMark: HIGH_WATER_MARK });
  let failed = false;
  stream.on('error', (err) => {
    // Reported once; later writes are ignored so that a full disk does not stop the simulation itself.
    if (!failed) onError(err);
    failed = true;
  });
  let drained: Promise<void> | undefined;
  return {
    write(line) {
      if (failed) return;
      stream.write(`${JSON.stringify(line)}\n`);
    },
    writable() {
      if (failed || !stream.writableNeedDrain) return Promise.resolve();
      drained ??= once(stream, 'drain').then(
        () => {
          drained = undefined;
        },
        () => {
          drained = undefined;
        },
      );
      return drained;
    },
    async close() {
      if (stream.closed || stream.destroyed) return;
      await new Promise<void>((resolve) => {
        stream.end(() => resolve());
        if (failed) resolve();
      });
    },
  };
}

/** Reads a report back line by line (for tests and tools); does not hold the whole file in memory. */
export async function* readReport(path: string): AsyncGenerator<ReportLine> {
  const lines = createInterface({
    input: createReadStream(path, 'utf8'),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  for await (const line of lines) {
    if (line.trim() !== '') yield JSON.parse(line) as ReportLine;
  }
}

/** Every reading line of a report, in the order written (a test's ground truth: filter by `acked`/`published`). */
export async function readReportReadings(path: string): Promise<ReportReadingLine[]> {
  const readings: ReportReadingLine[] = [];
  for await (const line of readReport(path)) if (line.type === 'reading') readings.push(line);
  return readings;
}
