/**
 * Line protocol as UTF-8 bytes: `lines` lines joined by `\n`, no trailing newline. The intake's hot path
 * hands readings over in this form (ingest/points.ts), so neither the spool nor the InfluxDB writer has
 * to encode strings again.
 */
export interface LineBlock {
  readonly bytes: Buffer;
  readonly lines: number;
}

/** Lines (each without newline) as one block. */
export function linesBlock(lines: readonly string[]): LineBlock {
  return { bytes: Buffer.from(lines.join('\n'), 'utf8'), lines: lines.length };
}

/** A block from either form `PointSink.enqueue` accepts. */
export function asLineBlock(input: readonly string[] | LineBlock): LineBlock {
  return Array.isArray(input) ? linesBlock(input) : (input as LineBlock);
}

const NEWLINE = Buffer.from('\n');

/** Line-protocol byte runs joined by newlines into one request body (one copy). */
export function joinLineBytes(parts: readonly Buffer[]): Buffer {
  if (parts.length === 1) return parts[0] as Buffer;
  const pieces: Buffer[] = [];
  for (const part of parts) {
    if (pieces.length > 0) pieces.push(NEWLINE);
    pieces.push(part);
  }
  return Buffer.concat(pieces);
}

/**
 * Where accepted readings' line-protocol lines go: the durable spool (default) or, when no spool
 * directory is configured, the in-memory write buffer. The intake only knows this interface.
 */
export interface PointSink {
  /**
   * Resolves once the lines are safe to acknowledge to the gateway: synced to disk (spool) or held in
   * the bounded buffer (memory). Waits while full (backpressure). Rejects SPOOL_WRITE_FAILED when the
   * spool cannot write: the gateway must then not be acknowledged. Lines as strings (alerting,
   * device state) or as an encoded block (readings).
   */
  enqueue(lines: readonly string[] | LineBlock): Promise<void>;
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
