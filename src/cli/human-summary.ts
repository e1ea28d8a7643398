/**
 * The default stdout of `curvature influence`, for a person: what was computed, how well, and the
 * top-k tables. The full record is the JSON summary (--json).
 */
import type { InfluenceSummary } from './summary.js';

const num = (v: number): string => (Number.isInteger(v) && Math.abs(v) < 1e6 ? String(v) : Math.abs(v) >= 1e-3 && Math.abs(v) < 1e4 ? v.toPrecision(4) : v.toExponential(3));

/** `written` lists the files the run wrote (flag → path), for the last line. */
export function printInfluenceSummary(s: InfluenceSummary, write: (text: string) => void, perTest = 3, written: Record<string, string> = {}): void {
  const lines: string[] = [];
  const seconds = Object.values(s.timings).reduce((a, b) => a + b, 0);
  lines.push(`model      ${s.model.description}, ${s.model.loss}, weight decay ${s.model.weightDecay}, ${s.model.parameters} parameters${s.model.gradNorm !== undefined ? `, ‖∇J‖ = ${s.model.gradNorm.toExponential(2)}` : ''}`);
  lines.push(`data       ${s.shapes.train} training points${s.shapes.test ? `, ${s.shapes.test} test points` : ''}`);
  const status = s.exact ? (s.converged ? 'converged' : 'NOT converged') : `approximate${s.approximation?.['rank'] !== undefined ? `, rank ${String(s.approximation['rank'])}` : ''}${typeof s.approximation?.['capturedTraceFraction'] === 'number' ? `, captures ${(100 * (s.approximation['capturedTraceFraction'] as number)).toFixed(1)}% of the trace` : ''}`;
  lines.push(`curvature  ${s.hessian}${s.damping ? ` + ${s.damping}·I` : ''}, solver ${s.solver} (${status}), ${s.dtype}, backend ${s.backend}, ${seconds.toFixed(1)} s`);
  const label = (i: number | undefined): string => (i === undefined ? '' : ` (label ${i})`);
  for (const t of (s.top ?? []).slice(0, perTest)) {
    const p = s.testPoints?.[t.test];
    lines.push('', `test point ${t.row ?? t.test}${label(p?.label ?? s.labels.test?.[t.test])}${p ? `: predicted ${num(p.predicted)}${p.probability !== null ? ` (p = ${p.probability.toFixed(3)})` : ''}, loss ${num(p.loss)}` : ''}`);
    lines.push('  rank  helpful train   score        Δloss if removed  |  harmful train   score        Δloss if removed');
    for (let r = 0; r < Math.max(t.helpful.length, t.harmful.length); r++) {
      const h = t.helpful[r], b = t.harmful[r];
      const cell = (x: typeof h): string => (x ? `${String(x.index).padStart(13)}   ${num(x.score).padEnd(11)}  ${num(x.predictedDelta).padEnd(16)}` : ' '.repeat(46));
      lines.push(`  ${String(r + 1).padStart(4)}  ${cell(h)}  |  ${cell(b)}`);
    }
  }
  const more = (s.top?.length ?? 0) - perTest;
  if (more > 0) lines.push('', `… ${more} more test points in the JSON summary (--json FILE) and the report (--report FILE)`);
  if (s.self) {
    lines.push('', `self-influence (most influential on themselves, e.g. mislabelled): ${s.self.top.map((r) => `${r.index} (${num(r.score)})`).join(', ')}`);
  }
  if (s.validation) {
    const v = s.validation;
    lines.push('', `validation (${v.kind}, ${v.method}): ${v.pairs.length} pairs, Pearson ${v.pearson.toFixed(4)}, Spearman ${v.spearman.toFixed(4)}, ${v.retrained} retrainings`);
  }
  const files = Object.entries(written).map(([flag, path]) => `${path} (--${flag})`);
  if (files.length) lines.push('', `written: ${files.join(', ')}`);
  write(lines.join('\n') + '\n');
}
