import { describe, expect, it } from 'vitest';
import { PipelineError } from '../core/errors.js';
import { createLogger } from '../core/logger.js';
import type { InfluxWriter } from './influx-writer.js';
import { createIngestMetrics } from './metrics.js';
import { createWriteBuffer } from './write-buffer.js';

/**
 * The buffer's batching, backpressure and retry logic against an in-memory writer (our own port;
 * the real InfluxDB path is covered by the integration tests).
 */
function recordingWriter() {
  const batches: string[][] = [];
  let failures: Array<PipelineError> = [];
  let gate: Promise<void> | undefined;
  const writer: InfluxWriter = {
    describe: 'memory',
    ping: async () => true,
    async write(lines) {
      if (gate) await gate;
      const failure = failures.shift();
      if (failure) throw failure;
      batches.push(
        typeof lines === 'string' || lines instanceof Uint8Array
          ? Buffer.from(lines).toString().split('\n')
          : [...lines],
      );
    },
  };
  return {
    writer,
    batches,
    failNext(...errs: PipelineError[]) {
      failures = errs;
    },
    hold() {
      let release = () => {};
      gate = new Promise<void>((r) => {
        release = r;
      });
      return () => {
        gate = undefined;
        release();
      };
    },
  };
}

const log = createLogger({ level: 'silent' });

function buffer(w: InfluxWriter, over: Partial<Parameters<typeof createWriteBuffer>[0]> = {}) {
  const metrics = createIngestMetrics();
  const b = createWriteBuffer({
    writer: w,
    batchSize: 3,
    flushIntervalMs: 60_000,
    maxPendingPoints: 10,
    maxInFlight: 1,
    retryInitialMs: 1,
    retryMaxMs: 5,
    metrics,
    log,
    ...over,
  });
  return { b, metrics };
}

describe('write buffer', () => {
  it('writes full batches at once and the rest on flush, in order', async () => {
    const w = recordingWriter();
    const { b, metrics } = buffer(w.writer);
    await b.enqueue(['a', 'b', 'c', 'd']);
    await b.enqueue(['e']);
    await b.flush();
    expect(w.batches.flat()).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(w.batches[0]).toEqual(['a', 'b', 'c']);
    expect(b.pending).toBe(0);
    expect((await metrics.pointsWritten.get()).values[0]?.value).toBe(5);
  });

  it('makes producers wait when full instead of dropping, and admits them as writes complete', async () => {
    const w = recordingWriter();
    const release = w.hold();
    const { b } = buffer(w.writer);
    await b.enqueue(['1', '2', '3', '4', '5', '6', '7', '8', '9', '10']);
    let admitted = false;
    const waiting = b.enqueue(['11']).then(() => {
      admitted = true;
    });
    await new Promise((r) => setImmediate(r));
    expect(admitted).toBe(false);
    expect(b.pending).toBe(10);
    release();
    await waiting;
    await b.flush();
    expect(w.batches.flat()).toEqual(['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11']);
  });

  it('retries retriable errors and counts them; gives up on permanent rejections with a count', async () => {
    const w = recordingWriter();
    const { b, metrics } = buffer(w.writer);
    w.failNext(
      new PipelineError('SINK_WRITE_RETRIABLE', 'down'),
      new PipelineError('SINK_WRITE_RETRIABLE', 'down'),
    );
    await b.enqueue(['a', 'b', 'c']);
    await b.flush();
    expect(w.batches).toEqual([['a', 'b', 'c']]);
    expect((await metrics.writeErrors.get()).values.find((v) => v.labels.kind === 'retriable')?.value).toBe(
      2,
    );

    w.failNext(new PipelineError('SINK_WRITE_REJECTED', 'bad', { status: 400 }));
    await b.enqueue(['x']);
    await b.flush();
    expect((await metrics.pointsRejected.get()).values[0]?.value).toBe(1);
    expect(b.pending).toBe(0);
  });

  it('stop flushes what is pending; reports what it could not write by the deadline', async () => {
    const w = recordingWriter();
    const { b } = buffer(w.writer);
    await b.enqueue(['a']);
    expect(await b.stop(1000)).toEqual({ unwritten: 0, durable: false });
    expect(w.batches).toEqual([['a']]);

    const w2 = recordingWriter();
    const { b: b2 } = buffer(w2.writer, { retryInitialMs: 10_000, retryMaxMs: 10_000 });
    w2.failNext(...Array.from({ length: 100 }, () => new PipelineError('SINK_WRITE_RETRIABLE', 'down')));
    await b2.enqueue(['a', 'b']);
    expect(await b2.stop(50)).toEqual({ unwritten: 2, durable: false });
  });
});
