import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { IO_VALUES, ROOT_VALUES } from './documented-api.js';

// Imported through the package name: package self-reference resolves 'curvature' and
// 'curvature/io' via package.json `exports`, exactly as an installed package would. The
// specifiers are variables so the test compiles before dist/ exists.
type Module = Record<string, unknown>;
const load = (specifier: string): Promise<Module> => import(specifier) as Promise<Module>;
const pkgUrl = new URL('../../../package.json', import.meta.url);
const pkg = JSON.parse(readFileSync(pkgUrl, 'utf8')) as {
  name: string;
  version: string;
  exports: Record<string, unknown>;
};

test('every documented root name is exported by curvature', async () => {
  const c = await load('curvature');
  const missing = [...ROOT_VALUES, ...IO_VALUES].filter((n) => c[n] === undefined);
  assert.equal(missing, [], `missing from 'curvature': ${missing.join(', ')}`);
});

test('every documented I/O name is exported by curvature/io, the same binding as the root', async () => {
  const c = await load('curvature');
  const io = await load('curvature/io');
  const missing = IO_VALUES.filter((n) => io[n] === undefined);
  assert.equal(missing, [], `missing from 'curvature/io': ${missing.join(', ')}`);
  const different = IO_VALUES.filter((n) => io[n] !== c[n]);
  assert.equal(different, [], `differ between 'curvature' and 'curvature/io': ${different.join(', ')}`);
});

test('curvature/io needs no tensor core: it loads and reads bundled data on its own', async () => {
  const io = await load('curvature/io');
  const bc = (io.loadBreastCancer as () => { x: { shape: number[] } })();
  assert.equal(bc.x.shape, [569, 30]);
});

test('exports: ., ./io and ./package.json, each code entry with a types condition listed first', async () => {
  assert.is(pkg.name, 'curvature');
  assert.equal(Object.keys(pkg.exports).sort(), ['.', './io', './package.json']);
  for (const key of ['.', './io']) {
    const entry = pkg.exports[key] as Record<string, string>;
    assert.is(Object.keys(entry)[0], 'types', `${key}: 'types' must come first`);
    assert.ok(entry.types!.endsWith('.d.ts') && entry.types!.startsWith('./dist/src/'), `${key} types: ${entry.types}`);
    const code = entry.default ?? entry.import;
    assert.ok(code?.startsWith('./dist/src/') && code.endsWith('.js'), `${key} code: ${code}`);
  }
  const require = createRequire(import.meta.url);
  const resolved = require('curvature/package.json') as { version: string };
  assert.is(resolved.version, pkg.version);
});

test.run();
