/**
 * Scenario files: deliberate deviations injected into the simulated data (exceedances, instrument
 * flags, gaps), so that alarm and data-quality rules can be exercised end to end.
 *
 * Format (YAML):
 *
 * ```yaml
 * version: 1                      # optional
 * rules:
 *   - outlet: hn-power-unit1      # optional: registry outlet id …
 *     mn: 010000A8900016F000169DC0  # … and/or gateway MN; neither = every gateway
 *     code: a21026                # pollutant code, or "*" for every code of the outlet
 *     from: 2026-11-23T10:00:00+08:00   # inclusive; without an offset = registry time zone
 *     to: 2026-11-23T12:00:00+08:00     # exclusive
 *     multiply: 3                 # value × 3            (applied in this order:
 *     add: 5                      # value + 5              value → multiply → add → flag → drop)
 *     value: 80                   # replace the value (adds the code if the outlet lacks it)
 *     flag: C                     # data flag to send: N F M S D C T B (HJ 212 §6.6.4)
 *     drop: true                  # do not send this code (a gap); all codes dropped = no message
 *     note: SO2 exceedance for the R1 test   # free text, ignored
 * ```
 *
 * Every rule needs at least one of value, multiply, add, flag, drop. Rules apply in file order, so a
 * later rule sees the result of an earlier one. Results of multiply/add are rounded to the code's wire
 * precision; `value` is sent exactly as written (it may be negative or zero on purpose: the data-quality
 * rules must see such values). Time windows are data-time windows, independent of the speed of the run.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { Registry } from '../config/registry.js';
import { formatIssues } from '../config/zod-issues.js';
import { errorMessage, PipelineError } from '../core/errors.js';
import { parseFlexibleTime } from '../core/local-time.js';

const CODE_OR_ALL = /^(\*|[a-z][0-9a-z]{2,7})$/;
/** Same grammar as the ingest's JSON payload accepts, so a scenario cannot produce an unparseable flag. */
const FLAG = /^[A-Za-z0-9]{1,4}$/;

const RuleSchema = z.strictObject({
  outlet: z.string().min(1).optional(),
  mn: z.string().min(1).optional(),
  code: z.string().regex(CODE_OR_ALL, 'a pollutant code such as a21026, or "*"'),
  from: z.string().min(1),
  to: z.string().min(1),
  value: z.number().refine(Number.isFinite, 'must be a finite number').optional(),
  multiply: z.number().refine(Number.isFinite, 'must be a finite number').optional(),
  add: z.number().refine(Number.isFinite, 'must be a finite number').optional(),
  flag: z.string().regex(FLAG, 'a data flag such as N, M, C, D, T').optional(),
  drop: z.boolean().optional(),
  note: z.string().optional(),
});

const ScenarioSchema = z.strictObject({
  version: z.literal(1).optional(),
  rules: z.array(RuleSchema),
});

/** A compiled rule: times resolved to epoch ms. */
export interface ScenarioRule {
  outlet?: string;
  mn?: string;
  code: string;
  fromMs: number;
  toMs: number;
  value?: number;
  multiply?: number;
  add?: number;
  flag?: string;
  drop?: boolean;
}

export interface Scenario {
  readonly rules: readonly ScenarioRule[];
}

export interface ScenarioContext {
  /** Zone for times written without an offset (the registry's). */
  timeZone: string;
  /** When given, outlet ids and MNs must exist in it. */
  registry?: Registry;
}

/** Validates a parsed scenario document; throws one CFG_INVALID error listing every issue with its path. */
export function parseScenario(doc: unknown, ctx: ScenarioContext, source = 'scenario'): Scenario {
  const fail = (issues: string[]): never => {
    throw new PipelineError('CFG_INVALID', `${source} is invalid:\n  ${issues.join('\n  ')}`, { issues });
  };
  const parsed = ScenarioSchema.safeParse(doc);
  if (!parsed.success) return fail(formatIssues(parsed.error));

  const issues: string[] = [];
  const outletIds = new Set<string>();
  const mns = new Set<string>();
  for (const e of ctx.registry?.entries() ?? []) {
    outletIds.add(e.outlet.id);
    mns.add(e.gateway.mn);
  }
  const rules: ScenarioRule[] = [];
  parsed.data.rules.forEach((r, i) => {
    const at = (field: string) => `rules.${i}.${field}`;
    const from = parseFlexibleTime(r.from, ctx.timeZone);
    const to = parseFlexibleTime(r.to, ctx.timeZone);
    if (!from) issues.push(`${at('from')}: "${r.from}" is not an ISO 8601 time`);
    if (!to) issues.push(`${at('to')}: "${r.to}" is not an ISO 8601 time`);
    if (from && to && from.getTime() >= to.getTime()) issues.push(`${at('to')}: must be after from`);
    const hasAction =
      r.value !== undefined ||
      r.multiply !== undefined ||
      r.add !== undefined ||
      r.flag !== undefined ||
      r.drop;
    if (!hasAction) issues.push(`rules.${i}: needs at least one of value, multiply, add, flag, drop`);
    if (r.value !== undefined && r.code === '*')
      issues.push(`${at('value')}: cannot set one value for code "*"`);
    if (ctx.registry) {
      if (r.outlet !== undefined && !outletIds.has(r.outlet))
        issues.push(`${at('outlet')}: unknown outlet "${r.outlet}"`);
      if (r.mn !== undefined && !mns.has(r.mn)) issues.push(`${at('mn')}: unknown gateway MN "${r.mn}"`);
      if (r.outlet !== undefined && r.mn !== undefined) {
        const entry = ctx.registry.findByMn(r.mn);
        if (entry && entry.outlet.id !== r.outlet)
          issues.push(`rules.${i}: MN "${r.mn}" belongs to outlet "${entry.outlet.id}", not "${r.outlet}"`);
      }
    }
    if (!from || !to) return;
    const { note: _note, from: _from, to: _to, ...rest } = r;
    rules.push({ ...rest, fromMs: from.getTime(), toMs: to.getTime() });
  });
  if (issues.length > 0) fail(issues);
  return Object.freeze({ rules: Object.freeze(rules) });
}

export function loadScenario(path: string, ctx: ScenarioContext): Scenario {
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new PipelineError('CFG_FILE_UNREADABLE', `cannot read scenario ${path}: ${errorMessage(err)}`);
  }
  return parseScenario(doc, ctx, path);
}

/** The rules that can ever touch one gateway, computed once per gateway rather than per reading. */
export function rulesFor(
  scenario: Scenario | undefined,
  mn: string,
  outletId: string,
): readonly ScenarioRule[] {
  if (!scenario) return [];
  return scenario.rules.filter(
    (r) => (r.mn === undefined || r.mn === mn) && (r.outlet === undefined || r.outlet === outletId),
  );
}

/** One code's value as generated, before or after the scenario. */
export interface SampleValue {
  value: number;
  flag: string;
}

/**
 * Applies the gateway's rules at one data time, in place. `round` gives a code's wire rounding.
 * Returns the codes dropped.
 */
export function applyRules(
  rules: readonly ScenarioRule[],
  dataTimeMs: number,
  values: Map<string, SampleValue>,
  round: (code: string, value: number) => number,
): string[] {
  const dropped: string[] = [];
  for (const r of rules) {
    if (dataTimeMs < r.fromMs || dataTimeMs >= r.toMs) continue;
    const codes = r.code === '*' ? [...values.keys()] : [r.code];
    for (const code of codes) {
      let v = values.get(code);
      if (!v) {
        // Only an explicit value can introduce a code the outlet does not measure (unknown-pollutant tests).
        if (r.value === undefined) continue;
        v = { value: r.value, flag: 'N' };
        values.set(code, v);
      }
      if (r.value !== undefined) v.value = r.value;
      if (r.multiply !== undefined) v.value = round(code, v.value * r.multiply);
      if (r.add !== undefined) v.value = round(code, v.value + r.add);
      if (r.flag !== undefined) v.flag = r.flag;
      if (r.drop) {
        values.delete(code);
        dropped.push(code);
      }
    }
  }
  // A later `value` rule may bring a dropped code back; report only what is really missing.
  return [...new Set(dropped)].filter((code) => !values.has(code));
}
