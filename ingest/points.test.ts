import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadRegistry } from '../config/registry.js';
import { toLineProtocol } from './line-protocol.js';
import { createLineEncoder, readingToPoints } from './points.js';
import { type PollutantValue, READING_KINDS, type Reading } from './reading.js';

const registry = loadRegistry('config/examples/park.yaml');
const site = registry.findByMn('010000A8900016F000169DC0');
if (!site) throw new Error('park.yaml changed');

const base: Reading = {
  mn: '010000A8900016F000169DC0',
  st: '31',
  cn: '2011',
  kind: 'rtd',
  dataTime: new Date('2026-11-23T02:00:00Z'),
  receivedAt: new Date('2026-11-23T02:00:01Z'),
  source: 'mqtt-json',
  values: [
    { code: 'a21026', rtd: 12.3, zsRtd: 14.5, flag: 'N' },
    { code: 'a19001', rtd: 7.5, flag: 'C' },
  ],
};

describe('reading → points', () => {
  it('one point per pollutant with site tags, Chinese names escaped into valid line protocol', () => {
    const points = readingToPoints(base, site);
    expect(points).toHaveLength(2);
    expect(points[0]).toEqual({
      measurement: 'emission_rtd',
      tags: {
        mn: '010000A8900016F000169DC0',
        enterprise: 'hn-binjiang-power',
        enterprise_name: '华能滨江热电有限公司',
        outlet: 'hn-power-unit1',
        outlet_name: '1号机组烟囱',
        region: '滨江经开区',
        medium: 'gas',
        pollutant: 'a21026',
      },
      fields: { value: 12.3, zs: 14.5, flag: 'N' },
      timeMs: Date.parse('2026-11-23T02:00:00Z'),
    });
    expect(points[1]?.fields).toEqual({ value: 7.5, flag: 'C' });
    expect(toLineProtocol(points[0]!)).toBe(
      'emission_rtd,enterprise=hn-binjiang-power,enterprise_name=华能滨江热电有限公司,medium=gas,mn=010000A8900016F000169DC0,outlet=hn-power-unit1,outlet_name=1号机组烟囱,pollutant=a21026,region=滨江经开区 value=12.3,zs=14.5,flag="N" 1795399200000',
    );
  });

  it('interval data stores Avg as value with min/max/cou and the 折算 mean', () => {
    const hour: Reading = {
      ...base,
      cn: '2061',
      kind: 'hour',
      values: [
        { code: 'a21026', avg: 20, min: 10, max: 30, zsAvg: 22, zsMin: 11, zsMax: 33, cou: 1.5, flag: 'N' },
      ],
    };
    const [p] = readingToPoints(hour, site);
    expect(p?.measurement).toBe('emission_hour');
    expect(p?.fields).toEqual({
      value: 20,
      min: 10,
      max: 30,
      zs: 22,
      zs_min: 11,
      zs_max: 33,
      cou: 1.5,
      flag: 'N',
    });
  });

  it('marks values of HJ 212 frames accepted with a MODBUS or unchecked CRC', () => {
    const modbus: Reading = { ...base, source: 'hj212-tcp', crc: 'modbus' };
    expect(readingToPoints(modbus, site)[0]?.fields.crc).toBe('modbus');
    expect(readingToPoints({ ...modbus, crc: 'ok' }, site)[0]?.fields.crc).toBeUndefined();
  });

  it('a value without a flag is stored as N (valid, R1); other flags as sent; no separate valid field', () => {
    const r: Reading = {
      ...base,
      values: [
        { code: 'a21026', rtd: 1 },
        { code: 'a21002', rtd: 1, flag: 'T' },
      ],
    };
    const points = readingToPoints(r, site);
    expect(points.map((p) => p.fields.flag)).toEqual(['N', 'T']);
    expect(points.every((p) => !('valid' in p.fields))).toBe(true);
    // Run state (SB codes) has no flag unless the device sent one.
    const status: Reading = { ...base, kind: 'status', cn: '2021', values: [{ code: 'SB1', rs: 1 }] };
    expect(readingToPoints(status, site)[0]?.fields).toEqual({ value: 1 });
  });

  it('the cached line encoder writes exactly what the generic encoder writes', () => {
    const encoder = createLineEncoder(2);
    const readings: Reading[] = [
      base,
      {
        ...base,
        kind: 'hour',
        cn: '2061',
        values: [{ code: 'a21026', avg: 1, min: 0.5, max: 2, zsAvg: 1.2, cou: 3, flag: 'D' }],
      },
      {
        ...base,
        values: [
          { code: 'w01018', rtd: 5, sampleTime: new Date('2026-11-23T01:20:00Z'), eflag: 'A01' },
          { code: 'a"9', rtd: -1 },
        ],
      },
      base, // served from the cache this time (after it was cleared at its bound)
    ];
    for (const r of readings) {
      const block = encoder.readingBlock(r, site);
      expect(block.bytes.toString('utf8')).toBe(readingToPoints(r, site).map(toLineProtocol).join('\n'));
      expect(block.lines).toBe(r.values.length);
    }
  });

  it('blocks stay intact while later readings fill new slabs; a reading that throws leaves nothing behind', () => {
    const encoder = createLineEncoder();
    const invalid: Reading = {
      ...base,
      values: [
        { code: 'a21026', rtd: 1 },
        { code: 'a19001', rtd: Infinity },
      ],
    };
    const kept: Array<{ bytes: Buffer; expected: string }> = [];
    // ≈ 600 B per block: 2 000 blocks span several 256 KiB slabs.
    for (let i = 0; i < 2000; i++) {
      if (i % 500 === 7) expect(() => encoder.readingBlock(invalid, site)).toThrow(/not a finite number/);
      const r: Reading = { ...base, dataTime: new Date(Date.UTC(2026, 0, 1) + i * 1000) };
      kept.push({
        bytes: encoder.readingBlock(r, site).bytes,
        expected: readingToPoints(r, site).map(toLineProtocol).join('\n'),
      });
    }
    for (const { bytes, expected } of kept) expect(bytes.toString('utf8')).toBe(expected);
  });

  it('the byte encoder matches the generic encoder for any combination of fields (property)', () => {
    const encoder = createLineEncoder(3);
    const num = fc.double({ noNaN: true, noDefaultInfinity: true });
    const text = fc.string({ unit: 'grapheme', maxLength: 8 });
    const value: fc.Arbitrary<PollutantValue> = fc.record(
      {
        code: fc.constantFrom('a21026', 'a21002', 'w01018', 'a"9', 'a 1', 'SB1'),
        rtd: num,
        avg: num,
        min: num,
        max: num,
        zsRtd: num,
        zsAvg: num,
        zsMin: num,
        zsMax: num,
        cou: num,
        flag: fc.constantFrom('N', 'T', 'D', 'MN'),
        eflag: text,
        sampleTime: fc.date({ min: new Date(0), max: new Date(4e12), noInvalidDate: true }),
        rs: fc.integer({ min: 0, max: 5 }),
        rt: num,
      },
      { requiredKeys: ['code'] },
    );
    const reading = fc.record({
      kind: fc.constantFrom(...READING_KINDS),
      values: fc.array(value, { maxLength: 4 }),
      crc: fc.constantFrom(undefined, 'ok', 'modbus', 'unchecked'),
      timeMs: fc.integer({ min: 0, max: 4e12 }),
    });
    fc.assert(
      fc.property(reading, ({ kind, values, crc, timeMs }) => {
        const r: Reading = {
          ...base,
          kind,
          values,
          dataTime: new Date(timeMs),
          ...(crc !== undefined && { crc }),
        };
        const block = encoder.readingBlock(r, site);
        expect(block.lines).toBe(values.length);
        expect(block.bytes.toString('utf8')).toBe(readingToPoints(r, site).map(toLineProtocol).join('\n'));
      }),
      { numRuns: 500 },
    );
  });
});
