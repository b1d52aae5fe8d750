import type { ReadingKind } from '../ingest/reading.js';

/**
 * The JSON contract a simulated gateway publishes (DESIGN.md §4), and the topics. Kept apart from the
 * generator so that the ingest-side tests can import the types without pulling in MQTT.
 */

export const topicUp = (mn: string): string => `emissions/${mn}/up`;
export const topicState = (mn: string): string => `emissions/${mn}/state`;
export const STATE_ONLINE = 'online';
export const STATE_OFFLINE = 'offline';

/** HJ 212 system code: 31 air pollution source, 32 wastewater source. */
export type SystemCode = '31' | '32';
export const stFor = (medium: 'gas' | 'water'): SystemCode => (medium === 'gas' ? '31' : '32');

/**
 * One code's values. Real-time (CN 2011) readings carry `rtd`; minute/hour/day data will carry
 * avg/min/max (and later cou/zs*) under the same shape, as the ingest's JSON schema already accepts.
 */
export interface WireValue {
  rtd?: number;
  avg?: number;
  min?: number;
  max?: number;
  flag: string;
}

export interface WirePayload {
  st: SystemCode;
  cn: string;
  /** Local time with the registry zone's offset, e.g. 2026-11-23T10:00:00+08:00. */
  dataTime: string;
  values: Record<string, WireValue>;
}

/** Kinds the simulator can emit today; the report and payload types already carry the kind. */
export type SimKind = Extract<ReadingKind, 'rtd'>;
