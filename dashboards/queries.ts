import type { Dashboard, Panel, RowPanel, VariableModel } from '@grafana/grafana-foundation-sdk/dashboard';
import type { InfluxSeries } from '../ingest/influx-query.js';
import type { TemplateVariable } from './template.js';
import { escapeRegex } from './template.js';

/**
 * Every InfluxQL statement a generated dashboard can send, taken from the dashboard JSON (not from the
 * TypeScript that built it), and Grafana's variable refresh (chained query variables) in miniature.
 */

export interface DashboardQuery {
  kind: 'panel' | 'annotation';
  /** Panel title or annotation name. */
  title: string;
  refId: string;
  query: string;
  resultFormat?: string;
  /** Variable a repeated row or panel repeats over: run once per value, with that value scoped. */
  repeat?: string;
  /** Panel `interval` (min interval). */
  minInterval?: string;
  maxDataPoints?: number;
}

interface RawTarget {
  refId?: string;
  query?: string;
  rawQuery?: boolean;
  resultFormat?: string;
  hide?: boolean;
}

function panelQueries(panel: Panel, repeat: string | undefined): DashboardQuery[] {
  const out: DashboardQuery[] = [];
  for (const t of (panel.targets ?? []) as unknown as RawTarget[]) {
    if (t.hide || typeof t.query !== 'string') continue;
    const q: DashboardQuery = {
      kind: 'panel',
      title: panel.title ?? '',
      refId: t.refId ?? '',
      query: t.query,
    };
    if (t.resultFormat !== undefined) q.resultFormat = t.resultFormat;
    const rep = panel.repeat ?? repeat;
    if (rep !== undefined && rep !== '') q.repeat = rep;
    if (panel.interval !== undefined) q.minInterval = panel.interval;
    if (panel.maxDataPoints !== undefined) q.maxDataPoints = panel.maxDataPoints;
    out.push(q);
  }
  return out;
}

/**
 * Panel and annotation queries. A non-collapsed row owns the panels after it up to the next row; a
 * collapsed row holds its panels; either way a row's `repeat` applies to its panels.
 */
export function dashboardQueries(dashboard: Dashboard): DashboardQuery[] {
  const out: DashboardQuery[] = [];
  let rowRepeat: string | undefined;
  for (const p of dashboard.panels ?? []) {
    if (p.type === 'row') {
      const row = p as RowPanel;
      rowRepeat = row.repeat !== undefined && row.repeat !== '' ? row.repeat : undefined;
      for (const inner of row.panels ?? []) out.push(...panelQueries(inner, rowRepeat));
      continue;
    }
    out.push(...panelQueries(p as Panel, rowRepeat));
  }
  for (const a of dashboard.annotations.list ?? []) {
    const target = a.target as unknown as RawTarget | undefined;
    if (!a.enable || typeof target?.query !== 'string') continue;
    out.push({ kind: 'annotation', title: a.name, refId: target.refId ?? 'Anno', query: target.query });
  }
  return out;
}

/** Names of every variable referenced in a query ($x, ${x}, ${x:fmt}, [[x]]). */
export function referencedVariables(query: string): string[] {
  const names = new Set<string>();
  for (const m of query.matchAll(/\$(\w+)|\[\[(\w+?)(?::\w+)?\]\]|\${(\w+)(?:[.:][^}]*)?}/g)) {
    names.add((m[1] ?? m[2] ?? m[3]) as string);
  }
  return [...names];
}

/**
 * metricFindQuery's reading of an InfluxDB answer: SHOW TAG VALUES → the `value` column; SHOW … KEYS /
 * RETENTION POLICIES → the first column; a SELECT → the first column after `time`.
 */
export function metricFindValues(query: string, series: readonly InfluxSeries[]): string[] {
  const lower = query.toLowerCase();
  const valueFirst = lower.includes('show field keys') || lower.includes('show retention policies');
  const values = new Set<string>();
  for (const s of series) {
    for (const row of s.values) {
      const v = valueFirst ? row[0] : row.length > 1 ? row[1] : row[0];
      if (v !== null && v !== undefined) values.add(String(v));
    }
  }
  return [...values];
}

/** Grafana custom variable values: `a, b` or `text : value` pairs. */
export function customVariableOptions(query: string): Array<{ text: string; value: string }> {
  return query
    .split(/(?<!\\),/)
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => {
      const m = /^(.+?)\s:\s(.+)$/.exec(s);
      return m ? { text: (m[1] as string).trim(), value: (m[2] as string).trim() } : { text: s, value: s };
    });
}

/** What a user selected, by variable name; unspecified variables take their saved default. */
export type Selections = Readonly<Record<string, string | string[]>>;

/**
 * Resolves the dashboard's variables in order, as Grafana refreshes them: each query variable's query
 * is expanded with the variables before it (the chain enterprise → outlet → pollutant) and run; its
 * `regex` filters the values; then the selection (or the saved current value, or the first option) applies.
 */
export async function resolveVariables(
  dashboard: Dashboard,
  run: (
    variable: VariableModel,
    query: string,
    resolved: ReadonlyMap<string, TemplateVariable>,
  ) => Promise<InfluxSeries[]>,
  selections: Selections = {},
): Promise<Map<string, TemplateVariable>> {
  const resolved = new Map<string, TemplateVariable>();
  for (const v of dashboard.templating.list ?? []) {
    let options: string[];
    if (v.type === 'custom') {
      options = customVariableOptions(typeof v.query === 'string' ? v.query : '').map((o) => o.value);
    } else if (v.type === 'query') {
      const query = typeof v.query === 'string' ? v.query : '';
      options = metricFindValues(query, await run(v, query, resolved));
      if (v.regex) {
        const m = /^\/(.*)\/([gimsuy]*)$/.exec(v.regex);
        const re = m ? new RegExp(m[1] as string, m[2]) : new RegExp(escapeRegex(v.regex));
        options = options.filter((o) => re.test(o));
      }
      if (v.sort === 1 || v.sort === 5) options.sort((a, b) => a.localeCompare(b));
      if (v.sort === 2 || v.sort === 6) options.sort((a, b) => b.localeCompare(a));
      if (v.sort === 3) options.sort((a, b) => Number(a) - Number(b));
    } else {
      continue;
    }
    const saved = v.current?.value;
    const selected = selections[v.name] ?? saved ?? (v.includeAll ? '$__all' : (options[0] ?? ''));
    const tv: TemplateVariable = { name: v.name, current: selected, options };
    if (v.multi !== undefined) tv.multi = v.multi;
    if (v.includeAll !== undefined) tv.includeAll = v.includeAll;
    if (v.allValue !== undefined) tv.allValue = v.allValue;
    resolved.set(v.name, tv);
  }
  return resolved;
}
