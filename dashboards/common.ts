import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import type * as common from '@grafana/grafana-foundation-sdk/common';
import type { TableCellDisplayMode } from '@grafana/grafana-foundation-sdk/common';
import {
  type AnnotationQuery,
  DashboardBuilder,
  DashboardCursorSync,
  type DashboardLink,
  DashboardLinkType,
  type DynamicConfigValue,
  MappingType,
  QueryVariableBuilder,
  type Threshold,
  ThresholdsConfigBuilder,
  ThresholdsMode,
  type ValueMap,
  type ValueMapping,
  VariableHide,
  VariableRefresh,
  VariableSort,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { POLLUTANT_CODES } from '../config/pollutant-codes.js';
import { DATASOURCE } from './datasource.js';
import { type AnnotationColumns, InfluxQLAnnotationTargetBuilder, tagMatches } from './influxql.js';

/** Stable dashboard uids: links, bookmarks and `dashboards push` rely on them never changing. */
export const UID = {
  overview: 'emissions-overview',
  outlet: 'emissions-outlet',
  alarms: 'emissions-alarms',
  heavyPollution: 'emissions-heavy-pollution',
  dataQuality: 'emissions-data-quality',
} as const;

/** Every dashboard carries this tag; the link bar finds its siblings by it. */
export const TAG = 'emissions';
export const TIME_ZONE = 'Asia/Shanghai';

/**
 * Wraps a plain object as a builder, for models whose SDK builder adds fields we do not want (e.g. the
 * `placement: inControlsMenu` default of links, which hides them in a menu on Grafana 12).
 */
export function plain<T>(value: T): cog.Builder<T> {
  return { build: () => value };
}

// ---------------------------------------------------------------------------------------------------
// Colours (Grafana named colours)

export const COLOR = {
  ok: 'green',
  warn: 'orange',
  bad: 'red',
  info: 'blue',
  muted: 'text',
} as const;

function valueMap(entries: Record<string, { text: string; color?: string }>): ValueMap {
  const options: ValueMap['options'] = {};
  let index = 0;
  for (const [key, r] of Object.entries(entries)) {
    options[key] = r.color === undefined ? { text: r.text, index } : { text: r.text, color: r.color, index };
    index += 1;
  }
  return { type: MappingType.ValueToText, options };
}

/** HJ 212-2017 §6.6.4 表8 data flags. */
export const FLAG_MAPPINGS: ValueMapping[] = [
  valueMap({
    N: { text: '正常', color: 'green' },
    F: { text: '停运', color: 'text' },
    M: { text: '维护', color: 'blue' },
    S: { text: '手工输入', color: 'purple' },
    D: { text: '故障', color: 'red' },
    C: { text: '校准', color: 'yellow' },
    T: { text: '超测定上限', color: 'orange' },
    B: { text: '通讯异常', color: 'dark-red' },
  }),
];

export const ONLINE_MAPPINGS: ValueMapping[] = [
  valueMap({
    online: { text: '在线', color: 'green' },
    offline: { text: '离线', color: 'red' },
    true: { text: '在线', color: 'green' },
    false: { text: '离线', color: 'red' },
  }),
];

export const ALARM_STATE_MAPPINGS: ValueMapping[] = [
  valueMap({
    active: { text: '报警中', color: 'red' },
    acknowledged: { text: '已确认', color: 'orange' },
    cleared: { text: '已解除', color: 'green' },
  }),
];

export const ALARM_TRANSITION_MAPPINGS: ValueMapping[] = [
  valueMap({
    open: { text: '报警', color: 'red' },
    escalate: { text: '升级', color: 'dark-red' },
    ack: { text: '确认', color: 'orange' },
    comment: { text: '批注', color: 'blue' },
    clear: { text: '解除', color: 'green' },
    correct: { text: '更正', color: 'purple' },
    tier: { text: '逐级通知', color: 'dark-orange' },
    remind: { text: '提醒', color: 'blue' },
  }),
];

export const SEVERITY_MAPPINGS: ValueMapping[] = [
  valueMap({
    notice: { text: '提示', color: 'blue' },
    early_warning: { text: '临近限值', color: 'yellow' },
    warning: { text: '预警', color: 'orange' },
    exceedance: { text: '超标', color: 'red' },
    quality: { text: '数据质量', color: 'purple' },
  }),
];

export const RULE_MAPPINGS: ValueMapping[] = [
  valueMap({
    hourly_zs_exceedance: { text: '小时折算均值超标' },
    daily_exceedance: { text: '日均值超标' },
    hourly_warning: { text: '小时均值预警' },
    early_warning: { text: '临近限值预警' },
    instant: { text: '实时值超限提示' },
    over_range: { text: '超测定上限' },
    constant: { text: '恒值' },
    negative: { text: '负值' },
    zero: { text: '零值' },
    missing: { text: '数据缺失' },
    offline: { text: '设备离线' },
    flow_zero_with_concentration: { text: '流量为零但有浓度' },
    o2_air: { text: '含氧量接近空气' },
    aggregate_mismatch: { text: '设备小时值与平台计算不符' },
  }),
];

export const WARNING_LEVEL_MAPPINGS: ValueMapping[] = [
  valueMap({
    yellow: { text: '黄色预警', color: 'yellow' },
    orange: { text: '橙色预警', color: 'orange' },
    red: { text: '红色预警', color: 'red' },
  }),
];

export const WARNING_TRANSITION_MAPPINGS: ValueMapping[] = [
  valueMap({
    issued: { text: '发布', color: 'red' },
    changed: { text: '调整', color: 'orange' },
    lifted: { text: '已解除', color: 'green' },
    proposed: { text: '建议启动', color: 'blue' },
  }),
];

/** HJ 633-2012 AQI categories 1–6 (reference/aqi.md). */
export const AQI_CATEGORY_MAPPINGS: ValueMapping[] = [
  valueMap({
    '1': { text: '优', color: 'green' },
    '2': { text: '良', color: 'yellow' },
    '3': { text: '轻度污染', color: 'orange' },
    '4': { text: '中度污染', color: 'red' },
    '5': { text: '重度污染', color: 'purple' },
    '6': { text: '严重污染', color: '#7e0023' },
  }),
];

/** AQI value → category colour (0–50 优 … >300 严重污染). */
export const AQI_THRESHOLDS = thresholds([
  { value: null, color: 'green' },
  { value: 51, color: 'yellow' },
  { value: 101, color: 'orange' },
  { value: 151, color: 'red' },
  { value: 201, color: 'purple' },
  { value: 301, color: '#7e0023' },
]);

/** Pollutant code → Chinese name, for table cells holding a `pollutant` tag. */
export const POLLUTANT_NAME_MAPPINGS: ValueMapping[] = [
  valueMap(
    Object.fromEntries(
      Object.values(POLLUTANT_CODES)
        .filter((p) => p.medium !== 'ambient')
        .map((p) => [p.code, { text: `${p.nameZh}（${p.code}）` }]),
    ),
  ),
];

export function thresholds(steps: Threshold[]): ThresholdsConfigBuilder {
  return new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps(steps);
}

/** Share of the limit: green below 80 %, orange up to the limit, red over it. */
export const SHARE_THRESHOLDS = thresholds([
  { value: null, color: 'green' },
  { value: 0.8, color: 'orange' },
  { value: 1, color: 'red' },
]);

/** Transmission/validity rates: HJ 75/76 practice alerts below 90 % (regulations.md R7). */
export const RATE_THRESHOLDS = thresholds([
  { value: null, color: 'red' },
  { value: 0.75, color: 'orange' },
  { value: 0.9, color: 'green' },
]);

export function displayName(name: string): DynamicConfigValue[] {
  return [{ id: 'displayName', value: name }];
}

/** Table column header overrides: field name → Chinese header. */
export function headers(
  names: Record<string, string>,
): Array<{ matcher: { id: string; options: string }; properties: DynamicConfigValue[] }> {
  return Object.entries(names).map(([field, header]) => ({
    matcher: { id: 'byName', options: field },
    properties: displayName(header),
  }));
}

/** A table column shown through value mappings (Chinese labels), optionally coloured by them. */
export function mappedColumn(
  field: string,
  mappings: ValueMapping[],
  cell?: TableCellDisplayMode,
): { matcher: { id: string; options: string }; properties: DynamicConfigValue[] } {
  const properties: DynamicConfigValue[] = [{ id: 'mappings', value: mappings }];
  if (cell !== undefined) properties.push({ id: 'custom.cellOptions', value: { type: cell } });
  return { matcher: { id: 'byName', options: field }, properties };
}

// ---------------------------------------------------------------------------------------------------
// Template variables, chained enterprise → outlet → pollutant.

/** Codes shown beside the pollutants (O2, flow, flue-gas state, water flow/temperature), not as pollutants. */
export const AUXILIARY_CODES = [
  'a19001',
  'a00000',
  'a01011',
  'a01012',
  'a01013',
  'a01014',
  'w00000',
  'w00001',
  'w01010',
] as const;

export interface VariableOpts {
  multi: boolean;
  /** Custom all value; absent = Grafana expands "全部" to every option. */
  allValue?: string;
}

function allCurrent(): { text: string[]; value: string[]; selected: boolean } {
  return { text: ['全部'], value: ['$__all'], selected: true };
}

function queryVariable(name: string, label: string, query: string, opts: VariableOpts): QueryVariableBuilder {
  const b = new QueryVariableBuilder(name)
    .label(label)
    .datasource(DATASOURCE)
    .query(query)
    .definition(query)
    // Refresh on time-range change: an outlet that started reporting today appears without a reload.
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.AlphabeticalAsc)
    .multi(opts.multi)
    .includeAll(opts.multi)
    .allowCustomValue(false);
  if (opts.multi) b.current(allCurrent());
  if (opts.allValue !== undefined) b.allValue(opts.allValue);
  return b;
}

/** 企业 (by Chinese name; the `enterprise_name` tag is 1:1 with the id). */
export function enterpriseVariable(opts: VariableOpts): QueryVariableBuilder {
  return queryVariable('enterprise', '企业', 'SHOW TAG VALUES WITH KEY = "enterprise_name"', opts);
}

/** 排口, restricted to the selected enterprise(s). */
export function outletVariable(opts: VariableOpts): QueryVariableBuilder {
  return queryVariable(
    'outlet',
    '排口',
    `SHOW TAG VALUES WITH KEY = "outlet_name" WHERE ${tagMatches('enterprise_name', 'enterprise')}`,
    opts,
  );
}

/** 污染物 (HJ 212 codes) measured at the selected outlet(s), without O2/flow/flue-gas parameters. */
export function pollutantVariable(opts: VariableOpts): QueryVariableBuilder {
  return queryVariable(
    'pollutant',
    '污染物',
    `SHOW TAG VALUES FROM /^emission_(rtd|minute|hour)$/ WITH KEY = "pollutant" WHERE ${tagMatches('enterprise_name', 'enterprise')} AND ${tagMatches('outlet_name', 'outlet')} AND "pollutant" !~ /^(${AUXILIARY_CODES.join('|')})$/`,
    opts,
  );
}

/** 区域 for the heavy-pollution dashboard (regional AQI means carry `region` and no `station`). */
export function regionVariable(): QueryVariableBuilder {
  return queryVariable('region', '区域', 'SHOW TAG VALUES FROM "aqi_hour" WITH KEY = "region"', {
    multi: false,
  });
}

/** A hidden variable whose value comes from a query (used for the current warning's bounds). */
export function hiddenQueryVariable(name: string, label: string, query: string): QueryVariableBuilder {
  return queryVariable(name, label, query, { multi: false })
    .hide(VariableHide.HideVariable)
    .sort(VariableSort.Disabled);
}

// ---------------------------------------------------------------------------------------------------
// Dashboards, links and annotations

/**
 * A dashboard of the 污染源自动监控 folder with the settings they all share: titled `<title> · 污染源自动监控`,
 * tagged (the link bar lists dashboards by tag), Asia/Shanghai time, read-only (provisioned from code),
 * a shared crosshair, and the link bar to its siblings.
 */
export function folderDashboard(opts: {
  title: string;
  uid: string;
  description: string;
  tag: string;
  from: string;
  refresh: string;
}): DashboardBuilder {
  return new DashboardBuilder(`${opts.title} · 污染源自动监控`)
    .uid(opts.uid)
    .description(opts.description)
    .tags([TAG, opts.tag])
    .timezone(TIME_ZONE)
    .time({ from: opts.from, to: 'now' })
    .refresh(opts.refresh)
    .readonly()
    .tooltip(DashboardCursorSync.Crosshair)
    .link(siblingLinks());
}

/** Top link bar: every dashboard of the set, keeping time range and variables. */
export function siblingLinks(): cog.Builder<DashboardLink> {
  return plain<DashboardLink>({
    title: '污染源自动监控',
    type: DashboardLinkType.Dashboards,
    icon: 'external link',
    tooltip: '',
    url: '',
    tags: [TAG],
    asDropdown: false,
    targetBlank: false,
    includeVars: true,
    keepTime: true,
  });
}

/**
 * URL of the outlet detail for a table row (`${__data.fields.x}` = the row's value of field x);
 * percent-encoded because names may contain `&` or `#` (e.g. "1#锅炉").
 */
export const OUTLET_DETAIL_URL =
  `/d/${UID.outlet}?var-enterprise=\${__data.fields.enterprise_name:percentencode}` +
  `&var-outlet=\${__data.fields.outlet_name:percentencode}&\${__url_time_range}`;

export function influxAnnotation(
  name: string,
  iconColor: string,
  query: string,
  columns: AnnotationColumns,
): cog.Builder<AnnotationQuery> {
  const target = new InfluxQLAnnotationTargetBuilder(query, columns).build();
  return plain<AnnotationQuery>({
    name,
    datasource: DATASOURCE,
    enable: true,
    hide: false,
    iconColor,
    target,
  });
}

/** Grafana's own annotation store: where `dashboards push` and the alerting engine post annotations. */
export function builtInAnnotation(): cog.Builder<AnnotationQuery> {
  return plain<AnnotationQuery>({
    name: '平台标注',
    datasource: { type: 'grafana', uid: '-- Grafana --' },
    enable: true,
    hide: false,
    iconColor: 'rgba(0, 211, 255, 1)',
    builtIn: 1,
    type: 'dashboard',
  });
}

export type FieldOverride = { matcher: { id: string; options: string }; properties: DynamicConfigValue[] };
export type { common };
