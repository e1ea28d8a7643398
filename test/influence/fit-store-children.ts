import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as assert from 'uvu/assert';
import type * as c from '../../src/index.js';

/** The child script that saves or loads fits in a process of its own (child/fit-store-child.ts). */
export const FIT_STORE_CHILD = fileURLToPath(new URL('./child/fit-store-child.js', import.meta.url));

/** Runs the child on all cases (one process) in `mode`, returning each case's score line by name. */
export function fitStoreChild(mode: 'save' | 'load', dir: string, cases: [string, c.InfluenceOptions][]): Map<string, string> {
  const r = spawnSync(process.execPath, [FIT_STORE_CHILD, mode, dir, JSON.stringify(cases)], { encoding: 'utf8' });
  assert.is(r.status, 0, `${mode} child failed: ${r.stderr}`);
  const out = new Map<string, string>();
  for (const line of r.stdout.split('\n')) if (line.startsWith('SCORES ')) out.set(line.split(' ')[1]!, line);
  assert.is(out.size, cases.length, `scores from the ${mode} child: ${r.stdout}`);
  return out;
}
