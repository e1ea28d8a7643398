import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { repoRoot } from './helpers.js';

/**
 * The import graph of src/ against the layers of the design (DESIGN.md; recorded in
 * docs/ARCHITECTURE.md): data flows one way. Every `import … from` / `export … from` of a file
 * under src/ (type-only imports included: a type is a dependency too) is parsed, and
 *   (a) nothing in src/solvers or src/estimators imports src/nn or src/autodiff — solvers and
 *       estimators see only operators;
 *   (b) no file of a lower layer imports a higher one, in this order:
 *         backend < tensor < autodiff < nn < linalg < operators < solvers = estimators
 *         < influence < cli = report < index.ts (the root barrel);
 *       io/ and errors.ts are leaves, importable from anywhere; io itself imports only io and errors.
 */
const LAYERS: Record<string, number> = {
  backend: 0, tensor: 1, autodiff: 2, nn: 3, linalg: 4, operators: 5, solvers: 6, estimators: 6, influence: 7, cli: 8, report: 8,
};
const LEAVES = new Set(['io', 'errors.ts']);
/**
 * Edges allowed against the order, each with its reason. A worker thread's entry script is a
 * program (like the CLI), not a library module: it loads the root barrel for its side effects
 * (every backend registered) before serving requests.
 */
const ALLOWED = new Set(['influence/worker/worker.ts → index.js']);

const src = join(repoRoot(), 'src');

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** The top-level part of src/ a file belongs to: 'solvers', 'io', 'errors.ts', 'index.ts', … */
function partOf(file: string): string {
  return relative(src, file).split(sep)[0]!;
}

/** Relative module specifiers of every static import/export-from and dynamic import('…') in a source text. */
function importsOf(text: string): string[] {
  const out: string[] = [];
  const patterns = [/^\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]/gms, /^\s*import\s*['"]([^'"]+)['"]/gm, /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g];
  for (const re of patterns) for (const m of text.matchAll(re)) out.push(m[1]!);
  return out.filter((s) => s.startsWith('.'));
}

const edges: { from: string; to: string; fromPart: string; toPart: string }[] = [];
for (const file of filesUnder(src)) {
  const fromPart = partOf(file);
  for (const spec of importsOf(readFileSync(file, 'utf8'))) {
    const target = resolve(dirname(file), spec);
    const rel = relative(src, target);
    if (rel.startsWith('..')) continue; // outside src/ (package.json, wasm/ …)
    edges.push({ from: relative(src, file), to: rel, fromPart, toPart: partOf(target.replace(/\.js$/, '.ts')) });
  }
}

test('the import parser sees the graph (sanity: known edges are found)', () => {
  assert.ok(edges.length > 200, `only ${edges.length} imports found`);
  assert.ok(edges.some((e) => e.fromPart === 'solvers' && e.toPart === 'operators'));
  assert.ok(edges.some((e) => e.fromPart === 'operators' && e.toPart === 'nn'));
  assert.ok(edges.some((e) => e.fromPart === 'influence' && e.toPart === 'solvers'));
});

test('(a) solvers and estimators import neither nn nor autodiff', () => {
  const bad = edges.filter((e) => (e.fromPart === 'solvers' || e.fromPart === 'estimators') && (e.toPart === 'nn' || e.toPart === 'autodiff'));
  assert.equal(bad.map((e) => `${e.from} → ${e.to}`), []);
});

test('(b) no layer imports a higher one; io imports only io and errors', () => {
  const bad: string[] = [];
  for (const e of edges) {
    if (ALLOWED.has(`${e.from} → ${e.to}`)) continue;
    if (e.fromPart === 'index.ts' || LEAVES.has(e.toPart)) {
      if (e.fromPart === 'io' && !LEAVES.has(e.toPart)) bad.push(`${e.from} → ${e.to} (io is a leaf)`);
      continue;
    }
    if (e.fromPart === 'io' || e.fromPart === 'errors.ts') { bad.push(`${e.from} → ${e.to} (a leaf imports only leaves)`); continue; }
    if (e.toPart === 'index.ts') { bad.push(`${e.from} → ${e.to} (the root barrel is the top)`); continue; }
    const from = LAYERS[e.fromPart], to = LAYERS[e.toPart];
    if (from === undefined || to === undefined) { bad.push(`${e.from} → ${e.to} (a part of src/ with no layer: add it to LAYERS)`); continue; }
    if (to > from) bad.push(`${e.from} → ${e.to} (${e.fromPart} < ${e.toPart})`);
  }
  assert.equal(bad, []);
});

test.run();
