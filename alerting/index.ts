import type { FastifyPluginAsync } from 'fastify';
import cron, { type ScheduledTask } from 'node-cron';
import type { Registry as MetricsRegistry } from 'prom-client';
import type { Registry, SiteEntry } from '../config/registry.js';
import type { Clock } from '../core/clock.js';
import { errorMessage } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { type InfluxQueryTarget, influxQuery, quoteString, seriesRows } from '../ingest/influx-query.js';
import type { Reading } from '../ingest/reading.js';
import { createAuthenticator } from './api/auth.js';
import { createAlarmApiPlugin } from './api/plugin.js';
import type { AlertingConfig } from './config.js';
import { createEngine, type Engine, type StoredSample } from './engine.js';
import { type AlertingMetrics, registerAlertingMetrics } from './metrics.js';
import { type Channel, createChannel } from './notify/channels.js';
import type { TransitionAnnotations } from './notify/grafana.js';
import { createOutbox, type DeliveryJob, type Outbox } from './notify/outbox.js';
import { loadStandardsLibrary, type StandardsLibrary } from './standards/library.js';
import { type Journal, openJournal } from './store/journal.js';
import { createMirror, type Mirror } from './store/mirror.js';

/**
 * Exceedance alarms (超标报警): `createAlerting(config, deps) → { start, stop, httpPlugin, onReading }`.
 * Wired into cli/serve.ts after the intake (intake.onReading(alerting.onReading)) and into the HTTP
 * server as a plugin. Tests and benches drive it with `scheduler: 'manual'` and `tick(now)` on an
 * injected clock; production uses node-cron (hour close + lateness, day close, every minute for
 * escalations, reminders and re-judging late data).
 */
export interface AlertingDeps {
  registry: Registry;
  log: Logger;
  clock: Clock;
  /** Where agg_hour/agg_day/alarm_event/quality_signal lines go (serve: the ingest write buffer). */
  writeLines?: (lines: readonly string[]) => Promise<void>;
  /** Pre-loaded library (tests); default: load `config.standardsDir`. */
  standards?: StandardsLibrary;
  /** Alarm ids (tests); default random UUIDs. */
  newId?: () => string;
  /** Called after each successful delivery (bench, tests). */
  onDelivered?: (job: DeliveryJob) => void;
  /** Grafana annotations of transitions (serve: when GRAFANA_URL and GRAFANA_TOKEN are set). */
  annotations?: TransitionAnnotations;
  /**
   * InfluxDB holding `emission_rtd` / `emission_minute` (serve: the ingest database): on start the
   * windows open at the last stop are rebuilt from it. Without it, windows start empty after a restart.
   */
  influx?: InfluxQueryTarget;
  /** Background retries of a failed rebuild (default 5, first after 2 s, doubling). */
  rebuildRetry?: { attempts: number; initialMs: number };
  /** Where the alerting metrics are registered (serve: the `/metrics` registry); none without it. */
  metricsRegistry?: MetricsRegistry;
}

/** Samples of one outlet in [from, to) from emission_rtd and emission_minute (one page: one hour). */
export async function loadStoredSamples(
  influx: InfluxQueryTarget,
  outletId: string,
  from: number,
  to: number,
): Promise<StoredSample[]> {
  const where = `WHERE "outlet" = ${quoteString(outletId)} AND time >= ${from}ms AND time < ${to}ms GROUP BY "pollutant"`;
  const q = ['emission_rtd', 'emission_minute']
    .map((m) => `SELECT "value","flag" FROM "${m}" ${where} LIMIT 100000`)
    .join('; ');
  const out: StoredSample[] = [];
  for (const statement of await influxQuery(influx, q)) {
    for (const r of seriesRows(statement)) {
      out.push({
        t: Number(r.time),
        code: String(r.pollutant),
        value: typeof r.value === 'number' ? r.value : undefined,
        flag: typeof r.flag === 'string' ? r.flag : undefined,
      });
    }
  }
  return out;
}

export interface Alerting {
  start(): Promise<void>;
  /** Idempotent; stops schedules, lets in-flight deliveries finish within the deadline, closes the journal. */
  stop(deadlineMs?: number): Promise<void>;
  readonly httpPlugin: FastifyPluginAsync;
  readonly onReading: (reading: Reading, site: SiteEntry) => void;
  /** Judges every window due at `now`, runs escalations and reminders. */
  tick(now?: number): { hoursJudged: number; daysJudged: number; transitions: number };
  /** Resolves when notifications queued so far are delivered (or failed) and mirror lines are written. */
  flush(): Promise<void>;
  readonly engine: Engine;
  /** Resolves when the start-time window rebuild (including background retries) has finished. */
  rebuilt(): Promise<void>;
  /** The notification outbox (heavy-pollution warnings are delivered through the same channels). */
  readonly outbox: Outbox;
}

export function createAlerting(config: AlertingConfig, deps: AlertingDeps): Alerting {
  const log = deps.log;
  const library = deps.standards ?? loadStandardsLibrary(config.standardsDir);
  const now = () => deps.clock.now();
  const channels = new Map<string, Channel>();
  for (const c of config.channels) {
    const ch: Parameters<typeof createChannel>[1] = { now };
    if (config.smtp) ch.smtp = config.smtp;
    channels.set(c.id, createChannel(c, ch));
  }
  const mirror: Mirror | undefined = deps.writeLines
    ? createMirror({ write: deps.writeLines, log: log.child({ part: 'mirror' }) })
    : undefined;

  // The journal is opened in start(); the engine only needs it from then on.
  let journal: Journal | undefined;
  const journalProxy: Journal = {
    get path() {
      return journal?.path ?? '';
    },
    append(records) {
      if (!journal) throw new Error('alerting not started');
      journal.append(records);
    },
    close() {
      journal?.close();
    },
  };
  let engineRef: Engine | undefined;
  let metrics: AlertingMetrics | undefined;
  const outboxOpts: Parameters<typeof createOutbox>[0] = {
    channels,
    ...config.delivery,
    now,
    log: log.child({ part: 'outbox' }),
    record: (r) => {
      metrics?.attempt(r);
      try {
        engineRef?.recordAttempt(r);
      } catch (err) {
        log.error({ err: errorMessage(err), delivery: r.id }, 'could not journal a delivery attempt');
      }
    },
  };
  if (deps.onDelivered) outboxOpts.onSent = deps.onDelivered;
  const outbox: Outbox = createOutbox(outboxOpts);
  const engineDeps: Parameters<typeof createEngine>[0] = {
    config,
    registry: deps.registry,
    library,
    log,
    now,
    journal: journalProxy,
    outbox,
  };
  if (mirror) engineDeps.mirror = mirror;
  if (deps.newId) engineDeps.newId = deps.newId;
  if (deps.annotations) engineDeps.annotations = deps.annotations;
  const engine = createEngine(engineDeps);
  engineRef = engine;
  if (deps.metricsRegistry) metrics = registerAlertingMetrics(deps.metricsRegistry, { engine, outbox });

  const tasks: ScheduledTask[] = [];
  let retryTimer: NodeJS.Timeout | undefined;
  let rebuildDone: () => void = () => {};
  const rebuiltPromise = new Promise<void>((r) => {
    rebuildDone = r;
  });
  let started = false;
  let stopping: Promise<void> | undefined;

  /**
   * Rebuilds open windows from InfluxDB before readings are folded in. If InfluxDB cannot be read the
   * windows are `restored: partial`, not judged while a bounded background retry is pending.
   */
  async function rebuild(
    lastTickAt: number | undefined,
  ): Promise<{ rebuiltHours?: number; rebuild?: string }> {
    const influx = deps.influx;
    if (!influx) {
      rebuildDone();
      return {};
    }
    const load = (outlet: string, from: number, to: number) => loadStoredSamples(influx, outlet, from, to);
    try {
      const r = await engine.rebuildWindows(load, lastTickAt, now());
      rebuildDone();
      return { rebuiltHours: r.hours };
    } catch (err) {
      log.warn(
        { code: 'ALR_REBUILD_PARTIAL', err: errorMessage(err) },
        'could not rebuild open windows from InfluxDB: restored partially, retrying in the background',
      );
      engine.holdPartial = true;
      const retry = deps.rebuildRetry ?? { attempts: 5, initialMs: 2000 };
      let attempt = 0;
      const again = () => {
        attempt++;
        retryTimer = undefined;
        engine
          .rebuildWindows(load, lastTickAt, now())
          .then((r) => {
            engine.holdPartial = false;
            rebuildDone();
            log.info({ hours: r.hours, attempt }, 'open windows rebuilt from InfluxDB');
          })
          .catch((e: unknown) => {
            if (attempt >= retry.attempts || stopping) {
              engine.holdPartial = false;
              rebuildDone();
              log.warn(
                { code: 'ALR_REBUILD_PARTIAL', err: errorMessage(e), attempts: attempt },
                'gave up rebuilding open windows: they are judged with the data received since start',
              );
              return;
            }
            retryTimer = setTimeout(again, retry.initialMs * 2 ** attempt);
            retryTimer.unref();
          });
      };
      retryTimer = setTimeout(again, retry.initialMs);
      retryTimer.unref();
      return { rebuild: 'partial' };
    }
  }

  function tick(at?: number) {
    try {
      return engine.tick(at ?? now());
    } catch (err) {
      // A journal write failure must not kill the scheduler: logged, retried on the next tick.
      log.error({ err: errorMessage(err) }, 'alerting tick failed');
      return { hoursJudged: 0, daysJudged: 0, transitions: 0 };
    }
  }

  return {
    engine,
    outbox,
    rebuilt: () => rebuiltPromise,
    httpPlugin: createAlarmApiPlugin({
      engine,
      auth: createAuthenticator(config.api.tokens),
      language: config.language,
    }),
    onReading(reading, site) {
      if (!started || stopping) return;
      try {
        engine.onReading(reading, site);
      } catch (err) {
        log.error({ err: errorMessage(err), mn: reading.mn }, 'alerting could not process a reading');
      }
    },
    tick,
    async start() {
      if (started) return;
      const opened = openJournal(config.stateDir, log);
      journal = opened.journal;
      const restored = engine.restore(opened.replay);
      const rebuilt = await rebuild(opened.replay.lastTickAt);
      started = true;
      if (config.scheduler === 'cron') {
        const lateMin = config.latenessMinutes;
        const opts = { timezone: deps.registry.timeZone, noOverlap: true };
        const run = () => {
          tick();
        };
        // hour close + lateness; day close + lateness; every minute: escalations, reminders, late data.
        tasks.push(cron.schedule(`${lateMin % 60} * * * *`, run, { ...opts, name: 'alerting-hour-close' }));
        tasks.push(
          cron.schedule(`${lateMin % 60} ${Math.floor(lateMin / 60) % 24} * * *`, run, {
            ...opts,
            name: 'alerting-day-close',
          }),
        );
        tasks.push(cron.schedule('* * * * *', run, { ...opts, name: 'alerting-escalations' }));
      }
      log.info(
        {
          journal: opened.journal.path,
          records: opened.replay.records,
          skipped: opened.replay.skipped,
          ...restored,
          ...rebuilt,
          channels: channels.size,
          routes: config.routes.length,
          standards: library.sets.size,
          scheduler: config.scheduler,
        },
        'alerting started',
      );
    },
    async flush() {
      await outbox.idle();
      await mirror?.flush();
      await deps.annotations?.idle();
    },
    stop(deadlineMs = 10_000) {
      stopping ??= (async () => {
        clearTimeout(retryTimer);
        rebuildDone();
        for (const t of tasks.splice(0)) await Promise.resolve(t.destroy()).catch(() => {});
        await outbox.stop(deadlineMs);
        await mirror?.stop(deadlineMs);
        journal?.close();
        started = false;
      })();
      return stopping;
    },
  };
}

export type { AlertingConfig } from './config.js';
