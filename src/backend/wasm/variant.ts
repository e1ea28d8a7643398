/**
 * Which build of the kernels the loaders take: the plain WebAssembly SIMD modules
 * (wasm/curvature.wasm, wasm/curvature-mt.wasm) or the relaxed-SIMD FMA builds
 * (wasm/curvature-fma.wasm, wasm/curvature-fma-mt.wasm; scripts/build-wasm.mjs, wasm/README.md),
 * decided by feature detection: a one-instruction relaxed-SIMD module that the engine validates or
 * not. CURVATURE_WASM=fma|simd|auto overrides it in Node.
 */
import { BackendUnavailableError } from '../../errors.js';
import { wasmApi } from './wasm-api.js';

/** Which build of the kernels: plain WebAssembly SIMD, or relaxed SIMD with fused multiply-adds. */
export type WasmVariant = 'simd' | 'fma';

const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';

function engineName(): string {
  return isNode ? `Node ${process.version}` : 'this JavaScript engine';
}

// A module with one function whose body is `v128.const 0 (×3); f32x4.relaxed_madd; drop`: valid
// only where relaxed SIMD is supported (the final opcode 0xfd 0x105, as clang-16 emits it).
const RELAXED_SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version 1
  0x01, 0x04, 0x01, 0x60, 0x00, 0x00, // type section: one type, () -> ()
  0x03, 0x02, 0x01, 0x00, // function section: one function of type 0
  0x0a, 0x3e, 0x01, 0x3c, 0x00, // code section: one body of 60 bytes, no locals
  0xfd, 0x0c, ...new Array<number>(16).fill(0), // v128.const 0
  0xfd, 0x0c, ...new Array<number>(16).fill(0), // v128.const 0
  0xfd, 0x0c, ...new Array<number>(16).fill(0), // v128.const 0
  0xfd, 0x85, 0x02, // f32x4.relaxed_madd
  0x1a, 0x0b, // drop, end
]);

/**
 * Whether this engine runs relaxed SIMD (the FMA builds need it): Chromium ≥ 114, Node ≥ 22, Node
 * 20 only with --experimental-wasm-relaxed-simd.
 */
export function wasmRelaxedSimdSupported(): boolean {
  const W = wasmApi();
  if (!W || typeof W.validate !== 'function') return false;
  try {
    return W.validate(RELAXED_SIMD_PROBE);
  } catch {
    return false;
  }
}

/**
 * The kernels build the loaders choose: CURVATURE_WASM (Node: 'fma' or 'simd'; empty or 'auto'
 * detects) if set, else 'fma' where wasmRelaxedSimdSupported(), else 'simd'. Throws
 * BackendUnavailableError for CURVATURE_WASM=fma on an engine without relaxed SIMD, or any other
 * value.
 */
export function wasmVariant(): WasmVariant {
  const env = isNode ? (process.env['CURVATURE_WASM'] ?? '').trim() : '';
  if (env === 'simd') return 'simd';
  if (env === 'fma') {
    if (!wasmRelaxedSimdSupported()) {
      throw new BackendUnavailableError('wasm',
        `CURVATURE_WASM=fma, but ${engineName()} does not support WebAssembly relaxed SIMD (Node 20 needs --experimental-wasm-relaxed-simd; Node ≥ 22 and Chromium ≥ 114 have it)`);
    }
    return 'fma';
  }
  if (env !== '' && env !== 'auto') {
    throw new BackendUnavailableError('wasm', `CURVATURE_WASM: expected 'fma', 'simd' or 'auto', got ${JSON.stringify(env)}`);
  }
  return wasmRelaxedSimdSupported() ? 'fma' : 'simd';
}

/**
 * The module file for the variant in force (wasmVariant()): `curvature-fma.wasm` or
 * `curvature.wasm`, or with `shared: true` the shared-memory builds `curvature-fma-mt.wasm` or
 * `curvature-mt.wasm` (Node's default, for worker threads). A name relative to the package's
 * wasm/ folder: browsers resolve it against wherever they serve that folder.
 */
export function defaultWasmFile(options: { shared?: boolean } = {}): string {
  return `curvature${wasmVariant() === 'fma' ? '-fma' : ''}${options.shared ? '-mt' : ''}.wasm`;
}
