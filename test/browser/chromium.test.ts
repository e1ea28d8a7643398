/**
 * The browser path of the wasm loader (issue 3: "a URL/fetch path for browsers, tested with a
 * bundle in headless Chromium"): test/browser/entry.ts is bundled with esbuild for the browser,
 * served with wasm/curvature.wasm and wasm/curvature-fma.wasm from a local HTTP server on
 * 127.0.0.1, and opened in headless Chromium. The page picks the relaxed-SIMD FMA build (Chromium ≥
 * 114 has relaxed SIMD: the test asserts the variant is 'fma'), fetches it (loadWasmFromUrl), runs
 * a float64 and a float32 matmul, the HVP of a tiny MLP and a CG solve on the wasm backend and
 * POSTs the results back; they must match the same computation (test/browser/problem.ts) on the js
 * reference backend in Node.
 *
 * Skipped, with the reason printed, when no Chromium is installed (CI installs Debian's
 * `chromium`; CHROMIUM=/path overrides the binary). Fails with a clear message after a timeout.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as assert from 'uvu/assert';
import { test } from 'uvu';
import * as c from '../../src/index.js';
import { relErr, repoRoot } from '../helpers.js';
import { skipBecause } from '../skip.js';
import { runBrowserProblem, type BrowserResults } from './problem.js';

const TIMEOUT_MS = 120_000;

function findChromium(): string | null {
  const env = process.env['CHROMIUM'];
  if (env) return env;
  for (const name of ['chromium', 'chromium-browser']) {
    const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
    if (r.status === 0 && r.stdout.trim()) return r.stdout.trim();
  }
  return null;
}

const chromium = findChromium();
const NAME = 'headless Chromium: the bundled library loads the wasm backend over fetch and matches the js backend';

/** The browser bundle of entry.ts (compiled by tsc next to this file), node:* left external. */
async function bundle(): Promise<string> {
  const { build } = await import('esbuild');
  const entry = fileURLToPath(new URL('./entry.js', import.meta.url));
  const out = await build({
    entryPoints: [entry], bundle: true, platform: 'browser', format: 'esm', target: 'es2022',
    write: false, external: ['node:*'], logLevel: 'silent',
  });
  const code = out.outputFiles[0]!.text;
  // Node modules may only be reached through the loader's guarded dynamic import, never statically.
  const staticNode = code.match(/^\s*import\s[^;]*from\s*["']node:[^"']+["']/m);
  assert.not.ok(staticNode, `the browser bundle imports a Node module statically: ${staticNode?.[0]}`);
  return code;
}

interface Report {
  ok: boolean; error?: string; stack?: string; simd?: boolean; relaxed?: boolean; variant?: string; source?: string;
  userAgent?: string; results?: BrowserResults;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let s = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => { s += d; });
    req.on('end', () => resolve(s));
    req.on('error', reject);
  });
}

/** Serves the page, the bundle and the wasm; resolves with the POSTed report. */
function serve(js: string, wasm: Record<string, Uint8Array>, requests: string[]): { server: Server; report: Promise<Report>; listening: Promise<number> } {
  let deliver!: (r: Report) => void;
  const report = new Promise<Report>((resolve) => { deliver = resolve; });
  const html = '<!doctype html><meta charset="utf-8"><title>curvature</title><script type="module" src="/bundle.js"></script>';
  const server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    if (req.method === 'POST' && req.url === '/result') {
      readBody(req).then((body) => {
        res.writeHead(204).end();
        try { deliver(JSON.parse(body) as Report); } catch (err) { deliver({ ok: false, error: `unparsable report: ${String(err)}: ${body.slice(0, 200)}` }); }
      }, (err) => deliver({ ok: false, error: `reading the report failed: ${String(err)}` }));
      return;
    }
    const files: Record<string, [string, string | Uint8Array]> = {
      '/': ['text/html; charset=utf-8', html],
      '/bundle.js': ['text/javascript; charset=utf-8', js],
      ...Object.fromEntries(Object.entries(wasm).map(([name, bytes]) => [`/${name}`, ['application/wasm', bytes] as [string, Uint8Array]])),
    };
    const f = files[req.url ?? ''];
    if (!f) { res.writeHead(404).end(); return; }
    res.writeHead(200, { 'content-type': f[0], 'cache-control': 'no-store' }).end(f[1]);
  });
  const listening = new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
  return { server, report, listening };
}

function launch(bin: string, url: string, profile: string, log: string[]): ChildProcess {
  const child = spawn(bin, [
    '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
    '--no-first-run', '--no-default-browser-check', '--disable-extensions', '--disable-component-update',
    `--user-data-dir=${profile}`, url,
  ], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const keep = (d: Buffer): void => { log.push(d.toString()); if (log.length > 200) log.shift(); };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  return child;
}

/** Ends Chromium and every process it started (its own process group, made by detached: true). */
function kill(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try { process.kill(-child.pid, 'SIGKILL'); } catch { child.kill('SIGKILL'); }
}

if (!chromium) {
  skipBecause(test, NAME, 'no `chromium` on PATH; install it with apt-get install -y chromium, or set CHROMIUM=/path/to/chromium');
} else test(NAME, async () => {
  const js = await bundle();
  const wasm = Object.fromEntries(['curvature.wasm', 'curvature-fma.wasm'].map((f) => [f, readFileSync(join(repoRoot(), 'wasm', f))]));
  const requests: string[] = [];
  const { server, report, listening } = serve(js, wasm, requests);
  const port = await listening;
  const profile = mkdtempSync(join(tmpdir(), 'curvature-chromium-'));
  const log: string[] = [];
  const child = launch(chromium, `http://127.0.0.1:${port}/`, profile, log);
  let timer: NodeJS.Timeout | undefined;
  try {
    const exited = new Promise<Report>((resolve) => child.once('exit', (code, sig) =>
      resolve({ ok: false, error: `chromium exited (code ${code}, signal ${sig}) before the page reported` })));
    const timeout = new Promise<Report>((resolve) => {
      timer = setTimeout(() => resolve({ ok: false, error: `no report from the page within ${TIMEOUT_MS / 1000} s` }), TIMEOUT_MS);
    });
    const r = await Promise.race([report, exited, timeout]);
    if (!r.ok) {
      assert.unreachable(`browser run failed: ${r.error}\n${r.stack ?? ''}\nrequests: ${requests.join(', ')}\nchromium output (tail):\n${log.join('').slice(-3000)}`);
    }
    assert.is(r.simd, true, 'wasmSimdSupported() in Chromium');
    // Chromium ≥ 114 runs relaxed SIMD, so the page loads the FMA build.
    assert.is(r.relaxed, true, `wasmRelaxedSimdSupported() in Chromium (${r.userAgent})`);
    assert.is(r.variant, 'fma', 'the loaded kernels are the relaxed-SIMD FMA build');
    const got = r.results!;
    assert.is(got.backend, 'wasm', 'the page computed on the wasm backend');
    assert.match(r.source ?? '', /^http:\/\/127\.0\.0\.1:\d+\/curvature-fma\.wasm$/);
    // Only the page's own origin was asked for anything, and one module was fetched, once.
    assert.is(requests.filter((q) => q === 'GET /curvature-fma.wasm').length, 1, `requests: ${requests.join(', ')}`);
    assert.is(requests.filter((q) => q === 'GET /curvature.wasm').length, 0, `requests: ${requests.join(', ')}`);

    const previous = c.getBackend().name;
    c.setBackend('js');
    let want: BrowserResults;
    try { want = runBrowserProblem(); } finally { c.setBackend(previous); }
    assert.is(want.backend, 'js');
    assert.is(got.matmul.length, 21);
    assert.ok(relErr(got.matmul, want.matmul) < 1e-13, `matmul: relative error ${relErr(got.matmul, want.matmul)}`);
    // float32, k = 70: the reference sums in double, wasm in float32 lanes (fused or not): ~1e-7 relative.
    assert.is(got.sgemm.length, 40 * 50);
    assert.ok(relErr(got.sgemm, want.sgemm) < 1e-5, `float32 matmul: relative error ${relErr(got.sgemm, want.sgemm)}`);
    assert.is(got.hvp.length, want.hvp.length);
    assert.ok(relErr(got.hvp, want.hvp) < 1e-11, `HVP: relative error ${relErr(got.hvp, want.hvp)}`);
    assert.ok(got.cg.converged && want.cg.converged, `CG converged: browser ${got.cg.converged}, node ${want.cg.converged}`);
    assert.ok(relErr(got.cg.x, want.cg.x) < 1e-10, `CG solution: relative error ${relErr(got.cg.x, want.cg.x)}`);
    console.log(`  chromium (${(r.userAgent ?? '').match(/Chrome\/[\d.]+/)?.[0] ?? 'unknown'}, ${r.variant} kernels): matmul ${relErr(got.matmul, want.matmul).toExponential(1)}, ` +
      `float32 matmul ${relErr(got.sgemm, want.sgemm).toExponential(1)}, ` +
      `HVP ${relErr(got.hvp, want.hvp).toExponential(1)}, CG x ${relErr(got.cg.x, want.cg.x).toExponential(1)} (${got.cg.iterations} vs ${want.cg.iterations} iterations)`);
  } finally {
    clearTimeout(timer);
    kill(child);
    server.closeAllConnections();
    server.close();
    rmSync(profile, { recursive: true, force: true });
  }
});

test.run();
