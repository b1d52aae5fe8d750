import { describe, expect, it } from 'vitest';
import { formatCrc, hj212Crc, hj212CrcOfString, modbusCrc, modbusCrcLowFirst, parseCrcHex } from './crc.js';

const ascii = (s: string) => Buffer.from(s, 'utf8');

/** The standard's bitwise reference algorithm (附录A), to check the table-driven one against. */
function referenceCrc(bytes: Uint8Array): number {
  let r = 0xffff;
  for (const b of bytes) {
    r = (r >>> 8) ^ b;
    for (let j = 0; j < 8; j++) r = r & 1 ? (r >>> 1) ^ 0xa001 : r >>> 1;
  }
  return r;
}

describe('HJ 212 CRC (附录A)', () => {
  it('check value "123456789" → 2F80 (MODBUS would be 4B37)', () => {
    expect(formatCrc(hj212Crc(ascii('123456789')))).toBe('2F80');
    expect(modbusCrc(ascii('123456789'))).toBe(0x4b37);
    expect(modbusCrcLowFirst(ascii('123456789'))).toBe('374B');
  });

  it('appendix-A segment → 1C80 (prose typo 1C08; MODBUS 0759)', () => {
    const segment =
      'QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&';
    expect(formatCrc(hj212Crc(ascii(segment)))).toBe('1C80');
    expect(formatCrc(hj212CrcOfString(segment))).toBe('1C80');
    expect(modbusCrc(ascii(segment))).toBe(0x0759);
  });

  it('empty input → FFFF; leading zeros kept', () => {
    expect(formatCrc(hj212Crc(new Uint8Array()))).toBe('FFFF');
    expect(formatCrc(0)).toBe('0000');
    expect(formatCrc(0x0a)).toBe('000A');
  });

  it('table-driven equals the bitwise reference on random inputs, and respects ranges', () => {
    let seed = 12345;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    for (let n = 0; n < 200; n++) {
      const bytes = new Uint8Array(rnd() % 300);
      for (let i = 0; i < bytes.length; i++) bytes[i] = rnd() & 0xff;
      expect(hj212Crc(bytes)).toBe(referenceCrc(bytes));
      const from = Math.min(bytes.length, 3);
      expect(hj212Crc(bytes, from, bytes.length)).toBe(referenceCrc(bytes.subarray(from)));
    }
  });

  it('string CRC sums UTF-8 bytes for non-ASCII text', () => {
    const text = 'CP=&&i11001-Info=//清洗管路//&&';
    expect(hj212CrcOfString(text)).toBe(referenceCrc(Buffer.from(text, 'utf8')));
  });

  it('parses hex case-insensitively and rejects non-hex', () => {
    expect(parseCrcHex('f001')).toBe(0xf001);
    expect(parseCrcHex('F001')).toBe(0xf001);
    expect(parseCrcHex('G001')).toBe(-1);
    expect(parseCrcHex('001')).toBe(-1);
  });
});
