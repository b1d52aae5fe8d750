import { describe, expect, it } from 'vitest';
import { PipelineError } from '../core/errors.js';
import { createLogger } from '../core/logger.js';
import type { InfluxWriter } from './influx-writer.js';
import { createIngestMetrics } from './metrics.js';
import { REFUSED_RETRY_MAX_MS, writeWithRetry } from './write-retry.js';

const log = createLogger({ level: 'silent' });

/** A writer failing with `errors` in turn, then succeeding; records when each attempt came. */
function failingWriter(errors: PipelineError[]) {
  const attempts: number[] = [];
  const writer: InfluxWriter = {
    describe: 'test',
    ping: async () => true,
    async write() {
      attempts.push(performance.now());
      const err = errors.shift();
      if (err) throw err;
    },
  };
  return { writer, attempts };
}

const ctx = (retryMaxMs: number) => ({
  policy: { retryInitialMs: 400, retryMaxMs },
  signal: new AbortController().signal,
  metrics: createIngestMetrics(),
  log,
});

describe('writeWithRetry', () => {
  it('retries a refused connection within 1 s even when the backoff cap is long', async () => {
    const refused = () =>
      new PipelineError('SINK_WRITE_RETRIABLE', 'connect ECONNREFUSED', { code: 'ECONNREFUSED' });
    const { writer, attempts } = failingWriter([refused(), refused(), refused(), refused()]);
    expect(await writeWithRetry(writer, 'm v=1 1', 1, ctx(60_000))).toEqual({ kind: 'written' });
    expect(attempts).toHaveLength(5);
    const gaps = attempts.slice(1).map((t, i) => t - (attempts[i] as number));
    // 400 → 800 → (1600 and 3200 capped at 1 s), with jitter of up to half.
    for (const gap of gaps) expect(gap).toBeLessThan(REFUSED_RETRY_MAX_MS + 100);
  });

  it('a permanent rejection is returned at once, not retried', async () => {
    const { writer, attempts } = failingWriter([
      new PipelineError('SINK_WRITE_REJECTED', 'bad', { status: 400 }),
    ]);
    const outcome = await writeWithRetry(writer, 'm v=1 1', 1, ctx(60_000));
    expect(outcome.kind).toBe('rejected');
    expect(attempts).toHaveLength(1);
  });
});
