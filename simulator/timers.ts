/**
 * Owned waits: every timer the simulation starts is tracked here so that stop() can clear them all and
 * wake whoever is waiting, instead of leaving a process alive on a forgotten setTimeout.
 */
export interface Waits {
  /** Resolves after `ms` wall ms, or at once when cancelled. */
  sleep(ms: number): Promise<void>;
  /** Resolves when `signal()` is called for this key's next waiter, or at cancel. */
  waitFor(key: string): Promise<void>;
  signal(key: string): void;
  /** Clears every timer and wakes every waiter; later sleeps and waits resolve immediately. */
  cancelAll(): void;
  readonly cancelled: boolean;
}

export function createWaits(): Waits {
  const timers = new Map<NodeJS.Timeout, () => void>();
  const waiters = new Map<string, (() => void)[]>();
  let cancelled = false;
  return {
    get cancelled() {
      return cancelled;
    },
    sleep(ms) {
      if (cancelled || ms <= 0) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          timers.delete(t);
          resolve();
        }, ms);
        timers.set(t, resolve);
      });
    },
    waitFor(key) {
      if (cancelled) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const list = waiters.get(key);
        if (list) list.push(resolve);
        else waiters.set(key, [resolve]);
      });
    },
    signal(key) {
      const list = waiters.get(key);
      if (!list) return;
      waiters.delete(key);
      for (const wake of list) wake();
    },
    cancelAll() {
      cancelled = true;
      for (const [t, wake] of timers) {
        clearTimeout(t);
        wake();
      }
      timers.clear();
      for (const list of waiters.values()) for (const wake of list) wake();
      waiters.clear();
    },
  };
}

/** A counting semaphore for the connect storm of a large load run. */
export function createSemaphore(limit: number): { acquire(): Promise<void>; release(): void } {
  let free = limit;
  const queue: (() => void)[] = [];
  return {
    acquire() {
      if (free > 0) {
        free--;
        return Promise.resolve();
      }
      return new Promise<void>((resolve) => queue.push(resolve));
    },
    release() {
      const next = queue.shift();
      if (next) next();
      else free++;
    },
  };
}
