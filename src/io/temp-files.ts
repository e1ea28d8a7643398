/**
 * Atomic output files. Every file the library or the CLI writes goes first to a temporary file
 * next to its target — `.<name>.<pid>.<n>.partial`, same directory so the rename is atomic on POSIX
 * file systems — and is renamed over the target only when complete. A killed or failed run leaves
 * either the old file or the complete new one, never a torn file.
 *
 * Temporary files in use are tracked, so a signal handler (the CLI's) can delete them
 * (removeTrackedTemps); a temporary file left by a process that was killed outright (SIGKILL) is
 * recognised by its dead pid and deleted by the next run (removeStalePartials).
 */
import { InputError } from '../errors.js';
import { nodeFs } from './source.js';

const fs = () => nodeFs('write', 'output file').fs;
const pathModule = () => nodeFs('write', 'output file').path;

const live = new Set<string>();
let counter = 0;
const PARTIAL = /^\.(.+)\.(\d+)\.(\d+)\.partial$/;

/** A fresh temporary path next to `target`, tracked until untrackTemp (or removeTrackedTemps). */
export function tempPathFor(target: string): string {
  const p = pathModule();
  const temp = p.join(p.dirname(target), `.${p.basename(target)}.${process.pid}.${++counter}.partial`);
  live.add(temp);
  return temp;
}

/** Stops tracking a temporary path (after it was renamed or deleted). */
export function untrackTemp(temp: string): void {
  live.delete(temp);
}

/** Deletes every tracked temporary file of this process (for signal handlers); returns how many. */
export function removeTrackedTemps(): number {
  let n = 0;
  for (const t of live) {
    try { fs().rmSync(t, { force: true, recursive: true }); n++; } catch { /* best effort while exiting */ }
  }
  live.clear();
  return n;
}

function pidAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

/**
 * Deletes the temporary files of `target` left by processes that no longer run (a run killed with
 * SIGKILL cannot clean up after itself). Returns the paths removed. Files of live processes stay,
 * except this process's own with `includeOwn` (a worker thread of ours was stopped mid-write).
 */
export function removeStalePartials(target: string, options: { includeOwn?: boolean } = {}): string[] {
  const p = pathModule();
  const dir = p.dirname(target), base = p.basename(target);
  let names: string[];
  try { names = fs().readdirSync(dir); } catch { return []; }
  const removed: string[] = [];
  for (const name of names) {
    const m = PARTIAL.exec(name);
    const pid = Number(m?.[2]);
    if (!m || m[1] !== base || ((pid !== process.pid || !options.includeOwn) && pidAlive(pid))) continue;
    const full = p.join(dir, name);
    // recursive: a fit is staged as a temporary directory (src/influence/fit-store.ts).
    try { fs().rmSync(full, { force: true, recursive: true }); removed.push(full); } catch { /* not ours to remove */ }
  }
  return removed;
}

/** Writes `data` to `path` atomically (temporary file, fsync, rename), creating parent directories. */
export function writeFileAtomic(path: string, data: Uint8Array | string, what = 'file'): void {
  if (typeof path !== 'string' || path.length === 0) {
    throw new InputError(`expected a non-empty ${what} path to write, got ${JSON.stringify(path)}`);
  }
  const temp = tempPathFor(path);
  try {
    fs().mkdirSync(pathModule().dirname(path), { recursive: true });
    const fd = fs().openSync(temp, 'w');
    try {
      fs().writeFileSync(fd, data);
      fs().fsyncSync(fd);
    } finally {
      fs().closeSync(fd);
    }
    fs().renameSync(temp, path);
  } catch (err) {
    fs().rmSync(temp, { force: true });
    throw new InputError(`cannot write ${what} '${path}': ${(err as Error).message}`);
  } finally {
    untrackTemp(temp);
  }
}
