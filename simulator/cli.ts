import { z } from 'zod';
import { GATEWAY_PROTOCOLS, loadRegistry } from '../config/registry.js';
import { formatIssues } from '../config/zod-issues.js';
import { PipelineError } from '../core/errors.js';
import { parseFlexibleTime, utcToWallTime, wallTimeToUtc } from '../core/local-time.js';
import { HJ212_QUIRKS, parseQuirks, type QuirkSpec, quirkDevices } from './hj212-quirks.js';
import { loadScenario } from './scenario.js';
import { type SimulationOptions, selectEntries } from './simulation.js';

/**
 * Flags of `emissions simulate`, parsed from commander's option record (all strings) into validated
 * SimulationOptions. The command itself is wired by the CLI's composition root; this module only turns
 * text into options and says exactly what is wrong when it cannot.
 */

/** Flag specs for commander: `program.command('simulate')…option(flags, description, default)`. */
export const SIMULATE_FLAGS: readonly { flags: string; description: string; defaultValue?: string }[] = [
  { flags: '--broker <url>', description: 'MQTT broker URL', defaultValue: 'mqtt://127.0.0.1:1883' },
  { flags: '--registry <file>', description: 'site registry YAML (required)' },
  {
    flags: '--interval <seconds>',
    description: 'simulated seconds between real-time readings',
    defaultValue: '60',
  },
  { flags: '--speed <n|max>', description: 'simulated seconds per wall second, or "max"', defaultValue: '1' },
  { flags: '--start <ISO>', description: 'simulated start (default: now, floored to the interval)' },
  {
    flags: '--duration <d>',
    description: 'simulated duration: 3600, 90s, 90m, 24h, 2d (default: until stopped)',
  },
  { flags: '--devices <list>', description: 'comma-separated MNs or outlet ids (default: all)' },
  { flags: '--seed <n>', description: 'random seed; same seed, same data', defaultValue: '1' },
  { flags: '--scenario <file>', description: 'scenario YAML (exceedances, flags, gaps)' },
  { flags: '--report <file>', description: 'ground-truth JSON Lines report' },
  {
    flags: '--protocol <p>',
    description:
      "json-mqtt, hj212-tcp or hj212-mqtt for every gateway (default: each gateway's registry protocol)",
  },
  {
    flags: '--hj212-tcp <host:port>',
    description: "the centre's HJ 212 TCP listener (hj212-tcp gateways)",
    defaultValue: '127.0.0.1:9212',
  },
  {
    flags: '--quirks <list>',
    description: `HJ 212 firmware quirks: quirk or device:quirk, comma-separated (${HJ212_QUIRKS.join(', ')})`,
  },
  {
    flags: '--ambient <pm25-plan>',
    description:
      "also run the registry's ambient stations (ST=22, hourly): PM2.5 daily means in μg/m³, comma-separated, e.g. 60,80,180,220,280",
  },
  {
    flags: '--ambient-start <date>',
    description: 'local day of the first --ambient value (YYYY-MM-DD; default: the day of --start, or today)',
  },
  {
    flags: '--min-interval <minutes>',
    description: 'HJ 212 minute-data interval in simulated minutes (1,2,3,4,5,6,10,12,15,20,30)',
    defaultValue: '10',
  },
];

const UNIT_SECONDS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** "3600" → 3600, "90m" → 5400, "1.5h" → 5400, "2d" → 172800; undefined when malformed or not positive. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([smhd]?)$/.exec(text.trim());
  if (!m) return undefined;
  const seconds = Number(m[1]) * (UNIT_SECONDS[m[2] || 's'] ?? 1);
  return seconds > 0 && Number.isFinite(seconds) ? seconds : undefined;
}

const positive = (what: string) =>
  z
    .string()
    .trim()
    .refine((s) => Number(s) > 0 && Number.isFinite(Number(s)), `${what} must be a positive number`)
    .transform(Number);

const Args = z.object({
  broker: z
    .string()
    .default('mqtt://127.0.0.1:1883')
    .refine(
      (s) => /^(mqtts?|tcp|tls|wss?):\/\/[^\s/]+/.test(s),
      'a broker URL such as mqtt://127.0.0.1:1883',
    ),
  registry: z.string({ error: 'is required (path of the site registry YAML)' }).min(1, 'is required'),
  interval: positive('interval').default(60),
  speed: z
    .string()
    .trim()
    .default('1')
    .refine((s) => s === 'max' || (Number(s) > 0 && Number.isFinite(Number(s))), 'a positive number or "max"')
    .transform((s): number | 'max' => (s === 'max' ? 'max' : Number(s))),
  start: z.string().trim().min(1).optional(),
  duration: z
    .string()
    .optional()
    .refine(
      (s) => s === undefined || parseDuration(s) !== undefined,
      'a duration such as 3600, 90m, 24h or 2d',
    )
    .transform((s) => (s === undefined ? undefined : parseDuration(s))),
  devices: z
    .string()
    .optional()
    .transform((s) =>
      s
        ?.split(',')
        .map((d) => d.trim())
        .filter(Boolean),
    ),
  seed: z
    .string()
    .trim()
    .default('1')
    .refine((s) => /^-?\d+$/.test(s) && Number.isSafeInteger(Number(s)), 'an integer')
    .transform(Number),
  scenario: z.string().min(1).optional(),
  report: z.string().min(1).optional(),
  protocol: z.enum(GATEWAY_PROTOCOLS).optional(),
  /** commander camel-cases --hj212-tcp and --min-interval. */
  hj212Tcp: z
    .string()
    .trim()
    .default('127.0.0.1:9212')
    .refine(
      (s) => /^[^\s:]+:\d{1,5}$/.test(s) && Number(s.slice(s.lastIndexOf(':') + 1)) <= 65535,
      'host:port',
    )
    .transform((s) => ({
      host: s.slice(0, s.lastIndexOf(':')),
      port: Number(s.slice(s.lastIndexOf(':') + 1)),
    })),
  quirks: z.string().optional(),
  ambient: z
    .string()
    .optional()
    .refine(
      (s) => s === undefined || s.split(',').every((x) => Number(x) >= 0 && x.trim() !== ''),
      'PM2.5 daily means, comma-separated non-negative numbers',
    )
    .transform((s) => s?.split(',').map(Number)),
  ambientStart: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, 'a local date YYYY-MM-DD')
    .optional(),
  minInterval: z
    .string()
    .trim()
    .default('10')
    .refine(
      (s) => ['1', '2', '3', '4', '5', '6', '10', '12', '15', '20', '30'].includes(s),
      'one of 1,2,3,4,5,6,10,12,15,20,30',
    )
    .transform(Number),
});

/**
 * Validates the flags, loads the registry and the scenario, checks the device list against the
 * registry. Throws a PipelineError (CFG_INVALID, CFG_REGISTRY_INVALID, CFG_FILE_UNREADABLE) whose
 * message lists every problem found at that stage.
 */
export function parseSimulateArgs(opts: Record<string, string | undefined>): SimulationOptions {
  // Commander leaves absent options undefined; drop them so zod defaults apply.
  const present = Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined));
  const parsed = Args.safeParse(present);
  if (!parsed.success) {
    const issues = formatIssues(parsed.error).map((line) => `--${line}`);
    throw new PipelineError('CFG_INVALID', `simulate: invalid options:\n  ${issues.join('\n  ')}`, {
      issues,
    });
  }
  const a = parsed.data;
  const registry = loadRegistry(a.registry);
  const issues: string[] = [];
  let start: Date | undefined;
  if (a.start !== undefined) {
    start = parseFlexibleTime(a.start, registry.timeZone);
    if (!start) issues.push(`--start: "${a.start}" is not an ISO 8601 time`);
  }
  if (a.devices !== undefined) {
    try {
      selectEntries(registry, a.devices);
    } catch (err) {
      issues.push(`--${(err as Error).message}`);
    }
  }
  let quirks: QuirkSpec | undefined;
  if (a.quirks !== undefined) {
    const parsedQuirks = parseQuirks(a.quirks);
    if (!parsedQuirks.ok) issues.push(...parsedQuirks.problems.map((p) => `--quirks: ${p}`));
    else {
      quirks = parsedQuirks.spec;
      try {
        selectEntries(registry, quirkDevices(quirks));
      } catch (err) {
        issues.push(`--quirks: ${(err as Error).message}`);
      }
    }
  }
  if (a.ambient !== undefined && registry.stations().length === 0)
    issues.push('--ambient: the registry has no ambientStations');
  if (issues.length > 0) {
    throw new PipelineError('CFG_INVALID', `simulate: invalid options:\n  ${issues.join('\n  ')}`, {
      issues,
    });
  }
  const scenario = a.scenario
    ? loadScenario(a.scenario, { timeZone: registry.timeZone, registry })
    : undefined;
  return {
    brokerUrl: a.broker,
    registry,
    intervalSec: a.interval,
    speed: a.speed,
    seed: a.seed,
    ...(start && { start }),
    ...(a.duration !== undefined && { durationSec: a.duration }),
    ...(a.devices !== undefined && a.devices.length > 0 && { devices: a.devices }),
    ...(scenario && { scenario }),
    ...(a.report && { reportPath: a.report }),
    ...(a.protocol !== undefined && { protocol: a.protocol }),
    hj212Tcp: a.hj212Tcp,
    minIntervalMin: a.minInterval,
    ...(quirks && { quirks }),
    ...(a.ambient !== undefined && {
      ambient: {
        start: ambientStart(a.ambientStart, start, registry.timeZone),
        pm25: a.ambient,
        seed: a.seed,
      },
    }),
  };
}

/** Local midnight of `date` (YYYY-MM-DD), else of the simulated start's (or today's) local day. */
function ambientStart(date: string | undefined, start: Date | undefined, zone: string): number {
  const w = date
    ? (() => {
        const [year, month, day] = date.split('-').map(Number) as [number, number, number];
        return { year, month, day };
      })()
    : utcToWallTime((start ?? new Date()).getTime(), zone);
  return wallTimeToUtc({ year: w.year, month: w.month, day: w.day, hour: 0, minute: 0, second: 0 }, zone);
}
