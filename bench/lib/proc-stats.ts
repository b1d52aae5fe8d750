import { readFileSync } from 'node:fs';

/**
 * CPU time and RSS of a process from /proc (Linux), so a benchmark can report each process of a run
 * (load generator, pipeline, InfluxDB) side by side.
 */
const TICKS_PER_SECOND = 100; // USER_HZ on Linux

export interface CpuSample {
  cpuMs: number;
  rssBytes: number;
  atMs: number;
}

export function sampleProcess(pid: number): CpuSample | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    const rssPages = Number(fields[21]);
    return {
      cpuMs: ((utime + stime) * 1000) / TICKS_PER_SECOND,
      rssBytes: rssPages * 4096,
      atMs: performance.now(),
    };
  } catch {
    return undefined;
  }
}

/** Peak resident memory of a process so far, as the kernel tracks it (VmHWM), in MB; null if gone. */
export function peakRssMb(pid: number): number | null {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : null;
  } catch {
    return null;
  }
}

/** Share of one core used between two samples (1.0 = one full core). */
export function coreShare(a: CpuSample, b: CpuSample): number {
  const wall = b.atMs - a.atMs;
  return wall > 0 ? (b.cpuMs - a.cpuMs) / wall : 0;
}

/** Tracks peak RSS of a set of processes while a run is going. */
export function watchPeakRss(pids: Record<string, number>, everyMs = 250) {
  const peak: Record<string, number> = {};
  const timer = setInterval(() => {
    for (const [name, pid] of Object.entries(pids)) {
      const s = sampleProcess(pid);
      if (s) peak[name] = Math.max(peak[name] ?? 0, s.rssBytes);
    }
  }, everyMs);
  return {
    stop(): Record<string, number> {
      clearInterval(timer);
      return peak;
    },
  };
}

/** Cores used by each named process between two sets of samples (null when a sample is missing). */
export function coresBetween(
  before: Record<string, CpuSample | undefined>,
  after: Record<string, CpuSample | undefined>,
): Record<string, number | null> {
  return Object.fromEntries(
    Object.keys(before).map((k) => {
      const a = before[k];
      const b = after[k];
      return [k, a && b ? Number(coreShare(a, b).toFixed(2)) : null];
    }),
  );
}

/** One sample of each named process. */
export function sampleAll(pids: Record<string, number>): Record<string, CpuSample | undefined> {
  return Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, sampleProcess(pid)]));
}
