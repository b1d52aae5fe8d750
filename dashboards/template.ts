/**
 * A small, faithful model of how Grafana turns a saved InfluxQL raw query into the statement InfluxDB
 * receives, so tests can run the generated dashboards' queries without a Grafana binary.
 *
 * Two stages, as in Grafana 10–12 with the InfluxDB datasource in InfluxQL mode:
 *
 * 1. Frontend (`templateSrv.replace(query, scopedVars, interpolateQueryExpr)`): template variables
 *    `$var`, `${var}`, `${var:format}`, `[[var]]`, the global `$__from`/`$__to` (epoch ms, or
 *    `${__from:date:iso}` …). `$__interval`/`$__interval_ms` are deliberately left for the backend
 *    (the datasource strips them from scopedVars), and unknown names are left as they are.
 *    - A custom all value is inserted raw, unformatted (`allValue: ".*"` → `.*`); without one, "All"
 *      means every option value.
 *    - `:regex` escapes each value like @grafana/data `escapeRegex` and wraps several as `(a|b)`.
 *    - No format: the datasource's `interpolateQueryExpr` — a single-value variable gets
 *      `escapeRegex` unless numeric; a multi/include-all one gets each value through
 *      `influxSpecialRegexEscape` joined by a bare `|` (hence the dashboards use `:regex`).
 * 2. Backend (pkg/tsdb/influxdb `Query.Build`, raw mode): `$timeFilter` → `time >= <from>ms and time <=
 *    <to>ms`, then `$interval`, `$__interval_ms`, `$__interval` (in that order), the interval being the
 *    frontend's `calculateInterval(range, maxDataPoints, minInterval)` formatted like `gtime.FormatInterval`.
 */

export interface TemplateVariable {
  name: string;
  multi?: boolean;
  includeAll?: boolean;
  /** Custom all value (inserted raw). */
  allValue?: string;
  /** Current selection: one value, several, or `$__all`. */
  current: string | string[];
  /** Every option value (what "All" stands for without a custom all value). */
  options: string[];
}

export interface ExpandContext {
  fromMs: number;
  toMs: number;
  /** `$__interval` in ms; see calculateIntervalMs. */
  intervalMs: number;
  variables: ReadonlyMap<string, TemplateVariable>;
  /** Per-panel values of repeated rows/panels: the variable takes this single value. */
  scopedVars?: Readonly<Record<string, string>>;
}

const ALL = '$__all';

/** @grafana/data escapeRegex. */
export function escapeRegex(value: string): string {
  return value.replace(/[\\^$*+?.()|[\]{}/]/g, '\\$&');
}

/** Grafana's InfluxDB datasource influxRegularEscape (single-value variables, no explicit format). */
export function influxRegularEscape(value: string): string {
  return Number.isNaN(Number.parseFloat(value)) ? escapeRegex(value) : value;
}

/** Grafana's InfluxDB datasource influxSpecialRegexEscape (multi-value variables, no explicit format). */
export function influxSpecialRegexEscape(value: string): string {
  return value.replace(/\\/g, '\\\\\\\\').replace(/[$^*{}[\]'+?.()|]/g, '\\\\$&');
}

function influxInterpolate(value: string | string[], variable: TemplateVariable): string {
  if (!variable.multi && !variable.includeAll) {
    return typeof value === 'string' ? influxRegularEscape(value) : value.join(',');
  }
  if (typeof value === 'string') return influxSpecialRegexEscape(value);
  return value.map(influxSpecialRegexEscape).join('|');
}

/** Grafana's named variable formats (the ones that make sense in InfluxQL). */
export function formatValue(value: string | string[], format: string): string {
  const list = typeof value === 'string' ? [value] : value;
  switch (format) {
    case 'regex': {
      const escaped = list.map(escapeRegex);
      return escaped.length === 1 ? (escaped[0] as string) : `(${escaped.join('|')})`;
    }
    case 'pipe':
      return list.join('|');
    case 'csv':
    case 'text':
    case 'raw':
      return list.join(',');
    case 'singlequote':
      return list.map((v) => `'${v.replace(/'/g, "\\'")}'`).join(',');
    case 'doublequote':
      return list.map((v) => `"${v.replace(/"/g, '\\"')}"`).join(',');
    case 'sqlstring':
      return list.map((v) => `'${v.replace(/'/g, "''")}'`).join(',');
    case 'json':
      return JSON.stringify(typeof value === 'string' ? value : list);
    default:
      throw new Error(`variable format "${format}" is not supported by this expander`);
  }
}

function formatDate(ms: number, args: string | undefined): string {
  // ${__from} and ${__from:date} / :date:seconds / :date:iso (Grafana "global variables").
  if (args === undefined || args === '') return String(ms);
  if (args === 'date' || args === 'date:iso') return new Date(ms).toISOString();
  if (args === 'date:seconds') return String(Math.floor(ms / 1000));
  throw new Error(`__from/__to format "${args}" is not supported by this expander`);
}

/** templateSrv's variable syntax: $name | [[name(:fmt)]] | ${name(.fieldPath)(:fmt)}. */
const VARIABLE = /\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\${(\w+)(?:\.([^:^}]+))?(?::([^}]+))?}/g;

/** Stage 1: the frontend's template interpolation. */
export function interpolateTemplate(query: string, ctx: ExpandContext): string {
  return query.replace(VARIABLE, (match, n1, n2, f2, n3, _path, f3) => {
    const name = (n1 ?? n2 ?? n3) as string;
    const format = (f2 ?? f3) as string | undefined;
    if (name === '__from') return formatDate(ctx.fromMs, format);
    if (name === '__to') return formatDate(ctx.toMs, format);
    const variable = ctx.variables.get(name);
    if (!variable) return match; // $timeFilter, $__interval, … are the backend's
    const scoped = ctx.scopedVars?.[name];
    let value: string | string[] = scoped ?? variable.current;
    const isAll = value === ALL || (Array.isArray(value) && value.length === 1 && value[0] === ALL);
    if (scoped === undefined && isAll) {
      if (variable.allValue !== undefined && variable.allValue !== '' && format !== 'text') {
        return variable.allValue;
      }
      value = variable.options;
    }
    return format === undefined ? influxInterpolate(value, variable) : formatValue(value, format);
  });
}

/** gtime.FormatInterval (grafana-plugin-sdk-go). */
export function formatInterval(ms: number): string {
  const second = 1000;
  const minute = 60 * second;
  const hour = 60 * minute;
  const day = 24 * hour;
  const year = 365 * day;
  if (ms >= year) return `${Math.floor(ms / year)}y`;
  if (ms >= day) return `${Math.floor(ms / day)}d`;
  if (ms >= hour) return `${Math.floor(ms / hour)}h`;
  if (ms >= minute) return `${Math.floor(ms / minute)}m`;
  if (ms >= second) return `${Math.floor(ms / second)}s`;
  if (ms >= 1) return `${Math.floor(ms)}ms`;
  return '1ms';
}

/** @grafana/data rangeutil.roundInterval: the "nice" interval nearest a raw one. */
export function roundInterval(ms: number): number {
  const steps: Array<[below: number, value: number]> = [
    [15, 10],
    [35, 20],
    [75, 50],
    [150, 100],
    [350, 200],
    [750, 500],
    [1_500, 1_000],
    [3_500, 2_000],
    [7_500, 5_000],
    [12_500, 10_000],
    [17_500, 15_000],
    [25_000, 20_000],
    [45_000, 30_000],
    [90_000, 60_000],
    [210_000, 120_000],
    [450_000, 300_000],
    [750_000, 600_000],
    [1_050_000, 900_000],
    [1_500_000, 1_200_000],
    [2_700_000, 1_800_000],
    [5_400_000, 3_600_000],
    [9_000_000, 7_200_000],
    [16_200_000, 10_800_000],
    [32_400_000, 21_600_000],
    [86_400_000, 43_200_000],
    [604_800_000, 86_400_000],
    [1_814_400_000, 604_800_000],
    [3_628_800_000, 2_592_000_000],
  ];
  for (const [below, value] of steps) if (ms < below) return value;
  return 31_536_000_000;
}

/** Grafana interval strings (`1m`, `30s`, `1h`, `1d`, `500ms`) to ms. */
export function parseInterval(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)$/.exec(text.trim());
  if (!m) throw new Error(`not a Grafana interval: "${text}"`);
  const unit = { ms: 1, s: 1e3, m: 6e4, h: 36e5, d: 864e5, w: 6048e5, y: 31_536e6 }[m[2] as string] as number;
  return Number(m[1]) * unit;
}

/**
 * rangeutil.calculateInterval: the range divided by the points the panel can show, rounded to a nice
 * interval, never below the panel's or the datasource's minimum interval.
 */
export function calculateIntervalMs(
  fromMs: number,
  toMs: number,
  maxDataPoints: number,
  minInterval?: string,
): number {
  const raw = roundInterval((toMs - fromMs) / maxDataPoints);
  const low = minInterval ? parseInterval(minInterval) : 0;
  return Math.max(raw, low);
}

/** Stage 2: the InfluxDB backend's macro replacement (raw query mode). */
export function expandBackendMacros(
  query: string,
  ctx: Pick<ExpandContext, 'fromMs' | 'toMs' | 'intervalMs'>,
): string {
  const text = formatInterval(ctx.intervalMs);
  return query
    .replaceAll('$timeFilter', `time >= ${Math.floor(ctx.fromMs)}ms and time <= ${Math.floor(ctx.toMs)}ms`)
    .replaceAll('$interval', text)
    .replaceAll('$__interval_ms', String(Math.floor(ctx.intervalMs)))
    .replaceAll('$__interval', text);
}

/** Both stages: the statement InfluxDB receives for a saved raw query. */
export function expandQuery(query: string, ctx: ExpandContext): string {
  return expandBackendMacros(interpolateTemplate(query, ctx), ctx);
}
