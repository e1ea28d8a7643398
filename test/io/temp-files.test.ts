import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeStalePartials, removeTrackedTemps, tempPathFor, writeFileAtomic } from '../../src/io/temp-files.js';

/** src/io/temp-files.ts: atomic writes and the clean-up of temporaries (files and staged directories). */
const DEAD_PID = 2 ** 22 + 12345; // above Linux's default pid_max: never a live process

test('writeFileAtomic leaves the complete file and no temporary', () => {
  const dir = mkdtempSync(join(tmpdir(), 'curvature-temp-'));
  writeFileAtomic(join(dir, 'a.txt'), 'hello');
  assert.equal(readdirSync(dir), ['a.txt']);
});

test('removeStalePartials removes a dead pid\'s temporary files and staged directories of that target only', () => {
  const dir = mkdtempSync(join(tmpdir(), 'curvature-temp-'));
  writeFileSync(join(dir, `.scores.npy.${DEAD_PID}.1.partial`), 'torn');
  mkdirSync(join(dir, `.fit.${DEAD_PID}.2.partial`));
  writeFileSync(join(dir, `.fit.${DEAD_PID}.2.partial`, 'manifest.json'), '{}');
  writeFileSync(join(dir, `.other.npy.${DEAD_PID}.3.partial`), 'not this target');
  writeFileSync(join(dir, `.fit.${process.pid}.4.partial`), 'a live process (this one)');
  assert.is(removeStalePartials(join(dir, 'scores.npy')).length, 1);
  assert.is(removeStalePartials(join(dir, 'fit')).length, 1, 'the staged directory goes, with its contents');
  assert.equal(readdirSync(dir).sort(), [`.fit.${process.pid}.4.partial`, `.other.npy.${DEAD_PID}.3.partial`]);
  assert.is(removeStalePartials(join(dir, 'fit'), { includeOwn: true }).length, 1, 'includeOwn: a stopped worker thread of this process');
});

test('removeTrackedTemps deletes this process\'s temporaries in use (files and directories)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'curvature-temp-'));
  const file = tempPathFor(join(dir, 'a.npy')), folder = tempPathFor(join(dir, 'fit'));
  writeFileSync(file, 'x');
  mkdirSync(folder);
  writeFileSync(join(folder, 'solver.safetensors'), 'y');
  assert.ok(removeTrackedTemps() >= 2);
  assert.not.ok(existsSync(file) || existsSync(folder));
});

test.run();
