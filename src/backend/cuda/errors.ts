/**
 * Typed errors of the CUDA backend, from the `code` the addon puts on every error it throws
 * (native/cuda/common.h Kind). A failed call never kills the process:
 * - CUDA_OOM → CudaOutOfMemoryError: the allocator had already released its cache and retried;
 *   the backend stays usable (free tensors, or use smaller chunks);
 * - CUDA_LAUNCH → CudaLaunchError: a kernel could not be launched; the backend stays usable;
 * - CUDA_BROKEN → BackendUnavailableError('cuda', …): a sticky CUDA error lost the context (illegal
 *   address, launch failure, …); every later call fails the same way, other backends still work;
 * - CUDA_INPUT → InputError (an index or label out of range, found on the device);
 * - CUDA_ARG → CudaError: a call the TypeScript checks should have refused (a bug, reported as is).
 */
import { BackendUnavailableError, CurvatureError, InputError } from '../../errors.js';

export class CudaError extends CurvatureError {
  constructor(message: string, readonly code: string) {
    super(message);
  }
}
export class CudaOutOfMemoryError extends CudaError {}
export class CudaLaunchError extends CudaError {}

/** The typed error for an error thrown by the addon (anything else is returned unchanged). */
export function mapCudaError(err: unknown): unknown {
  const e = err as { code?: unknown; message?: unknown } | null;
  if (!e || typeof e.code !== 'string' || !e.code.startsWith('CUDA_')) return err;
  const msg = String(e.message ?? '');
  switch (e.code) {
    case 'CUDA_OOM': return new CudaOutOfMemoryError(msg, e.code);
    case 'CUDA_LAUNCH': return new CudaLaunchError(msg, e.code);
    case 'CUDA_BROKEN': return new BackendUnavailableError('cuda', msg.replace(/^curvature_cuda: /, ''));
    case 'CUDA_INPUT': return new InputError(msg.replace(/^curvature_cuda: /, ''));
    default: return new CudaError(msg, e.code);
  }
}

/** Runs fn, rethrowing the addon's errors as typed ones. */
export function typed<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw mapCudaError(err);
  }
}
