import { describe, expect, it } from 'vitest';
import { parseCompactLocalTime } from '../../core/local-time.js';
import type { PollutantValue } from '../reading.js';
import { cpGroupsToRecords } from './cp.js';
import {
  addMillisToQn,
  buildDataAck9014,
  buildDeviceResponse,
  buildExeRtn9012,
  buildGetTime1011,
  buildHistoryRequest,
  buildNotifyAck9013,
  buildNotifyAckFor,
  buildPolIdCommand,
  buildQnRtn9011,
  buildRequest,
  buildSetInfo3021,
  buildSetMinInterval1064,
  buildSetPassword1072,
  buildSetRtdInterval1062,
  buildSetSamplePeriod3016,
  buildSetTime1012,
  buildSetTimeoutRetry1000,
  buildUploadSwitch,
  encodeFrame,
  encodeUpload,
  formatDecimal,
  type RequestTarget,
  type UploadData,
} from './encode.js';
import { decodeFrame } from './packet.js';
import { vectorById } from './vectors.fixture.js';

const ZONE = 'Asia/Shanghai';
const MN = '010000A8900016F000169DC0';
const QN = '20160801085857223';
const target: RequestTarget = { qn: QN, st: '32', pw: '123456', mn: MN };
const raw = (id: string) => vectorById(id).raw;
const at = (compact: string) => parseCompactLocalTime(compact, ZONE) as Date;

describe('encodeFrame', () => {
  it('frames the appendix-A segment exactly as the standard prints it', () => {
    const segment = `QN=${QN};ST=32;CN=1062;PW=100000;MN=${MN};Flag=5;CP=&&RtdInterval=30&&`;
    expect(encodeFrame(segment)).toBe(raw('std-A-1062-set-rtdinterval'));
  });

  it('counts UTF-8 bytes in the length field (表C.40)', () => {
    expect(encodeFrame(vectorById('std-C40-3020-log-utf8').expect.segment)).toBe(
      raw('std-C40-3020-log-utf8'),
    );
  });

  it('writes lower-case and MODBUS-low-first CRCs on request', () => {
    const segment = vectorById('std-C16-2051-minute').expect.segment;
    expect(encodeFrame(segment, 'modbus-low-first')).toBe(raw('synthetic-C16-modbus-crc'));
    const lower = encodeFrame(vectorById('zblzbl-9014-lowercase').expect.segment, 'lower');
    expect(lower).toBe(raw('zblzbl-9014-lowercase'));
  });

  it('rejects segments the 4-digit length cannot describe', () => {
    expect(() => encodeFrame('x'.repeat(10_000))).toThrow(RangeError);
    expect(encodeFrame('x'.repeat(9999)).startsWith('##9999')).toBe(true);
  });
});

describe('replies (ST=91, Flag=4, QN echoed)', () => {
  const to = { qn: QN, pw: '123456', mn: MN };
  it('9011 / 9012 / 9013 / 9014 equal the 附录C frames', () => {
    expect(buildQnRtn9011(to)).toBe(raw('std-C1-9011-qnrtn'));
    expect(buildExeRtn9012(to)).toBe(raw('std-C1-9012-exertn'));
    expect(buildNotifyAck9013(to)).toBe(raw('std-C4-9013-notify-answer'));
    expect(buildDataAck9014(to)).toBe(raw('std-C14-9014-data-answer'));
  });

  it('9013 answers the 1013 time-calibration notification only', () => {
    const notification = decodeFrame(raw('std-C4-1013-time-cal-request'));
    const upload = decodeFrame(raw('std-C14-2011-realtime-wastewater'));
    expect(notification.ok && buildNotifyAckFor(notification.packet)).toBe(raw('std-C4-9013-notify-answer'));
    expect(upload.ok && buildNotifyAckFor(upload.packet)).toBeNull();
  });
});

describe('platform requests equal the 附录C frames', () => {
  it.each([
    ['std-A-1062-set-rtdinterval', () => buildSetRtdInterval1062({ ...target, pw: '100000' }, 30)],
    ['std-C1-1000-set-overtime', () => buildSetTimeoutRetry1000(target, 5, 3)],
    ['std-C2-1011-get-time', () => buildGetTime1011(target, 'w01018')],
    ['std-C3-1012-set-time', () => buildSetTime1012(target, '20160801085857', 'w01018')],
    ['std-C5-1061-get-rtdinterval', () => buildRequest(target, '1061')],
    ['std-C6-1062-set-rtdinterval', () => buildSetRtdInterval1062(target, 30)],
    ['std-C8-1064-set-mininterval', () => buildSetMinInterval1064(target, 10)],
    ['std-C9-1072-set-password', () => buildSetPassword1072(target, '654321')],
    ['std-C10-2011-start-realtime', () => buildUploadSwitch(target, '2011')],
    ['std-C11-2012-stop-realtime', () => buildUploadSwitch(target, '2012')],
    ['std-C12-2021-start-runstate', () => buildUploadSwitch(target, '2021')],
    [
      'std-C20-2051-history-request',
      () => buildHistoryRequest(target, '2051', '20160801084000', '20160801084000'),
    ],
    ['std-C30-3011-calibrate', () => buildPolIdCommand(target, '3011', 'w01018')],
    ['std-C31-3012-sample-now', () => buildPolIdCommand(target, '3012', 'w01018')],
    ['std-C34-3015-request', () => buildPolIdCommand(target, '3015')],
    ['std-C35-3016-set-sample-period', () => buildSetSamplePeriod3016(target, 'w01018', '000000', 2)],
    ['std-C46-3021-set-param', () => buildSetInfo3021(target, 'w01018', 'i13004', '168.0')],
    [
      'caoyiliang-2025-3022-instant-keep-sample',
      () => buildRequest({ ...target, qn: '20240601085857223', flag: 9 }, '3022', [['PolId', 'w01018']]),
    ],
  ])('%s', (id, build) => {
    expect(build()).toBe(raw(id));
  });

  it('device responses inside a request flow (Flag=4)', () => {
    const request = { qn: QN, st: '32', cn: '1011', pw: '123456', mn: MN };
    expect(
      buildDeviceResponse(request, [
        ['PolId', 'w01018'],
        ['SystemTime', '20160801085857'],
      ]),
    ).toBe(raw('std-C2-1011-time-response'));
    expect(buildDeviceResponse({ ...request, cn: '1061' }, [['RtdInterval', '30']])).toBe(
      raw('std-C5-1061-response'),
    );
  });
});

describe('data uploads', () => {
  const wastewaterHour: UploadData = {
    st: '32',
    cn: '2061',
    mn: MN,
    dataTime: at('20160801080000'),
    values: [
      { code: 'w00000', cou: 63, min: 16.4, avg: 17.5, max: 20.1, flag: 'N' },
      { code: 'w01001', min: 7.1, avg: 7.5, max: 7.8, flag: 'N' },
      { code: 'w01018', cou: 63, min: 40.1, avg: 40.1, max: 40.1, flag: 'N' },
    ],
  };

  it('reproduces 表C.14 real-time upload with SampleTime and EFlag', () => {
    const frames = encodeUpload(
      {
        st: '32',
        cn: '2011',
        mn: MN,
        dataTime: at('20160801085857'),
        values: [
          { code: 'w01001', rtd: 7.1, flag: 'N' },
          { code: 'w01018', sampleTime: at('20160801070000'), rtd: 2.2, flag: 'N', eflag: 'A01' },
        ],
      },
      { qn: QN, pw: '123456', zone: ZONE },
    );
    expect(frames).toEqual([raw('std-C14-2011-realtime-wastewater')]);
  });

  it('reproduces 表C.17 hour data with fixed decimals', () => {
    const frames = encodeUpload(wastewaterHour, {
      qn: '20160801090000001',
      pw: '123456',
      zone: ZONE,
      decimals: 1,
    });
    expect(frames).toEqual([raw('std-C17-2061-hour')]);
  });

  it('splits into PNUM/PNO sub-packets exactly as 表C.50 (own QN +1 ms, DataTime repeated, Flag=7)', () => {
    const frames = encodeUpload(wastewaterHour, {
      qn: '20160801085857534',
      pw: '123456',
      zone: ZONE,
      decimals: 1,
      maxSegmentBytes: 260,
    });
    expect(frames).toEqual([raw('std-C50-2061-split-ack-1of2'), raw('std-C50-2061-split-ack-2of2')]);
    const noAck = encodeUpload(wastewaterHour, {
      qn: '20160801085857534',
      pw: '123456',
      zone: ZONE,
      decimals: 1,
      maxSegmentBytes: 260,
      ackRequired: false,
    });
    expect(noAck).toEqual([raw('std-C49-2061-split-noack-1of2'), raw('std-C49-2061-split-noack-2of2')]);
  });

  it('reproduces run-state (2021, RS) and run-time (2041, RT) uploads', () => {
    const rs = encodeUpload(
      {
        st: '32',
        cn: '2021',
        mn: MN,
        dataTime: at('20160801085857'),
        values: [
          { code: 'SB1', rs: 1 },
          { code: 'SB2', rs: 0 },
        ],
      },
      { qn: QN, pw: '123456', zone: ZONE },
    );
    expect(rs).toEqual([raw('std-C15-2021-runstate')]);
    const rt = encodeUpload(
      {
        st: '32',
        cn: '2041',
        mn: MN,
        dataTime: at('20160801000000'),
        values: [
          { code: 'SB1', rt: 1.1 },
          { code: 'SB2', rt: 2.1 },
        ],
      },
      { qn: '20160802000000001', pw: '123456', zone: ZONE },
    );
    expect(rt).toEqual([raw('std-C19-2041-runtime-day')]);
  });

  it('keeps every sub-packet within the limit and every group whole', () => {
    const values: PollutantValue[] = [];
    for (let i = 0; i < 60; i++)
      values.push({ code: `a99${String(i).padStart(3, '0')}`, rtd: i + 0.125, flag: 'N' });
    const frames = encodeUpload(
      { st: '31', cn: '2011', mn: MN, dataTime: at('20240101000000'), values },
      { qn: '20240101000000999', pw: '123456', zone: ZONE },
    );
    expect(frames.length).toBeGreaterThan(1);
    const seen: string[] = [];
    frames.forEach((frame, index) => {
      const decoded = decodeFrame(frame);
      expect(decoded.ok).toBe(true);
      if (!decoded.ok) return;
      const { packet } = decoded;
      expect(packet.frame.lengthBytes).toBeLessThanOrEqual(1024);
      expect(packet.split).toBe(true);
      expect(packet.header.pnum).toBe(frames.length);
      expect(packet.header.pno).toBe(index + 1);
      expect(packet.dataTime).toBe('20240101000000');
      // QN …999 + 1 ms rolls the second over.
      if (index === 1) expect(packet.header.qn).toBe('20240101000001000');
      for (const group of cpGroupsToRecords(packet.cp).slice(1)) {
        expect(Object.keys(group)).toHaveLength(2);
        seen.push(Object.keys(group)[0] as string);
      }
    });
    expect(seen).toEqual(values.map((v) => `${v.code}-Rtd`));
  });

  it('writes 2005-style frames: no QN, no Flag, 2005 codes', () => {
    const [frame] = encodeUpload(
      {
        st: '32',
        cn: '2011',
        mn: 'LD130133000015',
        dataTime: at('20160824003817'),
        values: [
          { code: 'w01018', rtd: 231, flag: 'N' },
          { code: 'w00000', rtd: 36.91 },
          { code: 'w21003', rtd: 1.803, flag: 'N' },
        ],
      },
      {
        qn: QN,
        pw: '000000',
        zone: ZONE,
        version: '2005',
        ackRequired: false,
        crcStyle: 'lower',
        decimals: undefined,
      },
    );
    expect(frame).toBe(
      encodeFrame(
        'ST=32;CN=2011;PW=000000;MN=LD130133000015;CP=&&DataTime=20160824003817;011-Rtd=231,011-Flag=N;B01-Rtd=36.91;060-Rtd=1.803,060-Flag=N&&',
        'lower',
      ),
    );
  });

  it('refuses text values that would break the CP grammar', () => {
    expect(() =>
      encodeUpload(
        {
          st: '31',
          cn: '2011',
          mn: MN,
          dataTime: at('20240101000000'),
          values: [{ code: 'a21026', flag: 'N;x' }],
        },
        { qn: QN, pw: '123456', zone: ZONE },
      ),
    ).toThrow(RangeError);
  });

  it('appends extras to their code group, or as bare groups', () => {
    const [frame] = encodeUpload(
      {
        st: '31',
        cn: '2051',
        mn: MN,
        dataTime: at('20240101000000'),
        values: [{ code: 'a01006', avg: 101.85 }],
      },
      {
        qn: QN,
        pw: '123456',
        zone: ZONE,
        extras: [
          { code: 'a01006', field: 'ValidNum', value: '10' },
          { code: undefined, field: 'FANSTATUS', value: '1' },
        ],
      },
    );
    const decoded = decodeFrame(frame as string);
    expect(decoded.ok && cpGroupsToRecords(decoded.packet.cp)).toEqual([
      { DataTime: '20240101000000' },
      { 'a01006-Avg': '101.85', 'a01006-ValidNum': '10' },
      { FANSTATUS: '1' },
    ]);
  });
});

describe('helpers', () => {
  it('formatDecimal never uses exponent notation and round-trips', () => {
    for (const n of [
      0,
      1,
      -1,
      0.1,
      1e-7,
      -1.5e-10,
      1e21,
      1.2345e25,
      123456.789,
      5e-324,
      Number.MAX_SAFE_INTEGER,
    ]) {
      const s = formatDecimal(n);
      expect(s).not.toMatch(/e/i);
      expect(Number(s)).toBe(n);
    }
    expect(formatDecimal(63, 1)).toBe('63.0');
    expect(() => formatDecimal(Number.NaN)).toThrow(RangeError);
  });

  it('addMillisToQn carries into seconds, days and years', () => {
    expect(addMillisToQn('20160801085857534', 1)).toBe('20160801085857535');
    expect(addMillisToQn('20161231235959999', 1)).toBe('20170101000000000');
    expect(addMillisToQn('20160801085857534', 0)).toBe('20160801085857534');
    expect(addMillisToQn('QN99', 2)).toBe('QN101');
  });
});
