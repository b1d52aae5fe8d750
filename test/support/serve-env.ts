import { join } from 'node:path';
import { findFreePort } from '../../cli/local-influxd.js';

/**
 * Environment for an `emissions serve` child process on free loopback ports, writing to a given
 * InfluxDB 1.x database with its spool in `dir` (shared by the CLI tests, fault tests and benchmarks).
 */
export interface ServeEnv {
  env: Record<string, string>;
  mqttPort: number;
  httpPort: number;
  hj212Port: number;
}

export async function serveEnv(opts: {
  registryFile: string;
  influxUrl: string;
  db: string;
  dir: string;
  extra?: Record<string, string>;
}): Promise<ServeEnv> {
  const mqttPort = await findFreePort();
  const httpPort = await findFreePort();
  const hj212Port = await findFreePort();
  return {
    mqttPort,
    httpPort,
    hj212Port,
    env: {
      EMISSIONS_REGISTRY: opts.registryFile,
      SPOOL_DIR: join(opts.dir, 'spool'),
      INFLUX_API: 'v1',
      INFLUX_URL: opts.influxUrl,
      INFLUX_DB: opts.db,
      MQTT_HOST: '127.0.0.1',
      MQTT_PORT: String(mqttPort),
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: String(httpPort),
      HJ212_TCP_HOST: '127.0.0.1',
      HJ212_TCP_PORT: String(hj212Port),
      LOG_LEVEL: 'info',
      ...opts.extra,
    },
  };
}
