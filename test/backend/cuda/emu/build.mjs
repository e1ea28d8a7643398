// Builds the CUDA addon for the CPU emulator: native/cuda/*.cu compiled by g++ as C++ (emu.h
// force-included; every `kernel<<<cfg>>>(args)` rewritten to `emu::launch(emu::Cfg(cfg), kernel, args)`),
// linked with emu.cc's scheduler and runtime into build/cuda-emu/curvature_cuda.node. Lets the
// kernels, the glue and the TypeScript backend run here, without a GPU, under the kernel tests.
// Usage: node test/backend/cuda/emu/build.mjs   (prints the module's path)
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
let root = here;
while (!readdirSync(root).includes('package.json')) root = dirname(root);
const src = join(root, 'native', 'cuda');
const out = join(root, 'build', 'cuda-emu');
const gen = join(out, 'src');
mkdirSync(gen, { recursive: true });

// name<...><<<cfg>>>( → emu::launch(emu::Cfg(cfg), name<...>,
const LAUNCH = /([A-Za-z_]\w*(?:<[^<>;()]*>)?)<<<(.*?)>>>\(/g;
const sources = [];
for (const f of readdirSync(src)) {
  if (!/\.(cu|cuh|h|cc)$/.test(f)) continue;
  let text = readFileSync(join(src, f), 'utf8');
  if (f.endsWith('.cu')) text = text.replace(LAUNCH, (_m, name, cfg) => `emu::launch(emu::Cfg(${cfg}), ${name}, `);
  const name = f.endsWith('.cu') ? f.replace(/\.cu$/, '.cu.cc') : f;
  writeFileSync(join(gen, name), text);
  if (name.endsWith('.cc')) sources.push(join(gen, name));
}
const require = createRequire(join(root, 'package.json'));
const napiInc = dirname(require.resolve('node-addon-api/package.json'));
const nodeApiInc = join(dirname(require.resolve('node-api-headers/package.json')), 'include');
const lib = join(out, 'curvature_cuda.node');
execFileSync('g++', [
  '-std=c++17', '-O1', '-g', '-shared', '-fPIC', '-w',
  '-include', join(here, 'emu.h'), `-I${here}`, `-I${gen}`, `-I${napiInc}`, `-I${nodeApiInc}`,
  '-DNAPI_VERSION=8', '-DNAPI_DISABLE_CPP_EXCEPTIONS',
  ...sources, join(here, 'emu.cc'), '-o', lib,
], { stdio: 'inherit' });
console.log(resolve(lib));
