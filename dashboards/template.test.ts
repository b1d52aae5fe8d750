// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${var} here is Grafana/Compose/InfluxDB syntax, not a JS template
import { describe, expect, it } from 'vitest';
import { customVariableOptions, metricFindValues, referencedVariables } from './queries.js';
import {
  calculateIntervalMs,
  type ExpandContext,
  escapeRegex,
  expandQuery,
  formatInterval,
  interpolateTemplate,
  roundInterval,
  type TemplateVariable,
} from './template.js';

const FROM = Date.parse('2026-11-23T00:00:00Z');
const TO = Date.parse('2026-11-23T06:00:00Z');

function ctx(vars: TemplateVariable[], extra: Partial<ExpandContext> = {}): ExpandContext {
  return {
    fromMs: FROM,
    toMs: TO,
    intervalMs: 60_000,
    variables: new Map(vars.map((v) => [v.name, v])),
    ...extra,
  };
}

const outlet = (current: string | string[], extra: Partial<TemplateVariable> = {}): TemplateVariable => ({
  name: 'outlet',
  multi: true,
  includeAll: true,
  current,
  options: ['1号机组烟囱', '2号机组烟囱', '窑尾排气筒'],
  ...extra,
});

describe('interpolateTemplate (Grafana frontend)', () => {
  it('single value with :regex is regex-escaped and unwrapped', () => {
    const q = '"outlet_name" =~ /^${outlet:regex}$/';
    expect(interpolateTemplate(q, ctx([outlet('1号机组烟囱')]))).toBe('"outlet_name" =~ /^1号机组烟囱$/');
    expect(interpolateTemplate(q, ctx([outlet('a.b/c(1)')]))).toBe('"outlet_name" =~ /^a\\.b\\/c\\(1\\)$/');
  });

  it('multi value with :regex becomes (a|b), so both alternatives stay anchored', () => {
    const q = '"outlet_name" =~ /^${outlet:regex}$/';
    expect(interpolateTemplate(q, ctx([outlet(['1号机组烟囱', '窑尾排气筒'])]))).toBe(
      '"outlet_name" =~ /^(1号机组烟囱|窑尾排气筒)$/',
    );
  });

  it('$__all without a custom all value expands to every option', () => {
    const q = '"outlet_name" =~ /^${outlet:regex}$/';
    expect(interpolateTemplate(q, ctx([outlet('$__all')]))).toBe(
      '"outlet_name" =~ /^(1号机组烟囱|2号机组烟囱|窑尾排气筒)$/',
    );
    expect(interpolateTemplate(q, ctx([outlet(['$__all'])]))).toBe(
      '"outlet_name" =~ /^(1号机组烟囱|2号机组烟囱|窑尾排气筒)$/',
    );
  });

  it('$__all with a custom all value inserts it raw (unformatted)', () => {
    const q = '"outlet_name" =~ /^${outlet:regex}$/';
    expect(interpolateTemplate(q, ctx([outlet('$__all', { allValue: '.*' })]))).toBe(
      '"outlet_name" =~ /^.*$/',
    );
  });

  it('without a format uses the InfluxDB datasource rules (bare | join for multi values)', () => {
    expect(interpolateTemplate('/^$outlet$/', ctx([outlet(['a', 'b.c'])]))).toBe('/^a|b\\\\.c$/');
    const single: TemplateVariable = { name: 'x', current: 'a.b', options: [] };
    expect(interpolateTemplate("'$x'", ctx([single]))).toBe("'a\\.b'");
    expect(interpolateTemplate('[[x]] ${x}', ctx([{ ...single, current: '12.5' }]))).toBe('12.5 12.5');
  });

  it('scoped values of repeated rows win over the selection', () => {
    const q = '"pollutant" =~ /^${pollutant:regex}$/';
    const pollutant: TemplateVariable = {
      name: 'pollutant',
      multi: true,
      includeAll: true,
      current: '$__all',
      options: ['a21026', 'a21002'],
    };
    expect(interpolateTemplate(q, ctx([pollutant], { scopedVars: { pollutant: 'a21002' } }))).toBe(
      '"pollutant" =~ /^a21002$/',
    );
  });

  it('expands $__from/$__to and leaves backend macros and unknown names alone', () => {
    expect(interpolateTemplate('time >= ${__from}ms - 30d AND time <= $__to', ctx([]))).toBe(
      `time >= ${FROM}ms - 30d AND time <= ${TO}`,
    );
    expect(interpolateTemplate('${__from:date:iso}', ctx([]))).toBe('2026-11-23T00:00:00.000Z');
    expect(interpolateTemplate('$timeFilter $__interval $__interval_ms $nope', ctx([]))).toBe(
      '$timeFilter $__interval $__interval_ms $nope',
    );
  });

  it('formats: pipe, csv, singlequote, doublequote, json', () => {
    const v = outlet(['a', "b'c"]);
    expect(interpolateTemplate('${outlet:pipe}', ctx([v]))).toBe("a|b'c");
    expect(interpolateTemplate('${outlet:csv}', ctx([v]))).toBe("a,b'c");
    expect(interpolateTemplate('${outlet:singlequote}', ctx([v]))).toBe("'a','b\\'c'");
    expect(interpolateTemplate('${outlet:doublequote}', ctx([v]))).toBe('"a","b\'c"');
    expect(interpolateTemplate('${outlet:json}', ctx([v]))).toBe('["a","b\'c"]');
  });
});

describe('backend macros and intervals', () => {
  it('expands $timeFilter and the interval macros like the Go backend', () => {
    const q =
      'SELECT mean("value") FROM "m" WHERE $timeFilter GROUP BY time($__interval) -- $interval $__interval_ms';
    expect(expandQuery(q, ctx([], { intervalMs: 300_000 }))).toBe(
      `SELECT mean("value") FROM "m" WHERE time >= ${FROM}ms and time <= ${TO}ms GROUP BY time(5m) -- 5m 300000`,
    );
  });

  it('formats intervals like gtime.FormatInterval', () => {
    expect(
      [500, 1000, 90_000, 3_600_000, 86_400_000, 40 * 86_400_000, 400 * 86_400_000].map(formatInterval),
    ).toEqual(['500ms', '1s', '1m', '1h', '1d', '40d', '1y']);
  });

  it('rounds and bounds intervals like rangeutil.calculateInterval', () => {
    expect(roundInterval(21_600)).toBe(20_000);
    expect(roundInterval(100_000)).toBe(120_000);
    // 6 h over 1000 points = 21.6 s → 20 s, but never below the datasource's 1m minimum.
    expect(calculateIntervalMs(FROM, TO, 1000, '1m')).toBe(60_000);
    // 7 d over 500 points = 20.2 min → 20 m.
    expect(calculateIntervalMs(FROM, FROM + 7 * 86_400_000, 500, '1m')).toBe(1_200_000);
  });

  it('escapeRegex matches @grafana/data', () => {
    expect(escapeRegex('a.b*c/d[e]')).toBe('a\\.b\\*c\\/d\\[e\\]');
  });
});

describe('variable helpers', () => {
  it('reads SHOW TAG VALUES and SELECT answers like metricFindQuery', () => {
    expect(
      metricFindValues('SHOW TAG VALUES WITH KEY = "x"', [
        {
          name: 'm',
          columns: ['key', 'value'],
          values: [
            ['x', 'b'],
            ['x', 'a'],
            ['x', 'b'],
          ],
        },
      ]),
    ).toEqual(['b', 'a']);
    expect(
      metricFindValues('SELECT "start_ms" FROM w', [
        { name: 'w', columns: ['time', 'start_ms'], values: [[1, 1700]] },
      ]),
    ).toEqual(['1700']);
  });

  it('parses custom variables with text : value pairs', () => {
    expect(customVariableOptions('超标 : exceedance, 预警 : warning, plain')).toEqual([
      { text: '超标', value: 'exceedance' },
      { text: '预警', value: 'warning' },
      { text: 'plain', value: 'plain' },
    ]);
  });

  it('lists referenced variables', () => {
    expect(referencedVariables('/^${a:regex}$/ $b [[c]] ${__from}ms $timeFilter').sort()).toEqual(
      ['__from', 'a', 'b', 'c', 'timeFilter'].sort(),
    );
  });
});
