import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { InfluxWriter } from '../influx-writer.js';
import type { IngestMetrics } from '../metrics.js';
import { asLineBlock, type PointSink } from '../point-sink.js';
import { abortableDelay, type RetryPolicy, writeWithRetry } from '../write-retry.js';
import type { Spool, SpoolBatch } from './spool.js';

/**
 * The durable PointSink: `enqueue` appends to the spool (acknowledgeable once it resolves), and a
 * drain loop moves spooled records to InfluxDB in batches, up to `maxInFlight` requests at a time,
 * acknowledging them to the spool strictly in order so a crash can only cause re-writes, never gaps.
 *
 * Permanent rejections (HTTP 4xx, e.g. a field type conflict) are quarantined: the batch and
 * InfluxDB's reason go to `quarantine.jsonl` in the spool directory (InfluxDB has written the lines it
 * could parse), counted, logged, and the drain moves on instead of blocking every gateway behind them.
 */
export interface SpoolSinkOptions extends RetryPolicy {
  spool: Spool;
  writer: InfluxWriter;
  /** Target body size per write request. */
  batchBytes: number;
  /** A smaller batch is written after waiting this long for more. */
  flushIntervalMs: number;
  maxInFlight: number;
  quarantineDir: string;
  metrics: IngestMetrics;
  log: Logger;
}

interface InFlight {
  batch: SpoolBatch;
  done: boolean;
}

export function createSpoolSink(opts: SpoolSinkOptions): PointSink {
  const { spool, metrics, log } = opts;
  const stopController = new AbortController();
  const inFlight: InFlight[] = [];
  const draining = new Set<Promise<void>>();
  const slotWaiters: Array<() => void> = [];
  const idleWaiters: Array<() => void> = [];
  let loop: Promise<void> | undefined;
  let flushRequested = 0;
  /** Aborted by flush() to cut the trickle wait short. */
  let nudge = new AbortController();
  let stopping = false;

  const publishPending = () => {
    const stats = spool.stats;
    metrics.pendingPoints.set(stats.pendingLines);
    metrics.spoolBytes.set(stats.pendingBytes);
  };

  function settleInOrder(): void {
    while (inFlight.length > 0 && (inFlight[0] as InFlight).done) {
      spool.ack((inFlight.shift() as InFlight).batch);
    }
    publishPending();
    if (spool.stats.pendingLines === 0) for (const resolve of idleWaiters.splice(0)) resolve();
    slotWaiters.shift()?.();
  }

  async function quarantine(batch: SpoolBatch, reason: string): Promise<void> {
    const entry = `${JSON.stringify({ at: new Date().toISOString(), reason, lines: batch.body.toString('utf8').split('\n') })}\n`;
    await appendFile(join(opts.quarantineDir, 'quarantine.jsonl'), entry).catch((err: unknown) =>
      log.error(
        { err: errorMessage(err) },
        'quarantine file not writable; the rejected lines are only in this log',
      ),
    );
  }

  async function drain(entry: InFlight): Promise<void> {
    const { batch } = entry;
    const outcome = await writeWithRetry(opts.writer, batch.body, batch.lines, {
      policy: opts,
      signal: stopController.signal,
      metrics,
      log,
    });
    if (outcome.kind === 'aborted') return; // stays unacknowledged on disk: replayed on the next start
    if (outcome.kind === 'rejected') {
      const err = outcome.error;
      log.error(
        { code: err.code, points: batch.lines, status: err.details?.status, reason: err.message },
        'InfluxDB rejected a batch permanently; quarantined (lines it could parse were written)',
      );
      metrics.quarantinedPoints.inc(batch.lines);
      await quarantine(batch, err.message);
    }
    entry.done = true;
    settleInOrder();
  }

  const unreadBytes = () => spool.stats.pendingBytes - inFlight.reduce((n, f) => n + f.batch.bytes, 0);

  /**
   * Under a trickle, waits (at most `flushIntervalMs` from now) until a full batch has accumulated, so
   * writes carry many points; returns at once under load, on flush() and on stop().
   */
  async function gatherBatch(): Promise<void> {
    const deadline = performance.now() + opts.flushIntervalMs;
    while (unreadBytes() < opts.batchBytes && flushRequested === 0 && !stopping) {
      const left = deadline - performance.now();
      if (left <= 0) return;
      const wake = new AbortController();
      const cancel = () => wake.abort();
      nudge.signal.addEventListener('abort', cancel, { once: true });
      await Promise.race([spool.waitForAppend(wake.signal), abortableDelay(left, wake.signal)]);
      wake.abort(); // settles whichever wait is still pending
      nudge.signal.removeEventListener('abort', cancel);
    }
  }

  async function run(): Promise<void> {
    const signal = stopController.signal;
    while (!signal.aborted) {
      await spool.waitForData(signal);
      if (signal.aborted) break;
      await gatherBatch();
      if (signal.aborted) break;
      // Aborted batches never leave inFlight, so the stop signal must also end this wait.
      while (inFlight.length >= opts.maxInFlight && !signal.aborted) {
        await new Promise<void>((r) => slotWaiters.push(r));
      }
      if (signal.aborted) break;
      let batches: SpoolBatch[];
      try {
        // Every free slot at once, from one disk read (see Spool.readBatches).
        batches = await spool.readBatches(opts.batchBytes, opts.maxInFlight - inFlight.length);
      } catch (err) {
        log.error({ err: errorMessage(err) }, 'spool read failed; retrying');
        await abortableDelay(1000, signal);
        continue;
      }
      for (const batch of batches) {
        const entry: InFlight = { batch, done: false };
        inFlight.push(entry);
        // drain() handles every outcome itself; it never rejects.
        const p = drain(entry).finally(() => draining.delete(p));
        draining.add(p);
      }
    }
  }

  return {
    get pending() {
      return spool.stats.pendingLines;
    },
    ready: () => spool.stats.state !== 'failed',
    async enqueue(lines) {
      const block = asLineBlock(lines);
      if (block.lines === 0) return;
      await spool.append(block);
      publishPending();
    },
    async flush() {
      if (spool.stats.pendingLines === 0) return;
      flushRequested++;
      nudge.abort();
      nudge = new AbortController();
      try {
        await new Promise<void>((resolve) => idleWaiters.push(resolve));
      } finally {
        flushRequested--;
      }
    },
    start() {
      loop ??= run();
    },
    async stop(deadlineMs) {
      if (stopping) return { unwritten: spool.stats.pendingLines, durable: true };
      stopping = true;
      const deadline = new Promise<'timeout'>((resolve) =>
        setTimeout(() => resolve('timeout'), deadlineMs).unref(),
      );
      const outcome = await Promise.race([this.flush().then(() => 'flushed' as const), deadline]);
      stopController.abort();
      nudge.abort();
      for (const wake of slotWaiters.splice(0)) wake();
      await loop;
      // An aborted write returns once its request ends (bounded by the writer's timeout).
      await Promise.all([...draining]);
      const unwritten = spool.stats.pendingLines;
      if (outcome === 'timeout') {
        log.warn(
          { unwritten },
          'shutdown deadline reached; unwritten points stay in the spool for the next start',
        );
      }
      await spool.close();
      return { unwritten, durable: true };
    },
  };
}
