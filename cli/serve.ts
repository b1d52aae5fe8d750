import cron from 'node-cron';
import { Counter } from 'prom-client';
import { createAuthenticator } from '../alerting/api/auth.js';
import { createHeavyPollution, type HeavyPollution } from '../alerting/heavy-pollution/service.js';
import { type Alerting, createAlerting } from '../alerting/index.js';
import { registerWarningMetrics } from '../alerting/metrics.js';
import { createTransitionAnnotations, type TransitionAnnotations } from '../alerting/notify/grafana.js';
import type { AppConfig } from '../config/app-config.js';
import { loadRegistry } from '../config/registry.js';
import type { Clock } from '../core/clock.js';
import { errorMessage } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { createPointSink } from '../ingest/create-point-sink.js';
import { createHj212Intake } from '../ingest/hj212-intake/index.js';
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
  /** HJ 212 TCP listener port; undefined when HJ212_TCP_ENABLED=false. */
  readonly hj212TcpPort: number | undefined;
  /** Resolves when every reading accepted so far is confirmed by InfluxDB (tests, demo status). */
  flush(): Promise<void>;
  /**
   * Idempotent. Resolves with the points not written to InfluxDB by the deadline; `durable` says they
   * wait in the spool for the next start rather than being lost.
   */
  stop(): Promise<{ unwritten: number; durable: boolean }>;
  /** The alarm engine when `ALERTING_ENABLED=true` (tests drive it with tick()). */
  readonly alerting?: Alerting;
  /** Heavy-pollution weather when `HEAVY_POLLUTION_ENABLED=true` (needs alerting; tests call tick()). */
  readonly heavyPollution?: HeavyPollution;
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
  let annotations: TransitionAnnotations | undefined;
  if (config.alerting.enabled && config.grafana.url !== undefined && config.grafana.token !== undefined) {
    const failures = new Counter({
      name: 'emissions_grafana_annotation_failures_total',
      help: 'Alarm/warning transitions not annotated in Grafana (failed after retries, or dropped: queue full)',
      labelNames: ['kind', 'reason'],
      registers: [metrics.registry],
    });
    annotations = createTransitionAnnotations({
      url: config.grafana.url,
      token: config.grafana.token,
      timeoutMs: config.grafana.timeoutMs,
      attempts: config.grafana.attempts,
      log: log.child({ component: 'grafana' }),
      onFailure: (kind, reason) => failures.inc({ kind, reason }),
    });
  }
  // InfluxQL reads of the alerting engine (window rebuild on start) and heavy-pollution verification.
  const influxRead = {
    url: config.influx.url,
    ...(config.influx.db !== undefined ? { db: config.influx.db } : {}),
    ...(config.influx.api === 'v1'
      ? {
          ...(config.influx.username !== undefined ? { username: config.influx.username } : {}),
          ...(config.influx.password !== undefined ? { password: config.influx.password } : {}),
        }
      : {}),
  };
  const alerting = config.alerting.enabled
    ? createAlerting(config.alerting, {
        registry,
        influx: influxRead,
        log: log.child({ component: 'alerting' }),
        clock,
        writeLines: (lines) => buffer.enqueue(lines),
        metricsRegistry: metrics.registry,
        ...(annotations ? { annotations } : {}),
      })
    : undefined;
  if (alerting) intake.onReading(alerting.onReading);
  const heavyPollution =
    alerting && config.heavyPollution.enabled
      ? createHeavyPollution({
          config: config.heavyPollution,
          alerting: config.alerting,
          registry,
          engine: alerting.engine,
          outbox: alerting.outbox,
          auth: createAuthenticator(config.alerting.api.tokens),
          influx: influxRead,
          writeLines: (lines) => buffer.enqueue(lines),
          log: log.child({ component: 'heavy-pollution' }),
          now: () => clock.now(),
          ...(annotations ? { annotations } : {}),
        })
      : undefined;
  if (config.heavyPollution.enabled && !alerting)
    log.warn('HEAVY_POLLUTION_ENABLED needs ALERTING_ENABLED=true: heavy-pollution weather is off');
  if (heavyPollution) {
    intake.onReading(heavyPollution.onReading);
    registerWarningMetrics(metrics.registry, () => heavyPollution.warnings());
  }
  const hj212 = createHj212Intake(config.hj212, {
    registry,
    intake,
    metrics,
    log: log.child({ component: 'hj212' }),
    clock,
  });
  const upPayload = createUpPayloadHandler({
    intake,
    timeZone: registry.timeZone,
    maxPayloadBytes: config.mqtt.maxPayloadBytes,
    clock,
    hj212: hj212.mqttDecoder,
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
    plugins: [
      ...(alerting ? [alerting.httpPlugin] : []),
      ...(heavyPollution ? [heavyPollution.httpPlugin] : []),
    ],
  });

  buffer.start();
  await alerting?.start();
  heavyPollution?.start();
  // Production schedule: verification reads agg_hour back, so it runs after the engine's hour close
  // (lateness) plus 5 minutes for the mirror write; the tests set ALERTING_SCHEDULER=manual.
  const hpTask =
    heavyPollution && config.alerting.scheduler === 'cron'
      ? cron.schedule(
          `${(config.alerting.latenessMinutes + 5) % 60} * * * *`,
          () => {
            heavyPollution
              .tick()
              .catch((err: unknown) => log.error({ err: errorMessage(err) }, 'heavy-pollution tick failed'));
          },
          { timezone: registry.timeZone, noOverlap: true, name: 'heavy-pollution' },
        )
      : undefined;
  await broker.start();
  await hj212.start();
  await http.start();
  log.info(
    {
      mqttPort: broker.port,
      httpPort: http.port,
      hj212TcpPort: hj212.tcp?.port,
      influx: writer.describe,
      gateways: registry.entries().length,
    },
    'emissions pipeline started',
  );

  let stopping: Promise<{ unwritten: number; durable: boolean }> | undefined;
  return {
    mqttPort: broker.port,
    httpPort: http.port,
    hj212TcpPort: hj212.tcp?.port,
    flush: () => buffer.flush(),
    alerting,
    heavyPollution,
    stop() {
      stopping ??= (async () => {
        log.info('stopping: no new connections, flushing pending points');
        http.markStopping();
        await hj212.stop();
        await broker.stop();
        await Promise.resolve(hpTask?.destroy()).catch(() => {});
        await heavyPollution?.stop(config.shutdownDeadlineMs);
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
