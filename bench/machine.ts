import { readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';

/**
 * The machine a run measured: CPU model (os.cpus()), cores, memory, Node, the clock used for the
 * SIMD floor and the load average (other processes on the machine skew every timing).
 */
export interface Machine {
  cpu: string;
  cores: number;
  memGiB: number;
  node: string;
  /** Clock for the floor: the highest "cpu MHz" of /proc/cpuinfo or os.cpus().speed, else 3 GHz assumed. */
  ghz: number;
  ghzSource: string;
  loadBefore: number[];
  loadAfter?: number[];
  /** CPU time / wall time of the whole run (≈ 1 on an idle machine; see measure.ts cpuShare). */
  cpuShare?: number;
}

export function describeMachine(): Machine {
  const cs = cpus();
  let mhz = 0, source = '';
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    const m = [...info.matchAll(/^cpu MHz\s*:\s*([\d.]+)/gm)].map((x) => Number(x[1]));
    if (m.length && Math.max(...m) > 0) { mhz = Math.max(...m); source = '/proc/cpuinfo "cpu MHz" (current clock as the kernel reports it)'; }
  } catch { /* not Linux */ }
  if (!mhz) {
    const s = Math.max(0, ...cs.map((c) => c.speed));
    if (s > 0) { mhz = s; source = 'os.cpus() speed'; }
  }
  if (!mhz) { mhz = 3000; source = 'assumed (no clock reported)'; }
  return {
    cpu: cs[0]?.model.trim() ?? 'unknown CPU', cores: cs.length, memGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version, ghz: mhz / 1000, ghzSource: source, loadBefore: loadavg().map((x) => +x.toFixed(2)),
  };
}

/**
 * Peak single-core throughput of WebAssembly SIMD without FMA (wasm has no fused multiply-add in
 * the SIMD128 MVP): a 128-bit multiply and a 128-bit add per cycle on each of two vector pipes,
 * i.e. 2 × (4 + 4) = 16 float32 flop/cycle, or 8 float64 flop/cycle (2 lanes).
 */
export const FLOP_PER_CYCLE = { float32: 16, float64: 8 } as const;
