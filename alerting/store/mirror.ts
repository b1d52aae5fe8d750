import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';

/**
 * Mirror of derived data (agg_hour, agg_day, alarm_event, quality_signal) into InfluxDB. Best effort
 * by design: the journal is the alarms' source of truth, aggregates can be recomputed. Bounded queue
 * (`maxPending` lines, overflow drops the oldest lines with a counted, logged warning); batches are
 * written every `flushIntervalMs` and retried with capped backoff. In `serve` the sink is the ingest
 * write buffer (which has its own retries and backpressure); tests pass an InfluxDB writer.
 */
export interface MirrorOptions {
  write(lines: readonly string[]): Promise<void>;
  log: Logger;
  maxPending?: number;
  flushIntervalMs?: number;
  batchSize?: number;
}

export interface Mirror {
  push(lines: readonly string[]): void;
  /** Resolves when everything pushed so far has been written (or dropped). */
  flush(): Promise<void>;
  readonly dropped: number;
  stop(deadlineMs: number): Promise<void>;
}

export function createMirror(opts: MirrorOptions): Mirror {
  const maxPending = opts.maxPending ?? 100_000;
  const batchSize = opts.batchSize ?? 5000;
  const flushIntervalMs = opts.flushIntervalMs ?? 500;
  let queue: string[] = [];
  let dropped = 0;
  let writing: Promise<void> | undefined;
  let retryMs = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  async function writeOnce(): Promise<void> {
    while (queue.length > 0) {
      const batch = queue.slice(0, batchSize);
      try {
        await opts.write(batch);
        queue = queue.slice(batch.length);
        retryMs = 0;
      } catch (err) {
        retryMs = Math.min(30_000, retryMs === 0 ? 500 : retryMs * 2);
        opts.log.warn(
          { err: errorMessage(err), pending: queue.length, retryMs },
          'alerting mirror write failed; will retry',
        );
        return;
      }
    }
  }

  function schedule(delay: number): void {
    if (stopped || timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      void drain();
    }, delay);
    timer.unref();
  }

  function drain(): Promise<void> {
    writing ??= writeOnce().finally(() => {
      writing = undefined;
      if (queue.length > 0) schedule(retryMs || flushIntervalMs);
    });
    return writing;
  }

  return {
    push(lines) {
      if (stopped) return;
      for (const l of lines) queue.push(l);
      if (queue.length > maxPending) {
        const over = queue.length - maxPending;
        queue.splice(0, over);
        dropped += over;
        opts.log.warn({ dropped: over, total: dropped }, 'alerting mirror queue full: oldest lines dropped');
      }
      schedule(flushIntervalMs);
    },
    get dropped() {
      return dropped;
    },
    async flush() {
      // Bounded: at most a few rounds, each either writes everything or backs off after a failure.
      for (let i = 0; i < 5 && queue.length > 0; i++) {
        await drain();
        if (queue.length > 0) await new Promise((r) => setTimeout(r, Math.max(50, retryMs)));
      }
      if (writing) await writing;
    },
    async stop(deadlineMs) {
      if (stopped) return;
      let deadline: NodeJS.Timeout | undefined;
      await Promise.race([
        this.flush(),
        new Promise<void>((resolve) => {
          deadline = setTimeout(resolve, deadlineMs);
        }),
      ]);
      clearTimeout(deadline);
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      if (queue.length > 0)
        opts.log.warn({ unwritten: queue.length }, 'alerting mirror stopped with unwritten lines');
    },
  };
}
