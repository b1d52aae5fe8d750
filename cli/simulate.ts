import { Option } from 'commander';
import type { Logger } from '../core/logger.js';
import { parseSimulateArgs, SIMULATE_FLAGS } from '../simulator/cli.js';
import { createSimulation } from '../simulator/simulation.js';

/** `emissions simulate`: options from the simulator's flag specs; SIGINT/SIGTERM stop the run cleanly. */
export function simulateOptions(): Option[] {
  return SIMULATE_FLAGS.map((f) => {
    const option = new Option(f.flags, f.description);
    return f.defaultValue === undefined ? option : option.default(f.defaultValue);
  });
}

export async function runSimulateCommand(
  opts: Record<string, string | undefined>,
  deps: { log: Logger },
): Promise<number> {
  const options = parseSimulateArgs(opts);
  const sim = createSimulation(options, { log: deps.log });
  const stop = () => {
    deps.log.info('stopping the simulation');
    void sim.stop();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    await sim.start();
    const summary = await sim.done;
    await sim.stop();
    deps.log.info(
      {
        gateways: summary.gateways,
        connected: summary.connected,
        failedConnections: summary.failedConnections,
        published: summary.published,
        acked: summary.acked,
        notAcked: summary.notAcked,
        ackedPerSec: summary.ackedPerSec,
      },
      'simulation finished',
    );
    return summary.failedConnections > 0 || summary.notAcked > 0 ? 1 : 0;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}
