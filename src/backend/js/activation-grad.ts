import type { FloatArray, TypedArray } from '../types.js';

/** out[i] = g[i]·(1 − y[i]²): tanh's derivative through its output y, applied to g (reference for wasm/src/activation_grad.c). */
export function tanhGradKernel(y: TypedArray, g: TypedArray, out: FloatArray, n: number): void {
  for (let i = 0; i < n; i++) out[i] = g[i]! * (1 - y[i]! * y[i]!);
}
