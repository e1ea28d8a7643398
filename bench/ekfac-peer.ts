import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Stage } from './ekfac-ours.js';
import { peerCoreNote, peerEnv } from './peers/env.js';

/**
 * The W-EKFAC peer: bench/peers/ekfac_torch.py under Debian's /usr/bin/python3 (python3-torch),
 * run as a child process on the same θ (dir/theta.bin) and the same Fashion-MNIST files. It prints
 * one JSON object (per-stage seconds, its own GEMM rate) and, with save, writes its A, G,
 * eigenvalues, corrections and scores into dir for the check against ours.
 */
export const PYTHON = '/usr/bin/python3';
const script = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'peers', 'ekfac_torch.py');

export interface PeerRun {
  label: string;
  threads: number;
  ms: Record<Stage, number>;
  gemmGflops: number;
  /** Where libblas.so.3 points (Debian's alternatives: the reference BLAS or OpenBLAS). */
  blas: string;
}

/** Why the peer cannot run here, or null when it can. */
export function peerUnavailable(): string | null {
  if (!existsSync(PYTHON)) return `${PYTHON} not found`;
  const r = spawnSync(PYTHON, ['-c', 'import torch, numpy; print(torch.__version__)'], { encoding: 'utf8' });
  if (r.status !== 0) return `python3-torch is not installed (${PYTHON} -c 'import torch' failed: ${(r.stderr || '').trim().split('\n').pop()}); apt-get install -y python3-torch`;
  return null;
}

export function blasInUse(): string {
  try {
    return readlinkSync('/etc/alternatives/libblas.so.3-x86_64-linux-gnu') + peerCoreNote();
  } catch {
    return 'unknown (no Debian libblas.so.3 alternative)';
  }
}

export interface PeerArgs { dir: string; n: number; test: number; batch: number; damping: number; dtype: string; threads: number; save: boolean }

export function runPeer(a: PeerArgs): PeerRun {
  const args = [script, '--dir', a.dir, '--n', String(a.n), '--test', String(a.test), '--batch', String(a.batch),
    '--damping', String(a.damping), '--dtype', a.dtype, '--threads', String(a.threads), ...(a.save ? ['--save'] : [])];
  const env = peerEnv(a.threads);
  const r = spawnSync(PYTHON, args, { encoding: 'utf8', env, maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`${PYTHON} ${args.join(' ')} exited ${r.status}: ${(r.stderr || '').trim().split('\n').slice(-3).join(' | ')}`);
  const j = JSON.parse(r.stdout.trim().split('\n').pop()!) as { label: string; threads: number; gemmGflops: number; seconds: Record<Stage, number> };
  const ms = Object.fromEntries(Object.entries(j.seconds).map(([k, v]) => [k, v * 1000])) as Record<Stage, number>;
  return { label: j.label, threads: j.threads, ms, gemmGflops: j.gemmGflops, blas: blasInUse() };
}

/** A raw array the peer saved (dir/peer-<name>.bin) as float64 values. */
export function peerArray(dir: string, name: string, dtype: string): Float64Array {
  const b = readFileSync(join(dir, `peer-${name}.bin`));
  const buf = b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
  return Float64Array.from(dtype === 'float32' ? new Float32Array(buf) : new Float64Array(buf));
}
