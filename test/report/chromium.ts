import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Debian's chromium, or null with the reason it is unavailable (tests skip with that reason). */
export function chromiumPath(): { path: string | null; reason: string } {
  const path = process.env['CHROMIUM'] ?? '/usr/bin/chromium';
  if (!existsSync(path)) return { path: null, reason: `${path} not found (apt-get install chromium, or set CHROMIUM)` };
  return { path, reason: '' };
}

/** Renders a file in headless Chromium and returns the serialised DOM after layout (--dump-dom). */
export function dumpDom(chromium: string, file: string): string {
  const r = spawnSync(chromium, ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--dump-dom', `file://${file}`],
    { encoding: 'utf8', timeout: 120_000, maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`chromium --dump-dom failed (${r.status ?? r.signal}): ${r.stderr.slice(-2000)}`);
  return r.stdout;
}

/** Renders a file to a PNG screenshot; returns the PNG's bytes. */
export function screenshot(chromium: string, file: string, out: string): void {
  const r = spawnSync(chromium, ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--hide-scrollbars', '--window-size=1100,1400', `--screenshot=${out}`, `file://${file}`],
    { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`chromium --screenshot failed (${r.status ?? r.signal}): ${r.stderr.slice(-2000)}`);
}
