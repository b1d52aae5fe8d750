import type { SiteEntry } from '../config/registry.js';
import type { CrcStyle, EncodeVersion } from '../ingest/hj212/index.js';

/**
 * Firmware quirks a simulated HJ 212 gateway can have, to exercise the centre's tolerance
 * (hj212.md §8). Selected with `--quirks`: a comma-separated list whose items are `quirk` (every
 * gateway) or `device:quirk` (one gateway, by MN or outlet id), e.g. `sticky,gw-7:modbus-crc`.
 */
export const HJ212_QUIRKS = [
  'hj212-2005', // HJ/T 212-2005 frames: no QN, no Flag, 2005 codes (§8.5); no 9014 possible (no QN to echo)
  'modbus-crc', // CRC-16/MODBUS printed low byte first (§2.2)
  'lowercase-crc', // CRC in lower-case hex (§8.3)
  'split', // split uploads (Flag.D, PNUM/PNO) even for short CPs: segments capped at SPLIT_SEGMENT_BYTES
  'sticky', // several frames in one TCP write (§8.10)
  'one-byte-writes', // every byte its own TCP write
] as const;
export type Hj212Quirk = (typeof HJ212_QUIRKS)[number];

/** Segment cap of the `split` quirk: small enough that a 3-pollutant upload splits. */
export const SPLIT_SEGMENT_BYTES = 200;

export type QuirkSpec = ReadonlyMap<string, readonly Hj212Quirk[]>;
/** Key of quirks that apply to every gateway. */
export const ALL_DEVICES = '*';

/** Parses `--quirks`; returns the spec or the list of problems. */
export function parseQuirks(text: string): { ok: true; spec: QuirkSpec } | { ok: false; problems: string[] } {
  const spec = new Map<string, Hj212Quirk[]>();
  const problems: string[] = [];
  for (const raw of text.split(',')) {
    const item = raw.trim();
    if (item === '') continue;
    const colon = item.lastIndexOf(':');
    const device = colon < 0 ? ALL_DEVICES : item.slice(0, colon).trim();
    const name = (colon < 0 ? item : item.slice(colon + 1)).trim();
    if (!(HJ212_QUIRKS as readonly string[]).includes(name)) {
      problems.push(`unknown quirk "${name}" (known: ${HJ212_QUIRKS.join(', ')})`);
      continue;
    }
    const list = spec.get(device) ?? [];
    if (!list.includes(name as Hj212Quirk)) list.push(name as Hj212Quirk);
    spec.set(device, list);
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, spec };
}

/** Device names (other than `*`) used in a spec, to check against the registry. */
export function quirkDevices(spec: QuirkSpec): string[] {
  return [...spec.keys()].filter((k) => k !== ALL_DEVICES);
}

/** Quirks of one gateway: the global ones plus those named for its MN or outlet id. */
export function quirksFor(spec: QuirkSpec | undefined, entry: SiteEntry): Set<Hj212Quirk> {
  const out = new Set<Hj212Quirk>();
  if (!spec) return out;
  for (const key of [ALL_DEVICES, entry.gateway.mn, entry.outlet.id]) {
    for (const q of spec.get(key) ?? []) out.add(q);
  }
  return out;
}

/** Encoder settings implied by the quirks. */
export function encodingFor(quirks: ReadonlySet<Hj212Quirk>): {
  version: EncodeVersion;
  crcStyle: CrcStyle;
  maxSegmentBytes: number | undefined;
  ackRequired: boolean;
} {
  const is2005 = quirks.has('hj212-2005');
  return {
    version: is2005 ? '2005' : '2017',
    // modbus wins over lowercase: a MODBUS CRC is wrong whatever its case.
    crcStyle: quirks.has('modbus-crc') ? 'modbus-low-first' : quirks.has('lowercase-crc') ? 'lower' : 'upper',
    maxSegmentBytes: quirks.has('split') ? SPLIT_SEGMENT_BYTES : undefined,
    // A 2005 frame has no QN for the 9014 to echo, so asking for one would only cause retransmissions.
    ackRequired: !is2005,
  };
}
