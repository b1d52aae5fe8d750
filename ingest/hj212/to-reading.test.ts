import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KIND_BY_CN, type PollutantValue, type Reading } from '../reading.js';
import { type CrcStyle, encodeFrame, encodeUpload } from './encode.js';
import { decodeFrame, type Hj212Packet } from './packet.js';
import { mergeReadings } from './split.js';
import { parseDecimal, type ToReadingResult, toReading } from './to-reading.js';
import { vectorById } from './vectors.fixture.js';

const ZONE = 'Asia/Shanghai';
const receivedAt = new Date('2026-01-01T00:00:00Z');

function packetOf(raw: string): Hj212Packet {
  const decoded = decodeFrame(raw, { crcPolicy: 'off' });
  if (!decoded.ok) throw new Error(decoded.reason);
  return decoded.packet;
}

function okReading(result: ToReadingResult) {
  if (!result.ok) throw new Error(`${result.code}: ${result.reason}`);
  return result;
}

describe('toReading on the standard vectors', () => {
  it('表C.14: real-time wastewater with SampleTime and EFlag; DataTime in the site zone', () => {
    const r = okReading(
      toReading(packetOf(vectorById('std-C14-2011-realtime-wastewater').raw), { zone: ZONE, receivedAt }),
    );
    expect(r.reading).toEqual({
      mn: '010000A8900016F000169DC0',
      st: '32',
      cn: '2011',
      kind: 'rtd',
      dataTime: new Date('2016-08-01T00:58:57Z'),
      receivedAt,
      source: 'hj212-tcp',
      crc: 'ok',
      values: [
        { code: 'w01001', rtd: 7.1, flag: 'N' },
        { code: 'w01018', sampleTime: new Date('2016-07-31T23:00:00Z'), rtd: 2.2, flag: 'N', eflag: 'A01' },
      ],
    } satisfies Reading);
    expect(r.problems).toEqual([]);
    expect(r.extras).toEqual([]);
  });

  it('kinds follow the CN: minute, hour, day, status (RS), runtime (RT)', () => {
    const kindOf = (id: string) =>
      okReading(toReading(packetOf(vectorById(id).raw), { zone: ZONE, receivedAt })).reading;
    expect(kindOf('std-C16-2051-minute').kind).toBe('minute');
    expect(kindOf('std-C17-2061-hour').values[0]).toEqual({
      code: 'w00000',
      cou: 63,
      min: 16.4,
      avg: 17.5,
      max: 20.1,
      flag: 'N',
    });
    expect(kindOf('std-C18-2031-day').kind).toBe('day');
    expect(kindOf('std-C15-2021-runstate').values).toEqual([
      { code: 'SB1', rs: 1 },
      { code: 'SB2', rs: 0 },
    ]);
    expect(kindOf('std-C19-2041-runtime-day').values).toEqual([
      { code: 'SB1', rt: 1.1 },
      { code: 'SB2', rt: 2.1 },
    ]);
  });

  it('maps 2005 codes to 2017 codes (ST decides the table) and keeps unknown ones', () => {
    const r = okReading(
      toReading(packetOf(vectorById('bocon-2005-FLAG-upper-junk-comma').raw), { zone: ZONE, receivedAt }),
    );
    expect(r.reading.values.map((v) => v.code)).toEqual(['w01001', 'w21003', 'w01018', 'w00000', 'B00']);
    expect(r.renamedCodes).toContainEqual({ from: '011', to: 'w01018' });
    const gas = okReading(
      toReading(packetOf(vectorById('bocon-2005-split-oversize-1045').raw), { zone: ZONE, receivedAt }),
    );
    expect(gas.reading.values.map((v) => v.code)).toEqual([
      'a00000',
      'a05001',
      'a20057',
      'a20043',
      'a20025',
      'a20091',
      'a20063',
      'a20016',
      'a01010',
      'a34013',
      'a21026',
      'a21002',
    ]);
    expect(gas.reading.values[9]).toMatchObject({ zsAvg: 0, flag: 'D' });
  });

  it('17-digit DataTime (ms) is accepted', () => {
    const r = okReading(
      toReading(packetOf(vectorById('xiaoyao-2005-datatime-ms').raw), { zone: ZONE, receivedAt }),
    );
    expect(r.reading.dataTime).toEqual(new Date('2016-08-23T16:38:17Z'));
  });

  it('unknown suffixes and bare keys go to extras, not lost', () => {
    const r = okReading(
      toReading(packetOf(vectorById('libem-pno-before-pnum').raw), { zone: ZONE, receivedAt }),
    );
    expect(r.reading.values).toEqual([{ code: 'a01006', avg: 101.85, min: 101.84, max: 101.87 }]);
    expect(r.extras).toEqual([
      { code: 'a01006', field: 'ValidNum', value: '10' },
      { code: 'a01006', field: 'TotalNum', value: '10' },
    ]);
    const noise = okReading(
      toReading(packetOf(vectorById('std-C26-2051-noise-minute').raw), { zone: ZONE, receivedAt }),
    );
    expect(noise.reading.values).toEqual([]);
    expect(noise.extras).toHaveLength(8);
    expect(noise.extras[0]).toEqual({ code: 'L5', field: 'Data', value: '53.0' });
  });

  it('duplicate keys: first value kept, the other reported (表C.29)', () => {
    const r = okReading(
      toReading(packetOf(vectorById('std-C29-2011-process-realtime').raw), { zone: ZONE, receivedAt }),
    );
    expect(r.reading.values).toEqual([{ code: 'e01001', rtd: 1.1 }]);
    expect(r.problems).toEqual([{ kind: 'duplicate', key: 'e01001-Rtd', value: '2.2' }]);
  });

  it('CRC verdict is carried into the reading', () => {
    const decoded = decodeFrame(vectorById('synthetic-C16-modbus-crc').raw, { crcPolicy: 'lenient' });
    expect(decoded.ok).toBe(true);
    if (decoded.ok)
      expect(okReading(toReading(decoded.packet, { zone: ZONE, receivedAt })).reading.crc).toBe('modbus');
  });
});

describe('toReading errors and problems', () => {
  const frame = (cp: string, cn = '2011') =>
    packetOf(encodeFrame(`QN=20240101000000000;ST=31;CN=${cn};PW=123456;MN=MN1;Flag=5;CP=&&${cp}&&`));

  it('rejects non-data CNs, requests without DataTime, bad DataTime', () => {
    expect(
      toReading(packetOf(vectorById('std-C1-9011-qnrtn').raw), { zone: ZONE, receivedAt }),
    ).toMatchObject({
      ok: false,
      code: 'ING_PAYLOAD_INVALID',
    });
    expect(
      toReading(packetOf(vectorById('std-C10-2011-start-realtime').raw), { zone: ZONE, receivedAt }),
    ).toMatchObject({
      ok: false,
      code: 'ING_DATATIME_INVALID',
    });
    expect(
      toReading(frame('DataTime=20240231000000;a21026-Rtd=1'), { zone: ZONE, receivedAt }),
    ).toMatchObject({
      ok: false,
      code: 'ING_DATATIME_INVALID',
    });
  });

  it('drops non-numbers and non-finite numbers (never NaN) and reports them', () => {
    const r = okReading(
      toReading(
        frame(
          'DataTime=20240101000000;a21026-Rtd=,a21026-Avg=0x1F,a21026-Max=1e999,a21026-Min=-0.5,a21026-Flag=N;' +
            'a21002-Rtd=NaN,a21002-ZsRtd=Infinity,a21002-Cou= 3 ,a21002-SampleTime=2024,a21002-EFlag=;' +
            'a19001-rtd=5.5,a19001-XYZ=7',
        ),
        { zone: ZONE, receivedAt },
      ),
    );
    expect(r.reading.values).toEqual([
      { code: 'a21026', min: -0.5, flag: 'N' },
      { code: 'a21002', cou: 3 },
      { code: 'a19001', rtd: 5.5 },
    ]);
    expect(r.problems.map((p) => [p.kind, p.key])).toEqual([
      ['not-a-number', 'a21026-Rtd'],
      ['not-a-number', 'a21026-Avg'],
      ['not-finite', 'a21026-Max'],
      ['not-a-number', 'a21002-Rtd'],
      ['not-a-number', 'a21002-ZsRtd'],
      ['bad-time', 'a21002-SampleTime'],
      ['empty', 'a21002-EFlag'],
    ]);
    expect(r.extras).toEqual([{ code: 'a19001', field: 'XYZ', value: '7' }]);
  });

  it('parseDecimal accepts HJ 212 decimals only', () => {
    expect(parseDecimal('12.5')).toBe(12.5);
    expect(parseDecimal('-0.041')).toBe(-0.041);
    expect(parseDecimal('+3')).toBe(3);
    expect(parseDecimal('.5')).toBe(0.5);
    expect(parseDecimal('5.')).toBe(5);
    expect(parseDecimal('1.5E-3')).toBe(0.0015);
    for (const bad of ['', ' ', '-', '.', '1.2.3', '0x10', 'Infinity', 'NaN', '1e', '1e+', '12a', '1,5']) {
      expect(parseDecimal(bad)).toBeUndefined();
    }
  });
});

// ---------------------------------------------------------------------------------------------------
// Property: reading → encodeUpload (possibly split) → decodeFrame → toReading → merge ≡ reading

/** Character sets for string generators (fc.stringMatching is ~20× slower to generate). */
const UPPER_DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

const finiteNumber = fc
  .oneof(
    fc.double({ min: -1e9, max: 1e9, noNaN: true }),
    fc.integer({ min: -100_000, max: 100_000 }),
    fc.constantFrom(1e-7, 1.5e-10, 1e21, 0.1, 123.456),
  )
  .map((n) => (Object.is(n, -0) ? 0 : n));

/** Whole seconds 2000–2037 (the wire has second resolution). */
const wireTime = fc.integer({ min: 946_684_800, max: 2_100_000_000 }).map((s) => new Date(s * 1000));

const knownCodes = ['a21026', 'a21002', 'a34013', 'a19001', 'a00000', 'w01018', 'w21003', 'w00000', 'a01012'];
const codeArb = fc.oneof(
  fc.constantFrom(...knownCodes),
  fc
    .tuple(fc.constantFrom('a', 'w', 'e', 'g', 'x'), fc.integer({ min: 0, max: 99_999 }))
    .map(([letter, n]) => `${letter}${String(n).padStart(5, '0')}`),
);

const valueArb = (code: string): fc.Arbitrary<PollutantValue> =>
  fc
    .record(
      {
        rtd: finiteNumber,
        avg: finiteNumber,
        min: finiteNumber,
        max: finiteNumber,
        zsRtd: finiteNumber,
        zsAvg: finiteNumber,
        zsMin: finiteNumber,
        zsMax: finiteNumber,
        cou: finiteNumber,
        rs: fc.integer({ min: 0, max: 5 }),
        rt: fc.double({ min: 0, max: 24, noNaN: true }).map((n) => (Object.is(n, -0) ? 0 : n)),
        flag: fc.constantFrom('N', 'F', 'M', 'S', 'D', 'C', 'T', 'B', 'Md'),
        eflag: fc.string({ unit: fc.constantFrom(...UPPER_DIGITS), minLength: 1, maxLength: 4 }),
        sampleTime: wireTime,
      },
      { requiredKeys: [] },
    )
    .map((fields) => ({ code, ...fields }));

const readingArb: fc.Arbitrary<Reading> = fc
  .record({
    mn: fc.string({ unit: fc.constantFrom(...`${UPPER_DIGITS}abcxyz_`), minLength: 6, maxLength: 24 }),
    st: fc.constantFrom('31', '32', '22', '21', '52'),
    cn: fc.constantFrom(...Object.keys(KIND_BY_CN)),
    dataTime: wireTime,
    codes: fc.uniqueArray(codeArb, { minLength: 0, maxLength: 25 }),
  })
  .chain(({ codes, ...rest }) =>
    fc.tuple(...codes.map(valueArb)).map((values) => ({
      ...rest,
      kind: KIND_BY_CN[rest.cn] as Reading['kind'],
      receivedAt,
      source: 'hj212-tcp' as const,
      crc: 'ok' as const,
      // A value with no field does not survive (nothing to encode); the model drops it too.
      values: values.filter((v) => Object.keys(v).length > 1),
    })),
  );

describe('property: encode → decode → toReading round-trips', () => {
  it('values, flags, SampleTime and DataTime survive, through splitting too', () => {
    fc.assert(
      fc.property(
        readingArb,
        fc.integer({ min: 300, max: 1024 }),
        fc.constantFrom<CrcStyle>('upper', 'lower'),
        fc.boolean(),
        fc.constantFrom('2017' as const, '2025' as const),
        (reading, maxSegmentBytes, crcStyle, ackRequired, version) => {
          const frames = encodeUpload(reading, {
            qn: '20240101000000000',
            pw: '123456',
            zone: ZONE,
            maxSegmentBytes,
            crcStyle,
            ackRequired,
            version,
          });
          const parts: Reading[] = [];
          for (const frame of frames) {
            const decoded = decodeFrame(Buffer.from(frame, 'utf8'));
            if (!decoded.ok) throw new Error(decoded.reason);
            expect(decoded.packet.ackRequired).toBe(ackRequired);
            expect(decoded.packet.split).toBe(frames.length > 1);
            const result = okReading(toReading(decoded.packet, { zone: ZONE, receivedAt }));
            expect(result.problems).toEqual([]);
            expect(result.extras).toEqual([]);
            parts.push(result.reading);
          }
          const [merged] = mergeReadings(parts);
          expect(merged).toEqual(reading);
        },
      ),
      { numRuns: 500 },
    );
  });
});
