/**
 * The single-core micro-benchmarks' timing loop: calls `once(n)` (n = the call's number, from 0) in
 * batches of `batch` until `durationMs` have passed, reading the clock only between batches so it costs
 * nothing per call. Returns the calls made, the time they took and the sum of what `once` returned;
 * callers check the sum, which also keeps V8 from dropping the work as unused.
 */
export function callFor(
  durationMs: number,
  once: (n: number) => number,
  batch = 100,
): { calls: number; ms: number; sum: number } {
  let calls = 0;
  let sum = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(Math.round(durationMs * 1e6));
  let now = start;
  while (now < deadline) {
    for (let i = 0; i < batch; i++) sum += once(calls + i);
    calls += batch;
    now = process.hrtime.bigint();
  }
  return { calls, ms: Number(now - start) / 1e6, sum };
}
