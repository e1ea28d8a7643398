import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as c from '../../src/index.js';
import { smallProblem } from './problem.js';

/**
 * Issue 10, defect 2 (library part): temporary .npy files of a stream. A process killed outright
 * cannot delete its own; the next stream to the same target deletes those of dead processes.
 */
async function rejectsType(p: Promise<unknown>, type: new (...a: any[]) => Error): Promise<void> {
  let caught: unknown;
  try { await p; } catch (err) { caught = err; }
  assert.instance(caught, type, `expected ${type.name}, got ${String(caught)}`);
}

const s = suite('temporary .npy files of streamed influence');
c.setBackend('js');
const { objective, theta, train, test } = smallProblem();
const model = c.InfluenceModel.fit(objective, theta, train, { solver: 'direct' });
const root = mkdtempSync(join(tmpdir(), 'curv-temp-files-'));
// Other files' suites may change the active backend between this file's loading and its run.
s.before(() => { c.setBackend('js'); });
s.after(() => rmSync(root, { recursive: true, force: true }));
const fresh = (name: string): string => mkdtempSync(join(root, `${name}-`));

s('a stream killed with SIGKILL leaves its .partial; the next stream to that target deletes it', async () => {
  const dir = fresh('killed');
  const target = join(dir, 'scores.npy');
  const script = fileURLToPath(new URL('./child/killed-stream.js', import.meta.url));
  const child = spawn(process.execPath, [script, target], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '', stderr = '';
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const writing = await new Promise<boolean>((resolve) => {
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); if (stdout.includes('writing')) resolve(true); });
    void exited.then(() => resolve(false));
  });
  assert.ok(writing, `the child stopped before writing: ${stderr}`);
  child.kill('SIGKILL');
  await exited;
  const left = readdirSync(dir);
  assert.equal(left, [`.scores.npy.${child.pid}.1.partial`], 'SIGKILL leaves the temporary file (nothing can run)');
  await c.streamInfluence(model, test, c.chunked(train, 8), { npyPath: target });
  assert.equal(readdirSync(dir), ['scores.npy'], 'the dead process\'s .partial was deleted when the target was opened again');
});

s('only temporary files of the same target and of processes that no longer run are deleted', async () => {
  const dir = fresh('stale');
  const dead = spawnSync(process.execPath, ['-e', '']).pid!;
  const names = [
    `.self.npy.${dead}.1.partial`, // same target, dead process: deleted
    `.self.npy.${process.pid}.999.partial`, // same target, a live process (this one): kept
    `.other.npy.${dead}.1.partial`, // another target: kept
  ];
  for (const n of names) writeFileSync(join(dir, n), 'x');
  await c.streamSelfInfluence(model, c.chunked(train, 10), { npyPath: join(dir, 'self.npy') });
  assert.equal(readdirSync(dir).sort(), [names[1]!, names[2]!, 'self.npy'].sort());
});

s('onTempFile names the temporary file before it exists; it is gone after success, failure and cancellation', async () => {
  const dir = fresh('named');
  const target = join(dir, 'scores.npy');
  const named: string[] = [];
  const onTempFile = (p: string): void => { assert.not.ok(existsSync(p), 'named before it is created'); named.push(p); };
  await c.streamInfluence(model, test, c.chunked(train, 8), { npyPath: target, onTempFile });
  assert.is(named.length, 1);
  assert.ok(named[0]!.startsWith(join(dir, `.scores.npy.${process.pid}.`)) && named[0]!.endsWith('.partial'));
  assert.equal(readdirSync(dir), ['scores.npy']);
  rmSync(target);
  // Failure: a total that the stream does not meet (ShapeError), then an abort between chunks.
  await rejectsType(c.streamInfluence(model, test, c.chunked(train, 8), { npyPath: target, total: 31, onTempFile }), c.ShapeError);
  const ctl = new AbortController();
  await rejectsType(c.streamSelfInfluence(model, c.chunked(train, 8), {
    npyPath: target, onTempFile, signal: ctl.signal, onProgress: () => ctl.abort(),
  }), c.CancelledError);
  assert.is(named.length, 3);
  assert.equal(readdirSync(dir), []);
});

s.run();
