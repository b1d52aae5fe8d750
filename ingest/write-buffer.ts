import type { Logger } from '../core/logger.js';
import type { InfluxWriter } from './influx-writer.js';
import type { IngestMetrics } from './metrics.js';
import { asLineBlock, joinLineBytes, type LineBlock, type PointSink } from './point-sink.js';
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
  block: LineBlock;
  resolve: () => void;
}

const NEWLINE = 0x0a;

/** The first `n` lines of a block and the rest (n < block.lines). */
function splitBlock(block: LineBlock, n: number): [LineBlock, LineBlock] {
  let end = -1;
  for (let i = 0; i < n; i++) end = block.bytes.indexOf(NEWLINE, end + 1);
  return [
    { bytes: block.bytes.subarray(0, end), lines: n },
    { bytes: block.bytes.subarray(end + 1), lines: block.lines - n },
  ];
}

export function createWriteBuffer(opts: WriteBufferOptions): WriteBuffer {
  const { writer, metrics, log } = opts;
  /** Blocks waiting to be batched, oldest first from `head` (an index, so taking a batch is not O(n²)). */
  let queue: LineBlock[] = [];
  let head = 0;
  let queuedLines = 0;
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
      if (pending + next.block.lines > opts.maxPendingPoints && pending > 0) break;
      roomWaiters.shift();
      admit(next.block);
      next.resolve();
    }
  }

  function admit(block: LineBlock): void {
    setPending(pending + block.lines);
    queue.push(block);
    queuedLines += block.lines;
    if (queuedLines >= opts.batchSize) pump(false);
  }

  /** Up to `batchSize` lines from the front of the queue, as one request body. */
  function takeBatch(): LineBlock {
    const parts: Buffer[] = [];
    let lines = 0;
    while (head < queue.length && lines < opts.batchSize) {
      let block = queue[head] as LineBlock;
      const room = opts.batchSize - lines;
      if (block.lines > room) {
        const [first, rest] = splitBlock(block, room);
        queue[head] = rest;
        block = first;
      } else {
        head++;
      }
      parts.push(block.bytes);
      lines += block.lines;
    }
    if (head === queue.length) {
      queue = [];
      head = 0;
    } else if (head > 1024 && head * 2 > queue.length) {
      queue = queue.slice(head);
      head = 0;
    }
    queuedLines -= lines;
    return { bytes: joinLineBytes(parts), lines };
  }

  function releaseIdleWaiters(): void {
    if (pending > 0) return;
    for (const resolve of idleWaiters.splice(0)) resolve();
  }

  function pump(force: boolean): void {
    while (inFlight < opts.maxInFlight && queuedLines > 0 && (force || queuedLines >= opts.batchSize)) {
      const batch = takeBatch();
      inFlight++;
      // send never rejects: every outcome is handled inside it.
      void send(batch).finally(() => {
        inFlight--;
        setPending(pending - batch.lines);
        releaseRoomWaiters();
        releaseIdleWaiters();
        pump(stopping || idleWaiters.length > 0);
      });
    }
  }

  async function send(batch: LineBlock): Promise<void> {
    const outcome = await writeWithRetry(writer, batch.bytes, batch.lines, {
      policy: opts,
      signal: stopController.signal,
      metrics,
      log,
    });
    if (outcome.kind === 'rejected') {
      const err = outcome.error;
      log.error(
        { code: err.code, points: batch.lines, status: err.details?.status, reason: err.message },
        'InfluxDB rejected a batch; the lines it could parse were written',
      );
    } else if (outcome.kind === 'aborted') {
      // Counted as unwritten by stop(); the batch is not retried past the deadline.
      log.error({ points: batch.lines }, 'giving up on a batch at shutdown deadline');
    }
  }

  return {
    get pending() {
      return pending;
    },
    enqueue(lines) {
      const block = asLineBlock(lines);
      if (block.lines === 0) return Promise.resolve();
      const fits = pending + block.lines <= opts.maxPendingPoints || pending === 0;
      if (roomWaiters.length === 0 && fits) {
        admit(block);
        return Promise.resolve();
      }
      return new Promise<void>((resolve) => roomWaiters.push({ block, resolve }));
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
