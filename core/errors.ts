/**
 * Typed errors with stable codes. Codes are part of the public contract: they appear in logs, metrics
 * labels, API answers and the README, so a code is never renamed, only added.
 */
export const ERROR_CODES = {
  // configuration
  CFG_INVALID: 'configuration (environment or file) failed validation',
  CFG_REGISTRY_INVALID: 'site registry file failed validation',
  CFG_FILE_UNREADABLE: 'a configuration file could not be read or parsed',
  // ingest: transport and device
  ING_AUTH_UNKNOWN_DEVICE: 'MQTT CONNECT or HJ 212 frame from an MN that is not in the registry',
  ING_AUTH_BAD_PASSWORD: 'wrong password for a registered MN',
  ING_AUTH_ANONYMOUS: 'anonymous connection while anonymous access is off',
  ING_TOPIC_FORBIDDEN: 'a device published under another device’s MN or outside its own topics',
  ING_TOPIC_UNKNOWN: 'a publish to a topic the pipeline does not handle',
  // ingest: payload
  ING_PAYLOAD_TOO_LARGE: 'payload larger than the configured maximum',
  ING_PAYLOAD_NOT_JSON: 'payload is neither JSON nor an HJ 212 frame',
  ING_PAYLOAD_INVALID: 'payload failed schema validation',
  ING_DATATIME_INVALID: 'DataTime missing or not a valid time',
  ING_UNKNOWN_POLLUTANT: 'pollutant code not configured for this outlet (stored anyway)',
  // ingest: HJ 212
  ING_HJ212_FRAME: 'bytes that do not form an HJ 212 frame',
  ING_HJ212_CRC: 'HJ 212 CRC mismatch',
  ING_HJ212_HEADER: 'HJ 212 header missing a required field',
  ING_HJ212_MN_MISMATCH: 'HJ 212 frame on emissions/{mn}/up whose MN differs from the topic MN',
  ING_HJ212_CONN_LIMIT: 'HJ 212 TCP connection refused: too many connections in total or from one address',
  ING_HJ212_IDLE_TIMEOUT: 'HJ 212 TCP connection closed after the idle timeout',
  ING_HJ212_FRAME_OVERFLOW: 'HJ 212 frame candidate larger than the per-connection buffer cap (discarded)',
  ING_HJ212_CLOCK_DRIFT: 'HJ 212 device clock (DataTime of real-time data) far from the centre clock',
  ING_HJ212_SPLIT_INCOMPLETE: 'HJ 212 split upload (Flag.D) whose sub-packets did not all arrive in time',
  ING_HJ212_NOT_STORED: 'HJ 212 upload without a reading kind (2081, 3019, 3020): acknowledged, not stored',
  // sink
  SINK_WRITE_RETRIABLE: 'InfluxDB write failed with a retriable error (network, timeout, 5xx, 429)',
  SINK_WRITE_REJECTED: 'InfluxDB rejected the write permanently (4xx)',
  // spool (durable write-ahead log between intake and InfluxDB)
  SPOOL_WRITE_FAILED: 'the spool could not write or sync to disk; the reading was not acknowledged',
  SPOOL_FULL: 'the spool reached its size limit; gateways wait for acknowledgements',
  // alerting
  ALR_STANDARDS_INVALID: 'standards library (config/standards) failed validation',
  ALR_LIMIT_UNRESOLVED: 'an outlet names a limit set or unit that cannot be used',
  ALR_JOURNAL: 'the alarm journal could not be read or written',
  ALR_LATE_DATA: 'a reading older than the re-open horizon (or in the future) was not aggregated',
  ALR_AGGREGATE_MISMATCH: 'device hour/day value differs from the aggregate computed by the centre',
  ALR_DELIVERY_FAILED: 'a notification could not be delivered after all attempts',
  ALR_UNAUTHORIZED: 'API request without a valid bearer token',
  ALR_FORBIDDEN: 'API token lacks the role for this operation',
  ALR_NOT_FOUND: 'no such alarm or outlet',
  ALR_BAD_REQUEST: 'API request failed validation',
  ALR_STATE_CONFLICT: 'the alarm is not in a state that allows this operation',
  // heavy-pollution weather (alerting/heavy-pollution)
  HP_JOURNAL: 'the warning-period journal could not be read or written',
  HP_QUERY_FAILED: 'InfluxDB could not be queried for a baseline or a response report',
  HP_NO_BASELINE: 'no valid hours in the baseline window: load limits cannot be verified',
  // dashboards (Grafana HTTP API: push, annotations)
  DSH_GRAFANA_HTTP: 'Grafana answered a request with a non-2xx status',
  DSH_GRAFANA_UNREACHABLE: 'Grafana could not be reached (network error or timeout)',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class PipelineError extends Error {
  override readonly name = 'PipelineError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export function isPipelineError(err: unknown, code?: ErrorCode): err is PipelineError {
  return err instanceof PipelineError && (code === undefined || err.code === code);
}

/** Message of any thrown value, for logs. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
