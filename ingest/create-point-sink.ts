import type { AppConfig } from '../config/app-config.js';
import type { Logger } from '../core/logger.js';
import type { InfluxWriter } from './influx-writer.js';
import type { IngestMetrics } from './metrics.js';
import type { PointSink } from './point-sink.js';
import { createSpool, type SpoolState } from './spool/spool.js';
import { createSpoolSink } from './spool/spool-sink.js';
import { createWriteBuffer } from './write-buffer.js';

const SPOOL_STATES: readonly SpoolState[] = ['ok', 'full', 'failed'];

/** Builds the configured sink: the durable spool (default) or the in-memory buffer. */
export async function createPointSink(
  config: Pick<AppConfig, 'spool' | 'write'>,
  deps: { writer: InfluxWriter; metrics: IngestMetrics; log: Logger },
): Promise<PointSink> {
  const { writer, metrics, log } = deps;
  if (config.spool.mode === 'memory') {
    log.warn('spool mode "memory": readings acknowledged but not yet written are lost in a crash');
    return createWriteBuffer({ writer, ...config.write, metrics, log });
  }
  const showState = (state: SpoolState) => {
    for (const s of SPOOL_STATES) metrics.spoolState.set({ state: s }, s === state ? 1 : 0);
  };
  showState('ok');
  const spool = createSpool({
    dir: config.spool.dir,
    maxBytes: config.spool.maxBytes,
    segmentBytes: config.spool.segmentBytes,
    checkpointIntervalMs: config.spool.checkpointIntervalMs,
    log: log.child({ component: 'spool' }),
    onStateChange: showState,
    onCommit: (seconds, records) => {
      metrics.spoolCommitDuration.observe(seconds);
      metrics.spoolCommitRecords.inc(records);
    },
  });
  await spool.open();
  return createSpoolSink({
    spool,
    writer,
    batchBytes: config.write.batchBytes,
    flushIntervalMs: config.write.flushIntervalMs,
    maxInFlight: config.write.maxInFlight,
    retryInitialMs: config.write.retryInitialMs,
    retryMaxMs: config.write.retryMaxMs,
    quarantineDir: config.spool.dir,
    metrics,
    log,
  });
}
