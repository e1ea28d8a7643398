import { inflateSync } from 'node:zlib';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { niceTicks, outerFences, quantile, scale, symlogConstant, symlogInverse, symlogScale, symlogTransform } from '../../src/report/axes.js';
import { escapeHtml, fmt } from '../../src/report/escape.js';
import { heatmap } from '../../src/report/heatmap.js';
import { lineChart } from '../../src/report/line-chart.js';
import { crc32, encodeGrayPng, pngDataUrl } from '../../src/report/png.js';
import { flatten, formatValue, metadataTable } from '../../src/report/metadata.js';
import { SCATTER_FRAME, scatterPlot } from '../../src/report/scatter.js';
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
  const { left, width, right, top, height, bottom } = SCATTER_FRAME;
  for (const m of svg.matchAll(/<circle class="point" cx="([\d.-]+)" cy="([\d.-]+)"/g)) {
    const x = Number(m[1]), y = Number(m[2]);
    assert.ok(x >= left && x <= width - right && y >= top && y <= height - bottom, `${x}, ${y}`);
  }
  assert.not.match(svg, /scale-note/, 'no outlier, linear axes, no note');
});

test('scatterPlot legend: a swatch per group colour named by groupName, groups 3 and 13 get different colours, and the diagonal', () => {
  const svg = scatterPlot([1, 2, 3, 4], [1, 2, 3, 4], { title: 't', xLabel: 'x', yLabel: 'y', groups: [3, 3, 13, 13], groupName: 'test point' });
  assert.match(svg, /<g class="legend"/);
  assert.is(count(svg, /class="legend-swatch"/g), 2);
  assert.ok(svg.includes('>test point 3<') && svg.includes('>test point 13<'));
  assert.ok(svg.includes('Colour = test point') && svg.includes('y = x'));
  const fills = [...svg.matchAll(/<circle class="point"[^>]*fill="([^"]+)"/g)].map((m) => m[1]);
  assert.is(fills[0], fills[1]); assert.is.not(fills[0], fills[2]);
  // More groups than colours: groups sharing a colour are listed together, and the legend says so.
  const many = scatterPlot(Array.from({ length: 25 }, (_, i) => i), Array.from({ length: 25 }, (_, i) => i), { title: 't', xLabel: 'x', yLabel: 'y', groups: Array.from({ length: 25 }, (_, i) => i), groupName: 'test point' });
  assert.is(count(many, /class="legend-swatch"/g), 10);
  assert.ok(many.includes('test points 0, 10, 20') && many.includes('colours repeat every 10'));
  // No groups: no colour legend, only the diagonal entry.
  const plain = scatterPlot([1, 2], [1, 2], { title: 't', xLabel: 'x', yLabel: 'y' });
  assert.is(count(plain, /class="legend-swatch"/g), 0);
  assert.ok(plain.includes('y = x'));
});

test('scatterPlot tooltips: the given title per point, escaped; default "x, y"', () => {
  const svg = scatterPlot([1, 2], [3, 4], { title: 't', xLabel: 'x', yLabel: 'y', titles: ['test point 5, training point 17 <a>', 'second'] });
  assert.ok(svg.includes('<title>test point 5, training point 17 &lt;a&gt;</title>') && svg.includes('<title>second</title>'));
  assert.ok(scatterPlot([1], [2], { title: 't', xLabel: 'x', yLabel: 'y' }).includes('<title>1, 2</title>'));
});

test('scatterPlot with one outlier: symmetric-log axes with a visible note, the other points not squashed', () => {
  const xs = [0.001, 0.002, -0.0015, 0.003, 0.0025, -0.001, 0.0005, 5];
  const ys = xs.map((v, i) => v * 1.1 + (i % 2 ? 1e-4 : -1e-4));
  const linear = scatterPlot(xs, ys, { title: 't', xLabel: 'x', yLabel: 'y', scale: 'linear' });
  const auto = scatterPlot(xs, ys, { title: 't', xLabel: 'x', yLabel: 'y' });
  assert.not.match(linear, /scale-note/);
  const note = /<text class="scale-note"[^>]*>([^<]*)<\/text>/.exec(auto);
  assert.ok(note, 'a visible scale note');
  assert.match(note![1]!, /Symmetric-log both axes, sign\(v\)·log1p\(\|v\|\/c\), c = 0\.001: 1 outlier point/);
  const spread = (svg: string) => {
    const cx = [...svg.matchAll(/<circle class="point" cx="([\d.-]+)"/g)].map((m) => Number(m[1])).slice(0, 7);
    return Math.max(...cx) - Math.min(...cx);
  };
  assert.ok(spread(linear) < 5, `linear: the 7 small points within ${spread(linear)} px`);
  assert.ok(spread(auto) > 60, `symlog: the 7 small points spread over ${spread(auto)} px`);
  // The diagonal stays the straight y = x line: both axes share one scale.
  const d = /class="diagonal" x1="([\d.-]+)" y1="([\d.-]+)" x2="([\d.-]+)" y2="([\d.-]+)"/.exec(auto)!.slice(1).map(Number);
  const { left, width, right, top, height, bottom } = SCATTER_FRAME;
  assert.ok(Math.abs((d[0]! - left) / (width - right - left) - (height + 18 - bottom - 18 - d[1]!) / (height - bottom - top)) < 1e-2);
  // Forced symlog without outliers: the note names the scale but no outliers.
  const forced = scatterPlot([1, 2, 3], [1, 2, 3], { title: 't', xLabel: 'x', yLabel: 'y', scale: 'symlog' });
  assert.match(forced, /class="scale-note"[^>]*>Symmetric-log both axes, sign\(v\)·log1p\(\|v\|\/c\), c = 1</);
  // Without the diagonal each axis decides alone.
  const yOnly = scatterPlot([1, 2, 3, 4, 5], [1, 2, 3, 4, 1e6], { title: 't', xLabel: 'x', yLabel: 'y', diagonal: false });
  assert.match(yOnly, /Symmetric-log y axis[^<]*1 outlier point/);
});

test('symlog scale: odd, monotone, linear near 0; ticks at 0 and ±powers of ten inside the range', () => {
  for (const v of [-100, -1, -1e-3, 0, 1e-3, 2, 1e4]) assert.ok(Math.abs(symlogInverse(symlogTransform(v, 0.01), 0.01) - v) <= 1e-12 * Math.max(1, Math.abs(v)));
  assert.is(symlogTransform(-3, 1), -symlogTransform(3, 1));
  assert.ok(Math.abs(symlogTransform(1e-6, 1) - 1e-6) < 1e-11);
  const s = symlogScale(-10, 1000, 0, 100, 1);
  assert.is(s(-10), 0); assert.ok(Math.abs(s(1000) - 100) < 1e-9);
  assert.is(s.symlog, 1);
  assert.ok(s.ticks.includes(0) && s.ticks.includes(1000) && s.ticks.includes(-10));
  assert.ok(s.ticks.every((t) => t === 0 || Math.abs(Math.log10(Math.abs(t)) - Math.round(Math.log10(Math.abs(t)))) < 1e-12));
  assert.ok(s.ticks.length <= 10);
  const wide = symlogScale(-1e12, 1e12, 0, 100, 1e-6);
  assert.ok(wide.ticks.length <= 12, `${wide.ticks.length} ticks`);
  assert.equal([...wide.ticks].sort((a, b) => a - b), wide.ticks);
  assert.is(symlogConstant([0, 0.003, -0.02, 0.004]), 0.001);
  assert.is(symlogConstant([0, 0]), 1);
  assert.is(quantile([4, 1, 3, 2], 0.5), 2.5);
  assert.equal(outerFences([1, 2, 3, 4, 5]), [2 - 6, 4 + 6]);
});

test('metadata: nested objects flattened to dotted keys, arrays joined or summarised, values escaped', () => {
  const rows = flatten({ data: { kind: 'npy', trainX: 'a.npy', testX: null }, solverOptions: { rtol: 1e-6, maxIter: 500 }, shapes: { scores: [2, 100] },
    iterations: Array.from({ length: 40 }, (_, i) => i + 1), info: [{ a: 1 }, { a: 2 }], many: Array.from({ length: 9 }, () => ({ a: 1 })), timings: { fitSeconds: 0.5 }, empty: {}, gone: undefined, ok: true });
  assert.equal(rows, [
    ['data.kind', 'npy'], ['data.trainX', 'a.npy'], ['data.testX', '—'], ['solverOptions.rtol', '1e-6'], ['solverOptions.maxIter', '500'],
    ['shapes.scores', '2, 100'], ['iterations', '40 values, 1 – 40'], ['info.0.a', '1'], ['info.1.a', '2'], ['many', '9 entries'],
    ['timings.fitSeconds', '0.50 s'], ['empty', '—'], ['ok', 'yes'],
  ]);
  assert.is(formatValue('x', 60000), '60000');
  assert.is(formatValue('x', 0.123456), '0.1235');
  const table = metadataTable({ a: { b: '<x>' } }, 'cap & co');
  assert.ok(table.includes('<th scope="row"><code>a.b</code></th><td>&lt;x&gt;</td>') && table.includes('<caption>cap &amp; co</caption>'));
  assert.ok(table.includes('<th scope="col">key</th>'));
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
