import { setBackend } from '../backend/registry.js';
import type { Flags } from './flags.js';

/** --backend, when given (the registry's InputError/BackendUnavailableError names the choices). */
export function selectBackend(flags: Flags): string | undefined {
  const b = flags['backend'];
  if (typeof b === 'string') setBackend(b);
  return typeof b === 'string' ? b : undefined;
}
