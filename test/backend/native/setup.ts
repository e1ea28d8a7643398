/**
 * Shared set-up of the native backend tests: the registered native backend, or null with the reason
 * (every test of a file is then registered as skipped via test/skip.ts — never an early return).
 */
import type { Test } from 'uvu';
import * as c from '../../../src/index.js';
import type { NativeBackend } from '../../../src/backend/native/index.js';
import { skipBecause } from '../../skip.js';

/** The registered native backend and why not; the active backend is left as it was. */
export function nativeOrReason(): { backend: NativeBackend | null; reason: string } {
  const previous = c.getBackend();
  try {
    return { backend: c.setBackend('native') as NativeBackend, reason: '' };
  } catch (err) {
    return { backend: null, reason: `the native addon is not built here (${(err as Error).message}); run npm run build:native` };
  }
  finally {
    c.setBackend(previous.name);
  }
}

/** Registers `fn` as test `name` of `suite` when the addon loaded, else as a skipped test with the reason. */
export function nativeTest(suite: Test, backend: NativeBackend | null, reason: string) {
  return (name: string, fn: () => void | Promise<void>): void => {
    if (backend) suite(name, fn);
    else skipBecause(suite, name, reason);
  };
}
