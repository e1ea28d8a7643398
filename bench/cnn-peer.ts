import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { blasInUse, peerUnavailable, PYTHON } from './ekfac-peer.js';
import { peerEnv } from './peers/env.js';

/**
 * The W-CNN PyTorch peer: bench/peers/cnn_torch.py under Debian's /usr/bin/python3, one process per
 * thread count (OPENBLAS_NUM_THREADS = OMP_NUM_THREADS = torch.set_num_threads = t,
 * OMP_WAIT_POLICY=PASSIVE as bench/peers/torch.ts sets it), driven one JSON line at a time.
 */
const script = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'peers', 'cnn_torch.py');

interface Reply { ok: boolean; error?: string; seconds?: number; cpu_seconds?: number; calls?: number; [k: string]: unknown }

export class CnnPeer {
  private next = 0;
  private pending: ((r: Reply) => void) | null = null;
  private tail: Promise<unknown> = Promise.resolve();
  private exited: string | null = null;

  private constructor(private readonly child: ChildProcessWithoutNullStreams, readonly label: string, readonly threads: number, readonly blas: string, readonly functorch: string | null) {}

  static async start(threads: number): Promise<CnnPeer> {
    const why = peerUnavailable();
    if (why) throw new Error(why);
    const env = peerEnv(threads, { PYTHONWARNINGS: 'ignore' });
    const child = spawn(PYTHON, [script, String(threads)], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const lines = createInterface({ input: child.stdout });
    let peer: CnnPeer | undefined;
    return new Promise((resolve, reject) => {
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-4000); });
      child.on('error', reject);
      child.on('exit', (code, signal) => {
        const msg = `${PYTHON} ${script} exited (${signal ?? code}): ${stderr.trim().split('\n').slice(-3).join(' | ')}`;
        if (!peer) reject(new Error(msg));
        else { peer.exited = msg; peer.pending?.({ ok: false, error: msg }); peer.pending = null; }
      });
      lines.on('line', (line) => {
        let m: Reply;
        try { m = JSON.parse(line) as Reply; } catch { return; }
        if (!peer) {
          if (m['ready'] !== true) { reject(new Error(`unexpected first line from the peer: ${line}`)); return; }
          peer = new CnnPeer(child, String(m['label']), Number(m['threads']), blasInUse(), (m['functorch'] as string | null) ?? null);
          resolve(peer);
          return;
        }
        const p = peer.pending;
        peer.pending = null;
        p?.(m);
      });
    });
  }

  request(op: string, args: Record<string, unknown>): Promise<Reply> {
    const r = this.tail.then(() => new Promise<Reply>((resolve, reject) => {
      if (this.exited) { reject(new Error(this.exited)); return; }
      this.pending = (m) => (m.ok ? resolve(m) : reject(new Error(`PyTorch peer ${op}: ${m.error ?? 'failed'}`)));
      this.child.stdin.write(JSON.stringify({ id: this.next++, op, ...args }) + '\n');
    }));
    this.tail = r.catch(() => undefined);
    return r;
  }

  async time(key: string, quantity: string, minMs: number): Promise<{ wall: number; cpu: number }> {
    const r = await this.request('time', { key, quantity, min_ms: minMs });
    return { wall: r.seconds!, cpu: r.cpu_seconds! };
  }

  async close(): Promise<void> {
    await this.tail;
    this.child.stdin.end();
  }
}
