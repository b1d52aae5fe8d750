import { errorMessage, isPipelineError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { InfluxWriter } from './influx-writer.js';
import type { IngestMetrics } from './metrics.js';

/**
 * Batches line-protocol lines into InfluxDB writes.
 *
 * Bounded: at most `maxPendingPoints` lines wait in memory (queued + in flight). Overflow policy:
 * `enqueue` waits until there is room, which holds the gateway's PUBACK and stops reading its
 * socket (MQTT backpressure); nothing is dropped. Retriable write errors (network, timeout, 5xx, 429)
 * are retried with capped exponential backoff until stop's deadline; permanent ones (4xx) are counted
 * and logged with InfluxDB's reason, because retrying them would block every other gateway's data.
 */
export interface WriteBufferOptions {
  writer: InfluxWriter;
  batchSize: number;
  flushIntervalMs: number;
  maxPendingPoints: number;
  maxInFlight: number;
  retryInitialMs: number;
  retryMaxMs: number;
  metrics: IngestMetrics;
  log: Logger;
}

export interface WriteBuffer {
  /** Resolves once the lines are buffered; waits while the buffer is full. */
  enqueue(lines: readonly string[]): Promise<void>;
  /** Writes everything buffered now and resolves when InfluxDB has answered for all of it. */
  flush(): Promise<void>;
  /** Lines accepted and not yet answered by InfluxDB. */
  readonly pending: number;
  start(): void;
  /** Flushes within `deadlineMs`; resolves with the number of lines that could not be written. */
  stop(deadlineMs: number): Promise<{ unwritten: number }>;
}

interface Waiter {
  lines: readonly string[];
  resolve: () => void;
}

export function createWriteBuffer(opts: WriteBufferOptions): WriteBuffer {
  const { writer, metrics, log } = opts;
  let queue: string[] = [];
  let pending = 0;
  let inFlight = 0;
  let timer: NodeJS.Timeout | undefined;
  let stopping = false;
  const stopController = new AbortController();
  const roomWaiters: Waiter[] = [];
  const idleWaiters: Array<() => void> = [];

  function setPending(n: number): void {
    pending = n;
    metrics.pendingPoints.set(n);
  }

  function releaseRoomWaiters(): void {
    while (roomWaiters.length > 0) {
      const next = roomWaiters[0] as Waiter;
      // An enqueue larger than the whole buffer is let in when the buffer is empty, or it would wait forever.
      if (pending + next.lines.length > opts.maxPendingPoints && pending > 0) break;
      roomWaiters.shift();
      admit(next.lines);
      next.resolve();
    }
  }

  function admit(lines: readonly string[]): void {
    setPending(pending + lines.length);
    for (const line of lines) queue.push(line);
    if (queue.length >= opts.batchSize) pump(false);
  }

  function releaseIdleWaiters(): void {
    if (pending > 0) return;
    for (const resolve of idleWaiters.splice(0)) resolve();
  }

  function pump(force: boolean): void {
    while (inFlight < opts.maxInFlight && queue.length > 0 && (force || queue.length >= opts.batchSize)) {
      const batch = queue.length <= opts.batchSize ? queue : queue.slice(0, opts.batchSize);
      queue = queue.length <= opts.batchSize ? [] : queue.slice(opts.batchSize);
      inFlight++;
      // send never rejects: every outcome is handled inside it.
      void send(batch).finally(() => {
        inFlight--;
        setPending(pending - batch.length);
        releaseRoomWaiters();
        releaseIdleWaiters();
        pump(stopping || idleWaiters.length > 0);
      });
    }
  }

  async function send(batch: string[]): Promise<void> {
    let attempt = 0;
    for (;;) {
      const started = performance.now();
      try {
        await writer.write(batch);
        metrics.writeDuration.observe((performance.now() - started) / 1000);
        metrics.pointsWritten.inc(batch.length);
        if (attempt > 0)
          log.info({ attempts: attempt + 1, points: batch.length }, 'InfluxDB write succeeded after retries');
        return;
      } catch (err) {
        if (isPipelineError(err, 'SINK_WRITE_REJECTED')) {
          metrics.writeErrors.inc({ kind: 'rejected' });
          metrics.pointsRejected.inc(batch.length);
          log.error(
            { code: err.code, points: batch.length, status: err.details?.status, reason: err.message },
            'InfluxDB rejected a batch; the lines it could parse were written',
          );
          return;
        }
        metrics.writeErrors.inc({ kind: 'retriable' });
        if (stopController.signal.aborted) {
          // Counted as unwritten by stop(); the batch is not retried past the deadline.
          log.error(
            { points: batch.length, err: errorMessage(err) },
            'giving up on a batch at shutdown deadline',
          );
          return;
        }
        const retryAfter = isPipelineError(err) ? Number(err.details?.retryAfterMs ?? 0) : 0;
        const backoff = Math.min(opts.retryMaxMs, opts.retryInitialMs * 2 ** Math.min(attempt, 16));
        const delay = Math.max(retryAfter, backoff * (0.5 + Math.random() / 2));
        if (attempt === 0 || attempt % 10 === 0) {
          log.warn(
            { attempt: attempt + 1, delayMs: Math.round(delay), err: errorMessage(err) },
            'InfluxDB write failed; retrying',
          );
        }
        attempt++;
        await abortableDelay(delay, stopController.signal);
      }
    }
  }

  return {
    get pending() {
      return pending;
    },
    enqueue(lines) {
      if (lines.length === 0) return Promise.resolve();
      const fits = pending + lines.length <= opts.maxPendingPoints || pending === 0;
      if (roomWaiters.length === 0 && fits) {
        admit(lines);
        return Promise.resolve();
      }
      return new Promise<void>((resolve) => roomWaiters.push({ lines, resolve }));
    },
    flush() {
      if (pending === 0) return Promise.resolve();
      const idle = new Promise<void>((resolve) => idleWaiters.push(resolve));
      pump(true);
      return idle;
    },
    start() {
      timer = setInterval(() => pump(true), opts.flushIntervalMs);
      timer.unref();
    },
    async stop(deadlineMs) {
      if (stopping) return { unwritten: pending };
      stopping = true;
      if (timer) clearInterval(timer);
      const deadline = new Promise<'timeout'>((resolve) => {
        const t = setTimeout(() => resolve('timeout'), deadlineMs);
        t.unref();
      });
      const outcome = await Promise.race([this.flush().then(() => 'flushed' as const), deadline]);
      if (outcome === 'timeout') {
        stopController.abort();
        const unwritten = pending;
        log.error({ unwritten }, 'shutdown deadline reached with points not written to InfluxDB');
        return { unwritten };
      }
      return { unwritten: 0 };
    },
  };
}

function abortableDelay(ms: number, signal: AbortSignal): Promise<void> {
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
