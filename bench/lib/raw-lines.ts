import { parseRegistry, type RegistryFile } from '../../config/registry.js';
import { decodeJsonPayload } from '../../ingest/json-payload.js';
import { createLineEncoder } from '../../ingest/points.js';
import { createReadingSource } from '../../simulator/readings.js';

/**
 * Exactly the lines the pipeline writes for the simulator's readings: the simulator's own reading source
 * → the JSON decoder → the production line encoder (ingest/points.ts). Raw-write throughput measured with
 * these is the InfluxDB ceiling for *our* point shape (8 tags incl. Chinese names, fields value/flag/valid).
 */
export function pipelineLines(reg: RegistryFile, readingsPerGateway: number, startMs: number): string[] {
  const registry = parseRegistry(reg);
  const encoder = createLineEncoder();
  const sources = registry.entries().map((entry) => ({
    entry,
    source: createReadingSource({
      seed: 1,
      entry,
      timeZone: registry.timeZone,
      intervalSec: 60,
      startMs,
    }),
  }));
  const lines: string[] = [];
  // Interleaved by time (all gateways' reading k, then k+1), as they arrive at the pipeline.
  for (let k = 0; k < readingsPerGateway; k++) {
    for (const { entry, source } of sources) {
      const r = source.next();
      if (!r?.payload) continue;
      const d = decodeJsonPayload(r.payload, {
        mn: entry.gateway.mn,
        timeZone: registry.timeZone,
        receivedAt: new Date(),
      });
      if (!d.ok) throw new Error(d.reason);
      lines.push(...encoder.readingBlock(d.reading, entry).bytes.toString('utf8').split('\n'));
    }
  }
  return lines;
}

/** Lines joined into request bodies of about `batchBytes` (the spool drain's WRITE_BATCH_BYTES). */
export function bodies(lines: readonly string[], batchBytes: number): Buffer[] {
  const out: Buffer[] = [];
  let part: string[] = [];
  let size = 0;
  for (const line of lines) {
    part.push(line);
    size += Buffer.byteLength(line) + 1;
    if (size >= batchBytes) {
      out.push(Buffer.from(part.join('\n')));
      part = [];
      size = 0;
    }
  }
  if (part.length > 0) out.push(Buffer.from(part.join('\n')));
  return out;
}
