#!/usr/bin/env node
/**
 * Copies the addon built by `npm run build:native` (build/Release/curvature_native.node) to
 * prebuilds/<platform>-<arch>/curvature_native.node, the binary the package ships (src/backend/
 * native/load.ts loads it when there is no local build), stripped of symbols when `strip` exists.
 * Usage: npm run build:native && node scripts/prebuild-native.mjs   (or: npm run native:prebuild)
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'build', 'Release', 'curvature_native.node');
const dir = join(root, 'prebuilds', `${process.platform}-${process.arch}`);
const dst = join(dir, 'curvature_native.node');
mkdirSync(dir, { recursive: true });
copyFileSync(src, dst);
try {
  execFileSync('strip', ['--strip-unneeded', dst]);
} catch {
  console.warn('strip not found: the prebuilt binary keeps its symbols');
}
console.log(`${dst}: ${statSync(dst).size} bytes`);
