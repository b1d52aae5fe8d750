/**
 * HJ 212 codec: pure decoding/encoding of HJ 212-2017 frames (with HJ/T 212-2005 and HJ 212-2025
 * tolerance), used by the HJ 212 intakes and by the device simulator. No I/O. See
 * ../../../shared/reference/hj212.md for the protocol and its real-world deviations.
 */

export {
  CN_DATA_ACK,
  CN_EXE_RTN,
  CN_NOTIFY_ACK,
  CN_QN_RTN,
  DATA_UPLOAD_CNS,
  DEVICE_NOTIFICATION_CNS,
  type EncodeVersion,
  EXE_RTN,
  FLAG_VERSION,
  makeFlag,
  PLATFORM_NOTIFICATION_CNS,
  QN_RTN,
  ST_SYSTEM_INTERACTION,
} from './commands.js';
export {
  type CpGroup,
  type CpItem,
  cpGroupsToRecords,
  findCpValue,
  parseCp,
  type SegmentParts,
  splitCpKey,
  splitSegment,
} from './cp.js';
export { formatCrc, hj212Crc, hj212CrcOfString, modbusCrc, modbusCrcLowFirst, parseCrcHex } from './crc.js';
export {
  addMillisToQn,
  buildAck9014,
  buildDataAck9014,
  buildDeviceResponse,
  buildExeRtn9012,
  buildFrame,
  buildGetInfo3020,
  buildGetMinInterval1063,
  buildGetRtdInterval1061,
  buildGetTime1011,
  buildHistoryRequest,
  buildNotifyAck9013,
  buildNotifyAckFor,
  buildPolIdCommand,
  buildQnRtn9011,
  buildRequest,
  buildSegment,
  buildSetInfo3021,
  buildSetMinInterval1064,
  buildSetPassword1072,
  buildSetRtdInterval1062,
  buildSetSamplePeriod3016,
  buildSetTime1012,
  buildSetTimeoutRetry1000,
  buildUploadSwitch,
  type CpParams,
  type CrcStyle,
  encodeFrame,
  encodeUpload,
  formatCp,
  formatDecimal,
  type HistoryCn,
  type Hj212Extra,
  isDataUploadCn,
  isPlatformNotification,
  MAX_SEGMENT_BYTES,
  type PolIdCommandCn,
  type ReplyTo,
  type RequestTarget,
  type SegmentHeader,
  type UploadData,
  type UploadOptions,
  type UploadSwitchCn,
} from './encode.js';
export { type FrameParseResult, type Hj212Frame, parseFrame } from './frame.js';
export {
  canonicalHeaderKey,
  decodeFlag,
  type FlagBits,
  HEADER_KEYS,
  type HeaderKey,
  type Hj212HeaderFields,
  type ParsedHeader,
  type ProtocolVersion,
  parseHeader,
  protocolOf,
} from './header.js';
export {
  type CrcPolicy,
  type CrcVerdict,
  type DecodeOptions,
  type DecodeResult,
  decodeFrame,
  type Hj212Header,
  type Hj212Packet,
  type Hj212Warning,
  STANDARD_MAX_SEGMENT_BYTES,
} from './packet.js';
export {
  mergeReadings,
  type ReleasedReading,
  SplitReassembler,
  type SplitReassemblerOptions,
  type SplitRelease,
  splitKey,
} from './split.js';
export {
  DEFAULT_MAX_BUFFER_BYTES,
  type FramerOutput,
  Hj212StreamFramer,
  type StreamFramerOptions,
} from './stream-framer.js';
export {
  parseDecimal,
  type ReadingProblem,
  type ReadingProblemKind,
  type ToReadingOptions,
  type ToReadingResult,
  toReading,
} from './to-reading.js';
