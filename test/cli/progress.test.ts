import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { progress } from '../../src/cli/progress.js';

/** The progress reporter with a fake clock and a fake stream: what a log file and a terminal see. */
function recorder(isTTY: boolean) {
  const lines: string[] = [];
  let t = 0;
  return { lines, stream: { isTTY, write: (s: string) => { lines.push(s); } }, clock: () => t, advance: (ms: number) => { t += ms; } };
}

test('not a terminal: a phase shorter than 2 s prints only its done line', () => {
  const r = recorder(false);
  const bar = progress('solving', 10, { stream: r.stream, clock: r.clock });
  for (let i = 0; i < 10; i++) { r.advance(100); bar.tick(); }
  bar.done();
  assert.equal(r.lines, ['solving: done, 10/10 1.0 s\n']);
});

test('not a terminal: a long phase prints a first line at 2 s, a line per 10% step with an ETA, then done', () => {
  const r = recorder(false);
  const bar = progress('fitting', 100, { stream: r.stream, clock: r.clock });
  for (let i = 0; i < 100; i++) { r.advance(1000); bar.tick(); }
  bar.done();
  assert.is(r.lines.length, 1 + 9 + 1, r.lines.join(''));
  assert.is(r.lines[0], 'fitting: 2/100 (0%) 2.0 s, ETA 1 min 38 s\n');
  assert.is(r.lines[1], 'fitting: 10/100 (10%) 10.0 s, ETA 1 min 30 s\n');
  assert.is(r.lines[9], 'fitting: 90/100 (90%) 1 min 30 s, ETA 10.0 s\n');
  assert.is(r.lines[10], 'fitting: done, 100/100 1 min 40 s\n');
});

test('a terminal: one redrawn line with a bar and an ETA', () => {
  const r = recorder(true);
  const bar = progress('scoring', 4, { stream: r.stream, clock: r.clock, width: 4 });
  r.advance(200); bar.tick();
  assert.match(r.lines.at(-1)!, /^\rscoring \[#···\] 1\/4 25% 0\.2 s, ETA 0\.6 s/);
  r.advance(200); bar.tick(3);
  bar.done();
  assert.match(r.lines.at(-2)!, /^\rscoring \[####\] 4\/4 100% 0\.4 s/);
  assert.is(r.lines.at(-1), '\n');
});

test('no total: counts units, a line every 2 s, then done', () => {
  const r = recorder(false);
  const bar = progress('fitting nystrom', undefined, { stream: r.stream, clock: r.clock, unit: 'curvature products' });
  for (let i = 0; i < 5; i++) { r.advance(1000); bar.tick(); }
  bar.done();
  assert.equal(r.lines, ['fitting nystrom: 2 curvature products, 2.0 s\n', 'fitting nystrom: 4 curvature products, 4.0 s\n', 'fitting nystrom: done, 5 curvature products 5.0 s\n']);
});

test('an open-ended phase in which nothing happened prints nothing', () => {
  const r = recorder(false);
  progress('fitting cg', undefined, { stream: r.stream, clock: r.clock }).done();
  assert.equal(r.lines, []);
});

test('quiet and empty totals print nothing', () => {
  const r = recorder(false);
  progress('x', 10, { stream: r.stream, quiet: true }).tick();
  const empty = progress('y', 0, { stream: r.stream });
  empty.tick(); empty.done();
  assert.equal(r.lines, []);
});

test.run();
