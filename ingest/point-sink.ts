/**
 * Where accepted readings' line-protocol lines go: the durable spool (default) or, when no spool
 * directory is configured, the in-memory write buffer. The intake only knows this interface.
 */
export interface PointSink {
  /**
   * Resolves once the lines are safe to acknowledge to the gateway: synced to disk (spool) or held in
   * the bounded buffer (memory). Waits while full (backpressure). Rejects SPOOL_WRITE_FAILED when the
   * spool cannot write: the gateway must then not be acknowledged.
   */
  enqueue(lines: readonly string[]): Promise<void>;
  /** Resolves when everything accepted so far is confirmed by InfluxDB. */
  flush(): Promise<void>;
  /** Lines accepted and not yet confirmed by InfluxDB. */
  readonly pending: number;
  /** False while the sink cannot accept data (spool disk failure). */
  ready(): boolean;
  start(): void;
  /**
   * Writes what it can within `deadlineMs`. `unwritten` lines are lost for a memory sink; a spool keeps
   * them on disk for the next start (`durable: true`).
   */
  stop(deadlineMs: number): Promise<{ unwritten: number; durable: boolean }>;
}
