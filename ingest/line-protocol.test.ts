import { describe, expect, it } from 'vitest';
import { isPipelineError } from '../core/errors.js';
import { type Point, toLineProtocol } from './line-protocol.js';

function lp(p: Partial<Point>): string {
  return toLineProtocol({ measurement: 'm', tags: {}, fields: { v: 1 }, timeMs: 1000, ...p });
}

function rejection(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

describe('toLineProtocol', () => {
  it('encodes a typical emission point with tags sorted by key', () => {
    const line = toLineProtocol({
      measurement: 'emission_minute',
      tags: { pollutant: 'a21026', mn: 'MN001', medium: 'gas', enterprise: 'E1', outlet: 'O1' },
      fields: { value: 12.5, min: 10, flag: 'N', valid: true, sample_time: { int: 1700000000000 } },
      timeMs: 1_700_000_000_000,
    });
    expect(line).toBe(
      'emission_minute,enterprise=E1,medium=gas,mn=MN001,outlet=O1,pollutant=a21026 ' +
        'value=12.5,min=10,flag="N",valid=true,sample_time=1700000000000i 1700000000000',
    );
  });

  it('keeps field order and leaves already-sorted tags alone', () => {
    expect(lp({ tags: { a: '1', b: '2' }, fields: { z: 1, a: 2 } })).toBe('m,a=1,b=2 z=1,a=2 1000');
  });

  it('escapes spaces and commas in the measurement, but not equals signs', () => {
    expect(lp({ measurement: 'my meas,x=y' })).toBe('my\\ meas\\,x=y v=1 1000');
  });

  it('escapes spaces, commas and equals signs in tag keys, tag values and field keys', () => {
    expect(lp({ tags: { 'k ey': 'a b,c=d' }, fields: { 'f,i=e ld': 1 } })).toBe(
      'm,k\\ ey=a\\ b\\,c\\=d f\\,i\\=e\\ ld=1 1000',
    );
  });

  it('passes Chinese (UTF-8) tag values and string fields through unchanged', () => {
    expect(
      lp({
        tags: { enterprise_name: '某某热电有限公司', outlet_name: '1号 锅炉,排口' },
        fields: { text: '二氧化硫超标' },
      }),
    ).toBe('m,enterprise_name=某某热电有限公司,outlet_name=1号\\ 锅炉\\,排口 text="二氧化硫超标" 1000');
  });

  it('escapes double quotes and backslashes in string fields only', () => {
    expect(lp({ fields: { s: 'say "hi" C:\\dir\\' } })).toBe('m s="say \\"hi\\" C:\\\\dir\\\\" 1000');
    expect(lp({ tags: { t: 'q"x' } })).toBe('m,t=q"x v=1 1000');
  });

  it('replaces CR/LF with one space everywhere so a point is always one physical line', () => {
    const line = lp({
      measurement: 'm\nx',
      tags: { t: 'a\r\nb', 'k\n': 'v' },
      fields: { s: 'line1\nline2\r\nline3\rline4', 'f\r': 1 },
    });
    expect(line).toBe('m\\ x,k\\ =v,t=a\\ b s="line1 line2 line3 line4",f\\ =1 1000');
    expect(line).not.toMatch(/[\r\n]/);
  });

  it('keeps backslashes in names unless they would escape a separator or end the value', () => {
    expect(lp({ tags: { t: 'C:\\temp' } })).toBe('m,t=C:\\temp v=1 1000');
    expect(lp({ tags: { t: 'end\\' } })).toBe('m,t=end/ v=1 1000');
    expect(lp({ tags: { t: 'a\\ b', u: 'c\\,d', w: 'e\\=f' } })).toBe(
      'm,t=a/\\ b,u=c/\\,d,w=e/\\=f v=1 1000',
    );
    expect(lp({ measurement: 'm\\' })).toBe('m/ v=1 1000');
  });

  it('omits empty tag values', () => {
    expect(lp({ tags: { a: '', b: 'x', c: '' } })).toBe('m,b=x v=1 1000');
  });

  it('formats floats so they round-trip, integers with an i suffix, booleans as true/false', () => {
    const line = lp({
      fields: {
        f: 0.1 + 0.2,
        big: 1e21,
        tiny: 1e-7,
        neg: -3.25,
        whole: 12,
        i: { int: -42 },
        i64: { int: 2 ** 53 },
        yes: true,
        no: false,
      },
    });
    expect(line).toBe(
      'm f=0.30000000000000004,big=1e+21,tiny=1e-7,neg=-3.25,whole=12,i=-42i,i64=9007199254740992i,yes=true,no=false 1000',
    );
    const floats = /f=([^,]+),big=([^,]+),tiny=([^,]+)/.exec(line);
    expect(floats?.slice(1).map(Number)).toEqual([0.1 + 0.2, 1e21, 1e-7]);
  });

  it('allows empty strings and skips undefined fields', () => {
    const fields = { s: '', gone: undefined } as unknown as Point['fields'];
    expect(lp({ fields })).toBe('m s="" 1000');
  });

  it.each([
    ['NaN float', { fields: { v: Number.NaN } }],
    ['infinite float', { fields: { v: Number.POSITIVE_INFINITY } }],
    ['fractional int', { fields: { v: { int: 1.5 } } }],
    ['int beyond int64', { fields: { v: { int: 2 ** 63 } } }],
    ['no fields', { fields: {} }],
    ['only undefined fields', { fields: { v: undefined } as unknown as Point['fields'] }],
    ['empty measurement', { measurement: '' }],
    ['comment-like measurement', { measurement: '#m' }],
    ['reserved field key', { fields: { time: 1 } }],
    ['reserved tag key', { tags: { time: 'x' } }],
    ['empty field key', { fields: { '': 1 } }],
    ['empty tag key', { tags: { '': 'x' } }],
    ['fractional timestamp', { timeMs: 1.5 }],
    ['NaN timestamp', { timeMs: Number.NaN }],
  ] satisfies Array<[string, Partial<Point>]>)('rejects %s with SINK_WRITE_REJECTED', (_name, p) => {
    expect(
      isPipelineError(
        rejection(() => lp(p)),
        'SINK_WRITE_REJECTED',
      ),
    ).toBe(true);
  });

  it('names the measurement and field of a non-finite value', () => {
    const err = rejection(() => lp({ measurement: 'emission_rtd', fields: { zs: Number.NaN } }));
    expect(isPipelineError(err) && err.details).toEqual({ measurement: 'emission_rtd', field: 'zs' });
  });
});
