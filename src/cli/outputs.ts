/**
 * A command's output files as one all-or-nothing set (issue 10: no torn files, no partial sets).
 *
 * 1. Before any computation, every path is checked: not a directory, its folder exists, no two
 *    outputs share a path; temporary files left there by killed runs (dead pids) are removed.
 * 2. Results are staged: each is written in full to a temporary file beside its target.
 * 3. commit() renames them all into place; if staging fails, abort() deletes every temporary file
 *    and no target is touched — a failed run leaves the previous files as they were.
 */
import { closeSync, fsyncSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { InputError } from '../errors.js';
import { removeStalePartials, tempPathFor, untrackTemp } from '../io/temp-files.js';

export class OutputSet {
  private readonly targets = new Map<string, string>();
  private readonly staged: { temp: string; target: string }[] = [];

  /** `paths`: flag name → path, for the flags the user gave (`-` for stdout is not a file). */
  constructor(paths: Record<string, string | undefined>) {
    const seen = new Map<string, string>();
    for (const [name, path] of Object.entries(paths)) {
      if (path === undefined || path === '-') continue;
      checkWritablePath(`--${name}`, path);
      const abs = resolve(path);
      const other = seen.get(abs);
      if (other) throw new InputError(`--${name} and --${other} name the same file '${path}': give each output its own path`);
      seen.set(abs, name);
      this.targets.set(name, path);
      removeStalePartials(path);
    }
  }

  /** The paths of the output set (flag → path), for signal cleanup. */
  paths(): string[] {
    return [...this.targets.values()];
  }

  /** [flag, path] of every output. */
  entries(): [string, string][] {
    return [...this.targets.entries()];
  }

  has(name: string): boolean {
    return this.targets.has(name);
  }

  /** Writes `data` in full to a temporary file beside the output of `name` (no-op when not requested). */
  stage(name: string, data: Uint8Array | string): void {
    const target = this.targets.get(name);
    if (target === undefined) return;
    const temp = tempPathFor(target);
    this.staged.push({ temp, target });
    let fd: number | null = null;
    try {
      fd = openSync(temp, 'w');
      const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      for (let done = 0; done < bytes.length;) done += writeSync(fd, bytes, done, bytes.length - done);
      fsyncSync(fd);
    } catch (err) {
      this.abort();
      throw new InputError(`cannot write --${name} '${target}': ${(err as Error).message}`);
    } finally {
      if (fd !== null) closeSync(fd);
    }
  }

  /** Renames every staged file into place. */
  commit(): void {
    for (const { temp, target } of this.staged) {
      try {
        renameSync(temp, target);
      } catch (err) {
        this.abort();
        throw new InputError(`cannot write '${target}': ${(err as Error).message}`);
      }
      untrackTemp(temp);
    }
    this.staged.length = 0;
  }

  /** Deletes every staged temporary file (idempotent). */
  abort(): void {
    for (const { temp } of this.staged) {
      rmSync(temp, { force: true });
      untrackTemp(temp);
    }
    this.staged.length = 0;
  }
}

/** An output path must not be a directory, and its folder must exist and be a folder. */
export function checkWritablePath(what: string, path: string): void {
  if (path === '') throw new InputError(`${what}: expected a file path, got an empty string`);
  const stat = statSync(path, { throwIfNoEntry: false });
  if (stat?.isDirectory()) throw new InputError(`${what} ${path}: is a directory; expected a file path`);
  const dir = dirname(resolve(path));
  const dirStat = statSync(dir, { throwIfNoEntry: false });
  if (!dirStat) throw new InputError(`${what} ${path}: the folder ${dir} does not exist`);
  if (!dirStat.isDirectory()) throw new InputError(`${what} ${path}: ${dir} is not a folder`);
  // Probe: create and delete a temporary file there (catches read-only folders before any work).
  const probe = tempPathFor(path);
  try {
    closeSync(openSync(probe, 'wx'));
    rmSync(probe, { force: true });
  } catch (err) {
    throw new InputError(`${what} ${path}: cannot create files in ${dir} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  } finally {
    untrackTemp(probe);
  }
}
