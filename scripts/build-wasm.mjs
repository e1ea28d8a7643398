#!/usr/bin/env node
/**
 * Builds the kernels in wasm/src/*.c with emscripten (Debian's 3.1.6 is the reference toolchain)
 * into two standalone modules, no JS glue, instantiable with plain WebAssembly.instantiate:
 *  - wasm/curvature.wasm: defines and exports its own memory (browsers, and any engine without
 *    SharedArrayBuffer);
 *  - wasm/curvature-mt.wasm: the same kernels compiled with atomics and bulk memory, linked with
 *    an imported *shared* memory (env.memory, 16 MiB initial, 4 GiB maximum), so that worker
 *    threads can instantiate it over the same memory (Node's default; src/backend/wasm/threads.ts).
 *    Its data segments are passive and initialised once by a start function guarded by an atomic
 *    flag, so a second instance does not reset the first one's statics. emcc's -pthread is not
 *    used: 3.1.6 refuses it with STANDALONE_WASM, and its pthreads keep Node alive.
 *
 *   node scripts/build-wasm.mjs            build (installs emscripten with apt-get if emcc is missing
 *                                          and we are root), print size, sha256 and the imports
 *   node scripts/build-wasm.mjs --check    build each module twice into a temporary folder and fail
 *                                          unless both builds (and the committed file) are byte-identical
 *   node scripts/build-wasm.mjs --verify-committed
 *                                          build each module once into a temporary folder and fail (exit 1)
 *                                          with both sha256 sums and the first differing byte unless the
 *                                          result is byte-identical to the committed binary (what CI runs:
 *                                          .ci/run)
 *
 * Exported functions are read from wasm/src/curvature.h (every CV_EXPORT declaration), so the
 * header stays the single list of the ABI. No dependencies beyond Node itself.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const srcDir = join(root, 'wasm', 'src');
/** The two variants: output file and the flags that differ. */
const VARIANTS = [
  { file: join(root, 'wasm', 'curvature.wasm'), flags: [] },
  {
    file: join(root, 'wasm', 'curvature-mt.wasm'),
    // The memory limits are mirrored in src/backend/wasm/loader.ts (SHARED_MEMORY_PAGES).
    flags: ['-matomics', '-mbulk-memory', '-sIMPORTED_MEMORY=1', '-Wl,--shared-memory'],
  },
];

function findEmcc() {
  const r = spawnSync('emcc', ['--version'], { encoding: 'utf8' });
  return r.status === 0;
}

function ensureEmcc() {
  if (findEmcc()) return;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot) {
    throw new Error('emcc not found: install emscripten (Debian/Ubuntu: sudo apt-get install -y emscripten)');
  }
  console.log('emcc not found: apt-get install -y emscripten');
  execFileSync('apt-get', ['install', '-y', 'emscripten'], { stdio: 'inherit' });
  if (!findEmcc()) throw new Error('emscripten was installed but emcc still does not run');
}

/** Every `CV_EXPORT <type> cv_name(` in the ABI header. */
function exportedFunctions() {
  const header = readFileSync(join(srcDir, 'curvature.h'), 'utf8');
  const names = [...header.matchAll(/^CV_EXPORT\b[^(]*?\b(cv_\w+)\s*\(/gm)].map((m) => m[1]);
  if (names.length === 0) throw new Error('no CV_EXPORT declarations found in curvature.h');
  return names;
}

function build(output, flags) {
  // Sorted relative paths: the link order (and so the output) does not depend on readdir order.
  const sources = readdirSync(srcDir).filter((f) => f.endsWith('.c')).sort().map((f) => `wasm/src/${f}`);
  const exported = exportedFunctions().map((n) => `_${n}`).join(',');
  const args = [
    '-O3', '-msimd128',
    '-std=gnu11', '-Wall', '-Wextra', '-Wno-unused-parameter', '-Wno-comment',
    // No absolute path of this checkout may reach the binary.
    `-ffile-prefix-map=${root}=.`, `-fdebug-prefix-map=${root}=.`,
    '-sSTANDALONE_WASM', '--no-entry',
    '-sALLOW_MEMORY_GROWTH=1', '-sINITIAL_MEMORY=16MB', '-sMAXIMUM_MEMORY=4GB',
    '-sABORTING_MALLOC=0',
    '-sTOTAL_STACK=1MB',
    `-sEXPORTED_FUNCTIONS=${exported}`,
    '-sERROR_ON_UNDEFINED_SYMBOLS=1',
    ...flags,
    ...sources,
    '-o', output,
  ];
  execFileSync('emcc', args, { cwd: root, stdio: 'inherit', env: { ...process.env, SOURCE_DATE_EPOCH: '0' } });
}

const sha256 = (file) => createHash('sha256').update(readFileSync(file)).digest('hex');

function describe(file) {
  const bytes = readFileSync(file);
  const mod = new WebAssembly.Module(bytes);
  const imports = WebAssembly.Module.imports(mod).map((i) => `${i.module}.${i.name} (${i.kind})`);
  const exports = WebAssembly.Module.exports(mod).filter((e) => e.kind === 'function').map((e) => e.name);
  console.log(`${file.slice(root.length + 1)}: ${bytes.length} bytes, sha256 ${sha256(file)}`);
  console.log(`imports: ${imports.join(', ') || '(none)'}`);
  console.log(`exported functions (${exports.length}): ${exports.join(' ')}`);
}

/** Builds every module into a temporary folder and compares each with its committed binary byte for byte. */
function verifyCommitted() {
  const dir = mkdtempSync(join(tmpdir(), 'curvature-wasm-'));
  try {
    const emcc = spawnSync('emcc', ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0];
    for (const { file, flags } of VARIANTS) {
      const name = file.slice(root.length + 1);
      if (!existsSync(file)) throw new Error(`${name} is missing: nothing to verify (build it with node scripts/build-wasm.mjs)`);
      const fresh = join(dir, 'fresh.wasm');
      build(fresh, flags);
      const [want, got] = [readFileSync(file), readFileSync(fresh)];
      console.log(`committed ${name}: ${want.length} bytes, sha256 ${sha256(file)}`);
      console.log(`fresh build (${emcc}): ${got.length} bytes, sha256 ${sha256(fresh)}`);
      if (!want.equals(got)) {
        let i = 0;
        while (i < want.length && i < got.length && want[i] === got[i]) i++;
        console.error(`FAIL: ${name} differs from a build of wasm/src (first difference at byte ${i}). ` +
          'Either the committed binary is stale (rebuild with node scripts/build-wasm.mjs and commit it) or the toolchain ' +
          'is not the reference one (Debian emscripten 3.1.6).');
        process.exitCode = 1;
        continue;
      }
      console.log(`OK: ${name} is byte-identical to a fresh build of wasm/src`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

ensureEmcc();
if (process.argv.includes('--verify-committed')) {
  verifyCommitted();
} else if (process.argv.includes('--check')) {
  const dir = mkdtempSync(join(tmpdir(), 'curvature-wasm-'));
  try {
    for (const { file, flags } of VARIANTS) {
      const name = file.slice(root.length + 1);
      const a = join(dir, 'a.wasm'), b = join(dir, 'b.wasm');
      build(a, flags);
      build(b, flags);
      const [ha, hb] = [sha256(a), sha256(b)];
      console.log(`${name} build 1: ${ha}\n${name} build 2: ${hb}`);
      if (ha !== hb) throw new Error(`two builds of ${name} differ: the build is not deterministic`);
      if (existsSync(file) && sha256(file) !== ha) {
        throw new Error(`${name} differs from a fresh build: run node scripts/build-wasm.mjs`);
      }
      console.log(`deterministic; ${name} is up to date`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
} else {
  for (const { file, flags } of VARIANTS) {
    build(file, flags);
    describe(file);
  }
}
