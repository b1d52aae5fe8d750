import type { Logger } from '../core/logger.js';

/**
 * Runs `stop` on the first SIGTERM/SIGINT; a second signal, or the deadline passing, exits at once
 * with code 1 so a stuck shutdown can never hang an orchestrator's stop.
 */
export function onShutdownSignal(
  log: Logger,
  deadlineMs: number,
  stop: (signal: string) => Promise<number>,
  exit: (code: number) => void,
): void {
  let shuttingDown = false;
  const handler = (signal: NodeJS.Signals) => {
    if (shuttingDown) {
      log.warn({ signal }, 'second signal: exiting now');
      exit(1);
      return;
    }
    shuttingDown = true;
    log.info({ signal }, 'shutdown requested');
    const timer = setTimeout(() => {
      log.error({ deadlineMs }, 'shutdown deadline exceeded');
      exit(1);
    }, deadlineMs + 2_000);
    timer.unref();
    stop(signal).then(
      (code) => exit(code),
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        exit(1);
      },
    );
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
}
