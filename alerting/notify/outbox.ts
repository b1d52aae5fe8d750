import { setMaxListeners } from 'node:events';
import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { requestSignal } from '../../ingest/influx-writer.js';
import type { Channel, Delivery } from './channels.js';

/**
 * The outbox: deliveries waiting to go out, with retries and capped exponential backoff.
 * Bounded (`maxQueued`): when full, the oldest waiting delivery is failed (recorded and logged), so a
 * dead channel cannot exhaust memory. Every attempt is reported through `record` (the journal), so the
 * delivery history of an alarm is complete and a restart resumes what was not yet delivered.
 * Retry timers are real timers owned here and cleared in stop().
 */
export interface DeliveryJob {
  id: string;
  channelId: string;
  eventSeq: number;
  delivery: Delivery;
  attempts: number;
}

export interface AttemptRecord {
  id: string;
  alarmId: string;
  eventSeq: number;
  channelId: string;
  attempt: number;
  status: 'sent' | 'retry' | 'failed';
  at: number;
  error?: string;
}

export interface OutboxOptions {
  channels: ReadonlyMap<string, Channel>;
  maxAttempts: number;
  retryInitialMs: number;
  retryMaxMs: number;
  timeoutMs: number;
  maxQueued: number;
  concurrency: number;
  record(r: AttemptRecord): void;
  now(): number;
  log: Logger;
  /** Called after each successful delivery (latency bench, tests). */
  onSent?(job: DeliveryJob): void;
}

export interface Outbox {
  enqueue(job: DeliveryJob): void;
  readonly size: number;
  /** Resolves when nothing is queued, waiting for retry or in flight. */
  idle(): Promise<void>;
  stop(deadlineMs: number): Promise<void>;
}

export function createOutbox(opts: OutboxOptions): Outbox {
  const ready: DeliveryJob[] = [];
  const waiting = new Map<DeliveryJob, NodeJS.Timeout>();
  let inFlight = 0;
  let stopped = false;
  const controller = new AbortController();
  // One abort listener per request in flight (requestSignal): up to `concurrency` at once.
  setMaxListeners(opts.concurrency + 10, controller.signal);
  const idleWaiters: Array<() => void> = [];

  const size = () => ready.length + waiting.size + inFlight;

  function checkIdle(): void {
    if (size() > 0) return;
    for (const r of idleWaiters.splice(0)) r();
  }

  function backoff(attempt: number): number {
    return Math.min(opts.retryMaxMs, opts.retryInitialMs * 2 ** Math.max(0, attempt - 1));
  }

  function fail(job: DeliveryJob, error: string): void {
    opts.record({
      id: job.id,
      alarmId: job.delivery.alarm.id,
      eventSeq: job.eventSeq,
      channelId: job.channelId,
      attempt: job.attempts,
      status: 'failed',
      at: opts.now(),
      error,
    });
    opts.log.error(
      {
        code: 'ALR_DELIVERY_FAILED',
        alarmId: job.delivery.alarm.id,
        channel: job.channelId,
        attempts: job.attempts,
        error,
      },
      'notification could not be delivered',
    );
  }

  async function run(job: DeliveryJob): Promise<void> {
    const channel = opts.channels.get(job.channelId);
    job.attempts++;
    if (!channel) {
      fail(job, `unknown channel ${job.channelId}`);
      return;
    }
    // Not AbortSignal.any with the long-lived stop signal: it leaks on Node 20/22 (see requestSignal).
    const request = requestSignal(opts.timeoutMs, controller.signal);
    try {
      await channel.send(job.delivery, request.signal);
      opts.record({
        id: job.id,
        alarmId: job.delivery.alarm.id,
        eventSeq: job.eventSeq,
        channelId: job.channelId,
        attempt: job.attempts,
        status: 'sent',
        at: opts.now(),
      });
      opts.onSent?.(job);
    } catch (err) {
      const error = errorMessage(err).slice(0, 300);
      if (job.attempts >= opts.maxAttempts || stopped) {
        if (!stopped) fail(job, error);
        return;
      }
      opts.record({
        id: job.id,
        alarmId: job.delivery.alarm.id,
        eventSeq: job.eventSeq,
        channelId: job.channelId,
        attempt: job.attempts,
        status: 'retry',
        at: opts.now(),
        error,
      });
      const timer = setTimeout(() => {
        waiting.delete(job);
        ready.push(job);
        pump();
      }, backoff(job.attempts));
      timer.unref();
      waiting.set(job, timer);
    } finally {
      request.dispose();
    }
  }

  function pump(): void {
    while (!stopped && inFlight < opts.concurrency && ready.length > 0) {
      const job = ready.shift() as DeliveryJob;
      inFlight++;
      void run(job).finally(() => {
        inFlight--;
        pump();
        checkIdle();
      });
    }
    checkIdle();
  }

  return {
    get size() {
      return size();
    },
    enqueue(job) {
      if (stopped) return;
      if (ready.length + waiting.size >= opts.maxQueued) {
        const oldest = ready.shift();
        if (oldest) fail(oldest, 'outbox full (ALERTING delivery.maxQueued)');
      }
      ready.push(job);
      pump();
    },
    idle() {
      if (size() === 0) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
    async stop(deadlineMs) {
      if (stopped) return;
      // Let in-flight sends finish within the deadline; queued and waiting jobs stay "queued" in the
      // journal and are resumed by the next start.
      stopped = true;
      for (const t of waiting.values()) clearTimeout(t);
      waiting.clear();
      ready.length = 0;
      if (inFlight > 0) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          new Promise<void>((resolve) => idleWaiters.push(resolve)),
          new Promise<void>((resolve) => {
            timer = setTimeout(resolve, deadlineMs);
          }),
        ]);
        clearTimeout(timer);
      }
      controller.abort(new Error('outbox stopped'));
      for (const r of idleWaiters.splice(0)) r();
      await Promise.all([...opts.channels.values()].map((c) => c.close().catch(() => {})));
    },
  };
}
