import type { GatewayProtocol } from '../../config/registry.js';
import { MEASUREMENT_BY_KIND } from '../../ingest/points.js';
import { HJ212_UPLOAD_KINDS } from '../../simulator/hj212-run.js';

/**
 * The InfluxDB measurements that the uploads of `emissions simulate` end up in, for a zero-loss check
 * of the form "points stored ≥ values × acked". The simulator's `acked` counts every record it sent:
 * JSON gateways send real-time data only, HJ 212 gateways also send minute, hour and day records
 * (simulator/hj212-run.ts). A run at `--speed max` crosses simulated midnights within seconds, so
 * leaving out `emission_day` reports 8 "lost" points for every day record acknowledged.
 */
export function simulatedMeasurements(protocol: GatewayProtocol): string[] {
  const kinds = protocol === 'json-mqtt' ? (['rtd'] as const) : HJ212_UPLOAD_KINDS;
  return kinds.map((kind) => MEASUREMENT_BY_KIND[kind]);
}
