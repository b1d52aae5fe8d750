import { parseRegistry } from '../../config/registry.js';
import { startWarningStack, WARNING_TOKEN } from './warning-stack.js';

/**
 * Child process for the warning kill -9 test (test/integration/alerting-warning-restart.int.test.ts):
 * declares a warning through the API, prints `issued <id>` (and `delivered <channel>` once a delivery's
 * `sent` is journaled) and idles until killed (the parent kills it
 * while a notification is still in flight). Arguments: one JSON object.
 */
const arg = JSON.parse(process.argv[2] ?? '{}') as {
  stateDir: string;
  registry: unknown;
  dutyUrl: string;
  entUrl: string;
  t0: number;
  region: string;
};
const registry = parseRegistry(arg.registry);
const stack = await startWarningStack({
  ...arg,
  registry,
  now: () => arg.t0,
  onDelivered: (channel) => process.stdout.write(`delivered ${channel}\n`),
});
const res = await stack.app.inject({
  method: 'POST',
  url: '/api/v1/warnings',
  headers: { authorization: `Bearer ${WARNING_TOKEN}` },
  payload: {
    region: arg.region,
    level: 'orange',
    start: arg.t0,
    plannedEnd: arg.t0 + 48 * 3_600_000,
    authority: '测试区重污染天气应急指挥部',
    docNo: '测重污指〔2026〕1号',
  },
});
process.stdout.write(`issued ${(res.json() as { id?: string }).id ?? res.statusCode}\n`);
setInterval(() => {}, 60_000);
