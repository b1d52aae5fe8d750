import { describe, expect, it } from 'vitest';
import {
  formatCompactLocalTime,
  formatIsoLocal,
  formatQn,
  parseCompactLocalTime,
  parseFlexibleTime,
} from './local-time.js';

const SH = 'Asia/Shanghai';

describe('local time', () => {
  it('reads HJ 212 DataTime as Beijing time and stores UTC', () => {
    expect(parseCompactLocalTime('20261123100000', SH)?.toISOString()).toBe('2026-11-23T02:00:00.000Z');
    expect(parseCompactLocalTime('20160824003817000', SH)?.toISOString()).toBe('2016-08-23T16:38:17.000Z');
  });

  it('rejects impossible dates instead of rolling them over', () => {
    expect(parseCompactLocalTime('20260230100000', SH)).toBeUndefined();
    expect(parseCompactLocalTime('20261123250000', SH)).toBeUndefined();
    expect(parseCompactLocalTime('2026112310000', SH)).toBeUndefined();
  });

  it('handles zones with daylight saving', () => {
    // 2026-03-08 02:30 does not exist in New York; 01:30 is EST (-5), 03:30 is EDT (-4).
    expect(parseCompactLocalTime('20260308013000', 'America/New_York')?.toISOString()).toBe(
      '2026-03-08T06:30:00.000Z',
    );
    expect(parseCompactLocalTime('20260308033000', 'America/New_York')?.toISOString()).toBe(
      '2026-03-08T07:30:00.000Z',
    );
  });

  it('formats DataTime, QN and ISO with offset', () => {
    const t = Date.parse('2026-11-23T02:00:05.123Z');
    expect(formatCompactLocalTime(t, SH)).toBe('20261123100005');
    expect(formatQn(t, SH)).toBe('20261123100005123');
    expect(formatIsoLocal(t, SH)).toBe('2026-11-23T10:00:05.123+08:00');
  });

  it('parses the JSON payload forms', () => {
    const expected = '2026-11-23T02:00:00.000Z';
    expect(parseFlexibleTime('2026-11-23T10:00:00+08:00', SH)?.toISOString()).toBe(expected);
    expect(parseFlexibleTime('2026-11-23T02:00:00Z', SH)?.toISOString()).toBe(expected);
    expect(parseFlexibleTime('2026-11-23T10:00:00', SH)?.toISOString()).toBe(expected);
    expect(parseFlexibleTime('2026-11-23 10:00', SH)?.toISOString()).toBe(expected);
    expect(parseFlexibleTime('20261123100000', SH)?.toISOString()).toBe(expected);
    expect(parseFlexibleTime('yesterday', SH)).toBeUndefined();
    expect(parseFlexibleTime('2026-13-01T00:00:00+08:00', SH)).toBeUndefined();
  });
});
