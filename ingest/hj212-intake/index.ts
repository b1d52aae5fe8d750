import type { Registry } from '../../config/registry.js';
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import type { Intake } from '../intake.js';
import type { IngestMetrics } from '../metrics.js';
import type { Hj212PayloadDecoder } from '../up-payload.js';
import type { Hj212Config } from './config.js';
import { createHj212FrameHandler, type Hj212FrameHandler } from './frame-handler.js';
import { createHj212MqttDecoder } from './mqtt-decoder.js';
import { createHj212TcpServer, type Hj212TcpServer } from './tcp-server.js';

/**
 * The HJ 212 intake: one frame handler (protocol decisions) behind two adapters, the TCP listener and
 * the decoder for `##…` payloads on MQTT. cli/serve.ts wires it; README "HJ 212" documents it.
 */
export { HJ212_ENV_MAP, type Hj212Config } from './config.js';
export {
  classifyPacket,
  crcAccepted,
  crcFinding,
  type FrameResult,
  type Hj212Session,
} from './frame-handler.js';

export interface Hj212IntakeDeps {
  registry: Registry;
  intake: Intake;
  metrics: IngestMetrics;
  log: Logger;
  clock: Clock;
}

export interface Hj212Intake {
  readonly handler: Hj212FrameHandler;
  /** Plug into createUpPayloadHandler({ hj212 }). */
  readonly mqttDecoder: Hj212PayloadDecoder;
  /** undefined when HJ212_TCP_ENABLED=false. */
  readonly tcp: Hj212TcpServer | undefined;
  start(): Promise<void>;
  /** Idempotent; reverse order of start. */
  stop(deadlineMs?: number): Promise<void>;
}

export function createHj212Intake(config: Hj212Config, deps: Hj212IntakeDeps): Hj212Intake {
  const log = deps.log;
  const handler = createHj212FrameHandler({ ...deps, config });
  const tcp = config.tcp.enabled
    ? createHj212TcpServer(config.tcp, { handler, intake: deps.intake, metrics: deps.metrics, log })
    : undefined;
  let stopping: Promise<void> | undefined;
  return {
    handler,
    mqttDecoder: createHj212MqttDecoder(handler),
    tcp,
    async start() {
      handler.start();
      await tcp?.start();
    },
    stop(deadlineMs) {
      stopping ??= (async () => {
        await tcp?.stop(deadlineMs);
        handler.stop();
      })();
      return stopping;
    },
  };
}
