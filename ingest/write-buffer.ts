import type { Logger } from '../core/logger.js';
import type { InfluxWriter } from './influx-writer.js';
import type { IngestMetrics } from './metrics.js';
import type { PointSink } from './point-sink.js';
import { writeWithRetry } from './write-retry.js';

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

/** The in-memory PointSink: not durable (a crash loses what is pending); used when no spool is configured. */
export type WriteBuffer = PointSink;

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
    const outcome = await writeWithRetry(writer, batch, batch.length, {
      policy: opts,
      signal: stopController.signal,
      metrics,
      log,
    });
    if (outcome.kind === 'rejected') {
      const err = outcome.error;
      log.error(
        { code: err.code, points: batch.length, status: err.details?.status, reason: err.message },
        'InfluxDB rejected a batch; the lines it could parse were written',
      );
    } else if (outcome.kind === 'aborted') {
      // Counted as unwritten by stop(); the batch is not retried past the deadline.
      log.error({ points: batch.length }, 'giving up on a batch at shutdown deadline');
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
    ready: () => true,
    async stop(deadlineMs) {
      if (stopping) return { unwritten: pending, durable: false };
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
        return { unwritten, durable: false };
      }
      return { unwritten: 0, durable: false };
    },
  };
}
