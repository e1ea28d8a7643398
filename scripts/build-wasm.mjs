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
 *  - wasm/curvature-fma.wasm and wasm/curvature-fma-mt.wasm: the same two modules with the GEMM
 *    micro-kernels' multiply-adds as relaxed-SIMD fused multiply-adds (-mrelaxed-simd
 *    -DCV_RELAXED_FMA: CV_MADD_F32X4/CV_MADD_F64X2 in wasm/src/cv_internal.h), for engines with
 *    relaxed SIMD (Chromium ≥ 114, Node ≥ 22, Node 20 with --experimental-wasm-relaxed-simd; the
 *    loader feature-detects it). emscripten 3.1.6's clang 14 emits a pre-standard relaxed-SIMD
 *    opcode, so these are compiled by Debian's clang-16 (apt-get install clang-16 lld-16) for
 *    wasm32-unknown-emscripten against emscripten's headers and linked by wasm-ld-16 against the
 *    prebuilt libraries Debian's emscripten package ships (libc, dlmalloc, standalone runtime,
 *    compiler-rt: the same members, so the same libm results, as the plain modules) with emcc's own
 *    link flags. No wasm-opt pass (binaryen 108 knows only the pre-standard relaxed opcodes).
 *
 *   node scripts/build-wasm.mjs            build (installs emscripten, clang-16 and lld-16 with apt-get
 *                                          if missing and we are root), print size, sha256 and the imports
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
/**
 * The variants: output file, toolchain ('emcc', or 'clang16' for the relaxed-SIMD FMA builds) and
 * the flags that differ (for clang16: compile flags, and link flags in `link`).
 */
const VARIANTS = [
  { file: join(root, 'wasm', 'curvature.wasm'), toolchain: 'emcc', flags: [] },
  {
    file: join(root, 'wasm', 'curvature-mt.wasm'),
    toolchain: 'emcc',
    // The memory limits are mirrored in src/backend/wasm/loader.ts (SHARED_MEMORY_PAGES).
    flags: ['-matomics', '-mbulk-memory', '-sIMPORTED_MEMORY=1', '-Wl,--shared-memory'],
  },
  { file: join(root, 'wasm', 'curvature-fma.wasm'), toolchain: 'clang16', flags: [], link: [] },
  {
    file: join(root, 'wasm', 'curvature-fma-mt.wasm'),
    toolchain: 'clang16',
    flags: ['-matomics', '-mbulk-memory'],
    link: ['--import-memory', '--shared-memory'],
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

const runs = (cmd) => spawnSync(cmd, ['--version'], { encoding: 'utf8' }).status === 0;

/** clang-16 and wasm-ld-16 (Debian's clang-16 and lld-16), installed with apt-get when missing and root. */
function ensureClang16() {
  if (runs('clang-16') && runs('wasm-ld-16')) return;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot) {
    throw new Error('clang-16/wasm-ld-16 not found (the FMA modules need them): sudo apt-get install -y clang-16 lld-16');
  }
  console.log('clang-16 or wasm-ld-16 not found: apt-get install -y clang-16 lld-16');
  execFileSync('apt-get', ['install', '-y', 'clang-16', 'lld-16'], { stdio: 'inherit' });
  if (!runs('clang-16') || !runs('wasm-ld-16')) throw new Error('clang-16/lld-16 were installed but clang-16 or wasm-ld-16 still does not run');
}

/** Every `CV_EXPORT <type> cv_name(` in the ABI header. */
function exportedFunctions() {
  const header = readFileSync(join(srcDir, 'curvature.h'), 'utf8');
  const names = [...header.matchAll(/^CV_EXPORT\b[^(]*?\b(cv_\w+)\s*\(/gm)].map((m) => m[1]);
  if (names.length === 0) throw new Error('no CV_EXPORT declarations found in curvature.h');
  return names;
}

/** The kernel sources as sorted relative paths: the link order (and so the output) does not depend on readdir order. */
const kernelSources = () => readdirSync(srcDir).filter((f) => f.endsWith('.c')).sort().map((f) => `wasm/src/${f}`);

/** Builds one variant into `output`. */
function build(output, variant) {
  if (variant.toolchain === 'clang16') buildFma(output, variant.flags, variant.link);
  else buildEmcc(output, variant.flags);
}

function buildEmcc(output, flags) {
  const sources = kernelSources();
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

/**
 * The relaxed-SIMD FMA build: each source compiled by clang-16 (as emcc would: target
 * wasm32-unknown-emscripten, emscripten's sysroot headers, -O3 -msimd128, the same warnings and
 * prefix maps) plus -mrelaxed-simd -DCV_RELAXED_FMA, then linked by wasm-ld-16 with the libraries and
 * flags emcc 3.1.6 passes to its wasm-ld for the plain modules (see `emcc -v`), from the prebuilt
 * archives in emscripten's cache (files of the Debian package, so the inputs are fixed).
 */
function buildFma(output, flags, link) {
  const cache = execFileSync('em-config', ['CACHE'], { encoding: 'utf8' }).trim();
  const sysroot = join(cache, 'sysroot');
  const lib = join(sysroot, 'lib', 'wasm32-emscripten');
  const objDir = mkdtempSync(join(tmpdir(), 'curvature-fma-obj-'));
  const env = { ...process.env, SOURCE_DATE_EPOCH: '0' };
  try {
    const objects = [];
    for (const src of kernelSources()) {
      const obj = join(objDir, src.slice('wasm/src/'.length).replace(/\.c$/, '.o'));
      execFileSync('clang-16', [
        '--target=wasm32-unknown-emscripten', `--sysroot=${sysroot}`,
        '-DEMSCRIPTEN', '-D__EMSCRIPTEN_major__=3', '-D__EMSCRIPTEN_minor__=1', '-D__EMSCRIPTEN_tiny__=6',
        '-O3', '-msimd128', '-mrelaxed-simd', '-DCV_RELAXED_FMA',
        '-std=gnu11', '-Wall', '-Wextra', '-Wno-unused-parameter', '-Wno-comment',
        `-ffile-prefix-map=${root}=.`, `-fdebug-prefix-map=${root}=.`,
        ...flags, '-c', src, '-o', obj,
      ], { cwd: root, stdio: 'inherit', env });
      objects.push(obj);
    }
    execFileSync('wasm-ld-16', [
      '-o', output, ...objects,
      `-L${lib}`, join(lib, 'crt1_reactor.o'),
      '-lstandalonewasm-memgrow', '-lstubs', '-lnoexit', '-lc', '-ldlmalloc', '-lcompiler_rt',
      '--import-undefined', '--strip-all',
      ...exportedFunctions().map((n) => `--export=${n}`),
      // The variant marker (wasm/src/gemm_f32.c; the loader's WasmKernels.variant).
      '--export=cv_relaxed_fma',
      '--export=stackSave', '--export=stackRestore', '--export=stackAlloc',
      // As emcc: the memory limits are those of the plain modules (SHARED_MEMORY_PAGES in the loader).
      '-z', 'stack-size=1048576', '--initial-memory=16777216', '--max-memory=4294967296', '--global-base=1024',
      '--entry=_initialize',
      ...link,
    ], { cwd: root, stdio: 'inherit', env });
  } finally {
    rmSync(objDir, { recursive: true, force: true });
  }
}

const sha256 = (file) => createHash('sha256').update(readFileSync(file)).digest('hex');

function describe(file) {
  const bytes = readFileSync(file);
  let mod;
  try {
    mod = new WebAssembly.Module(bytes);
  } catch (err) {
    // The FMA modules need relaxed SIMD: Node 20 compiles them only with --experimental-wasm-relaxed-simd.
    console.log(`${file.slice(root.length + 1)}: ${bytes.length} bytes, sha256 ${sha256(file)}`);
    console.log(`(does not compile on Node ${process.version} without relaxed SIMD: ${err.message})`);
    return;
  }
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
    const clang16 = spawnSync('clang-16', ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0];
    for (const variant of VARIANTS) {
      const { file } = variant;
      const name = file.slice(root.length + 1);
      if (!existsSync(file)) throw new Error(`${name} is missing: nothing to verify (build it with node scripts/build-wasm.mjs)`);
      const fresh = join(dir, 'fresh.wasm');
      build(fresh, variant);
      const [want, got] = [readFileSync(file), readFileSync(fresh)];
      console.log(`committed ${name}: ${want.length} bytes, sha256 ${sha256(file)}`);
      console.log(`fresh build (${variant.toolchain === 'emcc' ? emcc : `${clang16} + wasm-ld-16`}): ${got.length} bytes, sha256 ${sha256(fresh)}`);
      if (!want.equals(got)) {
        let i = 0;
        while (i < want.length && i < got.length && want[i] === got[i]) i++;
        console.error(`FAIL: ${name} differs from a build of wasm/src (first difference at byte ${i}). ` +
          'Either the committed binary is stale (rebuild with node scripts/build-wasm.mjs and commit it) or the toolchain ' +
          'is not the reference one (Debian emscripten 3.1.6; Debian clang-16/lld-16 for the FMA modules).');
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
ensureClang16();
if (process.argv.includes('--verify-committed')) {
  verifyCommitted();
} else if (process.argv.includes('--check')) {
  const dir = mkdtempSync(join(tmpdir(), 'curvature-wasm-'));
  try {
    for (const variant of VARIANTS) {
      const { file } = variant;
      const name = file.slice(root.length + 1);
      const a = join(dir, 'a.wasm'), b = join(dir, 'b.wasm');
      build(a, variant);
      build(b, variant);
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
  for (const variant of VARIANTS) {
    build(variant.file, variant);
    describe(variant.file);
  }
}
