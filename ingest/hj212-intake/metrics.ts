import { Counter, Gauge, type Registry } from 'prom-client';

/**
 * HJ 212 intake metrics (README "HJ 212"), registered on the pipeline's registry by ingest/metrics.ts.
 * Label values come from closed sets (never from the wire), so a device cannot grow the series count.
 */
export function createHj212Metrics(registry: Registry) {
  return {
    frames: new Counter({
      name: 'emissions_hj212_frames_total',
      help: 'HJ 212 frames decoded, by class (data, not_stored, notification, reply, heartbeat, request, unknown) and transport',
      labelNames: ['class', 'transport'] as const,
      registers: [registry],
    }),
    crc: new Counter({
      name: 'emissions_hj212_crc_total',
      help: 'HJ 212 CRC decisions, by verdict (ok, modbus, bad) and action (accepted, dropped)',
      labelNames: ['verdict', 'action'] as const,
      registers: [registry],
    }),
    replies: new Counter({
      name: 'emissions_hj212_replies_total',
      help: 'HJ 212 messages sent to devices, by CN (9011, 9013, 9014, 1012)',
      labelNames: ['cn'] as const,
      registers: [registry],
    }),
    acksWithheld: new Counter({
      name: 'emissions_hj212_acks_withheld_total',
      help: '9014 not sent because the reading could not be stored (spool failure); the device retransmits',
      registers: [registry],
    }),
    valueProblems: new Counter({
      name: 'emissions_hj212_value_problems_total',
      help: 'CP values left out of a stored reading, by kind (not-a-number, not-finite, bad-time, empty, duplicate)',
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
    clockDrift: new Counter({
      name: 'emissions_hj212_clock_drift_total',
      help: 'Real-time uploads whose DataTime is further from the centre clock than HJ212_CLOCK_MAX_DRIFT_MS',
      registers: [registry],
    }),
    splitUploads: new Counter({
      name: 'emissions_hj212_split_uploads_total',
      help: 'Split uploads (Flag.D) by outcome (complete, incomplete)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    garbageBytes: new Counter({
      name: 'emissions_hj212_garbage_bytes_total',
      help: 'Bytes between HJ 212 frames on TCP connections that belong to no frame (skipped)',
      registers: [registry],
    }),
    frameOverflows: new Counter({
      name: 'emissions_hj212_frame_overflows_total',
      help: 'Frame candidates discarded because they outgrew the per-connection buffer (HJ212_TCP_MAX_FRAME_BYTES)',
      registers: [registry],
    }),
    tcpConnections: new Gauge({
      name: 'emissions_hj212_tcp_connections',
      help: 'Open HJ 212 TCP connections',
      registers: [registry],
    }),
    tcpClosed: new Counter({
      name: 'emissions_hj212_tcp_connections_closed_total',
      help: 'HJ 212 TCP connections closed, by reason (peer, idle, error, stop, refused)',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
  };
}

export type Hj212Metrics = ReturnType<typeof createHj212Metrics>;
