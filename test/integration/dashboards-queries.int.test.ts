import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalInfluxd, startLocalInfluxd } from '../../cli/local-influxd.js';
import { loadRegistry, type Registry, type SiteEntry } from '../../config/registry.js';
import { createLogger } from '../../core/logger.js';
import { buildDashboards } from '../../dashboards/index.js';
import { dashboardQueries, resolveVariables, type Selections } from '../../dashboards/queries.js';
import {
  calculateIntervalMs,
  type ExpandContext,
  expandQuery,
  type TemplateVariable,
} from '../../dashboards/template.js';
import { type InfluxSeries, influxQueryOne, seriesRows } from '../../ingest/influx-query.js';
import { createInfluxWriter } from '../../ingest/influx-writer.js';
import { type Point, toLineProtocol } from '../../ingest/line-protocol.js';
import { deviceStatePoint, siteTags } from '../../ingest/points.js';
import { type ReportReadingLine, readReportReadings } from '../../simulator/report.js';
import { parseScenario } from '../../simulator/scenario.js';
import { createSimulation } from '../../simulator/simulation.js';
import { startTestService } from '../support/service.js';

/**
 * The generated dashboards against real data: the park registry simulated for 3 hours through the real
 * pipeline (with an exceedance, instrument flags and a gap), plus synthetic points of the engine's
 * measurements (docs/data-model.md) written with the project's line-protocol encoder and writer, all in a
 * real InfluxDB 1.6.7. Every panel, annotation and variable query is taken from the generated JSON,
 * expanded as Grafana would (dashboards/template.ts), run, and checked for the values written.
 */

const DB = 'dashboards';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const LOCAL_OFFSET = 8 * HOUR; // Asia/Shanghai, no DST

const UNIT1 = 'hn-power-unit1';
const KILN = 'hl-cement-kiln-tail';
const WWTP = 'bj-wwtp-main';
const BOILER = 'bj-heat-boiler1';
const REGION = '滨江经开区';

let influxd: LocalInfluxd;
let registry: Registry;
const readings: ReportReadingLine[] = [];
/** Data time of reading 0: a whole hour, 4 hours ago. */
const start = Math.floor((Date.now() - 4 * HOUR) / HOUR) * HOUR;
const localDayStart = (ms: number) => Math.floor((ms + LOCAL_OFFSET) / DAY) * DAY - LOCAL_OFFSET;
/** Two local days up to now: every engine point (day starts included) falls inside. */
const fromMs = localDayStart(start) - DAY;
let toMs = 0;

const entry = (outlet: string): SiteEntry => {
  const e = registry.entries().find((x) => x.outlet.id === outlet);
  if (!e) throw new Error(`no outlet ${outlet}`);
  return e;
};

/** The agg_hour points written for unit 1 SO2: hour → zs_mean (limit 35 mg/m3, ultra-low). */
const UNIT1_SO2_HOURS = [
  { hour: 0, zs: 21.4, mean: 18.9 },
  { hour: 1, zs: 80.2, mean: 70.6 },
  { hour: 2, zs: 30.1, mean: 26.5 },
];
const SO2_LIMIT = 35;

function enginePoints(): Point[] {
  const pts: Point[] = [];
  const unit1 = entry(UNIT1);
  const wwtp = entry(WWTP);
  const kiln = entry(KILN);
  for (const h of UNIT1_SO2_HOURS) {
    pts.push({
      measurement: 'agg_hour',
      tags: { ...siteTags(unit1), pollutant: 'a21026', origin: 'computed' },
      fields: {
        mean: h.mean,
        zs_mean: h.zs,
        min: h.mean - 3,
        max: h.mean + 3,
        valid_minutes: { int: 60 },
        total_minutes: { int: 60 },
        valid: true,
        limit: SO2_LIMIT,
        load_kg_h: 12.5,
        unit: 'mg/m3',
      },
      timeMs: start + h.hour * HOUR,
    });
  }
  for (let hour = 0; hour < 3; hour++) {
    pts.push({
      measurement: 'agg_hour',
      tags: { ...siteTags(wwtp), pollutant: 'w01018', origin: 'computed' },
      fields: {
        mean: 22 + hour,
        valid_minutes: { int: 60 },
        total_minutes: { int: 60 },
        valid: true,
        limit: 50,
        load_kg_h: 1.2,
        unit: 'mg/L',
      },
      timeMs: start + hour * HOUR,
    });
  }
  const alarm = (
    site: SiteEntry,
    tags: Record<string, string>,
    t: number,
    fields: Point['fields'],
  ): Point => ({
    measurement: 'alarm_event',
    tags: { ...siteTags(site), ...tags },
    fields,
    timeMs: t,
  });
  const so2 = { rule: 'hourly_zs_exceedance', severity: 'exceedance', pollutant: 'a21026' };
  const window = { window_start: { int: start + HOUR }, window_end: { int: start + 2 * HOUR } };
  pts.push(
    alarm(unit1, so2, start + 2 * HOUR + 60_000, {
      alarm_id: 'ALM-1',
      transition: 'open',
      state: 'active',
      value: 80.2,
      limit: SO2_LIMIT,
      unit: 'mg/m3',
      basis: 'zs',
      ...window,
      text_zh: '1号机组烟囱 二氧化硫 小时折算均值 80.2 mg/m³ 超过限值 35 mg/m³',
      text_en: 'SO2 hourly mean over the limit',
    }),
    alarm(unit1, so2, start + 2 * HOUR + 10 * 60_000, {
      alarm_id: 'ALM-1',
      transition: 'ack',
      state: 'acknowledged',
      actor: '张三',
      comment: '已电话通知企业核查脱硫设施',
      text_zh: '张三 确认',
    }),
  );
  const cod = { rule: 'daily_exceedance', severity: 'exceedance', pollutant: 'w01018' };
  pts.push(
    alarm(wwtp, cod, start + HOUR, {
      alarm_id: 'ALM-2',
      transition: 'open',
      state: 'active',
      value: 61,
      limit: 50,
      unit: 'mg/L',
      basis: 'measured',
      text_zh: '总排口 COD 日均值超标',
    }),
    alarm(wwtp, cod, start + 2 * HOUR, {
      alarm_id: 'ALM-2',
      transition: 'clear',
      state: 'cleared',
      text_zh: '总排口 COD 恢复正常',
    }),
  );
  pts.push(
    alarm(kiln, { rule: 'missing', severity: 'quality', pollutant: '-' }, start + HOUR + 45 * 60_000, {
      alarm_id: 'ALM-3',
      transition: 'open',
      state: 'active',
      text_zh: '窑尾排气筒 数据缺失 30 分钟',
      ...window,
    }),
    {
      measurement: 'quality_signal',
      tags: { ...siteTags(kiln), signal: 'missing', pollutant: '-' },
      fields: { alarm_id: 'ALM-3', value: 30, text_zh: '窑尾排气筒 数据缺失 30 分钟' },
      timeMs: start + HOUR + 45 * 60_000,
    },
  );
  // An earlier yellow warning, issued and lifted the day before; the orange one is the latest.
  const earlier = {
    warning_id: 'W-2026-06',
    start_ms: { int: start - 20 * HOUR },
    end_ms: { int: start - 10 * HOUR },
    authority: '滨江市重污染天气应急指挥部',
    doc_no: '滨重污〔2026〕6号',
  };
  pts.push(
    {
      measurement: 'warning_period',
      tags: { region: REGION, level: 'yellow' },
      fields: { ...earlier, transition: 'issued', text_zh: '启动重污染天气黄色预警' },
      timeMs: start - 20 * HOUR,
    },
    {
      measurement: 'warning_period',
      tags: { region: REGION, level: 'yellow' },
      fields: { ...earlier, transition: 'lifted', text_zh: '解除黄色预警' },
      timeMs: start - 10 * HOUR,
    },
  );
  pts.push({
    measurement: 'warning_period',
    tags: { region: REGION, level: 'orange' },
    fields: {
      warning_id: 'W-2026-07',
      transition: 'issued',
      start_ms: { int: start },
      end_ms: { int: start + 6 * HOUR },
      authority: '滨江市重污染天气应急指挥部',
      doc_no: '滨重污〔2026〕7号',
      text_zh: '启动重污染天气橙色预警',
    },
    timeMs: start,
  });
  for (let hour = -1; hour < 4; hour++) {
    const t = start + hour * HOUR;
    const aqi = 150 + hour * 20;
    pts.push(
      {
        measurement: 'aqi_hour',
        tags: { region: REGION },
        fields: { aqi: { int: aqi }, category: { int: aqi > 150 ? 4 : 3 }, primary: 'a34004' },
        timeMs: t,
      },
      {
        measurement: 'aqi_hour',
        tags: { region: REGION, station: '滨江监测站' },
        fields: { aqi: { int: aqi + 5 }, category: { int: 4 }, primary: 'a34004' },
        timeMs: t,
      },
    );
  }
  for (const day of [localDayStart(start) - DAY, localDayStart(start)]) {
    pts.push({
      measurement: 'aqi_day',
      tags: { region: REGION },
      fields: { aqi: { int: 168 }, category: { int: 4 }, primary: 'a34004' },
      timeMs: day,
    });
    for (const e of registry.entries()) {
      pts.push({
        measurement: 'transmission_day',
        tags: siteTags(e),
        fields: {
          expected: { int: 1440 },
          received: { int: 1380 },
          valid: { int: 1300 },
          transmission_rate: 1380 / 1440,
          validity_rate: 1300 / 1380,
          effective_rate: 1300 / 1440,
        },
        timeMs: day,
      });
    }
  }
  // One gateway comes back after the simulation's gateways disconnected.
  pts.push(deviceStatePoint(entry(BOILER), true, 'mqtt', Date.now()));
  return pts;
}

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dash-'));
  const reportPath = join(dir, 'report.jsonl');
  influxd = await startLocalInfluxd();
  const registryFile = join(process.cwd(), 'config/examples/park.yaml');
  registry = loadRegistry(registryFile);
  // The engine's measurements are written synthetically below (exact values to compare against), so the
  // real alerting engine stays off: its own agg_hour points would overwrite them (same tags and time).
  const service = await startTestService({
    registryFile,
    influx: { INFLUX_API: 'v1', INFLUX_URL: influxd.url, INFLUX_DB: DB },
    env: { ALERTING_ENABLED: 'false' },
  });
  try {
    const iso = (ms: number) => new Date(ms).toISOString();
    const scenario = parseScenario(
      {
        rules: [
          {
            outlet: UNIT1,
            code: 'a21026',
            from: iso(start + HOUR),
            to: iso(start + 2 * HOUR),
            multiply: 4,
            note: 'SO2 exceedance',
          },
          {
            outlet: UNIT1,
            code: 'a21026',
            from: iso(start + 10 * 60_000),
            to: iso(start + 25 * 60_000),
            flag: 'C',
            note: 'calibration',
          },
          {
            outlet: WWTP,
            code: 'w01018',
            from: iso(start + 30 * 60_000),
            to: iso(start + 50 * 60_000),
            flag: 'M',
            note: 'maintenance',
          },
          {
            outlet: KILN,
            code: '*',
            from: iso(start + HOUR + 15 * 60_000),
            to: iso(start + HOUR + 45 * 60_000),
            drop: true,
            note: 'gap',
          },
        ],
      },
      { timeZone: registry.timeZone, registry },
    );
    const sim = createSimulation(
      {
        brokerUrl: service.mqttUrl,
        registry,
        intervalSec: 60,
        speed: 'max',
        start: new Date(start),
        durationSec: 3 * 3600,
        seed: 5,
        scenario,
        reportPath,
      },
      { log: createLogger({ level: 'silent' }) },
    );
    await sim.start();
    await sim.done;
    await sim.stop();
    await service.flush();
  } finally {
    await service.stop();
  }
  readings.push(...(await readReportReadings(reportPath)).filter((r) => r.published));
  const writer = createInfluxWriter({ api: 'v1', url: influxd.url, db: DB }, { timeoutMs: 10_000 });
  await writer.write(enginePoints().map(toLineProtocol));
  toMs = Date.now() + 5 * 60_000;
}, 120_000);

afterAll(async () => {
  await influxd?.stop();
});

// ---------------------------------------------------------------------------------------------------

function dashboard(uid: string): Dashboard {
  const d = buildDashboards().find((x) => x.uid === uid);
  if (!d) throw new Error(`no dashboard ${uid}`);
  return d.dashboard;
}

function context(
  variables: ReadonlyMap<string, TemplateVariable>,
  intervalMs = 60_000,
  scopedVars?: Record<string, string>,
): ExpandContext {
  return { fromMs, toMs, intervalMs, variables, ...(scopedVars ? { scopedVars } : {}) };
}

/** A statement still holding `$` outside a regex's end anchor was not fully expanded. */
function assertExpanded(stmt: string): void {
  expect(stmt, stmt).not.toMatch(/\$(?!\/)/);
}

async function run(stmt: string): Promise<InfluxSeries[]> {
  assertExpanded(stmt);
  return influxQueryOne({ url: influxd.url, db: DB }, stmt);
}

interface PanelResult {
  title: string;
  refId: string;
  repeatValue?: string;
  statement: string;
  series: InfluxSeries[];
}

/** Resolves the variables (chained, against InfluxDB) and runs every panel and annotation query. */
async function runDashboard(uid: string, selections: Selections = {}) {
  const d = dashboard(uid);
  const variables = await resolveVariables(
    d,
    (_v, query, resolved) => run(expandQuery(query, context(resolved))),
    selections,
  );
  const results: PanelResult[] = [];
  for (const q of dashboardQueries(d)) {
    const intervalMs = calculateIntervalMs(fromMs, toMs, q.maxDataPoints ?? 1000, q.minInterval ?? '1m');
    const repeatVar = q.repeat !== undefined ? variables.get(q.repeat) : undefined;
    const values = repeatVar
      ? repeatVar.current === '$__all' ||
        (Array.isArray(repeatVar.current) && repeatVar.current.includes('$__all'))
        ? repeatVar.options
        : ([] as string[]).concat(repeatVar.current)
      : [undefined];
    for (const value of values) {
      const scoped = q.repeat !== undefined && value !== undefined ? { [q.repeat]: value } : undefined;
      const statement = expandQuery(q.query, context(variables, intervalMs, scoped));
      const series = await run(statement);
      results.push({
        title: q.title,
        refId: q.refId,
        statement,
        series,
        ...(value !== undefined ? { repeatValue: value } : {}),
      });
    }
  }
  const get = (title: string, refId = 'A', repeatValue?: string) => {
    const r = results.find(
      (x) =>
        x.title === title &&
        x.refId === refId &&
        (repeatValue === undefined || x.repeatValue === repeatValue),
    );
    if (!r)
      throw new Error(
        `no result for ${title}#${refId} ${repeatValue ?? ''}; have ${results.map((x) => `${x.title}#${x.refId}`).join(', ')}`,
      );
    return r;
  };
  return {
    variables,
    results,
    get,
    rows: (title: string, refId = 'A', repeatValue?: string) =>
      seriesRows(get(title, refId, repeatValue).series),
  };
}

const nonEmpty = (s: InfluxSeries[]) =>
  s.some((x) => x.values.some((row) => row.slice(1).some((v) => v !== null)));
const lastReported = (outlet: string, code: string) => {
  const rs = readings
    .filter((r) => r.outlet === outlet && r.values[code] !== undefined)
    .sort((a, b) => Date.parse(a.dataTime) - Date.parse(b.dataTime));
  return rs.at(-1)?.values[code]?.rtd;
};

// ---------------------------------------------------------------------------------------------------

describe('every generated query runs against InfluxDB 1.6.7 and returns data', () => {
  const cases: Array<[uid: string, selections: Selections[]]> = [
    ['emissions-overview', [{}]],
    [
      'emissions-outlet',
      [
        { enterprise: '华能滨江热电有限公司', outlet: '1号机组烟囱' },
        { enterprise: '滨江市城东污水处理厂', outlet: '总排口' },
      ],
    ],
    ['emissions-alarms', [{}]],
    ['emissions-heavy-pollution', [{ region: REGION }]],
    ['emissions-data-quality', [{}]],
  ];
  for (const [uid, selectionSets] of cases) {
    it(`${uid}: each panel and annotation query succeeds and at least one selection returns values`, async () => {
      const hasData = new Map<string, boolean>();
      for (const selections of selectionSets) {
        const { results } = await runDashboard(uid, selections);
        expect(results.length).toBeGreaterThan(0);
        for (const r of results) {
          const key = `${r.title}#${r.refId}`;
          hasData.set(key, (hasData.get(key) ?? false) || nonEmpty(r.series));
        }
      }
      const empty = [...hasData].filter(([, ok]) => !ok).map(([k]) => k);
      expect(empty, `queries without data: ${empty.join(', ')}`).toEqual([]);
    });
  }
});

describe('template variables chain enterprise → outlet → pollutant', () => {
  it('outlets follow the selected enterprise, pollutants the outlet (without O2 and flue-gas parameters)', async () => {
    const { variables } = await runDashboard('emissions-outlet', {
      enterprise: '华能滨江热电有限公司',
      outlet: '1号机组烟囱',
    });
    expect(variables.get('enterprise')?.options).toEqual(
      expect.arrayContaining(['华能滨江热电有限公司', '滨江环保能源有限公司（生活垃圾焚烧发电）']),
    );
    expect(variables.get('outlet')?.options.sort()).toEqual(['1号机组烟囱', '2号机组烟囱']);
    expect(variables.get('pollutant')?.options.sort()).toEqual(['a21002', 'a21026', 'a34013']);
  });

  it('a multi-value selection narrows the overview to exactly those outlets', async () => {
    const { rows } = await runDashboard('emissions-overview', {
      enterprise: ['华能滨江热电有限公司', '滨江海螺水泥有限公司'],
      outlet: ['1号机组烟囱', '窑尾排气筒'],
    });
    const outlets = new Set(rows('最新监测值（按限值占比着色）').map((r) => r.outlet_name));
    expect([...outlets].sort()).toEqual(['1号机组烟囱', '窑尾排气筒']);
  });
});

describe('overview', () => {
  it('latest values equal the last values the gateways sent', async () => {
    const { rows } = await runDashboard('emissions-overview');
    const latest = rows('最新监测值（按限值占比着色）', 'A');
    expect(latest.length).toBeGreaterThan(20);
    for (const r of latest) {
      const e = registry
        .entries()
        .find((x) => x.outlet.name === r.outlet_name && x.enterprise.name === r.enterprise_name)!;
      expect(r.最新实时值, `${r.outlet_name} ${r.pollutant}`).toBe(
        lastReported(e.outlet.id, String(r.pollutant)),
      );
    }
  });

  it('share of the limit is the last hourly 折算 mean over the limit', async () => {
    const { rows } = await runDashboard('emissions-overview');
    const gas = rows('最新监测值（按限值占比着色）', 'B').find(
      (r) => r.outlet_name === '1号机组烟囱' && r.pollutant === 'a21026',
    )!;
    expect(gas).toMatchObject({ 小时均值: 30.1, 限值: SO2_LIMIT });
    expect(gas.占标率).toBeCloseTo(30.1 / SO2_LIMIT, 10);
    const water = rows('最新监测值（按限值占比着色）', 'C').find((r) => r.outlet_name === '总排口')!;
    expect(water).toMatchObject({ 小时均值: 24, 限值: 50, 占标率: 0.48 });
  });

  it('device states, open alarms and the warning', async () => {
    const { rows } = await runDashboard('emissions-overview');
    const states = rows('排口在线状态');
    expect(states).toHaveLength(registry.entries().length);
    for (const s of states)
      expect(s.state, String(s.outlet_name)).toBe(
        s.outlet_name === '1号燃气锅炉排气筒' ? 'online' : 'offline',
      );
    expect(rows('在线排口')[0]?.在线排口).toBe(1);
    expect(rows('离线排口')[0]?.离线排口).toBe(registry.entries().length - 1);
    expect(rows('未解除报警')[0]?.未解除报警).toBe(2);
    // Two panels share the title 未解除报警: the stat (a count) and the table (tags per episode).
    const { results } = await runDashboard('emissions-overview');
    const table = results.filter(
      (r) => r.title === '未解除报警' && r.series.some((x) => x.tags !== undefined),
    );
    expect(
      seriesRows(table.flatMap((t) => t.series))
        .map((r) => [r.outlet_name, r.rule, r.state])
        .sort(),
    ).toEqual([
      ['1号机组烟囱', 'hourly_zs_exceedance', 'acknowledged'],
      ['窑尾排气筒', 'missing', 'active'],
    ]);
    expect(rows('重污染天气预警')[0]).toMatchObject({
      level: 'orange',
      transition: 'issued',
      region: REGION,
    });
  });
});

describe('outlet detail', () => {
  it('hourly 折算 means and the limit are exactly the values written', async () => {
    const { rows } = await runDashboard('emissions-outlet', {
      enterprise: '华能滨江热电有限公司',
      outlet: '1号机组烟囱',
    });
    const hourly = rows('$pollutant 小时均值与限值', 'A', 'a21026');
    expect(hourly.map((r) => [r.time, r.折算小时均值, r.实测小时均值, r.限值])).toEqual(
      UNIT1_SO2_HOURS.map((h) => [start + h.hour * HOUR, h.zs, h.mean, SO2_LIMIT]),
    );
    expect(rows('$pollutant 小时均值与限值', 'A', 'a21002')).toEqual([]);
  });

  it('the trend shows valid data, shades non-N data and draws the limit', async () => {
    const { rows } = await runDashboard('emissions-outlet', {
      enterprise: '华能滨江热电有限公司',
      outlet: '1号机组烟囱',
    });
    const flagged = readings.filter((r) => r.outlet === UNIT1 && r.values.a21026?.flag === 'C');
    expect(flagged).toHaveLength(15);
    const invalid = rows('$pollutant 实时浓度与限值', 'B', 'a21026').filter((r) => r.非正常标记数据 !== null);
    expect(invalid.length).toBeGreaterThan(0);
    for (const r of invalid) expect(Number(r.time)).toBeGreaterThanOrEqual(start + 8 * 60_000);
    const limit = rows('$pollutant 实时浓度与限值', 'C', 'a21026').filter((r) => r.小时限值 !== null);
    expect(new Set(limit.map((r) => r.小时限值))).toEqual(new Set([SO2_LIMIT]));
    const flags = new Set(rows('$pollutant 数据标记', 'A', 'a21026').map((r) => r.数据标记));
    expect(flags).toContain('C');
    expect(flags).toContain('N');
    // The exceedance hour (value ×4) is visible in the real-time trend.
    const trend = rows('$pollutant 实时浓度与限值', 'A', 'a21026').filter((r) => r.实测浓度 !== null);
    const inHour1 = trend.filter((r) => Number(r.time) >= start + HOUR && Number(r.time) < start + 2 * HOUR);
    const inHour0 = trend.filter(
      (r) => Number(r.time) >= start + 30 * 60_000 && Number(r.time) < start + HOUR,
    );
    const avg = (xs: typeof trend) => xs.reduce((s, r) => s + Number(r.实测浓度), 0) / xs.length;
    expect(avg(inHour1)).toBeGreaterThan(2.5 * avg(inHour0));
  });

  it('O2 and flow panels return the outlet’s own series', async () => {
    const { rows } = await runDashboard('emissions-outlet', {
      enterprise: '华能滨江热电有限公司',
      outlet: '1号机组烟囱',
    });
    expect(rows('含氧量 O₂').filter((r) => r.含氧量 !== null).length).toBeGreaterThan(10);
    expect(rows('流量', 'A').filter((r) => r.烟气流量 !== null).length).toBeGreaterThan(10);
    expect(rows('流量', 'B')).toEqual([]);
  });
});

describe('alarms', () => {
  it('the event table lists every transition with values and who acknowledged', async () => {
    const { rows } = await runDashboard('emissions-alarms');
    const events = rows('报警记录');
    expect(events.map((e) => e.transition).sort()).toEqual(['ack', 'clear', 'open', 'open', 'open']);
    expect(events.find((e) => e.transition === 'ack')).toMatchObject({
      actor: '张三',
      alarm_id: 'ALM-1',
      state: 'acknowledged',
    });
    expect(events.find((e) => e.alarm_id === 'ALM-1' && e.transition === 'open')).toMatchObject({
      value: 80.2,
      limit: SO2_LIMIT,
      basis: 'zs',
    });
    expect(rows('待确认报警').map((r) => r.outlet_name)).toEqual(['窑尾排气筒']);
    const counts = Object.fromEntries(
      (await runDashboard('emissions-alarms'))
        .get('报警次数（按级别）')
        .series.map((s) => [s.tags?.severity, s.values[0]?.[1]]),
    );
    expect(counts).toEqual({ exceedance: 2, quality: 1 });
  });

  it('a severity selection filters the log', async () => {
    const { rows } = await runDashboard('emissions-alarms', { severity: ['quality'] });
    expect(rows('报警记录').map((e) => e.alarm_id)).toEqual(['ALM-3']);
  });

  it('annotations: opens, acks and clears at their times', async () => {
    const { get } = await runDashboard('emissions-alarms');
    expect(
      seriesRows(get('报警', 'Anno').series)
        .map((r) => r.time)
        .sort(),
    ).toEqual([start + HOUR, start + HOUR + 45 * 60_000, start + 2 * HOUR + 60_000].sort());
    expect(seriesRows(get('确认', 'Anno').series)).toMatchObject([
      { actor: '张三', comment: '已电话通知企业核查脱硫设施' },
    ]);
    expect(seriesRows(get('解除', 'Anno').series)).toHaveLength(1);
  });
});

describe('heavy-pollution weather', () => {
  it('warning period as a region, the current warning, regional AQI and stations', async () => {
    const { rows, variables } = await runDashboard('emissions-heavy-pollution', { region: REGION });
    expect(variables.get('warning_from')?.options).toEqual([String(start)]);
    expect(variables.get('warning_to')?.options).toEqual([String(start + 6 * HOUR)]);
    expect(rows('预警时段', 'Anno').map((r) => [r.time, r.end_ms, r.level])).toEqual([
      [start - 20 * HOUR, start - 10 * HOUR, 'yellow'],
      [start, start + 6 * HOUR, 'orange'],
    ]);
    expect(rows('预警解除', 'Anno')).toMatchObject([{ time: start - 10 * HOUR, level: 'yellow' }]);
    expect(rows('当前预警')[0]).toMatchObject({
      level: 'orange',
      transition: 'issued',
      doc_no: '滨重污〔2026〕7号',
    });
    const aqi = rows('区域 AQI（小时）').filter((r) => r.AQI !== null);
    expect(aqi.map((r) => r.AQI)).toEqual([130, 150, 170, 190, 210]);
    expect(rows('站点 AQI（最新）')).toMatchObject([{ station: '滨江监测站', AQI: 215, category: 4 }]);
    expect(rows('日 AQI').map((r) => [r.time, r.日AQI])).toEqual([
      [localDayStart(start) - DAY, 168],
      [localDayStart(start), 168],
    ]);
  });

  it('enterprise compliance during the latest warning', async () => {
    const { rows } = await runDashboard('emissions-heavy-pollution', { region: REGION });
    expect(rows('最近一次预警期间企业排放情况', 'B')).toMatchObject([
      { enterprise_name: '华能滨江热电有限公司', 超标小时数: 1 },
    ]);
    const alarms = Object.fromEntries(
      rows('最近一次预警期间企业排放情况', 'C').map((r) => [r.enterprise_name, r.报警次数]),
    );
    expect(alarms).toEqual({ 华能滨江热电有限公司: 1, 滨江市城东污水处理厂: 1, 滨江海螺水泥有限公司: 1 });
  });
});

describe('data quality', () => {
  it('received and valid counts per outlet, pollutant and local day equal the simulator’s', async () => {
    const { rows } = await runDashboard('emissions-data-quality');
    const expected = new Map<string, { n: number; valid: number }>();
    for (const r of readings) {
      const e = registry.entries().find((x) => x.outlet.id === r.outlet)!;
      for (const [code, v] of Object.entries(r.values)) {
        const key = `${e.outlet.name}|${code}|${localDayStart(Date.parse(r.dataTime))}`;
        const c = expected.get(key) ?? { n: 0, valid: 0 };
        c.n += 1;
        if (v.flag === 'N') c.valid += 1;
        expected.set(key, c);
      }
    }
    const received = rows('实时数据接收与有效条数（平台统计，按日）', 'A');
    const valid = new Map(
      rows('实时数据接收与有效条数（平台统计，按日）', 'B').map((r) => [
        `${r.outlet_name}|${r.pollutant}|${r.time}`,
        r.有效条数,
      ]),
    );
    expect(received.length).toBeGreaterThan(20);
    for (const r of received) {
      const key = `${r.outlet_name}|${r.pollutant}|${r.time}`;
      expect(expected.get(key)?.n, key).toBe(r.接收条数);
      expect(valid.get(key) ?? 0, key).toBe(expected.get(key)?.valid);
    }
  });

  it('the gap shows as missing minutes in its hour; day buckets start at local midnight', async () => {
    const { rows } = await runDashboard('emissions-data-quality');
    const kiln = rows('每小时有数据的分钟数').filter((r) => r.outlet_name === '窑尾排气筒');
    const byHour = new Map(kiln.map((r) => [Number(r.time), r.有数据分钟数]));
    expect([0, 1, 2].map((h) => byHour.get(start + h * HOUR))).toEqual([60, 30, 60]);
    const rates = rows('传输率与有效率（按日）');
    expect(new Set(rates.map((r) => r.time))).toEqual(
      new Set([localDayStart(start) - DAY, localDayStart(start)]),
    );
    expect(rates.every((r) => Math.abs(Number(r.传输有效率) - 1300 / 1440) < 1e-12)).toBe(true);
    expect(rows('异常信号记录')).toMatchObject([{ signal: 'missing', outlet_name: '窑尾排气筒', value: 30 }]);
  });
});
