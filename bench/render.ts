import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ekfacSectionFrom, spliceEkfac } from './ekfac-report.js';
import { renderResults, type BenchResults } from './report.js';

/**
 * Re-renders bench/RESULTS.md from bench/results.json (or the given JSON file) without measuring
 * again (the W-EKFAC section from ekfac.json beside it) — for changes to the report's layout:  node dist/bench/render.js [results.json]
 */
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const json = process.argv[2] ?? join(root, 'bench', 'results.json');
const results = JSON.parse(readFileSync(json, 'utf8')) as BenchResults;
const out = join(dirname(json), 'RESULTS.md');
const ekfac = ekfacSectionFrom(join(dirname(json), 'ekfac.json'));
writeFileSync(out, ekfac ? spliceEkfac(renderResults(results), ekfac) : renderResults(results));
console.log(`wrote ${out} from ${json}`);
