#!/usr/bin/env node
/**
 * Regenerates the bundled datasets under data/ from Debian packages (plain Node, no npm deps):
 *
 *   data/breast_cancer.csv                 copied byte for byte from python3-sklearn
 *   data/fashion-mnist-subset/*.gz          the first 5000 train / 1000 test images and labels of
 *                                           dataset-fashion-mnist, as gzipped IDX files
 *
 * Usage: node scripts/make-datasets.mjs [--check]
 *   --check  rebuild in memory and compare with the files in data/ instead of writing them
 *
 * When the Debian files are missing it runs `apt-get install -y python3-sklearn
 * dataset-fashion-mnist` (needs root). The output is deterministic: gzip level 9 and no
 * timestamp in the gzip header (zlib.gzipSync writes mtime 0), so reruns with the same Node/zlib
 * give identical bytes. The SHA-256 of every input and output is printed for data/README.md.
 */
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DATA = join(ROOT, 'data');
const CHECK = process.argv.includes('--check');

const SKLEARN_CSV = '/usr/lib/python3/dist-packages/sklearn/datasets/data/breast_cancer.csv';
const FASHION_DIR = '/usr/share/datasets/fashion-mnist';
const SUBSET = { train: 5000, t10k: 1000 };

/** SHA-256 of the inputs as shipped by Debian bookworm (python3-sklearn 1.2.1+dfsg-1,
 *  dataset-fashion-mnist 0.0~git20200523.55506a9-1). A mismatch is reported, not fatal. */
const EXPECTED_INPUT_SHA256 = {
  [SKLEARN_CSV]: 'fed3eb72d0575ef6192293f5093c6e801b1476b577d0386bf4455504522172ed',
  [`${FASHION_DIR}/train-images-idx3-ubyte.gz`]: 'b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7',
  [`${FASHION_DIR}/train-labels-idx1-ubyte.gz`]: '0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056',
  [`${FASHION_DIR}/t10k-images-idx3-ubyte.gz`]: 'cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa',
  [`${FASHION_DIR}/t10k-labels-idx1-ubyte.gz`]: '8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05',
};

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

function ensureDebianFiles() {
  const missing = Object.keys(EXPECTED_INPUT_SHA256).filter((p) => !existsSync(p));
  if (missing.length === 0) return;
  console.log(`missing ${missing.join(', ')}; installing python3-sklearn and dataset-fashion-mnist`);
  if (process.getuid?.() !== 0) {
    throw new Error('run as root, or first: apt-get install -y python3-sklearn dataset-fashion-mnist');
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update'], ['install', '-y', '--no-install-recommends', 'python3-sklearn', 'dataset-fashion-mnist']]) {
    const r = spawnSync('apt-get', args, { stdio: 'inherit', env });
    if (r.status !== 0) throw new Error(`apt-get ${args.join(' ')} failed with status ${r.status}`);
  }
}

function readInput(path) {
  const bytes = readFileSync(path);
  const digest = sha256(bytes);
  const expected = EXPECTED_INPUT_SHA256[path];
  const note = digest === expected ? 'matches the Debian bookworm file' : `WARNING: expected ${expected}`;
  console.log(`in   ${path}  ${bytes.length} bytes  sha256 ${digest}  (${note})`);
  return bytes;
}

/** First `n` items of an IDX file: same header with the first dimension set to n. */
function idxPrefix(gz, n, path) {
  const raw = gunzipSync(gz);
  if (raw[0] !== 0 || raw[1] !== 0 || raw[2] !== 0x08) throw new Error(`${path}: not an unsigned-byte IDX file`);
  const ndim = raw[3];
  const dims = [];
  for (let k = 0; k < ndim; k++) dims.push(raw.readUInt32BE(4 + 4 * k));
  if (dims[0] < n) throw new Error(`${path}: has ${dims[0]} items, need ${n}`);
  const itemBytes = dims.slice(1).reduce((a, b) => a * b, 1);
  const headerLen = 4 + 4 * ndim;
  const out = Buffer.from(raw.subarray(0, headerLen + n * itemBytes));
  out.writeUInt32BE(n, 4);
  return gzipSync(out, { level: 9 });
}

function emit(path, bytes) {
  const rel = path.slice(ROOT.length + 1);
  if (CHECK) {
    const same = existsSync(path) && Buffer.compare(readFileSync(path), bytes) === 0;
    console.log(`${same ? 'same' : 'DIFF'} ${rel}  ${bytes.length} bytes  sha256 ${sha256(bytes)}`);
    if (!same) process.exitCode = 1;
    return;
  }
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, bytes);
  console.log(`out  ${rel}  ${bytes.length} bytes  sha256 ${sha256(bytes)}`);
}

ensureDebianFiles();
emit(join(DATA, 'breast_cancer.csv'), readInput(SKLEARN_CSV));
for (const [split, n] of Object.entries(SUBSET)) {
  for (const kind of ['images-idx3', 'labels-idx1']) {
    const name = `${split}-${kind}-ubyte.gz`;
    const src = join(FASHION_DIR, name);
    emit(join(DATA, 'fashion-mnist-subset', name), idxPrefix(readInput(src), n, src));
  }
}
