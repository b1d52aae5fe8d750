import { type Alerting, createAlerting } from '../alerting/index.js';
import type { AppConfig } from '../config/app-config.js';
import { loadRegistry } from '../config/registry.js';
import type { Clock } from '../core/clock.js';
import { errorMessage } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { createPointSink } from '../ingest/create-point-sink.js';
import { createHttpServer } from '../ingest/http-server.js';
import { createDatabase } from '../ingest/influx-query.js';
import { createInfluxWriter } from '../ingest/influx-writer.js';
import { createIntake } from '../ingest/intake.js';
import { createIngestMetrics } from '../ingest/metrics.js';
import { createMqttBroker } from '../ingest/mqtt-broker.js';
import { createUpPayloadHandler } from '../ingest/up-payload.js';

/**
 * Composition root of `emissions serve`: builds every component from the validated config and
 * starts them in dependency order; stop() runs in reverse with a deadline.
 */
export interface RunningService {
  readonly mqttPort: number;
  readonly httpPort: number;
  /** Resolves when every reading accepted so far is confirmed by InfluxDB (tests, demo status). */
  flush(): Promise<void>;
  /**
   * Idempotent. Resolves with the points not written to InfluxDB by the deadline; `durable` says they
   * wait in the spool for the next start rather than being lost.
   */
  stop(): Promise<{ unwritten: number; durable: boolean }>;
  /** The alarm engine when `ALERTING_ENABLED=true` (tests drive it with tick()). */
  readonly alerting?: Alerting;
}

export interface ServeDeps {
  log: Logger;
  clock: Clock;
}

export async function startService(config: AppConfig, deps: ServeDeps): Promise<RunningService> {
  const { log, clock } = deps;
  const registry = loadRegistry(config.registryFile);
  const metrics = createIngestMetrics();
  metrics.collectProcessMetrics();

  const writer = createInfluxWriter(config.influx, { timeoutMs: config.write.timeoutMs });
  if (config.influx.api === 'v1') {
    // Convenient for fresh installs; a read-only user simply gets a warning and an admin creates it.
    const { url, db, username, password } = config.influx;
    const auth = username === undefined ? undefined : { username, password };
    await createDatabase(url, db, auth).catch((err: unknown) =>
      log.warn({ err: errorMessage(err), db: config.influx.db }, 'could not create the InfluxDB database'),
    );
  }
  const buffer = await createPointSink(config, { writer, metrics, log: log.child({ component: 'influx' }) });
  const intake = createIntake({ registry, buffer, metrics, log: log.child({ component: 'intake' }), clock });
  const alerting = config.alerting.enabled
    ? createAlerting(config.alerting, {
        registry,
        log: log.child({ component: 'alerting' }),
        clock,
        writeLines: (lines) => buffer.enqueue(lines),
      })
    : undefined;
  if (alerting) intake.onReading(alerting.onReading);
  const upPayload = createUpPayloadHandler({
    intake,
    timeZone: registry.timeZone,
    maxPayloadBytes: config.mqtt.maxPayloadBytes,
    clock,
  });
  const broker = await createMqttBroker(config.mqtt, {
    registry,
    intake,
    upPayload,
    metrics,
    log: log.child({ component: 'mqtt' }),
  });
  const http = await createHttpServer(config.http, {
    log: log.child({ component: 'http' }),
    metricsRegistry: metrics.registry,
    readiness: [
      { name: 'influxdb', check: () => writer.ping() },
      { name: 'mqtt', check: async () => broker.listening },
      { name: 'spool', check: async () => buffer.ready() },
    ],
    plugins: alerting ? [alerting.httpPlugin] : [],
  });

  buffer.start();
  await alerting?.start();
  await broker.start();
  await http.start();
  log.info(
    {
      mqttPort: broker.port,
      httpPort: http.port,
      influx: writer.describe,
      gateways: registry.entries().length,
    },
    'emissions pipeline started',
  );

  let stopping: Promise<{ unwritten: number; durable: boolean }> | undefined;
  return {
    mqttPort: broker.port,
    httpPort: http.port,
    flush: () => buffer.flush(),
    alerting,
    stop() {
      stopping ??= (async () => {
        log.info('stopping: no new connections, flushing pending points');
        http.markStopping();
        await broker.stop();
        await alerting?.stop(config.shutdownDeadlineMs);
        const result = await buffer.stop(config.shutdownDeadlineMs);
        await http.stop();
        log.info({ unwritten: result.unwritten }, 'emissions pipeline stopped');
        return result;
      })();
      return stopping;
    },
  };
}
