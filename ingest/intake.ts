import type { Registry, SiteEntry } from '../config/registry.js';
import type { Clock } from '../core/clock.js';
import { type ErrorCode, isPipelineError } from '../core/errors.js';
import { createLogLimiter } from '../core/log-limiter.js';
import type { Logger } from '../core/logger.js';
import { toLineProtocol } from './line-protocol.js';
import type { IngestMetrics } from './metrics.js';
import type { PointSink } from './point-sink.js';
import { createLineEncoder, deviceStatePoint } from './points.js';
import type { Reading } from './reading.js';

/**
 * The transport-independent half of ingest: a decoded reading from any intake (MQTT JSON, HJ 212 over
 * MQTT or TCP) is checked against the registry, enriched with its site tags, turned into points and
 * handed to the write buffer. Listeners (the alerting engine) see every accepted reading.
 */

export type Transport = 'mqtt' | 'hj212-tcp';

/**
 * `retry: true` means the reading was valid but could not be stored (spool disk failure): the gateway
 * must not be acknowledged, so it keeps the reading and sends it again.
 */
export type AcceptOutcome =
  | { ok: true; points: number }
  | { ok: false; code: ErrorCode; reason: string; retry?: boolean };

export type ReadingListener = (reading: Reading, site: SiteEntry) => void;

export interface Intake {
  /** Resolves once the reading's points are buffered for InfluxDB (waits while the buffer is full). */
  accept(reading: Reading, transport: Transport): Promise<AcceptOutcome>;
  /** Counts and logs (rate-limited per device and reason) a message rejected before it became a reading. */
  reject(
    code: ErrorCode,
    reason: string,
    context: { mn?: string; transport: Transport; topic?: string },
  ): void;
  /** Records a gateway's online/offline transition as a `device_state` point. */
  deviceState(mn: string, online: boolean, transport: Transport): Promise<void>;
  onReading(listener: ReadingListener): () => void;
}

export interface IntakeDeps {
  registry: Registry;
  buffer: PointSink;
  metrics: IngestMetrics;
  log: Logger;
  clock: Clock;
}

const REJECT_LOG_INTERVAL_MS = 60_000;

export function createIntake(deps: IntakeDeps): Intake {
  const { registry, buffer, metrics, log, clock } = deps;
  const listeners = new Set<ReadingListener>();
  const encoder = createLineEncoder();
  const unknownCodesWarned = new Set<string>();
  const rejectLogLimiter = createLogLimiter(REJECT_LOG_INTERVAL_MS, clock);
  // Bound once: `inc({ transport })` would hash the label object for every reading.
  const acceptedBy: Record<Transport, { inc(): void }> = {
    mqtt: metrics.accepted.labels({ transport: 'mqtt' }),
    'hj212-tcp': metrics.accepted.labels({ transport: 'hj212-tcp' }),
  };

  function reject(
    code: ErrorCode,
    reason: string,
    context: { mn?: string; transport: Transport; topic?: string },
  ) {
    metrics.rejected.inc({ reason: code });
    const suppressed = rejectLogLimiter.admit(`${context.mn ?? '?'}|${code}`);
    if (suppressed !== undefined) log.warn({ code, reason, ...context, suppressed }, 'message rejected');
  }

  function warnUnknownCodes(reading: Reading, site: SiteEntry): void {
    for (const value of reading.values) {
      if (site.pollutantCodes.has(value.code)) continue;
      metrics.unknownPollutants.inc();
      const key = `${reading.mn}|${value.code}`;
      if (unknownCodesWarned.has(key)) continue;
      // Bounded: a device inventing a new code per message must not grow this set without limit.
      if (unknownCodesWarned.size >= 100_000) unknownCodesWarned.clear();
      unknownCodesWarned.add(key);
      log.warn(
        { code: 'ING_UNKNOWN_POLLUTANT', mn: reading.mn, outlet: site.outlet.id, pollutant: value.code },
        'pollutant code not configured for this outlet; stored anyway',
      );
    }
  }

  return {
    async accept(reading, transport) {
      const site = registry.findByMn(reading.mn);
      if (!site) {
        const reason = `MN ${reading.mn} is not in the registry`;
        reject('ING_AUTH_UNKNOWN_DEVICE', reason, { mn: reading.mn, transport });
        return { ok: false, code: 'ING_AUTH_UNKNOWN_DEVICE', reason };
      }
      warnUnknownCodes(reading, site);
      const block = encoder.readingBlock(reading, site);
      try {
        await buffer.enqueue(block);
      } catch (err) {
        if (!isPipelineError(err, 'SPOOL_WRITE_FAILED')) throw err;
        reject('SPOOL_WRITE_FAILED', err.message, { mn: reading.mn, transport });
        return { ok: false, code: 'SPOOL_WRITE_FAILED', reason: err.message, retry: true };
      }
      acceptedBy[transport].inc();
      for (const listener of listeners) {
        try {
          listener(reading, site);
        } catch (err) {
          // A failing consumer must not fail the gateway's upload: the data is already buffered.
          log.error({ err, mn: reading.mn }, 'reading listener failed');
        }
      }
      return { ok: true, points: block.lines };
    },
    reject,
    async deviceState(mn, online, transport) {
      const site = registry.findByMn(mn);
      if (!site) return;
      await buffer.enqueue([toLineProtocol(deviceStatePoint(site, online, transport, clock.now()))]);
    },
    onReading(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
