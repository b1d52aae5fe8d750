import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningService, startService } from '../../cli/serve.js';
import { loadAppConfig } from '../../config/app-config.js';
import { type Clock, systemClock } from '../../core/clock.js';
import { createLogger, type Logger } from '../../core/logger.js';

/** Starts `serve` in-process on free loopback ports against a given InfluxDB target. */
export async function startTestService(opts: {
  registryFile: string;
  influx: Record<string, string>;
  env?: Record<string, string>;
  log?: Logger;
  /** Simulated time for rule engines; the system clock by default. */
  clock?: Clock;
}): Promise<RunningService & { httpUrl: string; mqttUrl: string }> {
  const config = loadAppConfig({
    EMISSIONS_REGISTRY: opts.registryFile,
    SPOOL_DIR: mkdtempSync(join(tmpdir(), 'spool-')),
    MQTT_HOST: '127.0.0.1',
    MQTT_PORT: '0',
    HTTP_HOST: '127.0.0.1',
    HTTP_PORT: '0',
    HJ212_TCP_HOST: '127.0.0.1',
    HJ212_TCP_PORT: '0',
    WRITE_FLUSH_INTERVAL_MS: '100',
    ...opts.influx,
    ...opts.env,
  });
  const service = await startService(config, {
    log: opts.log ?? createLogger({ level: 'silent' }),
    clock: opts.clock ?? systemClock,
  });
  return {
    ...service,
    flush: () => service.flush(),
    stop: () => service.stop(),
    httpUrl: `http://127.0.0.1:${service.httpPort}`,
    mqttUrl: `mqtt://127.0.0.1:${service.mqttPort}`,
  };
}

/** Value of one Prometheus sample from /metrics text, e.g. metric('…_rejected_total', { reason: 'X' }). */
export async function readMetric(
  httpUrl: string,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const text = await (await fetch(`${httpUrl}/metrics`)).text();
  const want = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .sort();
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = (m[2] ?? '').split(',').filter(Boolean).sort();
    if (want.every((w) => have.includes(w))) return Number(m[3]);
  }
  return 0;
}
