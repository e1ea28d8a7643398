import Benchmark from 'benchmark';

/**
 * One benchmark.js measurement: `fn` is run synchronously until `maxTime` seconds of samples
 * (at least 3) are collected; the figure reported is the median seconds per call over the samples
 * (benchmark.js sizes each sample to many calls for fast functions), not the mean, so that a
 * sample slowed by another process on the shared machine moves it little.
 */
export interface Measurement { medianMs: number; samples: number; rme: number; cpuShare: number }

export function measure(fn: () => void, maxTime: number): Measurement {
  const bench = new Benchmark('case', fn, { maxTime, minSamples: 3, initCount: 1 });
  const share = cpuShare(() => bench.run());
  if (bench.error) throw bench.error;
  const st = bench.stats;
  const sorted = [...st.sample].sort((a, b) => a - b);
  return { medianMs: sorted[Math.floor(sorted.length / 2)]! * 1000, samples: st.sample.length, rme: st.rme, cpuShare: share.share };
}

/**
 * CPU time this process got while `fn` ran, over the wall time: ≈ 1 for a single-threaded
 * benchmark on an idle core, less when other processes compete for the cores (the timings are
 * then longer by about that factor), slightly above 1 with GC/compiler threads.
 */
export function cpuShare<T>(fn: () => T): { value: T; share: number } {
  const c0 = process.cpuUsage(), t0 = performance.now();
  const value = fn();
  const c = process.cpuUsage(c0), wall = performance.now() - t0;
  return { value, share: wall > 0 ? (c.user + c.system) / 1000 / wall : NaN };
}

/** The error message of anything thrown, on one line. */
export function reason(err: unknown): string {
  const m = err instanceof Error ? `${err.name === 'Error' ? '' : `${err.name}: `}${err.message}` : String(err);
  return m.split('\n')[0]!.slice(0, 300);
}

/** ‖a − b‖ / ‖b‖. */
export function relDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return NaN;
  let d = 0, n = 0;
  for (let i = 0; i < a.length; i++) { d += (a[i]! - b[i]!) ** 2; n += b[i]! ** 2; }
  return Math.sqrt(d / n);
}
