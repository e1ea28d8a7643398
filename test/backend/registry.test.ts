import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as c from '../../src/index.js';

test('unknown backend name is an InputError listing the known ones', () => {
  assert.throws(() => c.setBackend('quantum'), (e: unknown) => e instanceof c.InputError && /expected one of/.test((e as Error).message));
});

test('a backend that cannot load raises BackendUnavailableError with its reason, and the active backend stays usable', () => {
  c.setBackend('js');
  c.registerBackend('broken', () => { throw new Error('no GPU driver found'); }, -1);
  try {
    c.setBackend('broken');
    assert.unreachable();
  } catch (e) {
    assert.ok(e instanceof c.BackendUnavailableError);
    assert.match((e as c.BackendUnavailableError).reason, /no GPU driver/);
  }
  // The failure is remembered, and the library keeps working on the previous backend.
  assert.throws(() => c.setBackend('broken'), (e: unknown) => e instanceof c.BackendUnavailableError);
  assert.is(c.getBackend().name, 'js');
  assert.is(c.sum(c.tensor([1, 2, 3])).item(), 6);
  const entry = c.listBackends().find((b) => b.name === 'broken');
  assert.match(entry?.failure ?? '', /no GPU driver/);
});

test.run();
