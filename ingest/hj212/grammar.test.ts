import { TextEncoder } from 'node:util';
import { describe, expect, it } from 'vitest';
import { cpGroupsToRecords, findCpValue, parseCp, splitCpKey, splitSegment } from './cp.js';
import { formatCrc, hj212Crc } from './crc.js';
import { encodeFrame } from './encode.js';
import { parseFrame } from './frame.js';
import { decodeFlag, parseHeader, protocolOf } from './header.js';
import { decodeFrame } from './packet.js';

const cp = (text: string) => cpGroupsToRecords(parseCp(text));

describe('frame parsing', () => {
  it('accepts 1–4 length digits and lengths 0–9999', () => {
    const empty = parseFrame('##0000FFFF\r\n');
    expect(empty.ok && empty.frame).toMatchObject({
      segment: '',
      crcOk: true,
      lengthOk: true,
      declaredLength: 0,
    });
    const oneDigit = parseFrame('##2STABCD\r\n');
    expect(oneDigit.ok && oneDigit.frame).toMatchObject({ lengthField: '2', segment: 'ST', lengthOk: false });
    const big = encodeFrame('a'.repeat(9999));
    expect(parseFrame(big)).toMatchObject({
      ok: true,
      frame: { declaredLength: 9999, lengthOk: true, crcOk: true },
    });
  });

  it('rejects what cannot be a frame', () => {
    expect(parseFrame('')).toMatchObject({ ok: false });
    expect(parseFrame('#0101')).toMatchObject({ ok: false });
    expect(parseFrame('##QN=1;CP=&&&&1234\r\n')).toMatchObject({
      ok: false,
      reason: 'no length digits after "##"',
    });
    expect(parseFrame('##0101AB\r\n')).toMatchObject({ ok: false, reason: 'frame too short to hold a CRC' });
    expect(decodeFrame('')).toMatchObject({ ok: false, code: 'ING_HJ212_FRAME' });
    // Not a string or bytes (a JavaScript caller): still an answer, not an exception.
    expect(decodeFrame(42 as unknown as string)).toMatchObject({ ok: false, code: 'ING_HJ212_FRAME' });
  });

  it('terminator: CRLF true; a lone LF or CR is stripped but reported false', () => {
    const segment = 'ST=32;CN=2011;MN=1;CP=&&&&';
    const crc = formatCrc(hj212Crc(Buffer.from(segment)));
    for (const [tail, terminator] of [
      ['\r\n', true],
      ['\n', false],
      ['\r', false],
      ['', false],
    ] as const) {
      const parsed = parseFrame(`##0026${segment}${crc}${tail}`);
      expect(parsed.ok && [parsed.frame.crcOk, parsed.frame.terminator]).toEqual([true, terminator]);
    }
  });

  it('GBK text inside -Info (not UTF-8) is decoded as GB18030, CRC over the raw bytes', () => {
    const gbkInfo = Buffer.from([0xc7, 0xe5, 0xcf, 0xb4, 0xb9, 0xdc, 0xc2, 0xb7]); // 清洗管路 in GBK
    const head = Buffer.from('QN=20160801085857223;ST=32;CN=3020;PW=123456;MN=A1;Flag=4;CP=&&i11001-Info=//');
    const segment = Buffer.concat([head, gbkInfo, Buffer.from('//&&')]);
    const frame = Buffer.concat([
      Buffer.from(`##${String(segment.length).padStart(4, '0')}`),
      segment,
      Buffer.from(`${formatCrc(hj212Crc(segment))}\r\n`),
    ]);
    const decoded = decodeFrame(frame);
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    expect(decoded.packet.frame.textEncoding).toBe('gb18030');
    expect(decoded.packet.warnings).toContain('text-gb18030');
    expect(findCpValue(decoded.packet.cp, 'i11001-Info')).toBe('//清洗管路//');
  });

  it('byte and string input agree on UTF-8 text', () => {
    const frame = encodeFrame('ST=32;CN=3020;MN=A;CP=&&i11001-Info=//时间校准//&&');
    const fromString = parseFrame(frame);
    const fromBytes = parseFrame(new TextEncoder().encode(frame));
    expect(fromBytes).toEqual(fromString);
  });
});

describe('header', () => {
  it('by key, any order, any case, junk separators, trimmed', () => {
    const h = parseHeader(' st = 32 ;CN=2011;PW=123456;,MN=88888881234567;FLAG=0;PNO=0002;PNUM=0002;qn=1;');
    expect(h.fields).toEqual({
      ST: '32',
      CN: '2011',
      PW: '123456',
      MN: '88888881234567',
      Flag: '0',
      PNO: '0002',
      PNUM: '0002',
      QN: '1',
    });
    expect(h.unknown).toEqual([]);
  });

  it('keeps unknown items and reports duplicates (first wins)', () => {
    const h = parseHeader('ST=31;ST=32;Vendor=x;junk;CN=2011');
    expect(h.fields).toEqual({ ST: '31', CN: '2011' });
    expect(h.duplicates).toEqual(['ST']);
    expect(h.unknown).toEqual([
      { key: 'Vendor', value: 'x' },
      { key: 'junk', value: '' },
    ]);
  });

  it('Flag bits: A = bit 0, D = bit 1, version = Flag >> 2; never whitelisted', () => {
    expect(decodeFlag('5')).toEqual({ value: 5, ackRequired: true, split: false, version: 1 });
    expect(decodeFlag('7')).toEqual({ value: 7, ackRequired: true, split: true, version: 1 });
    expect(decodeFlag('2')).toEqual({ value: 2, ackRequired: false, split: true, version: 0 });
    expect(decodeFlag('9')).toEqual({ value: 9, ackRequired: true, split: false, version: 2 });
    expect(decodeFlag('255')?.version).toBe(63);
    for (const bad of [undefined, '', '256', '-1', '5a', ' 5']) expect(decodeFlag(bad)).toBeUndefined();
    expect([undefined, 0, 1, 2, 3].map(protocolOf)).toEqual(['2005', '2005', '2017', '2025', 'unknown']);
  });

  it('the standard\'s "Flag=5CP=&&" typo (表C.19) still yields Flag=5', () => {
    const parts = splitSegment('QN=1;ST=32;CN=2041;PW=1;MN=1;Flag=5CP=&&DataTime=20160801000000&&');
    expect(parseHeader(parts.headerText).fields.Flag).toBe('5');
    expect(cp(parts.cpText)).toEqual([{ DataTime: '20160801000000' }]);
  });
});

describe('CP grammar (hj212.md §4)', () => {
  it('groups on ";", items on ",", key/value at the first "=", trimmed, empty groups dropped', () => {
    expect(cp('')).toEqual([]);
    expect(cp(';;')).toEqual([]);
    expect(cp(' DataTime = 20240101000000 ;a-Rtd=1,a-Flag=N;;b-Rtd=x=y, ')).toEqual([
      { DataTime: '20240101000000' },
      { 'a-Rtd': '1', 'a-Flag': 'N' },
      { 'b-Rtd': 'x=y' },
    ]);
  });

  it('CP=&&&& is empty; CP is cut at the first "CP=&&" and the last "&&"', () => {
    expect(splitSegment('QN=1;CP=&&&&')).toMatchObject({ cpText: '', cpFound: true, cpClosed: true });
    expect(splitSegment('QN=1;CP=&&a=1&&')).toMatchObject({ headerText: 'QN=1;', cpText: 'a=1' });
    expect(splitSegment('QN=1;CP=&&a=1')).toMatchObject({ cpText: 'a=1', cpClosed: false });
    expect(splitSegment('QN=1')).toMatchObject({ headerText: 'QN=1', cpFound: false });
  });

  it('a bare item without "=" is kept with an empty value', () => {
    expect(cp('Flag=N;FANSTATUS')).toEqual([{ Flag: 'N' }, { FANSTATUS: '' }]);
  });

  it('//…// log text may contain separators', () => {
    expect(cp('PolId=w01018;i11001-Info=//a;b,c=d//;i12001-Info=1')).toEqual([
      { PolId: 'w01018' },
      { 'i11001-Info': '//a;b,c=d//' },
      { 'i12001-Info': '1' },
    ]);
    // Unclosed "//" is ordinary text.
    expect(cp('i11001-Info=//a;b=1')).toEqual([{ 'i11001-Info': '//a' }, { b: '1' }]);
  });

  it('keys split at the LAST "-"', () => {
    expect(splitCpKey('a21026-Rtd')).toEqual({ code: 'a21026', field: 'Rtd' });
    expect(splitCpKey('CONC-X-Rtd')).toEqual({ code: 'CONC-X', field: 'Rtd' });
    expect(splitCpKey('DataTime')).toEqual({ code: undefined, field: 'DataTime' });
  });

  it('duplicate keys across groups are kept in order; records keep __proto__ as an own key', () => {
    expect(parseCp('e-Rtd=1;e-Rtd=2')).toEqual([
      [{ key: 'e-Rtd', value: '1' }],
      [{ key: 'e-Rtd', value: '2' }],
    ]);
    const [record] = cp('__proto__=1');
    expect(Object.hasOwn(record as object, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(record)).toBe(Object.prototype);
  });
});
