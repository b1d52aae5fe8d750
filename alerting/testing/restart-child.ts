import { parseRegistry } from '../../config/registry.js';
import { createLogger } from '../../core/logger.js';
import { alertingConfig } from '../config.js';
import { createAlerting } from '../index.js';
import { rtdReading } from './harness.js';

/**
 * Child process for the kill -9 test (test/integration/alerting-restart.int.test.ts): opens an alarm,
 * waits until its notification is delivered, prints `opened <id>` and then idles until killed.
 * Arguments: one JSON object { stateDir, registry, hookUrl, t0 }.
 */
const arg = JSON.parse(process.argv[2] ?? '{}') as {
  stateDir: string;
  registry: unknown;
  hookUrl: string;
  t0: number;
  mn: string;
};
const registry = parseRegistry(arg.registry);
let now = arg.t0;
const alerting = createAlerting(
  alertingConfig({
    stateDir: arg.stateDir,
    scheduler: 'manual',
    reminderMinutes: 0,
    channels: [{ id: 'hook', type: 'webhook', url: arg.hookUrl }],
    routes: [{ channels: ['hook'] }],
  }),
  { registry, log: createLogger({ level: 'silent' }), clock: { now: () => now } },
);
await alerting.start();
const site = registry.findByMn(arg.mn);
if (!site) throw new Error('unknown MN');
for (let m = 0; m < 60; m++) {
  now = arg.t0 + m * 60_000;
  alerting.onReading(rtdReading(arg.mn, now, { a21026: { rtd: 60 }, a19001: { rtd: 9 } }), site);
}
now = arg.t0 + 75 * 60_000;
alerting.tick(now);
await alerting.flush();
const [alarm] = alerting.engine.listAlarms({ limit: 1, offset: 0 }).items;
process.stdout.write(`opened ${alarm?.id ?? 'none'}\n`);
// Idle until SIGKILL: the parent simulates a crash in the middle of the episode.
setInterval(() => {}, 60_000);
