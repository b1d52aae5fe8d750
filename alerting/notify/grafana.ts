import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import {
  type AlarmTransition,
  createGrafanaAnnotator,
  type GrafanaAnnotator,
  type WarningTransition,
} from '../../dashboards/annotations.js';
import { createGrafanaClient, GrafanaApiError, type GrafanaClient } from '../../dashboards/grafana-client.js';

/**
 * Grafana annotations for alarm and warning transitions (README "Dashboards"), when `GRAFANA_URL` and
 * `GRAFANA_TOKEN` are configured. Best effort and never blocking: the engine and the warning service call
 * `alarm()` / `warning()` synchronously after the transition is journaled; the calls are queued (bounded,
 * `maxQueued`; beyond it a transition is dropped and counted) and sent one at a time in order, so an
 * episode's `open` has its annotation id before its `ack` updates it. Each request is retried a bounded
 * number of times (network errors, 429, 5xx) with exponential backoff; a final failure is logged
 * (`DSH_GRAFANA_*`) and counted (`onFailure`), and alarm handling goes on.
 */
export interface TransitionAnnotations {
  alarm(t: AlarmTransition): void;
  warning(t: WarningTransition): void;
  /** Resolves when every queued transition has been sent (or has failed). */
  idle(): Promise<void>;
  readonly stats: { sent: number; failed: number; dropped: number };
}

export interface TransitionAnnotationsOptions {
  url: string;
  token: string;
  log: Logger;
  /** Per request; default 5 s. */
  timeoutMs?: number;
  /** Attempts per request (first try included); default 3. */
  attempts?: number;
  retryInitialMs?: number;
  retryMaxMs?: number;
  /** Transitions waiting at most; default 1000. */
  maxQueued?: number;
  /** Metric hook: a transition could not be annotated (`failed`) or was dropped (`dropped`). */
  onFailure?: (kind: 'alarm' | 'warning', reason: 'failed' | 'dropped') => void;
  /** Test seam. */
  client?: GrafanaClient;
}

function retriable(err: unknown): boolean {
  if (!(err instanceof GrafanaApiError)) return false;
  if (err.code === 'DSH_GRAFANA_UNREACHABLE') return true;
  return err.status === 429 || (err.status !== undefined && err.status >= 500);
}

/** The annotation calls of `client`, each retried up to `attempts` times on retriable errors. */
export function withRetries(
  client: GrafanaClient,
  opts: { attempts: number; initialMs: number; maxMs: number },
): GrafanaClient {
  async function retry<T>(fn: () => Promise<T>): Promise<T> {
    let delay = opts.initialMs;
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        if (attempt >= opts.attempts || !retriable(err)) throw err;
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, opts.maxMs);
      }
    }
  }
  return {
    ...client,
    createAnnotation: (a) => retry(() => client.createAnnotation(a)),
    updateAnnotation: (id, a) => retry(() => client.updateAnnotation(id, a)),
  };
}

export function createTransitionAnnotations(opts: TransitionAnnotationsOptions): TransitionAnnotations {
  const log = opts.log;
  const maxQueued = opts.maxQueued ?? 1000;
  const base =
    opts.client ??
    createGrafanaClient({ url: opts.url, token: opts.token, timeoutMs: opts.timeoutMs ?? 5000 });
  const client = withRetries(base, {
    attempts: opts.attempts ?? 3,
    initialMs: opts.retryInitialMs ?? 500,
    maxMs: opts.retryMaxMs ?? 5000,
  });
  const stats = { sent: 0, failed: 0, dropped: 0 };
  let failedNow = false;
  const annotator: GrafanaAnnotator = createGrafanaAnnotator(client, {
    onError(err, ctx) {
      failedNow = true;
      stats.failed++;
      opts.onFailure?.(ctx.kind, 'failed');
      log.warn(
        {
          code: err instanceof GrafanaApiError ? err.code : 'DSH_GRAFANA_UNREACHABLE',
          err: errorMessage(err),
          ...ctx,
        },
        'Grafana annotation failed (alarm handling is not affected)',
      );
    },
  });
  let chain: Promise<void> = Promise.resolve();
  let queued = 0;

  function enqueue(kind: 'alarm' | 'warning', id: string, run: () => Promise<void>): void {
    if (queued >= maxQueued) {
      stats.dropped++;
      opts.onFailure?.(kind, 'dropped');
      log.warn(
        { code: 'DSH_GRAFANA_UNREACHABLE', kind, id },
        'Grafana annotation queue full: transition dropped',
      );
      return;
    }
    queued++;
    chain = chain.then(async () => {
      failedNow = false;
      try {
        await run();
        if (!failedNow) stats.sent++;
      } catch (err) {
        // the annotator reports its own errors; anything else is a bug, logged and swallowed
        log.error({ err: errorMessage(err), kind, id }, 'Grafana annotation crashed');
      } finally {
        queued--;
      }
    });
  }

  return {
    stats,
    alarm: (t) => enqueue('alarm', t.alarmId, () => annotator.alarm(t)),
    warning: (t) => enqueue('warning', t.warningId, () => annotator.warning(t)),
    idle: () => chain,
  };
}
