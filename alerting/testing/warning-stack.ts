import Fastify, { type FastifyInstance } from 'fastify';
import type { Registry } from '../../config/registry.js';
import { createLogger } from '../../core/logger.js';
import { createAuthenticator } from '../api/auth.js';
import { alertingConfig } from '../config.js';
import { HeavyPollutionConfig } from '../heavy-pollution/config.js';
import { createHeavyPollution, type HeavyPollution } from '../heavy-pollution/service.js';
import { type Alerting, createAlerting } from '../index.js';

/**
 * Test helper (not used in production): the alarm engine and the heavy-pollution service on one state
 * directory, with two webhook channels (`duty` routed by region, `ent` per affected enterprise) and the
 * warnings API behind Fastify `inject` (no listening socket). Used by warning-child.ts and the
 * warning-restart test; `retryInitialMs` is long so a failed attempt is not retried within a test.
 */
export const WARNING_TOKEN = 'warning-officer-token-0123456789';

export interface WarningStack {
  alerting: Alerting;
  hp: HeavyPollution;
  app: FastifyInstance;
  stop(): Promise<void>;
}

export async function startWarningStack(opts: {
  stateDir: string;
  registry: Registry;
  dutyUrl: string;
  entUrl: string;
  now(): number;
  region: string;
  /** Called after a delivery's `sent` attempt is journaled. */
  onDelivered?: (channelId: string) => void;
}): Promise<WarningStack> {
  const log = createLogger({ level: 'silent' });
  const config = alertingConfig({
    stateDir: opts.stateDir,
    scheduler: 'manual',
    reminderMinutes: 0,
    channels: [
      { id: 'duty', type: 'webhook', url: opts.dutyUrl },
      { id: 'ent', type: 'webhook', url: opts.entUrl },
    ],
    routes: [{ match: { regions: [opts.region] }, channels: ['duty'] }],
    delivery: { retryInitialMs: 60_000, retryMaxMs: 60_000, timeoutMs: 30_000 },
    api: { tokens: [{ name: 'duty', role: 'officer', token: WARNING_TOKEN }] },
  });
  const onDelivered = opts.onDelivered;
  const alerting = createAlerting(config, {
    registry: opts.registry,
    log,
    clock: { now: opts.now },
    ...(onDelivered ? { onDelivered: (job: { channelId: string }) => onDelivered(job.channelId) } : {}),
  });
  await alerting.start();
  const hp = createHeavyPollution({
    config: HeavyPollutionConfig.parse({ enterpriseChannels: ['ent'] }),
    alerting: config,
    registry: opts.registry,
    engine: alerting.engine,
    outbox: alerting.outbox,
    auth: createAuthenticator(config.api.tokens),
    influx: { url: 'http://127.0.0.1:9', timeoutMs: 500 },
    writeLines: async () => {},
    log,
    now: opts.now,
  });
  hp.start();
  const app = Fastify();
  await app.register(hp.httpPlugin);
  await app.ready();
  return {
    alerting,
    hp,
    app,
    async stop() {
      await app.close();
      await hp.stop(1000);
      await alerting.stop(1000);
    },
  };
}
