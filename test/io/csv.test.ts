import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { csvToMatrix, isNumber, parseCsv, readCsv, readCsvMatrix } from '../../src/io/csv.js';
import { tempDir, throwsInput } from './helpers.js';

test('plain table with header auto-detected', () => {
  const t = parseCsv('a,b,c\n1,2,3\n4,5,6\n');
  assert.equal(t.header, ['a', 'b', 'c']);
  assert.equal(t.rows, [['1', '2', '3'], ['4', '5', '6']]);
  assert.equal(t.lines, [2, 3]);
  const m = csvToMatrix(t);
  assert.equal(m.shape, [2, 3]);
  assert.equal(Array.from(m.data), [1, 2, 3, 4, 5, 6]);
});

test('header option: auto without header, forced true/false', () => {
  assert.is(parseCsv('1,2\n3,4').header, null);
  assert.equal(parseCsv('x,y\n', { header: true }).header, ['x', 'y']);
  assert.equal(parseCsv('x,y\n', { header: true }).rows, []);
  assert.is(parseCsv('x,y\np,q', { header: false }).header, null);
  assert.is(parseCsv('x,y\np,q').header, null, 'auto: second line not numeric → no header');
});

test('quoted fields: delimiter, escaped quotes, line breaks, CRLF, BOM', () => {
  const text = '\ufeffname,note\r\n"Smith, J.","said ""hi"""\r\n"multi\nline",plain\r\n"",x\r\n';
  const t = parseCsv(text, { header: true });
  assert.equal(t.header, ['name', 'note']);
  assert.equal(t.rows, [['Smith, J.', 'said "hi"'], ['multi\nline', 'plain'], ['', 'x']]);
  assert.equal(t.lines, [2, 3, 5]);
  // A quote inside an unquoted field is kept literally; trailing empty field is kept.
  assert.equal(parseCsv('5" screen,a,\n', { header: false }).rows, [['5" screen', 'a', '']]);
});

test('custom delimiter, empty lines skipped, no final newline', () => {
  const t = parseCsv('a\tb\n\n1.5\t-2e3\n\n', { delimiter: '\t' });
  assert.equal(t.header, ['a', 'b']);
  assert.equal(t.rows, [['1.5', '-2e3']]);
  assert.equal(t.lines, [3]);
  assert.equal(parseCsv('1;2', { delimiter: ';' }).rows, [['1', '2']]);
  assert.equal(parseCsv('').rows, []);
});

test('skipLines keeps file line numbers', () => {
  const t = parseCsv('569,30,malignant,benign\n1,2\n3,x\n', { header: false, skipLines: 1 });
  assert.equal(t.rows, [['1', '2'], ['3', 'x']]);
  throwsInput(() => csvToMatrix({ ...t, source: 'f.csv' }), 'row 1 (line 3)', 'column 1', '"x"');
});

test('isNumber accepts decimals only', () => {
  for (const s of ['0', '-1', '+2.5', '.5', '5.', '1e-3', ' 3 ', '1E+10']) assert.ok(isNumber(s), s);
  for (const s of ['', ' ', 'NaN', 'nan', 'inf', 'Infinity', '0x10', '1,5', '1e', 'abc', '--1']) assert.not.ok(isNumber(s), s);
});

test('csvToMatrix column selection', () => {
  const t = parseCsv('a,b,c\n1,x,3\n4,y,6', { header: true });
  assert.equal(Array.from(csvToMatrix(t, { columns: [2, 0] }).data), [3, 1, 6, 4]);
  throwsInput(() => csvToMatrix(t, { columns: [3] }), 'column indices in 0..2', 'got 3');
});

test('bad input: NaN, empty and non-numeric cells name row and column', () => {
  const t = parseCsv('a,b\n1,2\n3,NaN\n', { source: 'data.csv' });
  throwsInput(() => csvToMatrix(t), 'data.csv', 'row 1 (line 3)', "column 1 ('b')", '"NaN"');
  throwsInput(() => csvToMatrix(parseCsv('1,2\n,4')), 'row 1 (line 2)', 'column 0', 'empty cell');
  throwsInput(() => csvToMatrix(parseCsv('1,inf')), 'row 0', 'column 1', '"inf"');
  throwsInput(() => csvToMatrix(parseCsv('h1,h2\n1,two', { header: true })), "column 1 ('h2')", '"two"');
});

test('bad input: ragged rows, unterminated quote, junk after quote, bad options', () => {
  throwsInput(() => parseCsv('a,b\n1,2,3\n', { source: 'r.csv' }), 'r.csv', 'line 2', 'expected 2 fields', 'got 3');
  throwsInput(() => parseCsv('a,"b\n1,2\n'), 'line 1', 'unterminated quoted field');
  throwsInput(() => parseCsv('"a"b,c\n'), 'after a closing quote', "got 'b'");
  throwsInput(() => parseCsv('a,b', { delimiter: ',,' }), 'one-character delimiter');
  throwsInput(() => parseCsv('a,b', { header: 'yes' as never }), 'header');
});

test('files: readCsv, readCsvMatrix, missing file, invalid UTF-8', () => {
  const { dir, cleanup } = tempDir();
  try {
    const path = join(dir, 'm.csv');
    writeFileSync(path, 'x,y\n1,2\n3,4\n');
    assert.equal(readCsv(path).source, path);
    const m = readCsvMatrix(path);
    assert.equal([m.shape, Array.from(m.data)], [[2, 2], [1, 2, 3, 4]]);
    const missing = join(dir, 'none.csv');
    throwsInput(() => readCsv(missing), 'not found', missing);
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, Buffer.from([0x61, 0xff, 0x0a]));
    throwsInput(() => readCsv(bad), bad, 'UTF-8');
    const nan = join(dir, 'nan.csv');
    writeFileSync(nan, '1,2\n3,nan\n');
    throwsInput(() => readCsvMatrix(nan), nan, 'row 1 (line 2)', 'column 1', '"nan"');
  } finally {
    cleanup();
  }
});

test('overflowing decimals such as 1e999 are rejected, not read as Infinity (issue 10)', () => {
  throwsInput(() => csvToMatrix(parseCsv('a,b\n1,2\n3,1e999\n', { source: 'big.csv' })),
    'big.csv', 'row 1 (line 3)', "column 1 ('b')", '"1e999"', 'not finite');
  throwsInput(() => csvToMatrix(parseCsv('-1E+400,2')), 'row 0 (line 1)', 'column 0', '"-1E+400"', 'not finite');
  assert.not.ok(isNumber('1e999'));
  assert.not.ok(isNumber('-1e309'));
  assert.ok(isNumber('1.7976931348623157e308'));
  assert.ok(isNumber('1e-999'), 'underflow to 0 is a finite value');
  assert.equal(Array.from(csvToMatrix(parseCsv('1e-999,1e308')).data), [0, 1e308]);
  // A first row holding 1e999 is data to be rejected, not a header to be skipped.
  assert.is(parseCsv('1e999,2\n3,4').header, null);
});

test('byte-order marks: one leading BOM is ignored, any other U+FEFF is an InputError (issue 10)', () => {
  assert.equal(Array.from(csvToMatrix(parseCsv('\ufeff7,8\n')).data), [7, 8]);
  // A doubled BOM used to read as 7: String.prototype.trim drops U+FEFF.
  throwsInput(() => parseCsv('\ufeff\ufeff7,8\n', { source: 'bom.csv' }), 'bom.csv', 'line 1, field 0', 'U+FEFF', '\\ufeff7');
  throwsInput(() => parseCsv('1,2\n3,4\ufeff\n'), 'line 2, field 1', 'U+FEFF');
  throwsInput(() => parseCsv('a,b\n"x\ufeff",2\n'), 'line 2, field 0', 'U+FEFF');
  // Other Unicode spaces are not trimmed either (only spaces and tabs are).
  throwsInput(() => csvToMatrix(parseCsv('\u00a07,8')), 'column 0');
  assert.equal(Array.from(csvToMatrix(parseCsv(' 7\t,\t8 ')).data), [7, 8]);
  const { dir, cleanup } = tempDir();
  try {
    const path = join(dir, 'bom.csv');
    writeFileSync(path, Buffer.from([0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf, 0x37, 0x0a]));
    throwsInput(() => readCsvMatrix(path), path, 'U+FEFF');
  } finally {
    cleanup();
  }
});

test.run();
