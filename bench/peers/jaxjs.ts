import type * as JAX from '@jax-js/jax';
import type { MlpData } from '../mlp-data.js';
import { flatten } from '../mlp-data.js';
import { reason } from '../measure.js';
import type { PeerLoad, TimedCase } from './types.js';

type Jax = typeof JAX;
type Arr = JAX.Array;
type Params = Arr[];

/**
 * Peer: jax-js (JAX-style autodiff compiled to WebAssembly kernels) on its 'wasm' device, in this
 * Node process. jax-js spreads kernels over Web Workers when SharedArrayBuffer and Worker both
 * exist; Node has no global Worker, so it runs one thread here (reported). Functions are wrapped
 * in jax-js's jit() (kernel fusion), its recommended mode; if jit fails the eager function is used
 * and the note says so. jax-js arrays are reference counted and consumed by every call, hence the
 * `.ref`s. Capabilities: the W-HVP gradient (grad) and HVP (jvp of grad: forward-over-reverse).
 */
export async function loadJaxjs(): Promise<PeerLoad> {
  const label = 'jax-js (wasm device)';
  try {
    const jax = (await import('@jax-js/jax')) as Jax;
    const devices = await jax.init('wasm');
    if (!devices.includes('wasm')) return { ok: false, label, reason: `jax.init('wasm') gave devices [${devices.join(', ')}]` };
    jax.defaultDevice('wasm');
    const threads = typeof SharedArrayBuffer !== 'undefined' && typeof (globalThis as { Worker?: unknown }).Worker !== 'undefined'
      ? 'multi-threaded (Web Workers)' : '1 thread (no global Worker in Node)';
    const notes = [threads, 'time per call includes reading the result back (dataSync)'];
    let version = '';
    try { // the package's exports map hides package.json: read it next to the resolved entry
      const { readFileSync } = await import('node:fs');
      const pkg = new URL('../package.json', import.meta.resolve('@jax-js/jax'));
      version = ` ${(JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version}`;
    } catch { /* version unknown */ }
    const peer = { label: `jax-js${version} (wasm device)`, notes, gradient: (d: MlpData) => gradient(jax, d, notes), hvp: (d: MlpData) => hvp(jax, d, notes) };
    return { ok: true, peer };
  } catch (err) {
    return { ok: false, label, reason: reason(err) };
  }
}

function setup(jax: Jax, d: MlpData) {
  const np = jax.numpy;
  const params: Params = d.params.map((p, i) => np.array(p).reshape(d.shapes[i]!));
  const x = np.array(d.x).reshape([d.batch, d.widths[0]!]);
  const classes = d.widths.at(-1)!;
  const oh = new Float32Array(d.batch * classes);
  d.labels.forEach((y, i) => { oh[i * classes + y] = 1; });
  const oneHot = np.array(oh).reshape([d.batch, classes]);
  /** Mean cross-entropy; consumes p (each used exactly once), borrows x and oneHot. */
  const loss = (p: Params): Arr => {
    let h: Arr = x.ref;
    const layers = p.length / 2;
    for (let l = 0; l < layers; l++) {
      const z = np.matmul(h, p[2 * l]!.transpose()).add(p[2 * l + 1]!);
      h = l < layers - 1 ? np.tanh(z) : z;
    }
    return jax.nn.logSoftmax(h, -1).mul(oneHot.ref).sum().mul(-1 / d.batch);
  };
  const refs = (p: Params): Params => p.map((a) => a.ref);
  const dispose = (): void => { for (const a of [...params, x, oneHot]) a.dispose(); };
  return { np, params, loss, refs, dispose };
}

/** jit(f) when it compiles and runs, else f (noted once). */
function maybeJit<A extends unknown[], R>(jax: Jax, f: (...a: A) => R, probe: () => A, notes: string[], what: string): (...a: A) => R {
  try {
    const j = jax.jit(f as never) as unknown as (...a: A) => R;
    const out = j(...probe());
    disposeTree(out);
    return j;
  } catch (err) {
    notes.push(`${what}: jit failed (${reason(err)}), eager mode`);
    return f;
  }
}

function disposeTree(t: unknown): void {
  if (Array.isArray(t)) for (const a of t) disposeTree(a);
  else if (t && typeof (t as Arr).dispose === 'function') (t as Arr).dispose();
}

function read(arrs: Arr[]): Float32Array[] {
  return arrs.map((a) => Float32Array.from(a.dataSync() as Float32Array));
}

function gradient(jax: Jax, d: MlpData, notes: string[]): TimedCase {
  const s = setup(jax, d);
  const g = maybeJit(jax, (p: Params) => jax.grad(s.loss)(p) as Params, () => [s.refs(s.params)] as [Params], notes, 'gradient');
  const once = (): Float32Array[] => read(g(s.refs(s.params)));
  return { run: () => { once(); }, result: () => flatten(once()), dispose: s.dispose };
}

function hvp(jax: Jax, d: MlpData, notes: string[]): TimedCase {
  const s = setup(jax, d);
  let o = 0;
  const v: Params = d.shapes.map((shape) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const part = s.np.array(d.v.slice(o, o + n)).reshape(shape);
    o += n;
    return part;
  });
  // Forward-over-reverse: the JVP of the gradient map in direction v gives H·v (and ∇ as primal).
  const f = (p: Params, t: Params): Params => {
    const [grad, tangent] = jax.jvp((q: Params) => jax.grad(s.loss)(q) as Params, [p], [t]) as [Params, Params];
    disposeTree(grad);
    return tangent;
  };
  const h = maybeJit(jax, f, () => [s.refs(s.params), v.map((a) => a.ref)] as [Params, Params], notes, 'HVP');
  const once = (): Float32Array[] => read(h(s.refs(s.params), v.map((a) => a.ref)));
  return {
    run: () => { once(); },
    result: () => flatten(once()),
    dispose: () => { s.dispose(); for (const a of v) a.dispose(); },
  };
}
