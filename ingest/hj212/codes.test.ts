import { describe, expect, it } from 'vitest';
import {
  CODE_2005_TO_2017,
  CODE_2005_TO_2017_BY_MEDIUM,
  code2005Of,
  MAX_2005_CODE_LENGTH,
  map2005Code,
  mediumOfSt,
  POLLUTANT_CODES,
  pollutantInfo,
} from '../../config/pollutant-codes.js';

describe('pollutant code table (HJ 212-2017 附录B)', () => {
  it('has the main CEMS and wastewater codes with units and 2005 codes (hj212.md §6)', () => {
    expect(pollutantInfo('a21026')).toMatchObject({
      nameZh: '二氧化硫',
      unit: 'mg/m3',
      couUnit: 'kg',
      code2005: '02',
      medium: 'gas',
    });
    expect(pollutantInfo('a00000')).toMatchObject({ unit: 'm3/s', couUnit: 'm3', code2005: 'B02' });
    expect(pollutantInfo('a19001')).toMatchObject({ unit: '%', code2005: 'S01' });
    expect(pollutantInfo('w01018')).toMatchObject({
      nameEn: 'COD',
      unit: 'mg/L',
      code2005: '011',
      medium: 'water',
    });
    expect(pollutantInfo('w00000')).toMatchObject({ unit: 'L/s', couUnit: 'm3', code2005: 'B01' });
    expect(pollutantInfo('w20111')).toMatchObject({ unit: 'ug/L', couUnit: 'g' });
    expect(pollutantInfo('a34004')?.medium).toBe('ambient');
    expect(pollutantInfo('a05024')?.medium).toBe('ambient');
    expect(pollutantInfo('a99999')).toBeUndefined();
    expect(pollutantInfo('__proto__')).toBeUndefined();
  });

  it('every entry is keyed by its own code and has both names', () => {
    for (const [code, info] of Object.entries(POLLUTANT_CODES)) {
      expect(info.code).toBe(code);
      expect(info.nameZh.length).toBeGreaterThan(0);
      expect(info.nameEn.length).toBeGreaterThan(0);
      expect(code).toMatch(/^[aw]\d{5}$/);
    }
  });

  it('2005 codes map back to the 2017 codes that list them', () => {
    for (const [code, info] of Object.entries(POLLUTANT_CODES)) {
      if (info.code2005 !== undefined) {
        expect(map2005Code(info.code2005, info.medium === 'water' ? '32' : '31')).toBe(code);
        expect(code2005Of(code)).toBe(info.code2005);
      }
    }
    expect(Object.keys(CODE_2005_TO_2017).length).toBe(
      Object.keys(CODE_2005_TO_2017_BY_MEDIUM.gas).length +
        Object.keys(CODE_2005_TO_2017_BY_MEDIUM.water).length,
    );
    expect(MAX_2005_CODE_LENGTH).toBe(3);
  });

  it('map2005Code: ST picks the table; unambiguous codes map whatever the ST; others are undefined', () => {
    expect(map2005Code('011', '32')).toBe('w01018');
    expect(map2005Code('01', '31')).toBe('a34013');
    expect(map2005Code('01', '32')).toBe('a34013'); // flue-gas code sent with ST=32 (bocon sample)
    expect(map2005Code('B01')).toBe('w00000');
    expect(map2005Code('B00', '32')).toBeUndefined();
    expect(map2005Code('a21026', '31')).toBeUndefined();
    expect(mediumOfSt('31')).toBe('gas');
    expect(mediumOfSt('32')).toBe('water');
    expect(mediumOfSt('91')).toBeUndefined();
  });
});
