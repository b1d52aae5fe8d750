import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PipelineError } from '../../core/errors.js';
import { createLogger } from '../../core/logger.js';
import type { InfluxWriter } from '../influx-writer.js';
import { createIngestMetrics } from '../metrics.js';
import { createSpool } from './spool.js';
import { createSpoolSink } from './spool-sink.js';

/**
 * The drain's ordering, quarantine and shutdown logic against an in-memory writer (our own port; the
 * real InfluxDB path is covered by the pipeline and durability integration tests).
 */
const log = createLogger({ level: 'silent' });

type Behaviour = (body: string, call: number) => Promise<void>;

function memoryWriter(behaviour: Behaviour) {
  const stored: string[] = [];
  let calls = 0;
  const writer: InfluxWriter = {
    describe: 'memory',
    ping: async () => true,
    async write(lines) {
      const body =
        typeof lines === 'string' || lines instanceof Uint8Array
          ? Buffer.from(lines).toString()
          : lines.join('\n');
      await behaviour(body, calls++);
      stored.push(...body.split('\n'));
    },
  };
  return { writer, stored };
}

async function sinkWith(writer: InfluxWriter, dir = mkdtempSync(join(tmpdir(), 'sink-'))) {
  const metrics = createIngestMetrics();
  const spool = createSpool({ dir, maxBytes: 1 << 20, segmentBytes: 1 << 16, checkpointIntervalMs: 10, log });
  await spool.open();
  const sink = createSpoolSink({
    spool,
    writer,
    batchBytes: 300,
    flushIntervalMs: 5,
    maxInFlight: 3,
    retryInitialMs: 1,
    retryMaxMs: 5,
    quarantineDir: dir,
    metrics,
    log,
  });
  sink.start();
  return { sink, metrics, dir };
}

const line = (i: number) => `m,k=v value=${i} ${1_700_000_000_000 + i}`;

describe('spool sink', () => {
  it('acknowledges the spool in order even when later batches finish first', async () => {
    // The first batch is slow: later ones complete before it, yet nothing is acked past it.
    const { writer, stored } = memoryWriter(
      (_body, call) => new Promise((r) => setTimeout(r, call === 0 ? 50 : 1)),
    );
    const { sink } = await sinkWith(writer);
    for (let i = 0; i < 60; i++) await sink.enqueue([line(i)]);
    await sink.flush();
    expect(sink.pending).toBe(0);
    expect([...stored].sort()).toEqual(Array.from({ length: 60 }, (_, i) => line(i)).sort());
    await sink.stop(1000);
  });

  it('retries retriable failures and quarantines permanent rejections, then moves on', async () => {
    const { writer, stored } = memoryWriter(async (body, call) => {
      if (call < 2) throw new PipelineError('SINK_WRITE_RETRIABLE', 'down');
      if (body.includes('value=13 '))
        throw new PipelineError('SINK_WRITE_REJECTED', 'field type conflict', { status: 400 });
    });
    const { sink, metrics, dir } = await sinkWith(writer);
    for (let i = 0; i < 20; i++) await sink.enqueue([line(i)]);
    await sink.flush();
    const quarantined = readFileSync(join(dir, 'quarantine.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { reason: string; lines: string[] });
    expect(quarantined).toHaveLength(1);
    expect(quarantined[0]?.reason).toContain('field type conflict');
    expect(quarantined[0]?.lines).toContain(line(13));
    const quarantinedLines = quarantined[0]?.lines.length ?? 0;
    expect((await metrics.quarantinedPoints.get()).values[0]?.value).toBe(quarantinedLines);
    expect(stored.length + quarantinedLines).toBe(20);
    await sink.stop(1000);
  });

  it('stop leaves what InfluxDB did not take in the spool, and a new sink writes it', async () => {
    let up = false;
    const { writer, stored } = memoryWriter(async () => {
      if (!up) throw new PipelineError('SINK_WRITE_RETRIABLE', 'down');
    });
    const first = await sinkWith(writer);
    for (let i = 0; i < 10; i++) await first.sink.enqueue([line(i)]);
    expect(await first.sink.stop(30)).toEqual({ unwritten: 10, durable: true });
    up = true;
    const second = await sinkWith(writer, first.dir);
    expect(second.sink.pending).toBe(10);
    await second.sink.flush();
    expect([...stored].sort()).toEqual(Array.from({ length: 10 }, (_, i) => line(i)).sort());
    await second.sink.stop(1000);
  });
});
