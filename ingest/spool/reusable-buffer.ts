/**
 * Large buffers lent out again and again instead of fresh ones per use. The spool frames every group
 * commit, reads every drain batch and joins every request body through buffers of up to several MB;
 * fresh ones were tens of MB/s each of ArrayBuffers at full load, and V8 answers that much external
 * memory with extra garbage collections (`--trace-gc` gave "external memory pressure" as the reason for
 * most of `serve`'s collections) and the kernel with fresh zeroed pages.
 *
 * A lease is a view of exactly the bytes asked for, taken from a kept buffer at least that large; the
 * holder must not keep any view of it after `release()`. At most `maxKept` buffers of at most
 * `maxKeptBytes` each are kept; beyond that (all kept ones lent out, or a rare huge request) a one-off
 * buffer is lent, so overlapping uses stay correct and nothing unbounded is pinned.
 */
export interface BufferLease {
  readonly buf: Buffer;
  release(): void;
}

export interface BufferPool {
  lease(bytes: number): BufferLease;
}

/** Kept buffers are sized in powers of two, so slowly varying sizes reuse them instead of regrowing. */
function keptSize(bytes: number, maxKeptBytes: number): number {
  let size = 4096;
  while (size < bytes) size *= 2;
  return Math.min(size, maxKeptBytes);
}

export function createBufferPool(opts: { maxKept: number; maxKeptBytes: number }): BufferPool {
  const free: Buffer[] = [];
  let kept = 0;
  const oneOff = (bytes: number): BufferLease => ({ buf: Buffer.allocUnsafeSlow(bytes), release() {} });

  function take(bytes: number): Buffer | undefined {
    const fit = free.findIndex((b) => b.length >= bytes);
    if (fit >= 0) return free.splice(fit, 1)[0];
    if (kept < opts.maxKept) {
      kept++;
      return Buffer.allocUnsafeSlow(keptSize(bytes, opts.maxKeptBytes));
    }
    if (free.length > 0) {
      free.pop(); // too small for this request: replaced by a larger one
      return Buffer.allocUnsafeSlow(keptSize(bytes, opts.maxKeptBytes));
    }
    return undefined;
  }

  return {
    lease(bytes) {
      const whole = bytes <= opts.maxKeptBytes ? take(bytes) : undefined;
      if (whole === undefined) return oneOff(bytes);
      let released = false;
      return {
        buf: whole.subarray(0, bytes),
        release() {
          if (released) return; // a second release must not hand the buffer out twice
          released = true;
          free.push(whole);
        },
      };
    },
  };
}
