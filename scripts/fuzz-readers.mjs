#!/usr/bin/env node
/**
 * Bulk fuzzing of the file readers (safetensors, npy, IDX plain and gzip, CSV) against the strict
 * reference readers of test/io/fuzz-helpers.ts, run from the compiled dist/ (build first with
 * `npx tsc -p .`). See docs/FUZZ.md.
 *
 *   node scripts/fuzz-readers.mjs [--seed N] [--count N] [--format safetensors,npy,idx,idx.gz,csv]
 *                                 [--start K] [--save DIR] [--keep N]
 *
 * --seed   run seed (default: 1); case k of a run is reproducible from (seed, k)
 * --count  cases per format (default: 100000)
 * --start  first case index (default 0); with --count 1, replays a single case
 * --save   write each kept failing input to DIR/<format>-<seed>-<case>.(bin|csv.json)
 * --keep   failing cases printed (and saved) per format (default: 10)
 *
 * Exits 1 when any case fails, 2 on bad arguments.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
let helpers;
try {
  helpers = await import(join(root, 'dist/test/io/fuzz-helpers.js'));
} catch (err) {
  console.error(`cannot load dist/test/io/fuzz-helpers.js (${err.message}); build first: npx tsc -p .`);
  process.exit(2);
}
const { FUZZ_FORMATS, fuzzFormat, describeFailure } = helpers;

function usage(msg) {
  console.error(`${msg}\nusage: node scripts/fuzz-readers.mjs [--seed N] [--count N] [--format ${FUZZ_FORMATS.join(',')}] [--start K] [--save DIR] [--keep N]`);
  process.exit(2);
}

const opts = { seed: 1, count: 100000, start: 0, keep: 10, format: [...FUZZ_FORMATS], save: null };
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  const value = () => {
    const v = args[++i];
    if (v === undefined) usage(`${a} needs a value`);
    return v;
  };
  const int = (v) => {
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < 0) usage(`${a} expects a non-negative integer, got ${JSON.stringify(v)}`);
    return n;
  };
  if (a === '--seed') opts.seed = int(value());
  else if (a === '--count') opts.count = int(value());
  else if (a === '--start') opts.start = int(value());
  else if (a === '--keep') opts.keep = int(value());
  else if (a === '--save') opts.save = value();
  else if (a === '--format') {
    opts.format = value().split(',');
    for (const f of opts.format) if (!FUZZ_FORMATS.includes(f)) usage(`unknown format ${JSON.stringify(f)}`);
  } else if (a === '--help' || a === '-h') usage('fuzz the file readers');
  else usage(`unknown argument ${JSON.stringify(a)}`);
}

console.log(`fuzz-readers: seed ${opts.seed}, cases ${opts.start}..${opts.start + opts.count - 1} per format, node ${process.version}`);
let failed = 0;
const t0 = performance.now();
for (const format of opts.format) {
  // In chunks, so that a long run reports progress.
  const chunk = 10000;
  const total = { cases: 0, accepted: 0, rejected: 0, skipped: 0, failures: [], moreFailures: 0, kinds: {}, maxGrowth: 0, ms: 0 };
  for (let done = 0; done < opts.count; done += chunk) {
    const n = Math.min(chunk, opts.count - done);
    const s = fuzzFormat(format, { seed: opts.seed, count: n, start: opts.start + done, keep: Math.max(0, opts.keep - total.failures.length) });
    for (const k of ['cases', 'accepted', 'rejected', 'skipped', 'moreFailures', 'ms']) total[k] += s[k];
    total.failures.push(...s.failures);
    for (const [k, v] of Object.entries(s.kinds)) total.kinds[k] = (total.kinds[k] ?? 0) + v;
    total.maxGrowth = Math.max(total.maxGrowth, s.maxGrowth);
    if (opts.count > chunk) process.stderr.write(`  ${format}: ${total.cases}/${opts.count}\r`);
  }
  const nFail = total.failures.length + total.moreFailures;
  failed += nFail;
  console.log(`${format.padEnd(12)} ${String(total.cases).padStart(7)} cases  ${String(total.accepted).padStart(7)} accepted  ` +
    `${String(total.rejected).padStart(7)} rejected  ${String(total.skipped).padStart(4)} skipped  ${String(nFail).padStart(5)} failed  ` +
    `max ArrayBuffer growth ${total.maxGrowth} B  ${(total.ms / 1000).toFixed(1)} s` +
    (nFail > 0 ? `  (${Object.entries(total.kinds).map(([k, v]) => `${v} ${k}`).join(', ')})` : ''));
  for (const f of total.failures) {
    console.log(`  ${describeFailure(f).replace(/\n/g, '\n  ')}`);
    if (opts.save) {
      mkdirSync(opts.save, { recursive: true });
      const base = join(opts.save, `${f.format}-${f.seed}-${f.index}`);
      if (f.input instanceof Uint8Array) writeFileSync(`${base}.bin`, f.input);
      else writeFileSync(`${base}.csv.json`, JSON.stringify(f.input));
    }
  }
}
console.log(`total ${((performance.now() - t0) / 1000).toFixed(1)} s, ${failed} failing case(s)`);
process.exit(failed > 0 ? 1 : 0);
