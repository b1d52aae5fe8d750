import { errorMessage, isPipelineError, type PipelineError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { InfluxWriter } from './influx-writer.js';
import type { IngestMetrics } from './metrics.js';

/**
 * One batch to InfluxDB, retried until it is confirmed, permanently rejected, or the signal aborts.
 * Retriable failures (network, timeout, 5xx, 429) back off exponentially with jitter, honouring
 * Retry-After (capped at 1 s while the connection is refused); a permanent rejection (4xx) is not retried, because it would block every batch behind it.
 */
export type WriteOutcome =
  | { kind: 'written' }
  | { kind: 'rejected'; error: PipelineError }
  | { kind: 'aborted' };

/** Longest wait between attempts while InfluxDB refuses connections (see writeWithRetry). */
export const REFUSED_RETRY_MAX_MS = 1000;

export interface RetryPolicy {
  retryInitialMs: number;
  retryMaxMs: number;
}

export async function writeWithRetry(
  writer: InfluxWriter,
  body: readonly string[] | string | Uint8Array,
  lines: number,
  ctx: { policy: RetryPolicy; signal: AbortSignal; metrics: IngestMetrics; log: Logger },
): Promise<WriteOutcome> {
  const { policy, signal, metrics, log } = ctx;
  for (let attempt = 0; ; attempt++) {
    if (signal.aborted) return { kind: 'aborted' };
    const started = performance.now();
    try {
      await writer.write(body);
      metrics.writeDuration.observe((performance.now() - started) / 1000);
      metrics.pointsWritten.inc(lines);
      if (attempt > 0)
        log.info({ attempts: attempt + 1, points: lines }, 'InfluxDB write succeeded after retries');
      return { kind: 'written' };
    } catch (err) {
      if (isPipelineError(err, 'SINK_WRITE_REJECTED')) {
        metrics.writeErrors.inc({ kind: 'rejected' });
        metrics.pointsRejected.inc(lines);
        return { kind: 'rejected', error: err };
      }
      metrics.writeErrors.inc({ kind: 'retriable' });
      const retryAfter = isPipelineError(err) ? Number(err.details?.retryAfterMs ?? 0) : 0;
      // A refused connection means InfluxDB is not listening (restarting): trying again costs it nothing,
      // so the wait stays short and the backlog starts draining within a second of its return.
      const refused = isPipelineError(err) && err.details?.code === 'ECONNREFUSED';
      const cap = refused ? Math.min(policy.retryMaxMs, REFUSED_RETRY_MAX_MS) : policy.retryMaxMs;
      const backoff = Math.min(cap, policy.retryInitialMs * 2 ** Math.min(attempt, 16));
      const delay = Math.max(retryAfter, backoff * (0.5 + Math.random() / 2));
      if (attempt === 0 || attempt % 10 === 0) {
        log.warn(
          { attempt: attempt + 1, delayMs: Math.round(delay), err: errorMessage(err) },
          'InfluxDB write failed; retrying',
        );
      }
      await abortableDelay(delay, signal);
    }
  }
}

export function abortableDelay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
