import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { errorMessage, PipelineError } from '../core/errors.js';
import { formatIssues } from './zod-issues.js';

/**
 * The site registry: enterprises → outlets → gateways, and what each outlet measures. It is the
 * centre's source of truth for device identity (MN + password), the tags stored with every point, and
 * (later) limits, grades and contacts.
 */

/** Source types known to the simulator's value profiles and the standards library. */
export const SOURCE_TYPES = [
  'coal-power', // coal-fired power unit, ultra-low emission (GB 13223-2011 + 超低排放)
  'coal-boiler', // industrial coal-fired boiler (GB 13271-2014)
  'gas-boiler', // gas-fired boiler (GB 13271-2014)
  'oil-boiler',
  'cement-kiln', // cement kiln tail (GB 4915-2013)
  'cement-grinding', // cement mills, crushers, packers: PM only
  'incinerator', // MSW incineration (GB 18485-2014)
  'municipal-wwtp', // municipal wastewater treatment plant effluent (GB 18918-2002)
  'industrial-wastewater', // industrial outfall (GB 8978-1996 or an industry standard)
] as const;
export type SourceType = (typeof SOURCE_TYPES)[number];

export const GATEWAY_PROTOCOLS = ['json-mqtt', 'hj212-mqtt', 'hj212-tcp'] as const;
export type GatewayProtocol = (typeof GATEWAY_PROTOCOLS)[number];

const Id = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lower-case letters, digits and "-", starting with a letter or digit');

/** HJ 212 codes: a21026, w01018, 2005-style 011/B01 are mapped by the HJ 212 intake, so 2017 form here. */
const PollutantCode = z
  .string()
  .regex(/^[a-z][0-9a-z]{2,7}$/, 'an HJ 212-2017 code such as a21026 or w01018');

export const RegistryPollutant = z.strictObject({
  code: PollutantCode,
  /** Concentration unit of Rtd/Avg/Min/Max as the gateway sends it, e.g. mg/m3, mg/L, ug/L, %, L/s. */
  unit: z.string().min(1),
});

export const RegistryGateway = z.strictObject({
  /** HJ 212 MN. The standard says 24 hex chars; real devices use 14–24 chars (hj212.md §8.9). */
  mn: z.string().regex(/^[0-9A-Za-z_-]{6,32}$/, '6–32 letters, digits, "_" or "-"'),
  /** Device password: MQTT password and HJ 212 PW. Treated as a secret: never logged. */
  password: z.string().min(6, 'at least 6 characters (HJ 212 PW is 6)'),
  protocol: z.enum(GATEWAY_PROTOCOLS).default('json-mqtt'),
  /**
   * HJ 212 CRC policy for this gateway, overriding HJ212_CRC_POLICY: `lenient` for firmware known to send
   * the MODBUS low-byte-first CRC (hj212.md §2.2), `off` to accept any CRC (README "HJ 212").
   */
  crcPolicy: z.enum(['strict', 'lenient', 'off']).optional(),
});

/** A permit / local-standard limit for one pollutant (alerting; regulations.md §3.1 note, R11). */
export const RegistryLimitOverride = z.strictObject({
  code: PollutantCode,
  /** Upper limit, in `unit`. */
  max: z.number().positive().optional(),
  /** Lower limit (pH). */
  min: z.number().optional(),
  unit: z.string().min(1),
  /** Where the value comes from, e.g. "排污许可证 91330100…" or "DB33/ 2147-2018 表1". */
  source: z.string().min(1),
  /** hour (flue gas default) or day (wastewater default). */
  averaging: z.enum(['hour', 'day']).optional(),
});

export const RegistryContact = z.strictObject({
  name: z.string().min(1),
  role: z.string().optional(),
  phone: z.string().optional(),
  email: z.string().optional(),
});

export const RegistryOutlet = z.strictObject({
  id: Id,
  name: z.string().min(1),
  medium: z.enum(['gas', 'water']),
  sourceType: z.enum(SOURCE_TYPES),
  gateway: RegistryGateway,
  pollutants: z.array(RegistryPollutant).min(1),
  /** Standards-library limit set (config/standards), e.g. gb13271-2014/new/gas; default by sourceType. */
  limitSet: z.string().min(1).optional(),
  /** Reference O2 % (基准含氧量) overriding the limit set's (regulations.md §2). */
  referenceO2: z.number().min(0).lt(21).optional(),
  /** Permit or local-standard limits overriding the limit set per pollutant (regulations.md R11). */
  limits: z.array(RegistryLimitOverride).optional(),
});

export const RegistryEnterprise = z.strictObject({
  id: Id,
  name: z.string().min(1),
  region: z.string().min(1),
  industry: z.string().min(1).optional(),
  outlets: z.array(RegistryOutlet).min(1),
  /** Enterprise contacts (环保负责人 …); e-mail channels may copy them (alerting routing). */
  contacts: z.array(RegistryContact).optional(),
  /** 绩效分级 performance grade (heavy-pollution weather, regulations.md §6.2); none = not affected. */
  grade: z.enum(['A', 'B', 'C', 'D', 'leading']).optional(),
  /**
   * Measures during a warning overriding the grade defaults (alerting/heavy-pollution/measures.ts):
   * per level, for one outlet (`outlet`) or every outlet of the enterprise (no `outlet`).
   */
  measures: z
    .array(
      z.strictObject({
        level: z.enum(['yellow', 'orange', 'red']),
        outlet: Id.optional(),
        type: z.enum(['stop', 'limit', 'cap', 'self']),
        /** limit: % of the baseline load; cap: % of the concentration limit. */
        percent: z.number().min(0).max(100).optional(),
      }),
    )
    .optional(),
});

/**
 * An ambient air-quality station (环境空气质量监测站, HJ 212 ST=22 or JSON) feeding the AQI
 * (alerting/heavy-pollution). Its gateway authenticates like an outlet's; readings are stored with
 * `medium=ambient`, the station id as `outlet` and `enterprise`.
 */
export const RegistryAmbientStation = z.strictObject({
  id: Id,
  name: z.string().min(1),
  region: z.string().min(1),
  gateway: RegistryGateway,
  /** AQI codes a34004 a34002 a21026 a21004 a21005 a05024 in ug/m3 (CO mg/m3) (reference/aqi.md). */
  pollutants: z.array(RegistryPollutant).min(1),
});
export type RegistryAmbientStation = z.infer<typeof RegistryAmbientStation>;

export const RegistryFile = z.strictObject({
  version: z.literal(1),
  /** IANA zone in which gateways' DataTime is written; HJ 212 has no zone on the wire. */
  timeZone: z.string().default('Asia/Shanghai'),
  enterprises: z.array(RegistryEnterprise).min(1),
  ambientStations: z.array(RegistryAmbientStation).optional(),
});

/**
 * Identity clashes (duplicate ids, MNs, codes). Runs on the raw document, even when other fields are
 * invalid, so one error lists every problem at once; malformed parts are simply skipped here.
 */
function duplicateIssues(doc: unknown): string[] {
  const issues: string[] = [];
  const seen = new Map<string, string>();
  const claim = (kind: string, key: unknown, path: string) => {
    if (typeof key !== 'string') return;
    const where = seen.get(`${kind}:${key}`);
    if (where) issues.push(`${path}: duplicate ${kind} "${key}" (also at ${where})`);
    else seen.set(`${kind}:${key}`, path);
  };
  const list = (v: unknown): Record<string, unknown>[] =>
    Array.isArray(v)
      ? v.filter((x): x is Record<string, unknown> => typeof x === 'object' && x !== null)
      : [];
  const enterprises =
    typeof doc === 'object' && doc !== null ? (doc as Record<string, unknown>).enterprises : undefined;
  list(enterprises).forEach((ent, e) => {
    claim('enterprise id', ent.id, `enterprises.${e}.id`);
    list(ent.outlets).forEach((out, o) => {
      const at = `enterprises.${e}.outlets.${o}`;
      claim('outlet id', out.id, `${at}.id`);
      const gateway = out.gateway as Record<string, unknown> | undefined;
      claim('gateway MN', gateway?.mn, `${at}.gateway.mn`);
      const codes = new Set<unknown>();
      list(out.pollutants).forEach((p, i) => {
        if (codes.has(p.code))
          issues.push(`${at}.pollutants.${i}.code: duplicate pollutant "${String(p.code)}"`);
        codes.add(p.code);
      });
    });
  });
  const stations =
    typeof doc === 'object' && doc !== null ? (doc as Record<string, unknown>).ambientStations : undefined;
  list(stations).forEach((st, i) => {
    claim('outlet id', st.id, `ambientStations.${i}.id`);
    claim(
      'gateway MN',
      (st.gateway as Record<string, unknown> | undefined)?.mn,
      `ambientStations.${i}.gateway.mn`,
    );
  });
  return issues;
}

export type RegistryFile = z.infer<typeof RegistryFile>;
export type RegistryEnterprise = z.infer<typeof RegistryEnterprise>;
export type RegistryOutlet = z.infer<typeof RegistryOutlet>;
export type RegistryGateway = z.infer<typeof RegistryGateway>;

/** What the pipeline knows about one gateway, found by MN. */
export interface SiteEntry {
  enterprise: RegistryEnterprise;
  outlet: RegistryOutlet;
  gateway: RegistryGateway;
  /** Codes this outlet is configured to measure. */
  pollutantCodes: ReadonlySet<string>;
  /** Set for ambient air-quality stations (not part of entries(): no emission rules apply). */
  station?: RegistryAmbientStation;
}

export interface Registry {
  readonly file: Readonly<RegistryFile>;
  readonly timeZone: string;
  findByMn(mn: string): SiteEntry | undefined;
  entries(): readonly SiteEntry[];
  /** Ambient air-quality stations (found by findByMn too). */
  stations(): readonly SiteEntry[];
}

/** Validates a parsed registry document; throws one CFG_REGISTRY_INVALID error listing every issue. */
export function parseRegistry(doc: unknown, source = 'registry'): Registry {
  const parsed = RegistryFile.safeParse(doc);
  const issues = [...(parsed.success ? [] : formatIssues(parsed.error)), ...duplicateIssues(doc)];
  if (!parsed.success || issues.length > 0) {
    throw new PipelineError('CFG_REGISTRY_INVALID', `${source} is invalid:\n  ${issues.join('\n  ')}`, {
      issues,
    });
  }
  if (!isValidTimeZone(parsed.data.timeZone)) {
    // Checked after the schema: Intl is the only authority on zone names.
    throw new PipelineError('CFG_REGISTRY_INVALID', `${source} is invalid:\n  timeZone: unknown time zone`);
  }
  return buildRegistry(deepFreeze(parsed.data));
}

export function loadRegistry(path: string): Registry {
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new PipelineError('CFG_FILE_UNREADABLE', `cannot read registry ${path}: ${errorMessage(err)}`);
  }
  return parseRegistry(doc, path);
}

function buildRegistry(file: RegistryFile): Registry {
  const byMn = new Map<string, SiteEntry>();
  for (const enterprise of file.enterprises) {
    for (const outlet of enterprise.outlets) {
      byMn.set(outlet.gateway.mn, {
        enterprise,
        outlet,
        gateway: outlet.gateway,
        pollutantCodes: new Set(outlet.pollutants.map((p) => p.code)),
      });
    }
  }
  const all = Object.freeze([...byMn.values()]);
  const stations: SiteEntry[] = [];
  for (const station of file.ambientStations ?? []) {
    // A station is stored like an outlet (site tags) with medium "ambient". The outlet type only knows
    // gas | water, and widening it would touch every emission rule; stations never reach those rules
    // (they are not in entries()), so the wider value is confined to the tags.
    const outlet = {
      id: station.id,
      name: station.name,
      medium: 'ambient' as string as RegistryOutlet['medium'],
      sourceType: 'ambient-station' as string as SourceType,
      gateway: station.gateway,
      pollutants: station.pollutants,
    } as RegistryOutlet;
    const enterprise = { id: station.id, name: station.name, region: station.region, outlets: [outlet] };
    const entry: SiteEntry = {
      enterprise: deepFreeze(enterprise),
      outlet: deepFreeze(outlet),
      gateway: station.gateway,
      pollutantCodes: new Set(station.pollutants.map((p) => p.code)),
      station,
    };
    byMn.set(station.gateway.mn, entry);
    stations.push(entry);
  }
  const frozenStations = Object.freeze(stations);
  return {
    file,
    timeZone: file.timeZone,
    findByMn: (mn) => byMn.get(mn),
    entries: () => all,
    stations: () => frozenStations,
  };
}

export function isValidTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
