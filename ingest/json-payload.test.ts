import { describe, expect, it } from 'vitest';
import { decodeJsonPayload } from './json-payload.js';

const ctx = { mn: 'MN1', timeZone: 'Asia/Shanghai', receivedAt: new Date('2026-11-23T02:00:01Z') };
const good = {
  st: '31',
  cn: '2011',
  dataTime: '2026-11-23T10:00:00+08:00',
  values: { a21026: { rtd: 12.3, flag: 'N', zsRtd: 14.1 }, a19001: { rtd: 7.5 } },
};

describe('JSON payload', () => {
  it('builds the normalized reading', () => {
    const r = decodeJsonPayload(JSON.stringify(good), ctx);
    expect(r).toEqual({
      ok: true,
      reading: {
        mn: 'MN1',
        st: '31',
        cn: '2011',
        kind: 'rtd',
        dataTime: new Date('2026-11-23T02:00:00Z'),
        receivedAt: ctx.receivedAt,
        source: 'mqtt-json',
        values: [
          { code: 'a21026', rtd: 12.3, flag: 'N', zsRtd: 14.1 },
          { code: 'a19001', rtd: 7.5 },
        ],
      },
    });
  });

  it('maps CN to kind and reads local DataTime without offset in the site zone', () => {
    const r = decodeJsonPayload(
      JSON.stringify({
        ...good,
        cn: '2061',
        dataTime: '20261123090000',
        values: { w01018: { avg: 20, min: 18, max: 22, cou: 3.2, sampleTime: '20261123092000' } },
      }),
      ctx,
    );
    expect(r.ok && r.reading.kind).toBe('hour');
    expect(r.ok && r.reading.dataTime.toISOString()).toBe('2026-11-23T01:00:00.000Z');
    expect(r.ok && r.reading.values[0]?.sampleTime?.toISOString()).toBe('2026-11-23T01:20:00.000Z');
  });

  it.each([
    ['not JSON', '{"st":', 'ING_PAYLOAD_NOT_JSON'],
    ['wrong type', JSON.stringify({ ...good, values: { a21026: { rtd: '12.3' } } }), 'ING_PAYLOAD_INVALID'],
    [
      'NaN smuggled as a string is still a string',
      JSON.stringify({ ...good, values: { a21026: { rtd: 'NaN' } } }),
      'ING_PAYLOAD_INVALID',
    ],
    [
      '1e999 parses to Infinity',
      '{"st":"31","cn":"2011","dataTime":"2026-11-23T10:00:00+08:00","values":{"a21026":{"rtd":1e999}}}',
      'ING_PAYLOAD_INVALID',
    ],
    ['unknown kind', JSON.stringify({ ...good, cn: '9999' }), 'ING_PAYLOAD_INVALID'],
    [
      'unknown field',
      JSON.stringify({ ...good, values: { a21026: { rtd: 1, foo: 2 } } }),
      'ING_PAYLOAD_INVALID',
    ],
    ['no values', JSON.stringify({ ...good, values: {} }), 'ING_PAYLOAD_INVALID'],
    ['array', '[1,2]', 'ING_PAYLOAD_INVALID'],
    ['bad dataTime', JSON.stringify({ ...good, dataTime: '2026-02-30T10:00:00' }), 'ING_DATATIME_INVALID'],
    [
      'bad sampleTime',
      JSON.stringify({ ...good, values: { w01018: { avg: 1, sampleTime: 'soon' } } }),
      'ING_DATATIME_INVALID',
    ],
  ])('rejects %s with a stable code', (_name, payload, code) => {
    const r = decodeJsonPayload(payload, ctx);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.code).toBe(code);
      expect(r.reason.length).toBeGreaterThan(0);
    }
  });
});
