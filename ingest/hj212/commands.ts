/**
 * Command codes and answer codes (HJ 212-2017 §6.6.5 表9, 表6, 表7; hj212.md §3, §7).
 */

/** ST of every interaction reply 9011–9014 (STD 表5 "91 系统交互"). */
export const ST_SYSTEM_INTERACTION = '91';

/**
 * CNs a device (现场机) uploads data with; an upload with Flag.A = 1 is answered with 9014 (表9, 附录C;
 * vectors README rule). 2011/2021/2031/2041/2051/2061 are also platform request CNs: a request has no
 * DataTime in CP, an upload has one.
 */
export const DATA_UPLOAD_CNS: ReadonlySet<string> = new Set([
  '2011', // 实时数据
  '2021', // 设备运行状态
  '2031', // 日历史数据
  '2041', // 设备运行时间日历史
  '2051', // 分钟数据
  '2061', // 小时数据
  '2081', // 数采仪开机时间
  '3019', // 仪器 SN
  '3020', // 现场机信息 (logs, status, parameters)
]);

/** Device notifications the platform answers with 9013 (通知应答): 1013 时间校准请求 (表C.4). */
export const DEVICE_NOTIFICATION_CNS: ReadonlySet<string> = new Set(['1013']);

/** Platform notifications the device answers with 9013: 2012 stop real-time, 2022 stop run state. */
export const PLATFORM_NOTIFICATION_CNS: ReadonlySet<string> = new Set(['2012', '2022']);

/** CN of the reply messages. */
export const CN_QN_RTN = '9011';
export const CN_EXE_RTN = '9012';
export const CN_NOTIFY_ACK = '9013';
export const CN_DATA_ACK = '9014';

/** 请求应答 QnRtn (表7). */
export const QN_RTN = {
  ready: 1, // 准备执行请求
  rejected: 2, // 请求被拒绝
  badPassword: 3, // PW 错误
  badMn: 4, // MN 错误
  badSt: 5, // ST 错误
  badFlag: 6, // Flag 错误
  badQn: 7, // QN 错误
  badCn: 8, // CN 错误
  badCrc: 9, // CRC 校验错误
  unknown: 100, // 未知错误
} as const;

/** 执行结果 ExeRtn (表6). */
export const EXE_RTN = {
  success: 1, // 执行成功
  failed: 2, // 执行失败，但不知道原因
  badCondition: 3, // 命令请求条件错误
  timeout: 4, // 通讯超时
  busy: 5, // 系统繁忙不能执行
  systemFault: 6, // 系统故障
  noData: 100, // 没有数据
} as const;

/** Flag version bits (表3 V5..V0): 2005 = 0, 2017 = 1, 2025 = 2 (caoyiliang/HJ212). */
export const FLAG_VERSION = { '2005': 0, '2017': 1, '2025': 2 } as const;
export type EncodeVersion = keyof typeof FLAG_VERSION;

/** Flag value from its parts (表3: V5..V0 D A). */
export function makeFlag(version: EncodeVersion, split: boolean, ackRequired: boolean): number {
  return (FLAG_VERSION[version] << 2) | (split ? 2 : 0) | (ackRequired ? 1 : 0);
}
