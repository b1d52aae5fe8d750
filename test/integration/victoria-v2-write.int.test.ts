import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInfluxWriter, type InfluxWriter } from '../../ingest/influx-writer.js';
import { toLineProtocol } from '../../ingest/line-protocol.js';
import { type LocalVictoriaMetrics, startVictoriaMetrics } from '../support/victoria-metrics.js';

const T0 = Date.parse('2026-11-01T00:00:00Z');
const SITES = 20;
const MINUTES = 1000; // 20 sites × 1000 minutes = 20 000 points
const BATCH = 5000;

describe('InfluxDB v2 write API (real victoria-metrics /api/v2/write)', () => {
  let vm: LocalVictoriaMetrics;
  let writer: InfluxWriter;

  beforeAll(async () => {
    vm = await startVictoriaMetrics();
    writer = createInfluxWriter(
      { api: 'v2', url: vm.url, org: 'centre', bucket: 'emissions', token: 'not-checked-by-vm' },
      { timeoutMs: 10_000 },
    );
  });

  afterAll(async () => {
    await vm?.stop();
  });

  it('pings', async () => {
    expect(await writer.ping()).toBe(true);
  });

  it('accepts N points in batches and stores every numeric sample', async () => {
    const lines: string[] = [];
    for (let minute = 0; minute < MINUTES; minute++) {
      for (let site = 0; site < SITES; site++) {
        lines.push(
          toLineProtocol({
            measurement: 'emission_minute',
            tags: {
              mn: `MN${String(site).padStart(3, '0')}`,
              pollutant: 'a21026',
              outlet_name: `${site}号排口`,
            },
            // Two float fields, one integer, one string.
            fields: { value: site + minute / 1000, zs: 1.5, cou: { int: minute }, flag: 'N' },
            timeMs: T0 + minute * 60_000,
          }),
        );
      }
    }
    for (let i = 0; i < lines.length; i += BATCH) await writer.write(lines.slice(i, i + BATCH));

    const points = SITES * MINUTES;
    expect(await vm.countSamples('{__name__="emission_minute_value"}')).toBe(points);
    expect(await vm.countSamples('{__name__=~"emission_minute_.*"}')).toBe(points * 4);
    // VictoriaMetrics 1.79 stores a string field as a number: parsed if numeric, else 0.
    const flags = await vm.exportSeries('{__name__="emission_minute_flag"}');
    expect(new Set(flags.flatMap((s) => s.values))).toEqual(new Set([0]));

    const [series] = await vm.exportSeries('{__name__="emission_minute_value",mn="MN007"}');
    expect(series?.metric).toMatchObject({ mn: 'MN007', pollutant: 'a21026', outlet_name: '7号排口' });
    expect(series?.timestamps).toHaveLength(MINUTES);
    const at = series?.timestamps.indexOf(T0 + 500 * 60_000) ?? -1;
    expect(series?.values[at]).toBe(7.5);
  });

  it('accepts gzip bodies', async () => {
    const gz = createInfluxWriter(
      { api: 'v2', url: vm.url, org: 'centre', bucket: 'emissions', token: '' },
      { timeoutMs: 10_000, gzip: true },
    );
    const lines = Array.from({ length: 3000 }, (_, i) =>
      toLineProtocol({
        measurement: 'gz',
        tags: { mn: `MN${i % 3}` },
        fields: { v: i },
        timeMs: T0 + i * 1000,
      }),
    );
    await gz.write(lines);
    expect(await vm.countSamples('{__name__="gz_v"}')).toBe(3000);
  });
});
