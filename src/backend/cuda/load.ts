import { BackendUnavailableError } from '../../errors.js';
import { loadAddon, optionsEnv, packageRoot, type AddonKind, type AddonLoadOptions, type LoadedAddonOf } from '../addon-loader.js';
import { CUDA_ABI, CUDA_FUNCTIONS, type CudaAddon, type CudaInfo } from './addon.js';

/**
 * Finds and loads the CUDA addon (native/cuda/, a separate N-API module, built only by
 * `npm run build:cuda`; no prebuilt binary ships) without ever taking the process down, with the
 * checks of the CPU addon's loader (../native/load.ts), both through ../addon-loader.ts: every
 * failure — not Node.js, no binary, a file that is not a loadable shared object (ELF headers checked
 * before dlopen), missing functions, another ABI — and then the device's own answer (init(): no
 * CUDA driver, no device, a device this build has no code for) becomes a
 * BackendUnavailableError('cuda', reason).
 *
 * Where it looks, first match wins: $CURVATURE_CUDA_PATH alone when set, else
 * <package root>/build/cuda/Release/curvature_cuda.node. CURVATURE_CUDA=0 disables the backend;
 * CURVATURE_CUDA_DEVICE picks the device ordinal (default 0). The module links the CUDA runtime
 * statically, so it loads without a driver and init() says why it cannot run.
 */

const BINARY = 'curvature_cuda.node';

/**
 * Options of loadCudaAddon (path: default $CURVATURE_CUDA_PATH, else the search above); the
 * defaults describe this process (the platform is always this process's). Tests use them to
 * simulate failures.
 */
export type CudaLoadOptions = Omit<AddonLoadOptions, 'platform'>;

export type LoadedCudaAddon = LoadedAddonOf<CudaAddon, CudaInfo>;

/** Why the last load failed at the device (the file loaded): the registry's one message uses it. */
export class CudaDeviceUnavailableError extends BackendUnavailableError {}

const CUDA: AddonKind = {
  backend: 'cuda',
  what: 'the CUDA addon',
  disableVar: 'CURVATURE_CUDA',
  functions: CUDA_FUNCTIONS,
  abi: CUDA_ABI,
  rebuild: 'npm run build:cuda',
  none: () => 'no CUDA addon (it is not shipped; build it with npm run build:cuda on a machine with nvcc)',
};

/** The candidate files in search order. */
export function cudaCandidates(options: CudaLoadOptions = {}): string[] {
  const explicit = options.path ?? optionsEnv(options)['CURVATURE_CUDA_PATH'];
  if (explicit) return [explicit];
  // The package root: the nearest directory above this module whose package.json names `curvature`.
  const root = (options.root ?? packageRoot(import.meta.url, 'cuda', false)).replace(/\/$/, '');
  return [`${root}/build/cuda/Release/${BINARY}`];
}

/** After the checks, asks the device (init()); its refusal is final, not a reason to try another file. */
function initDevice(loaded: LoadedCudaAddon): LoadedCudaAddon {
  let init: { ok: boolean; reason: string };
  try {
    init = loaded.addon.init();
  } catch (err) {
    init = { ok: false, reason: `init() threw: ${(err as Error)?.message ?? String(err)}` };
  }
  if (!init?.ok) throw new CudaDeviceUnavailableError('cuda', `${init?.reason || 'init() failed'} (addon ${loaded.path})`);
  return { ...loaded, info: loaded.addon.info() };
}

/**
 * Loads the addon and initialises the device; throws BackendUnavailableError('cuda', reason) —
 * CudaDeviceUnavailableError when the file loaded but the device cannot run — never crashes.
 */
export function loadCudaAddon(options: CudaLoadOptions = {}): LoadedCudaAddon {
  // No platform option: the ELF check runs wherever this process is Linux.
  const { path, root, arch, dlopen, env } = options;
  return loadAddon<CudaAddon, CudaInfo>(CUDA, { path, root, arch, dlopen, env }, () => cudaCandidates(options), initDevice);
}
