import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { createHj212Metrics } from './hj212-intake/metrics.js';

/**
 * Ingest metrics on an injected registry (not prom-client's global one), so several pipelines can run
 * in one test process and /metrics shows exactly one pipeline.
 */
export function createIngestMetrics(registry: Registry = new Registry()) {
  const received = new Counter({
    name: 'emissions_messages_received_total',
    help: 'Messages received from gateways, by transport',
    labelNames: ['transport'] as const,
    registers: [registry],
  });
  const accepted = new Counter({
    name: 'emissions_messages_accepted_total',
    help: 'Messages accepted into the pipeline, by transport',
    labelNames: ['transport'] as const,
    registers: [registry],
  });
  const rejected = new Counter({
    name: 'emissions_messages_rejected_total',
    help: 'Messages rejected, by stable reason code (ING_…)',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  const connectionsRefused = new Counter({
    name: 'emissions_connections_refused_total',
    help: 'Connections refused at CONNECT, by reason code',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  const unknownPollutants = new Counter({
    name: 'emissions_unknown_pollutant_values_total',
    help: 'Values with a pollutant code not configured for the outlet (stored anyway)',
    registers: [registry],
  });
  const pointsWritten = new Counter({
    name: 'emissions_points_written_total',
    help: 'Points confirmed written by InfluxDB',
    registers: [registry],
  });
  const pointsRejected = new Counter({
    name: 'emissions_points_rejected_total',
    help: 'Points InfluxDB refused permanently (4xx); see the log for the reason',
    registers: [registry],
  });
  const writeErrors = new Counter({
    name: 'emissions_write_errors_total',
    help: 'Failed InfluxDB write requests, by kind (retriable, rejected)',
    labelNames: ['kind'] as const,
    registers: [registry],
  });
  const writeDuration = new Histogram({
    name: 'emissions_write_duration_seconds',
    help: 'InfluxDB write request latency',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const pendingPoints = new Gauge({
    name: 'emissions_points_pending',
    help: 'Points accepted but not yet confirmed by InfluxDB',
    registers: [registry],
  });
  const spoolBytes = new Gauge({
    name: 'emissions_spool_bytes',
    help: 'Bytes in the durable spool not yet confirmed by InfluxDB',
    registers: [registry],
  });
  const spoolCommitDuration = new Histogram({
    name: 'emissions_spool_commit_seconds',
    help: 'Spool group commits (framing + one durable O_DSYNC write per group of appends): how long each took',
    buckets: [0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [registry],
  });
  const spoolCommitRecords = new Counter({
    name: 'emissions_spool_committed_records_total',
    help: 'Records (one per accepted message) made durable by spool group commits',
    registers: [registry],
  });
  const spoolState = new Gauge({
    name: 'emissions_spool_state',
    help: 'Spool state: 1 for the current state (ok, full = gateways wait, failed = disk error, not acking)',
    labelNames: ['state'] as const,
    registers: [registry],
  });
  const quarantinedPoints = new Counter({
    name: 'emissions_points_quarantined_total',
    help: 'Points of batches InfluxDB rejected permanently, kept in the spool quarantine file',
    registers: [registry],
  });
  const connectedGateways = new Gauge({
    name: 'emissions_gateways_connected',
    help: 'Gateways currently connected, by transport',
    labelNames: ['transport'] as const,
    registers: [registry],
  });
  return {
    registry,
    received,
    accepted,
    rejected,
    connectionsRefused,
    unknownPollutants,
    pointsWritten,
    pointsRejected,
    writeErrors,
    writeDuration,
    pendingPoints,
    spoolBytes,
    spoolState,
    spoolCommitDuration,
    spoolCommitRecords,
    quarantinedPoints,
    connectedGateways,
    /** HJ 212 intake (ingest/hj212-intake/metrics.ts). */
    hj212: createHj212Metrics(registry),
    /** Process metrics (CPU, RSS, event-loop lag) for the same registry; called once by main. */
    collectProcessMetrics: () => collectDefaultMetrics({ register: registry, prefix: 'emissions_' }),
  };
}

export type IngestMetrics = ReturnType<typeof createIngestMetrics>;
