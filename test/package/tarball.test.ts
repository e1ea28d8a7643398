/**
 * What a user gets from `npm install curvature`: pack this checkout (the real `npm pack`, whose
 * `prepare` builds dist/src with tsconfig.build.json), install the tarball into an empty folder
 * offline, with an empty npm cache and a PATH holding only `node` and `sh` (no cc, g++, make,
 * python: any native build would fail), then import it, type-check against it and run its CLI.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { skipBecause } from '../skip.js';
import { IO_VALUES, ROOT_VALUES, typeCheckSource } from './documented-api.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const PKG = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
/** The fixed 80/20 split of the 569 breast-cancer samples leaves 114 test points. */
const BREAST_CANCER_TEST_POINTS = 114;

/** npm's own entry script, run with this node (never a shell wrapper). */
function findNpmCli(): string | undefined {
  const candidates: string[] = [];
  const execpath = process.env.npm_execpath;
  if (execpath) candidates.push(join(dirname(execpath), 'npm-cli.js'));
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir || !existsSync(join(dir, 'npm'))) continue;
    const real = realpathSync(join(dir, 'npm'));
    candidates.push(basename(real) === 'npm-cli.js' ? real : join(dirname(real), 'npm-cli.js'));
  }
  candidates.push(join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js'));
  return candidates.find((c) => existsSync(c));
}

function findTsc(): string | undefined {
  try {
    const dir = dirname(createRequire(import.meta.url).resolve('typescript/package.json'));
    return existsSync(join(dir, 'bin', 'tsc')) ? join(dir, 'bin', 'tsc') : undefined;
  } catch {
    return undefined;
  }
}

function run(cmd: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv }): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, { ...opts, encoding: 'utf8', timeout: 180_000 });
  if (r.error) throw r.error;
  return r;
}

const describe = (r: SpawnSyncReturns<string>) => `exit ${r.status}\nstdout: ${r.stdout.slice(-2000)}\nstderr: ${r.stderr.slice(-2000)}`;

const Tarball = suite('tarball: pack, offline install without a compiler, use');
const npmCli = findNpmCli();
const tsc = findTsc();

if (npmCli === undefined) {
  skipBecause(Tarball, 'pack and install', 'npm not found (npm_execpath, PATH or beside node)');
} else if (tsc === undefined) {
  skipBecause(Tarball, 'pack and install', "typescript not installed: npm pack's prepare script builds with tsc");
} else {
  const npm = npmCli;
  const tmp = mkdtempSync(join(tmpdir(), 'curvature-tarball-'));
  const app = join(tmp, 'app');
  const bin = join(tmp, 'bin');
  for (const dir of [app, bin, join(tmp, 'home')]) mkdirSync(dir);
  symlinkSync(process.execPath, join(bin, 'node'));
  if (existsSync('/bin/sh')) symlinkSync(realpathSync('/bin/sh'), join(bin, 'sh'));
  /** The user's machine: node and sh only, a fresh HOME, an empty npm cache, no network. */
  const userEnv: NodeJS.ProcessEnv = {
    PATH: bin,
    HOME: join(tmp, 'home'),
    npm_config_cache: join(tmp, 'empty-cache'),
    npm_config_offline: 'true',
    npm_config_update_notifier: 'false',
  };
  const devEnv: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
  const installed = join(app, 'node_modules', PKG.name);
  const curvature = join(app, 'node_modules', '.bin', 'curvature');
  const cli = (args: string[]) => run(curvature, args, { cwd: app, env: userEnv });
  let tarball: string | undefined;
  let installOk = false;

  Tarball.after(() => rmSync(tmp, { recursive: true, force: true }));

  Tarball('npm pack: LICENSE, dist/src, wasm, data and commander bundled; no tests, benches, sources or maps', () => {
    const r = run(process.execPath, [npm, 'pack', '--json', '--pack-destination', tmp], {
      cwd: ROOT,
      env: { ...devEnv, npm_config_cache: join(tmp, 'pack-cache'), npm_config_update_notifier: 'false' },
    });
    assert.is(r.status, 0, `npm pack failed: ${describe(r)}`);
    const [info] = JSON.parse(r.stdout) as { filename: string; size: number; entryCount: number; files: { path: string }[] }[];
    tarball = join(tmp, basename(info!.filename));
    const files = info!.files.map((f) => f.path);
    console.log(`  (${info!.filename}: ${(info!.size / 1e6).toFixed(2)} MB packed, ${info!.entryCount} files)`);
    for (const must of [
      'package.json', 'LICENSE', 'README.md', 'dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/io/index.js',
      'dist/src/io/index.d.ts', 'dist/src/cli/main.js', 'wasm/curvature.wasm', 'wasm/curvature-mt.wasm',
      'wasm/curvature-fma.wasm', 'wasm/curvature-fma-mt.wasm',
      'data/breast_cancer.csv', 'data/fashion-mnist-subset/train-images-idx3-ubyte.gz',
      'node_modules/commander/package.json', 'node_modules/commander/index.js',
      'prebuilds/linux-x64/curvature_native.node',
    ]) {
      assert.ok(files.includes(must), `${must} missing from the tarball`);
    }
    const forbidden = files.filter((f) =>
      /^(dist\/(test|bench|scripts)\/|src\/|test\/|bench\/|native\/|binding\.gyp$)/.test(f) || /\.(map|tsbuildinfo)$/.test(f));
    assert.equal(forbidden, [], `should not ship: ${forbidden.slice(0, 10).join(', ')}`);
    // dist/src holds no stale output of a deleted source file.
    const stale = files.filter((f) => f.startsWith('dist/src/') && f.endsWith('.js'))
      .filter((f) => !existsSync(join(ROOT, f.slice('dist/'.length).replace(/\.js$/, '.ts'))));
    assert.equal(stale, [], `compiled files without a source: ${stale.join(', ')}`);
    assert.ok(info!.size < 5e6, `tarball is ${info!.size} bytes`);
  });

  Tarball('npm install of the tarball: offline, empty cache, no compiler on PATH, nothing built', () => {
    assert.ok(tarball, 'no tarball (npm pack failed)');
    const r = run(process.execPath, [npm, 'install', '--offline', '--no-audit', '--no-fund', tarball!], { cwd: app, env: userEnv });
    assert.is(r.status, 0, `npm install failed: ${describe(r)}`);
    installOk = true;
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as {
      scripts?: Record<string, string>; gypfile?: boolean;
    };
    for (const s of ['preinstall', 'install', 'postinstall']) {
      assert.is(manifest.scripts?.[s], undefined, `the published package must not have a ${s} script`);
    }
    assert.is(manifest.gypfile, false, 'gypfile: false keeps npm from ever running node-gyp');
    assert.ok(existsSync(join(installed, 'node_modules', 'commander', 'package.json')), 'bundled commander not installed');
    assert.not.ok(existsSync(join(installed, 'build')), 'a native build ran');
    // No shipped file points at a source map (the maps and the .ts sources are not shipped).
    const withMaps: string[] = [];
    const walk = (dir: string): void => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name.endsWith('.js') && readFileSync(p, 'utf8').includes('sourceMappingURL')) withMaps.push(p);
      }
    };
    walk(join(installed, 'dist'));
    assert.equal(withMaps, [], 'shipped .js files reference source maps');
  });

  Tarball('the installed package imports: curvature, curvature/io, curvature/package.json', () => {
    assert.ok(installOk, 'not installed');
    const script = `
      const [root, io] = JSON.parse(process.argv[1]);
      (async () => {
        const c = await import('curvature');
        const i = await import('curvature/io');
        const missing = [...root.filter((n) => c[n] === undefined), ...io.filter((n) => i[n] === undefined || i[n] !== c[n]).map((n) => 'io:' + n)];
        const d = c.loadBreastCancer();
        console.log(JSON.stringify({ missing, version: require('curvature/package.json').version, rows: d.x.shape[0] }));
      })().catch((e) => { console.error(e); process.exit(1); });`;
    const r = run(process.execPath, ['-e', script, JSON.stringify([[...ROOT_VALUES, ...IO_VALUES], IO_VALUES])], { cwd: app, env: userEnv });
    assert.is(r.status, 0, describe(r));
    const out = JSON.parse(r.stdout) as { missing: string[]; version: string; rows: number };
    assert.equal(out.missing, []);
    assert.is(out.version, PKG.version);
    assert.is(out.rows, 569, 'bundled data found from the installed package');
  });

  Tarball('the prebuilt native addon loads from the installed package (linux-x64), or its absence falls back to wasm', () => {
    assert.ok(installOk, 'not installed');
    const script = `
      (async () => {
        const c = await import('curvature');
        let why = '';
        try { c.setBackend('native'); } catch (e) { why = e.reason; }
        const b = c.getBackend();
        const x = c.tensor([[1, 2], [3, 4]], undefined, 'float32');
        console.log(JSON.stringify({ name: b.name, path: b.path ?? null, why, y: Array.from(c.matmul(x, x).dataSync()) }));
      })().catch((e) => { console.error(e); process.exit(1); });`;
    const r = run(process.execPath, ['-e', script], { cwd: app, env: userEnv });
    assert.is(r.status, 0, describe(r));
    const out = JSON.parse(r.stdout) as { name: string; path: string | null; why: string; y: number[] };
    assert.equal(out.y, [7, 10, 15, 22]);
    if (process.platform === 'linux' && process.arch === 'x64') {
      assert.is(out.name, 'native', `native did not load from the package: ${out.why}`);
      assert.match(out.path ?? '', /node_modules\/curvature\/prebuilds\/linux-x64\/curvature_native\.node$/);
    } else {
      assert.match(out.why, /prebuilds/);
      assert.is(out.name, 'wasm');
    }
  });

  Tarball('types: every documented name type-checks through exports (tsc, nodenext)', () => {
    assert.ok(installOk, 'not installed');
    writeFileSync(join(app, 'check.mts'), typeCheckSource());
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', strict: true, noEmit: true, skipLibCheck: true, types: [] },
      files: ['check.mts'],
    }));
    const r = run(process.execPath, [tsc!, '-p', app], { cwd: app, env: userEnv });
    assert.is(r.status, 0, `tsc against the installed declarations: ${describe(r)}`);
  });

  Tarball('npx curvature --help lists the commands', () => {
    assert.ok(installOk, 'not installed');
    const help = run(process.execPath, [npm, 'exec', '--offline', '--', 'curvature', '--help'], { cwd: app, env: userEnv });
    assert.is(help.status, 0, describe(help));
    assert.match(help.stdout, 'influence');
  });

  Tarball('curvature --version prints package.json version', () => {
    assert.ok(installOk, 'not installed');
    const version = cli(['--version']);
    assert.is(version.status, 0, describe(version));
    assert.is(version.stdout.trim(), PKG.version);
  });

  Tarball('curvature influence --help exits 0 and documents --model', () => {
    assert.ok(installOk, 'not installed');
    const r = cli(['influence', '--help']);
    assert.is(r.status, 0, describe(r));
    assert.match(r.stdout, '--model');
  });

  Tarball('a small influence run: train on breast-cancer, then influence from the model file alone', () => {
    assert.ok(installOk, 'not installed');
    const train = cli(['train', '--data', 'breast-cancer', '--arch', '30,1', '--weight-decay', '0.01', '--out', 'm.safetensors', '--quiet']);
    assert.is(train.status, 0, describe(train));
    // arch, loss and weight decay come from the model file's metadata.
    const infl = cli(['influence', '--model', 'm.safetensors', '--data', 'breast-cancer', '--solver', 'cg', '--top', '3', '--json', 's.json', '--quiet']);
    assert.is(infl.status, 0, describe(infl));
    const summary = JSON.parse(readFileSync(join(app, 's.json'), 'utf8')) as { top: unknown[] };
    assert.is(summary.top.length, BREAST_CANCER_TEST_POINTS);
  });
}

Tarball.run();
