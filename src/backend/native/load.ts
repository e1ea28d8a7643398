import { loadAddon, optionsEnv, packageRoot, type AddonKind, type AddonLoadOptions, type LoadedAddonOf } from '../addon-loader.js';
import { ADDON_FUNCTIONS, NATIVE_ABI, type NativeAddon, type NativeInfo } from './addon.js';

/**
 * Finds and loads the native CPU addon (native/, an N-API module) without ever taking the process
 * down: every failure — not Node.js, no binary for this platform, a file that is not a loadable
 * shared object (bad ELF, truncated), a binary without the expected functions or of another ABI —
 * becomes a BackendUnavailableError('native', reason), and the registry falls back to wasm, then js.
 *
 * Where it looks, first match wins (no compiler, no download):
 *  1. $CURVATURE_NATIVE_PATH, when set (only that file);
 *  2. <package root>/build/Release/curvature_native.node (a local `npm run build:native`);
 *  3. <package root>/prebuilds/<platform>-<arch>/curvature_native.node (shipped in the package).
 * Symbols are bound at load time (RTLD_NOW), so a missing one is a load failure, not a crash later.
 * On Linux the file's ELF headers are checked against its size and the process's machine before
 * dlopen (./elf.ts): a truncated binary would otherwise be mapped and crash with SIGBUS. The
 * checks are those of every addon loader (../addon-loader.ts, shared with ../cuda/load.ts).
 * CURVATURE_NATIVE=0 disables the backend. The GEMM micro-kernels are chosen inside the addon from
 * cpuid (AVX-512, AVX2+FMA or portable), so the binary itself needs only the baseline x86-64
 * instruction set; CURVATURE_NATIVE_NO_AVX2=1 simulates a CPU without AVX2 (portable kernels),
 * CURVATURE_NATIVE_NO_AVX512=1 one without AVX-512.
 */

const BINARY = 'curvature_native.node';

/**
 * Options of loadNativeAddon (path: default $CURVATURE_NATIVE_PATH, else the search above); the
 * defaults describe this process. Tests use them to simulate failures.
 */
export type NativeLoadOptions = AddonLoadOptions;

/** A loaded addon, where it came from, and what it reports about the CPU. */
export type LoadedAddon = LoadedAddonOf<NativeAddon, NativeInfo>;

const NATIVE: AddonKind = {
  backend: 'native',
  what: 'the native addon',
  disableVar: 'CURVATURE_NATIVE',
  functions: ADDON_FUNCTIONS,
  abi: NATIVE_ABI,
  rebuild: 'npm run build:native',
  none: (platform, arch) => `no loadable binary for ${platform}-${arch} (build one with npm run build:native)`,
};

/** The candidate files in search order (see the file comment). */
export function nativeCandidates(options: NativeLoadOptions = {}): string[] {
  const explicit = options.path ?? optionsEnv(options)['CURVATURE_NATIVE_PATH'];
  if (explicit) return [explicit];
  // The package root: the nearest directory above this module whose package.json names `curvature` (else the nearest one).
  const root = (options.root ?? packageRoot(import.meta.url, 'native', true)).replace(/\/$/, '');
  const platform = options.platform ?? process.platform, arch = options.arch ?? process.arch;
  return [`${root}/build/Release/${BINARY}`, `${root}/prebuilds/${platform}-${arch}/${BINARY}`];
}

/**
 * Loads the addon; throws BackendUnavailableError('native', reason) — never crashes — when it cannot.
 * The reason lists every place looked at and why each failed.
 */
export function loadNativeAddon(options: NativeLoadOptions = {}): LoadedAddon {
  return loadAddon<NativeAddon, NativeInfo>(NATIVE, options, () => nativeCandidates(options));
}
