import { Counter, Gauge, type Registry } from 'prom-client';
import { SEVERITIES } from './config.js';
import type { Engine, EngineStats } from './engine.js';
import { LEVELS } from './heavy-pollution/levels.js';
import type { Warning } from './heavy-pollution/warnings.js';
import type { AttemptRecord, Outbox } from './notify/outbox.js';

/**
 * Alerting on `/metrics`, so the monitoring that watches ingest also sees what duty officers depend on:
 * alarms open and unacknowledged, notifications failing (a dead SMTP server or webhook), the outbox
 * backing up, readings the engine dropped as too late. The engine's own counters (`Engine.stats`) are
 * read at scrape time rather than mirrored on every change; delivery attempts are counted as the outbox
 * reports them. Registered on the serve process's registry (cli/serve.ts), next to the ingest metrics.
 */
export interface AlertingMetrics {
  /** Counts one delivery attempt (sent, retry or failed) of a channel. */
  attempt(r: AttemptRecord): void;
}

/** Engine counters exposed as `emissions_alerting_<name>_total`. */
const ENGINE_COUNTERS: ReadonlyArray<{ stat: keyof EngineStats; name: string; help: string }> = [
  { stat: 'readings', name: 'readings', help: 'Readings folded into alarm windows' },
  {
    stat: 'lateDropped',
    name: 'late_readings_dropped',
    help: 'Readings older than the re-open horizon, not judged',
  },
  {
    stat: 'judgements',
    name: 'judgements',
    help: 'Rule judgements applied to the alarm book (hour, day and per-sample rules)',
  },
  {
    stat: 'transitions',
    name: 'transitions',
    help: 'Alarm state transitions (open, escalate, ack, clear, …)',
  },
  { stat: 'notificationsQueued', name: 'notifications_queued', help: 'Notifications handed to the outbox' },
];

export function registerAlertingMetrics(
  registry: Registry,
  source: { engine: Engine; outbox: Outbox },
): AlertingMetrics {
  const { engine, outbox } = source;
  for (const c of ENGINE_COUNTERS) {
    new Counter({
      name: `emissions_alerting_${c.name}_total`,
      help: c.help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(engine.stats[c.stat]);
      },
    });
  }
  const attempts = new Counter({
    name: 'emissions_notification_attempts_total',
    help: 'Notification delivery attempts by channel and outcome (sent, retry = failed and retried later, failed = given up)',
    labelNames: ['channel', 'status'],
    registers: [registry],
  });
  new Gauge({
    name: 'emissions_notification_outbox',
    help: 'Notifications queued, waiting for a retry or in flight',
    registers: [registry],
    collect() {
      this.set(outbox.size);
    },
  });
  new Gauge({
    name: 'emissions_alarms',
    help: 'Alarms not cleared, by state (active = not yet acknowledged) and severity',
    labelNames: ['state', 'severity'],
    registers: [registry],
    collect() {
      for (const state of ['active', 'acknowledged'] as const) {
        const counts = new Map<string, number>(SEVERITIES.map((s) => [s, 0]));
        const { items } = engine.listAlarms({ state: [state], limit: Number.MAX_SAFE_INTEGER, offset: 0 });
        for (const a of items) counts.set(a.severity, (counts.get(a.severity) ?? 0) + 1);
        for (const [severity, n] of counts) this.set({ state, severity }, n);
      }
    },
  });
  return {
    attempt(r) {
      attempts.inc({ channel: r.channelId, status: r.status });
    },
  };
}

/** Heavy-pollution weather warnings in force (`state: 'active'`), by level, read at scrape time. */
export function registerWarningMetrics(registry: Registry, warnings: () => readonly Warning[]): void {
  new Gauge({
    name: 'emissions_heavy_pollution_warnings_active',
    help: 'Heavy-pollution weather warnings in force, by level',
    labelNames: ['level'],
    registers: [registry],
    collect() {
      const counts = new Map<string, number>(LEVELS.map((l) => [l, 0]));
      for (const w of warnings()) {
        if (w.state === 'active') counts.set(w.level, (counts.get(w.level) ?? 0) + 1);
      }
      for (const [level, n] of counts) this.set({ level }, n);
    },
  });
}
