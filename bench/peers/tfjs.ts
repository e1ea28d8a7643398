import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';
import type * as TF from '@tensorflow/tfjs-core';
import type * as TFWasm from '@tensorflow/tfjs-backend-wasm';
import type { MlpData } from '../mlp-data.js';
import { flatten } from '../mlp-data.js';
import { reason } from '../measure.js';
import type { PeerLoad, TimedCase } from './types.js';

/**
 * Peer: TensorFlow.js 4.22 with its WebAssembly backend (XNNPACK kernels), in this Node process.
 * The .wasm binaries are read from the installed package (setWasmPaths to its dist/ folder, a
 * local path: never the network). In Node there are no Web Workers, so it runs the single-threaded
 * SIMD binary; both facts are read back from tf.env() and reported. float32 only (tfjs has no
 * float64). Capabilities: SGEMM (tf.matMul) and the W-HVP gradient (tf.grads); tfjs has no
 * forward mode, hence no forward-over-reverse HVP.
 */
export async function loadTfjs(): Promise<PeerLoad> {
  const label = 'TensorFlow.js (wasm backend)';
  try {
    const require = createRequire(import.meta.url);
    const tf = require('@tensorflow/tfjs-core') as typeof TF;
    const wasm = require('@tensorflow/tfjs-backend-wasm') as typeof TFWasm;
    const dist = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/';
    await registerGradients(require);
    wasm.setWasmPaths(dist);
    if (!(await tf.setBackend('wasm')) || tf.getBackend() !== 'wasm') {
      return { ok: false, label, reason: `tf.setBackend('wasm') failed (active backend: ${tf.getBackend()})` };
    }
    await tf.ready();
    const simd = tf.env().getBool('WASM_HAS_SIMD_SUPPORT'), mt = tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT');
    const notes = [`SIMD ${simd ? 'on' : 'off'}`, `${wasm.getThreadsCount()} thread(s) (multithreading ${mt ? 'available' : 'unavailable in Node: no Web Workers'})`,
      'time per call includes reading the result back (dataSync)'];
    return {
      ok: true,
      peer: {
        label: `TensorFlow.js ${tf.version_core} (wasm backend ${wasm.version_wasm})`,
        notes,
        sgemm: (n, inputs) => sgemm(tf, n, inputs),
        gradient: (data) => gradient(tf, data),
      },
    };
  } catch (err) {
    return { ok: false, label, reason: reason(err) };
  }
}

/**
 * tfjs-core's Node bundle (tf-core.node.js) has no gradient definitions: the @tensorflow/tfjs
 * union package adds them by importing tfjs-core/dist/register_all_gradients, an ES module with
 * extensionless imports that Node cannot load as is. So that one module is bundled with esbuild
 * (the devDependency the browser test uses) into a temporary file and imported; it registers the
 * gradient functions in tfjs's process-global registry (globalThis._tfGlobals), which the Node
 * bundle's engine reads.
 */
async function registerGradients(require: NodeRequire): Promise<void> {
  const { build } = await import('esbuild');
  const entry = require.resolve('@tensorflow/tfjs-core/dist/register_all_gradients.js');
  const dir = mkdtempSync(join(tmpdir(), 'curvature-tfjs-'));
  try {
    const file = join(dir, 'register_all_gradients.mjs');
    await build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', outfile: file, logLevel: 'silent' });
    await import(pathToFileURL(file).href);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function sgemm(tf: typeof TF, n: number, inputs: { a: Float32Array; b: Float32Array }): TimedCase {
  const a = tf.tensor2d(inputs.a, [n, n], 'float32'), b = tf.tensor2d(inputs.b, [n, n], 'float32');
  // tf.matMul computes synchronously on the wasm backend; the product stays in wasm memory (as
  // ours does), so the timed call is the multiply plus an output allocation, no read-back.
  return {
    run: () => { tf.matMul(a, b).dispose(); },
    result: () => tf.tidy(() => tf.matMul(a, b).dataSync() as Float32Array),
    dispose: () => { a.dispose(); b.dispose(); },
  };
}

/**
 * Mean cross-entropy of the MLP, in tfjs's own layout (that of tf.layers.dense): each weight is
 * held as Wᵀ [in, out] and a layer computes h·Wᵀ + b with a plain matMul. (Our [out, in] layout
 * with matMul(h, W, false, true) sends tfjs-wasm down a transposed BatchMatMul path ≈ 5× slower,
 * which would flatter us.) The one-off transposes are set-up, not timed; result() transposes the
 * weight gradients back to our layout.
 */
function gradient(tf: typeof TF, d: MlpData): TimedCase {
  const params = d.params.map((p, i) => {
    const t = tf.tensor(p, d.shapes[i]!, 'float32');
    if (d.shapes[i]!.length !== 2) return t;
    const wt = tf.transpose(t);
    t.dispose();
    return wt;
  });
  const x = tf.tensor2d(d.x, [d.batch, d.widths[0]!]);
  const oneHot = tf.cast(tf.oneHot(tf.tensor1d(d.labels, 'int32'), d.widths.at(-1)!), 'float32');
  const loss = (...p: TF.Tensor[]): TF.Tensor => {
    let h: TF.Tensor = x;
    for (let l = 0; l < p.length / 2; l++) {
      const z = tf.add(tf.matMul(h, p[2 * l]!), p[2 * l + 1]!);
      h = l < p.length / 2 - 1 ? tf.tanh(z) : z;
    }
    return tf.neg(tf.mean(tf.sum(tf.mul(oneHot, tf.logSoftmax(h)), 1)));
  };
  const g = tf.grads(loss);
  const once = (): Float32Array[] => tf.tidy(() => g(params)).map((t) => { const a = t.dataSync() as Float32Array; t.dispose(); return a; });
  const ourLayout = (gs: Float32Array[]): Float32Array[] => gs.map((g, i) => {
    const shape = d.shapes[i]!;
    if (shape.length !== 2) return g;
    return tf.tidy(() => tf.transpose(tf.tensor2d(g, [shape[1]!, shape[0]!])).dataSync() as Float32Array);
  });
  return {
    run: () => { once(); },
    result: () => flatten(ourLayout(once())),
    dispose: () => { tf.dispose([...params, x, oneHot]); },
  };
}

