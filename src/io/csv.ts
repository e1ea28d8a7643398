/**
 * A small, strict CSV reader (RFC 4180 flavour):
 *
 * - fields are separated by `delimiter` (default ','), records by LF or CRLF (a lone CR too);
 * - a field may be enclosed in double quotes, and then may contain the delimiter, line breaks
 *   and doubled quotes `""` (an escaped quote); whitespace around a quoted field is not allowed;
 *   a quote inside an unquoted field is kept literally;
 * - one UTF-8 byte-order mark (U+FEFF) at the very start is ignored; a U+FEFF anywhere else (a
 *   second BOM, one inside a cell) is an InputError naming its line and field, never silently
 *   dropped;
 * - empty lines are skipped, a final line break is optional;
 * - every record must have as many fields as the first one, otherwise InputError.
 *
 * `csvToMatrix` turns the parsed rows into a float64 RawArray, reporting every non-numeric,
 * empty, NaN or infinite cell (including decimal literals that overflow float64, such as `1e999`)
 * as an InputError naming its row, line and column and quoting the cell.
 */
import { InputError } from '../errors.js';
import type { RawArrayOf } from './array.js';
import { readBytes } from './source.js';

export interface CsvOptions {
  /**
   * Whether the first record is a header. 'auto' (default): it is one when it has a cell that is
   * not written as a decimal number while the second record's cells all are (`1e999` counts as
   * written as a number here, so that csvToMatrix reports it rather than taking its row for a header).
   */
  header?: boolean | 'auto';
  /** One-character field separator, default ','. */
  delimiter?: string;
  /** Number of physical lines to skip before parsing (line numbers in messages still count them). */
  skipLines?: number;
  /** Name used in error messages (readCsv sets it to the path). */
  source?: string;
}

export interface CsvTable {
  header: string[] | null;
  rows: string[][];
  /** 1-based line number in the file where each row starts (for error messages). */
  lines: number[];
  /** Where the table came from (a path, or '<string>'). */
  source: string;
}

/** Read and parse a CSV file (UTF-8). */
export function readCsv(path: string, options: CsvOptions = {}): CsvTable {
  return parseCsv(readTextFile(path), { source: path, ...options });
}

/**
 * Read a UTF-8 text file; missing files and invalid UTF-8 become InputError. A leading byte-order
 * mark is kept (parseCsv drops exactly one; TextDecoder's default would silently drop another).
 */
export function readTextFile(path: string): string {
  const bytes = readBytes(path, 'CSV file');
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new InputError(`CSV ${path}: expected UTF-8 text, got invalid UTF-8 bytes`);
  }
}

/** Parse CSV text held in memory. */
export function parseCsv(text: string, options: CsvOptions = {}): CsvTable {
  const source = options.source ?? '<string>';
  const delimiter = options.delimiter ?? ',';
  const fail = (msg: string): never => {
    throw new InputError(`CSV ${source}: ${msg}`);
  };
  if (typeof text !== 'string') fail(`expected CSV text (a string), got ${typeof text}`);
  if (delimiter.length !== 1 || delimiter === '"' || delimiter === '\n' || delimiter === '\r') {
    fail(`expected a one-character delimiter other than a quote or line break, got ${JSON.stringify(delimiter)}`);
  }
  const header = options.header ?? 'auto';
  if (header !== true && header !== false && header !== 'auto') fail(`expected header to be true, false or 'auto', got ${JSON.stringify(header)}`);

  const skip = options.skipLines ?? 0;
  if (!Number.isInteger(skip) || skip < 0) fail(`expected skipLines to be a non-negative integer, got ${JSON.stringify(skip)}`);
  let body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  for (let k = 0; k < skip && body.length > 0; k++) {
    const m = /\r\n|\n|\r/.exec(body);
    body = m === null ? '' : body.slice(m.index + m[0].length);
  }
  const { records, lines } = tokenize(body, delimiter, fail, skip + 1);
  if (records.length > 0) {
    const width = records[0]!.length;
    records.forEach((r, k) => {
      if (r.length !== width) fail(`line ${lines[k]}: expected ${width} fields (as on line ${lines[0]}), got ${r.length}`);
    });
  }
  let hasHeader: boolean;
  if (header === 'auto') {
    hasHeader = records.length >= 2 && !records[0]!.every(looksNumeric) && records[1]!.every(looksNumeric);
  } else {
    hasHeader = header;
  }
  if (hasHeader && records.length === 0) fail('expected a header line, got an empty file');
  return {
    header: hasHeader ? records[0]! : null,
    rows: hasHeader ? records.slice(1) : records,
    lines: hasHeader ? lines.slice(1) : lines,
    source,
  };
}

function tokenize(text: string, delim: string, fail: (msg: string) => never, firstLine: number): { records: string[][]; lines: number[] } {
  const records: string[][] = [];
  const lines: number[] = [];
  let line = firstLine;
  let i = 0;
  const n = text.length;
  while (i < n) {
    // Skip empty lines.
    if (text[i] === '\n' || text[i] === '\r') {
      if (text[i] === '\r' && text[i + 1] === '\n') i++;
      i++;
      line++;
      continue;
    }
    const startLine = line;
    const record: string[] = [];
    for (;;) {
      let field = '';
      if (text[i] === '"') {
        const quoteLine = line;
        i++;
        for (;;) {
          if (i >= n) fail(`line ${quoteLine}: unterminated quoted field (missing closing '"')`);
          const c = text[i]!;
          if (c === '"') {
            if (text[i + 1] === '"') { field += '"'; i += 2; continue; }
            i++;
            break;
          }
          if (c === '\n' || (c === '\r' && text[i + 1] !== '\n')) line++;
          field += c;
          i++;
        }
        if (i < n && text[i] !== delim && text[i] !== '\n' && text[i] !== '\r') {
          fail(`line ${line}: expected '${delim === '\t' ? '\\t' : delim}' or end of line after a closing quote, got '${text[i]}'`);
        }
      } else {
        const start = i;
        while (i < n && text[i] !== delim && text[i] !== '\n' && text[i] !== '\r') i++;
        field = text.slice(start, i);
      }
      const bom = field.indexOf('\ufeff');
      if (bom >= 0) {
        const shown = JSON.stringify(field.length > 40 ? field.slice(0, 37) + '...' : field).replace(/\ufeff/g, '\\ufeff');
        fail(`line ${line}, field ${record.length}: unexpected byte-order mark U+FEFF in ${shown} ` +
          '(only one, at the very start of the file, is allowed)');
      }
      record.push(field);
      if (i < n && text[i] === delim) { i++; continue; }
      break;
    }
    records.push(record);
    lines.push(startLine);
    // Now at a line break or the end.
    if (text[i] === '\r' && text[i + 1] === '\n') i++;
    if (i < n) { i++; line++; }
  }
  return { records, lines };
}

const NUMBER_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * `cell` without leading and trailing spaces and tabs. (String.prototype.trim would also drop
 * U+FEFF, U+00A0 and other Unicode spaces, turning a stray byte-order mark into a silent number.)
 */
function trimCell(cell: string): string {
  return cell.replace(/^[ \t]+|[ \t]+$/g, '');
}

/** True when `cell` (without surrounding spaces/tabs) is written as a decimal number, finite or not. */
function looksNumeric(cell: string): boolean {
  return NUMBER_RE.test(trimCell(cell));
}

/**
 * True when `cell` (without surrounding spaces and tabs) is a decimal number such as `-1.5e3`
 * whose value is finite in float64 (not NaN, inf, '', 0x1, nor `1e999`, which overflows).
 */
export function isNumber(cell: string): boolean {
  return looksNumeric(cell) && Number.isFinite(Number(trimCell(cell)));
}

/** Options for `csvToMatrix`. */
export interface MatrixOptions {
  /** 0-based indices of the columns to take, in order (default: all). */
  columns?: number[];
}

/**
 * Convert a parsed CSV table to a float64 RawArray of shape [rows, columns]. Every cell must be a
 * finite decimal number; otherwise InputError names the row (0-based data row and file line) and
 * the column (0-based index, plus its header name when there is one).
 */
export function csvToMatrix(table: CsvTable, options: MatrixOptions = {}): RawArrayOf<'float64'> {
  const width = table.header?.length ?? table.rows[0]?.length ?? 0;
  const columns = options.columns ?? Array.from({ length: width }, (_, j) => j);
  for (const j of columns) {
    if (!Number.isInteger(j) || j < 0 || j >= width) {
      throw new InputError(`CSV ${table.source}: expected column indices in 0..${width - 1}, got ${j}`);
    }
  }
  const m = table.rows.length;
  const c = columns.length;
  const data = new Float64Array(m * c);
  for (let r = 0; r < m; r++) {
    const row = table.rows[r]!;
    for (let k = 0; k < c; k++) {
      const j = columns[k]!;
      const cell = row[j];
      const value = cell !== undefined && looksNumeric(cell) ? Number(trimCell(cell)) : NaN;
      if (!Number.isFinite(value)) {
        const col = table.header ? `column ${j} ('${table.header[j]}')` : `column ${j}`;
        const what = cell === undefined ? 'a missing cell'
          : trimCell(cell) === '' ? 'an empty cell'
          : looksNumeric(cell) ? `${JSON.stringify(cell)}, which overflows float64 (not finite)`
          : JSON.stringify(cell);
        throw new InputError(`CSV ${table.source}: expected a finite number at row ${r} (line ${table.lines[r] ?? '?'}), ${col}, got ${what}`);
      }
      data[r * c + k] = value;
    }
  }
  return { data, shape: [m, c], dtype: 'float64' };
}

/** `readCsv` then `csvToMatrix`: a numeric CSV file as a float64 [rows, columns] RawArray. */
export function readCsvMatrix(path: string, options: CsvOptions & MatrixOptions = {}): RawArrayOf<'float64'> {
  return csvToMatrix(readCsv(path, options), options);
}
