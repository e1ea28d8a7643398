import { WIHVP_HEADER, formatWihvpRow, type WihvpRow } from './wihvp-problem.js';

/** bench/wihvp.json (bench/wihvp.ts: rows of several runs, merged by backend/solver/damping/points). */
export interface WihvpFile { date: string; command: string; rows: WihvpRow[] }

export function renderWihvp(w: WihvpFile): string {
  const L = ['## W-IHVP (mlp-small, 12,730 parameters, exact Hessian, κ ≈ 7e5)', ''];
  const days = [...new Set(w.rows.map((r) => r.date?.slice(0, 10) ?? '?'))].sort();
  const points = [...new Set(w.rows.map((r) => r.points))];
  L.push(`- produced by \`node dist/bench/wihvp.js [--backends …] [--points N] [--only …|--skip …]\` (one solve per row, seconds to minutes each, ` +
    'so not part of `npm run bench`); a run re-measures its rows and keeps the others, so rows may come from different runs: ' +
    `measured ${days.join(', ')} (each row's time stamp is in bench/wihvp.json); last command: \`${w.command}\`.`);
  L.push(`- ${points.map((p) => (p === 1 ? 'test point 0' : `the first ${p} test points`)).join(' / ')}; accuracy against the fixture's dense Cholesky solve (undamped rows, λ = 0) or CG at rtol 1e-12 on H + λI; ` +
    'Pearson/Spearman of the influence scores of the test point(s) on 100 training points against the reference. Times are wall times on the ' +
    'shared machine of that run, not medians.', '');
  L.push(WIHVP_HEADER);
  for (const r of w.rows) L.push(formatWihvpRow(r));
  L.push('', 'The full accuracy table (all 10 test points, undamped and under pyDVL\'s damped protocol) is in the README, "Every iHVP solver on mlp-small".', '');
  return L.join('\n');
}
