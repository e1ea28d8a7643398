import { readFileSync } from 'node:fs';

/**
 * The environment a PyTorch peer process starts with, `threads` threads:
 *   - OPENBLAS_NUM_THREADS = OMP_NUM_THREADS = MKL_NUM_THREADS = threads (OpenBLAS's pthread build
 *     sizes its own pool from OPENBLAS_NUM_THREADS, not from torch.set_num_threads);
 *   - OMP_WAIT_POLICY=PASSIVE: torch's OpenMP workers sleep between parallel regions instead of
 *     spinning beside OpenBLAS's threads (spinning, 2-thread autograd ran 10–60× slower than one
 *     thread on this 2-core machine, measured 2026-12-06);
 *   - OPENBLAS_CORETYPE from the CPU's flags (openblasCoreType), unless the caller set it: OpenBLAS
 *     0.3.21 picks its kernels from the CPU model, and a VM that reports a generic "Intel(R) Xeon(R)
 *     Processor" gets its SSE3 fallback, 'Prescott' — one thread ran SGEMM n = 1024 at 33–40 GFLOP/s
 *     there against 166–279 with the AVX-512 kernels the CPU has (measured 2026-12-07). A peer on
 *     the wrong kernels is not the peer.
 */
export function peerEnv(threads: number, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const n = String(threads);
  const core = peerCoreType();
  return {
    ...process.env, OPENBLAS_NUM_THREADS: n, OMP_NUM_THREADS: n, MKL_NUM_THREADS: n,
    OMP_WAIT_POLICY: process.env['OMP_WAIT_POLICY'] ?? 'PASSIVE', ...(core ? { OPENBLAS_CORETYPE: core } : {}), ...extra,
  };
}

/**
 * OpenBLAS's name for the widest kernel set the CPU's flags (/proc/cpuinfo) allow: 'Cooperlake'
 * (AVX-512 with BF16), 'SkylakeX' (AVX-512 F/BW/DQ/VL), 'Haswell' (AVX2 + FMA), or null (leave
 * OpenBLAS's own detection alone: another CPU, or no /proc/cpuinfo).
 */
export function openblasCoreType(): string | null {
  let flags: Set<string>;
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('flags'));
    if (!line) return null;
    flags = new Set(line.slice(line.indexOf(':') + 1).trim().split(/\s+/));
  } catch {
    return null;
  }
  const all = (...f: string[]) => f.every((x) => flags.has(x));
  if (all('avx512f', 'avx512bw', 'avx512dq', 'avx512vl')) return flags.has('avx512_bf16') ? 'Cooperlake' : 'SkylakeX';
  if (all('avx2', 'fma')) return 'Haswell';
  return null;
}

/** The OPENBLAS_CORETYPE a peer starts with: the caller's, else the CPU's (null: OpenBLAS's own detection). */
function peerCoreType(): string | null {
  return process.env['OPENBLAS_CORETYPE'] ?? openblasCoreType();
}

/** The OpenBLAS kernel set a peer started with peerEnv uses, for the report ('' when left to OpenBLAS). */
export function peerCoreNote(): string {
  const core = peerCoreType();
  return core ? `, OPENBLAS_CORETYPE=${core}` : '';
}
