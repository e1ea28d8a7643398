/**
 * Browser entry of the headless-Chromium loader test (bundled by chromium.test.ts with esbuild,
 * platform 'browser'), through the package's public API only: loads the kernels from the module
 * defaultWasmFile() names (/curvature-fma.wasm where the engine has relaxed SIMD, else
 * /curvature.wasm) with loadWasmFromUrl (fetch from the page's own origin, never the network),
 * registers and selects the wasm backend, runs the shared problem and POSTs the results (or the
 * error) as JSON to /result.
 */
import * as c from '../../src/index.js';
import { runBrowserProblem } from './problem.js';

// The project compiles without the DOM lib: the two browser globals used here, typed minimally.
const page = globalThis as unknown as { location: { href: string }; navigator: { userAgent: string } };

async function main(): Promise<unknown> {
  const simd = c.wasmSimdSupported();
  const relaxed = c.wasmRelaxedSimdSupported();
  const kernels = await c.loadWasmFromUrl(new URL(`/${c.defaultWasmFile()}`, page.location.href));
  c.registerBackend('wasm', () => new c.WasmBackend(kernels), 10);
  c.setBackend('wasm');
  return {
    ok: true, simd, relaxed, variant: kernels.variant, source: kernels.source, userAgent: page.navigator.userAgent,
    results: runBrowserProblem(),
  };
}

let report: unknown;
try {
  report = await main();
} catch (err) {
  const e = err as Error;
  report = { ok: false, error: `${e?.name ?? 'Error'}: ${e?.message ?? String(err)}`, stack: e?.stack };
}
await fetch('/result', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(report) });
