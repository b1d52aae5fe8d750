/**
 * The normalized reading: one message from one gateway at one data time (DESIGN.md §4). Every intake
 * (MQTT JSON, HJ 212 over MQTT, HJ 212 over TCP) produces this shape, and everything downstream
 * (enrichment, storage, alerting) consumes only this shape.
 */

/** Data kind, from the HJ 212 command code (CN) of the upload. */
export type ReadingKind = 'rtd' | 'minute' | 'hour' | 'day' | 'status' | 'runtime';

export const READING_KINDS: readonly ReadingKind[] = ['rtd', 'minute', 'hour', 'day', 'status', 'runtime'];

/** HJ 212 CN → kind. 2011 real-time, 2051 minute, 2061 hour, 2031 day, 2021 run state, 2041 run time. */
export const KIND_BY_CN: Readonly<Record<string, ReadingKind>> = {
  '2011': 'rtd',
  '2051': 'minute',
  '2061': 'hour',
  '2031': 'day',
  '2021': 'status',
  '2041': 'runtime',
};

export const CN_BY_KIND: Readonly<Record<ReadingKind, string>> = {
  rtd: '2011',
  minute: '2051',
  hour: '2061',
  day: '2031',
  status: '2021',
  runtime: '2041',
};

/** Where a reading entered the centre. */
export type ReadingSource = 'mqtt-json' | 'mqtt-hj212' | 'hj212-tcp';

/**
 * One pollutant's (or one 工况/status item's) values in a reading. Field names follow the HJ 212
 * suffixes (hj212.md §4): Rtd, Min, Avg, Max, ZsRtd…, Cou, Flag, EFlag, SampleTime; RS/RT for run
 * state and run time. All numbers are finite; intakes reject NaN/Infinity before building this.
 */
export interface PollutantValue {
  /** HJ 212 code as received, e.g. "a21026"; 2005 codes are mapped to 2017 codes by the HJ 212 intake. */
  code: string;
  rtd?: number;
  avg?: number;
  min?: number;
  max?: number;
  zsRtd?: number;
  zsAvg?: number;
  zsMin?: number;
  zsMax?: number;
  cou?: number;
  /** Instrument data flag (N, F, M, S, D, C, T, B, or a vendor/2005 value); only N counts as valid. */
  flag?: string;
  eflag?: string;
  sampleTime?: Date;
  /** 治理设施运行状态 (SBxxx-RS): 0 off, 1 running, 2 calibration, 3 maintenance, 4 alarm, 5 back-flush. */
  rs?: number;
  /** 治理设施日运行时间 (SBxxx-RT), hours per day. */
  rt?: number;
}

export interface Reading {
  /** Gateway (数采仪) id. */
  mn: string;
  /** HJ 212 system code (31 flue gas, 32 wastewater, 22 air quality …). */
  st: string;
  cn: string;
  kind: ReadingKind;
  /** Data time in UTC. The wire has local time without a zone; intakes interpret it in the site zone. */
  dataTime: Date;
  receivedAt: Date;
  source: ReadingSource;
  values: PollutantValue[];
  /** HJ 212 only: how the frame's CRC was judged (lenient mode accepts the MODBUS variant and marks it). */
  crc?: 'ok' | 'modbus' | 'unchecked';
}
