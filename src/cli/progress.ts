/**
 * A small progress bar on stderr, no dependencies. On a terminal it redraws one line
 * (`label [#####·····] 512/1000 51% 3.2 s, ETA 3.1 s`, at most every 100 ms); when stderr is a file
 * or pipe it prints a plain line at every 10% step instead, so logs stay readable. With no known
 * total (an iterative fit whose length is not known in advance) it counts units and elapsed time,
 * a line every 2 s. Disabled by `quiet`.
 */
export interface Progress {
  /** Advances by `n` units (default 1). */
  tick(n?: number): void;
  /** Marks the task finished (prints the final state once; an early stop keeps its count, e.g. a converged optimiser). */
  done(): void;
}

export interface ProgressOptions {
  quiet?: boolean;
  /** Where to write (default process.stderr). */
  stream?: { write(s: string): unknown; isTTY?: boolean };
  /** Bar width in characters (terminal mode). Default 24. */
  width?: number;
  /** What one unit is, for the open-ended form ("products"). */
  unit?: string;
  /** Milliseconds clock (default performance.now; tests pass a fake one). */
  clock?: () => number;
}

export const noProgress: Progress = { tick() {}, done() {} };

const seconds = (ms: number): string => (ms >= 60_000 ? `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s` : `${(ms / 1000).toFixed(1)} s`);

/** A bar over `total` units; `total` undefined gives the open-ended counter. */
export function progress(label: string, total: number | undefined, options: ProgressOptions = {}): Progress {
  const stream = options.stream ?? process.stderr;
  if (options.quiet || (total !== undefined && !(total > 0))) return noProgress;
  const tty = Boolean(stream.isTTY), width = options.width ?? 24;
  const now = options.clock ?? (() => performance.now());
  const start = now();
  let count = 0, lastDraw = 0, lastStep = -1, finished = false;
  const elapsed = (): number => now() - start;
  const eta = (): string => (count > 0 && total !== undefined && count < total ? `, ETA ${seconds((elapsed() / count) * (total - count))}` : '');
  const draw = (): void => {
    if (total === undefined) {
      const line = `${label}: ${count} ${options.unit ?? 'steps'}, ${seconds(elapsed())}`;
      stream.write(tty ? `\r${line}` : `${line}\n`);
      return;
    }
    const frac = Math.min(1, count / total);
    if (tty) {
      const filled = Math.round(frac * width);
      stream.write(`\r${label} [${'#'.repeat(filled)}${'·'.repeat(width - filled)}] ${count}/${total} ${Math.floor(100 * frac)}% ${seconds(elapsed())}${eta()}   `);
    } else {
      const step = Math.floor(10 * frac);
      // Logs stay short: a phase that ends within 2 s prints only its 'done' line.
      if (step === lastStep || (elapsed() < 2000 && count < total) || count === total) return;
      lastStep = step;
      stream.write(`${label}: ${count}/${total} (${10 * step}%) ${seconds(elapsed())}${eta()}\n`);
    }
  };
  if (total !== undefined && tty) draw();
  return {
    tick(n = 1) {
      if (finished) return;
      count = total === undefined ? count + n : Math.min(total, count + n);
      const t = now();
      const interval = total === undefined ? (tty ? 100 : 2000) : 100;
      if ((total !== undefined && !tty) || t - lastDraw >= interval || count === total) { lastDraw = t; draw(); }
    },
    done() {
      if (finished) return;
      finished = true;
      if (total === undefined && count === 0) return; // nothing happened (e.g. cg fits nothing before its solves)
      if (tty) { draw(); stream.write('\n'); } else stream.write(`${label}: done, ${count}${total === undefined ? ` ${options.unit ?? 'steps'}` : `/${total}`} ${seconds(elapsed())}\n`);
    },
  };
}
