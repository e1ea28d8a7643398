/**
 * A small progress bar on stderr, no dependencies. On a terminal it redraws one line
 * (`label [#####·····] 512/1000 51% 3.2 s`, at most every 100 ms); when stderr is a file or pipe it
 * prints a plain line at every 10% step instead, so logs stay readable. Disabled by `quiet`.
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
}

export function progress(label: string, total: number, options: ProgressOptions = {}): Progress {
  const stream = options.stream ?? process.stderr;
  if (options.quiet || !(total > 0)) return { tick() {}, done() {} };
  const tty = Boolean(stream.isTTY), width = options.width ?? 24;
  const start = performance.now();
  let count = 0, lastDraw = 0, lastStep = -1, finished = false;
  const elapsed = (): string => `${((performance.now() - start) / 1000).toFixed(1)} s`;
  const draw = (): void => {
    const frac = Math.min(1, count / total);
    if (tty) {
      const filled = Math.round(frac * width);
      stream.write(`\r${label} [${'#'.repeat(filled)}${'·'.repeat(width - filled)}] ${count}/${total} ${Math.floor(100 * frac)}% ${elapsed()}`);
    } else {
      const step = Math.floor(10 * frac);
      if (step === lastStep) return;
      lastStep = step;
      stream.write(`${label}: ${count}/${total} (${10 * step}%) ${elapsed()}\n`);
    }
  };
  draw();
  return {
    tick(n = 1) {
      if (finished) return;
      count = Math.min(total, count + n);
      const now = performance.now();
      if (!tty || now - lastDraw >= 100 || count === total) { lastDraw = now; draw(); }
    },
    done() {
      if (finished) return;
      finished = true;
      if (tty) draw();
      else stream.write(`${label}: done, ${count}/${total} ${elapsed()}\n`);
      if (tty) stream.write('\n');
    },
  };
}
