import { BENCH_DIR, writeResultsMd } from './results-md.js';

/**
 * Re-renders RESULTS.md whole from the JSON result files beside it (bench/results-md.ts), without
 * measuring — for changes to the report's layout:  node dist/bench/render.js [dir]  (default bench/),
 * or `npm run bench -- --render`.
 */
const out = writeResultsMd(process.argv[2] ?? BENCH_DIR);
console.log(`wrote ${out}`);
