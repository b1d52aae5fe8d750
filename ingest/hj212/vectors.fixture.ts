import { readFileSync } from 'node:fs';

/**
 * Loader for the shared HJ 212 test vectors (../shared/vectors from the project root; see its README).
 * Test support only: imported by *.test.ts, never by library code.
 */

export interface VectorExpect {
  lengthField: string;
  declaredLength: number;
  lengthBytes: number;
  lengthChars: number;
  lengthOk: boolean;
  segment: string;
  crcTransmitted: string;
  crcComputed: string;
  crcOk: boolean;
  crcModbusLowFirst: string;
  crcMatchesModbusLowFirst: boolean;
  terminator: boolean;
  header: Record<string, string>;
  cp: Record<string, string>[];
  dataTime: string | null;
  flagVersion: number | null;
  split: boolean;
  ackRequired: boolean;
  reply9014: string | null;
  reply9014IfCrcIgnored?: string | null;
}

export interface VectorPacket {
  id: string;
  source: string;
  raw: string;
  protocol: '2005' | '2017' | '2025';
  category: string;
  tags?: string[];
  expect: VectorExpect;
  notes: string;
}

const VECTORS_URL = new URL('../../../shared/vectors/hj212-packets.json', import.meta.url);

let cached: VectorPacket[] | undefined;

export function loadVectorPackets(): VectorPacket[] {
  cached ??= (JSON.parse(readFileSync(VECTORS_URL, 'utf8')) as { packets: VectorPacket[] }).packets;
  return cached;
}

export function vectorById(id: string): VectorPacket {
  const found = loadVectorPackets().find((p) => p.id === id);
  if (!found) throw new Error(`no vector ${id}`);
  return found;
}
