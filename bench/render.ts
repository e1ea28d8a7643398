import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderResults, type BenchResults } from './report.js';

/**
 * Re-renders bench/RESULTS.md from bench/results.json (or the given JSON file) without measuring
 * again — for changes to the report's layout:  node dist/bench/render.js [results.json]
 */
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const json = process.argv[2] ?? join(root, 'bench', 'results.json');
const results = JSON.parse(readFileSync(json, 'utf8')) as BenchResults;
const out = join(dirname(json), 'RESULTS.md');
writeFileSync(out, renderResults(results));
console.log(`wrote ${out} from ${json}`);
