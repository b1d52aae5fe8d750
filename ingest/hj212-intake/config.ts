import { z } from 'zod';

/**
 * The `hj212` section of the app config (config/app-config.ts embeds it; README "HJ 212"). Defaults are
 * chosen for a centre receiving from real gateways; each cites its reason.
 */

const Port = z.coerce.number().int().min(0).max(65535);
const PositiveInt = z.coerce.number().int().positive();
const Bool = z.union([
  z.boolean(),
  z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1'),
]);

/** Same values as the codec's CrcPolicy (ingest/hj212/packet.ts). */
export const CRC_POLICIES = ['strict', 'lenient', 'off'] as const;

/**
 * Default TCP port. The standard names none (HJ 212-2017 §5: transport-independent); every platform picks
 * its own. 9212 is unassigned-in-practice and easy to remember ("212").
 */
export const DEFAULT_HJ212_TCP_PORT = 9212;

export const Hj212Config = z.strictObject({
  /**
   * Default CRC policy; a gateway's registry entry may override it (`gateway.crcPolicy`). `strict` is
   * what the standard says (STD 表2 "如果 CRC 错误，执行结束"); `lenient` also accepts the MODBUS
   * low-byte-first CRC real gateways send (hj212.md §2.2) and marks the reading (`crc: 'modbus'`).
   */
  crcPolicy: z.enum(CRC_POLICIES).default('strict'),
  tcp: z
    .strictObject({
      enabled: Bool.default(true),
      host: z.string().default('0.0.0.0'),
      port: Port.default(DEFAULT_HJ212_TCP_PORT),
      /** Connections held at once; above it new ones are closed at once and counted. */
      maxConnections: PositiveInt.default(5000),
      /**
       * Per source address. Gateways behind a carrier NAT or a DTU concentrator share an address, so this
       * is generous; it stops one host from taking every slot.
       */
      maxConnectionsPerAddress: PositiveInt.default(1000),
      /**
       * A connection without a byte for this long is closed. Gateways send real-time data every
       * RtdInterval (30–3600 s, STD 表C.6) and minute data every ≤ 30 min (表C.8), so 35 min of silence
       * means the link is dead (half-open TCP keeps a slot otherwise).
       */
      idleTimeoutMs: PositiveInt.default(35 * 60_000),
      /**
       * Per-connection framer buffer cap. The largest frame the 4-digit length can describe is 10 011
       * bytes (hj212.md §1); a candidate above the cap is discarded and counted.
       */
      maxFrameBytes: PositiveInt.min(64).default(16 * 1024),
    })
    .prefault({}),
  clock: z
    .strictObject({
      /**
       * A real-time upload (2011) whose DataTime differs from the centre's clock by more than this is
       * counted and logged as clock drift (default 5 min).
       */
      maxDriftMs: PositiveInt.default(5 * 60_000),
      /** Send 1012 SystemTime to drifting devices and after 1013 requests (STD 表C.3/C.4). Off by default. */
      setClock: Bool.default(false),
      /** At most one drift-triggered 1012 per device per interval (default 1 h). */
      setClockIntervalMs: PositiveInt.default(3_600_000),
    })
    .prefault({}),
  split: z
    .strictObject({
      /** How long a split upload waits for its other sub-packets before it counts as incomplete. */
      timeoutMs: PositiveInt.default(30_000),
      /** Split uploads tracked at once; above it the oldest is counted as incomplete. */
      maxPending: PositiveInt.default(1000),
    })
    .prefault({}),
});

export type Hj212Config = z.infer<typeof Hj212Config>;

/** Environment variable → config path (README "HJ 212"). */
export const HJ212_ENV_MAP: Readonly<Record<string, string>> = {
  HJ212_CRC_POLICY: 'hj212.crcPolicy',
  HJ212_TCP_ENABLED: 'hj212.tcp.enabled',
  HJ212_TCP_HOST: 'hj212.tcp.host',
  HJ212_TCP_PORT: 'hj212.tcp.port',
  HJ212_TCP_MAX_CONNECTIONS: 'hj212.tcp.maxConnections',
  HJ212_TCP_MAX_CONNECTIONS_PER_ADDRESS: 'hj212.tcp.maxConnectionsPerAddress',
  HJ212_TCP_IDLE_TIMEOUT_MS: 'hj212.tcp.idleTimeoutMs',
  HJ212_TCP_MAX_FRAME_BYTES: 'hj212.tcp.maxFrameBytes',
  HJ212_CLOCK_MAX_DRIFT_MS: 'hj212.clock.maxDriftMs',
  HJ212_CLOCK_SET: 'hj212.clock.setClock',
  HJ212_CLOCK_SET_INTERVAL_MS: 'hj212.clock.setClockIntervalMs',
  HJ212_SPLIT_TIMEOUT_MS: 'hj212.split.timeoutMs',
};
