import { inflateSync } from 'node:zlib';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { niceTicks, scale } from '../../src/report/axes.js';
import { escapeHtml, fmt } from '../../src/report/escape.js';
import { heatmap } from '../../src/report/heatmap.js';
import { lineChart } from '../../src/report/line-chart.js';
import { crc32, encodeGrayPng, pngDataUrl } from '../../src/report/png.js';
import { scatterPlot } from '../../src/report/scatter.js';
import { InputError } from '../../src/errors.js';
import { throwsType } from '../helpers.js';

const count = (s: string, re: RegExp) => (s.match(re) ?? []).length;

test('crc32 matches the standard check value', () => {
  assert.is(crc32(new TextEncoder().encode('123456789')), 0xcbf43926);
});

test('encodeGrayPng: signature, IHDR, CRCs, and pixels that inflate back (upscaled, inverted)', () => {
  const px = [0, 64, 128, 255, 10, 20];
  const png = encodeGrayPng(px, 3, 2, { upscale: 2, invert: true });
  assert.equal(Array.from(png.subarray(0, 8)), [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const view = new DataView(png.buffer, png.byteOffset);
  const chunks: { type: string; data: Uint8Array }[] = [];
  for (let at = 8; at < png.length;) {
    const len = view.getUint32(at), type = new TextDecoder().decode(png.subarray(at + 4, at + 8));
    const data = png.subarray(at + 8, at + 8 + len);
    assert.is(view.getUint32(at + 8 + len), crc32(png.subarray(at + 4, at + 8 + len)), `CRC of ${type}`);
    chunks.push({ type, data });
    at += 12 + len;
  }
  assert.equal(chunks.map((c) => c.type), ['IHDR', 'IDAT', 'IEND']);
  const ihdr = new DataView(chunks[0]!.data.buffer, chunks[0]!.data.byteOffset);
  assert.is(ihdr.getUint32(0), 6); assert.is(ihdr.getUint32(4), 4);
  assert.is(chunks[0]!.data[8], 8); assert.is(chunks[0]!.data[9], 0);
  const raw = inflateSync(chunks[1]!.data);
  assert.is(raw.length, 4 * (6 + 1));
  // Row 0 and 1 come from source row 0, each pixel doubled and inverted.
  assert.equal(Array.from(raw.subarray(0, 7)), [0, 255, 255, 191, 191, 127, 127]);
  assert.equal(Array.from(raw.subarray(21, 28)), [0, 0, 0, 245, 245, 235, 235]);
  assert.match(pngDataUrl(png), /^data:image\/png;base64,iVBORw0KGgo/);
  throwsType(() => encodeGrayPng([1, 2, 3], 2, 2), InputError);
});

test('niceTicks and scales: round steps covering the range; log ticks at powers of ten', () => {
  const unit = niceTicks(0, 1, 5);
  assert.is(unit.length, 6); assert.is(unit[0], 0); assert.ok(Math.abs(unit[5]! - 1) < 1e-12 && Math.abs(unit[1]! - 0.2) < 1e-12);
  const t = niceTicks(-3.2, 7.9);
  assert.ok(t[0]! >= -3.2 && t[t.length - 1]! <= 7.9 && t.length >= 4);
  const s = scale(1e-6, 1, 100, 0, true);
  assert.is(s(1e-6), 100); assert.is(s(1), 0);
  assert.ok(s.ticks.every((v) => Math.abs(Math.log10(v) - Math.round(Math.log10(v))) < 1e-12));
  const flat = scale(5, 5, 0, 100);
  assert.ok(Number.isFinite(flat(5)));
});

test('scatterPlot: one circle per finite point, y = x line, coordinates inside the frame', () => {
  const svg = scatterPlot([1, 2, 3, NaN], [1.1, 1.9, 3.2, 4], { title: 'p<q', xLabel: 'a', yLabel: 'b', groups: [0, 1, 1, 0] });
  assert.is(count(svg, /<circle class="point"/g), 3);
  assert.is(count(svg, /class="diagonal"/g), 1);
  assert.ok(svg.includes('p&lt;q') && !svg.includes('p<q'));
  for (const m of svg.matchAll(/cx="([\d.-]+)" cy="([\d.-]+)"/g)) {
    const x = Number(m[1]), y = Number(m[2]);
    assert.ok(x >= 70 && x <= 460 && y >= 36 && y <= 310, `${x}, ${y}`);
  }
});

test('lineChart: a polyline per series; log y drops non-positive values', () => {
  const svg = lineChart([{ name: 'a', x: [0, 1, 2], y: [1, 1e-3, 0] }, { name: 'b<', x: [0, 1], y: [2, 1], dashed: true }], { title: 't', xLabel: 'x', yLabel: 'y', logY: true });
  assert.is(count(svg, /<polyline class="series"/g), 2);
  const first = /<polyline class="series"[^>]*points="([^"]*)"/.exec(svg)![1]!;
  assert.is(first.split(' ').length, 2);
  assert.ok(svg.includes('b&lt;'));
});

test('heatmap: n² cells, colour saturates at ±1', () => {
  const svg = heatmap([1, -1, 0, 0.5], 2, { title: 'h', labels: ['a', 'b'] });
  assert.is(count(svg, /<rect class="cell"/g), 4);
  assert.ok(svg.includes('fill="rgb(255,0,0)"') && svg.includes('fill="rgb(0,0,255)"') && svg.includes('fill="rgb(255,255,255)"'));
});

test('escapeHtml and fmt', () => {
  assert.is(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  assert.is(fmt(1e-5), '1e-5'); assert.is(fmt(0.0123), '0.0123'); assert.is(fmt(123456), '1.23e5'); assert.is(fmt(0), '0');
});

test.run();
