import type { Hj212PayloadDecoder } from '../up-payload.js';
import { rejectionNotice } from '../up-payload.js';
import type { Hj212FrameHandler } from './frame-handler.js';

/**
 * HJ 212 frames as MQTT payloads on `emissions/{mn}/up` (README "MQTT contract", DESIGN.md §4): one frame
 * per message; replies (9014, 9011, 1012) go to `emissions/{mn}/down` through `reply`. The PUBACK is held
 * back exactly when the 9014 is (spool failure), so both acknowledgements mean "stored".
 */
export function createHj212MqttDecoder(handler: Hj212FrameHandler): Hj212PayloadDecoder {
  return async (mn, payload, transport, reply) => {
    const result = await handler.handle(payload, {
      transport,
      topicMn: mn,
      send: (frame) => reply(frame),
      notice: (code, reason) => reply(rejectionNotice(code, reason)),
    });
    return result.disposition === 'withhold' ? 'withhold' : 'acknowledge';
  };
}
