/**
 * Protocol Buffers wire format (https://protobuf.dev/programming-guides/encoding/), decoding only.
 *
 * A message is a sequence of fields, each a varint key `(field_number << 3) | wire_type` followed by
 * its payload: wire type 0 a varint (at most 10 bytes, little-endian base 128), 1 eight bytes
 * (fixed64 / double), 2 a varint length and that many bytes (strings, bytes, embedded messages,
 * packed repeated scalars), 5 four bytes (fixed32 / float). The group wire types 3 and 4 (deprecated)
 * and 6, 7 are rejected.
 *
 * Every read checks the bytes it needs against the end of the enclosing message before touching or
 * allocating anything, so a hostile length can neither run past the input nor make a caller
 * allocate more than the input's size. Errors are InputErrors naming the source, the byte offset
 * and the message/field being read (`path`).
 */
import { InputError } from '../../errors.js';

export const WIRE_VARINT = 0;
export const WIRE_I64 = 1;
export const WIRE_LEN = 2;
export const WIRE_I32 = 5;

const WIRE_NAMES: Record<number, string> = { 0: 'varint', 1: '64-bit', 2: 'length-delimited', 3: 'start-group', 4: 'end-group', 5: '32-bit' };

/** Name of a wire type for messages. */
export function wireName(wire: number): string {
  return WIRE_NAMES[wire] ?? `unknown (${wire})`;
}

const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * A cursor over `bytes[pos, end)`. `sub` makes a reader for an embedded message that cannot read
 * past the message's own end; offsets in errors are always absolute (from the start of the input).
 */
export class WireReader {
  readonly bytes: Uint8Array;
  readonly source: string;
  pos: number;
  readonly end: number;
  /** What `end` is, for messages: 'input' for the whole file, else 'enclosing message'. */
  private readonly scope: string;
  private view: DataView | undefined;

  constructor(bytes: Uint8Array, source: string, pos = 0, end = bytes.length, scope = 'input') {
    this.scope = scope;
    this.bytes = bytes;
    this.source = source;
    this.pos = pos;
    this.end = end;
  }

  /** True while bytes remain before the end of this (sub)message. */
  more(): boolean {
    return this.pos < this.end;
  }

  /** An InputError naming the source, the offset and what was being read. */
  fail(path: string, what: string, at = this.pos): never {
    throw new InputError(`${this.source}: ${path}: ${what} at byte ${at}`);
  }

  /** A varint as a BigInt (unsigned, up to 64 bits). */
  varintBig(path: string): bigint {
    const start = this.pos;
    let result = 0n;
    let shift = 0n;
    for (let k = 0; k < 10; k++) {
      if (this.pos >= this.end) this.fail(path, `varint runs past the end of the ${this.scope} (truncated file?)`, start);
      const b = this.bytes[this.pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return BigInt.asUintN(64, result);
      shift += 7n;
    }
    return this.fail(path, 'varint longer than 10 bytes', start);
  }

  /** A varint as a non-negative number below 2^53 (lengths, tags, enums, counts); larger values fail. */
  varint(path: string): number {
    const start = this.pos;
    // Fast path: up to 4 bytes (28 bits).
    let result = 0;
    for (let k = 0; k < 4; k++) {
      if (this.pos >= this.end) break;
      const b = this.bytes[this.pos]!;
      result |= (b & 0x7f) << (7 * k);
      this.pos++;
      if ((b & 0x80) === 0) return result >>> 0;
    }
    this.pos = start;
    const big = this.varintBig(path);
    if (big > BigInt(Number.MAX_SAFE_INTEGER)) this.fail(path, `value ${big} is too large`, start);
    return Number(big);
  }

  /** An int64 varint (two's complement) as a number; values outside ±(2^53 − 1) fail. */
  int64(path: string): number {
    const start = this.pos;
    const v = BigInt.asIntN(64, this.varintBig(path));
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < -BigInt(Number.MAX_SAFE_INTEGER)) {
      this.fail(path, `int64 value ${v} is not a safe integer (|v| > 2^53 - 1)`, start);
    }
    return Number(v);
  }

  /** An int32 varint (negative values are sign-extended to 10 bytes on the wire). */
  int32(path: string): number {
    return Number(BigInt.asIntN(32, this.varintBig(path)));
  }

  /** A uint64 varint as a number; values above 2^53 − 1 fail. */
  uint64(path: string): number {
    return this.varint(path);
  }

  private dv(): DataView {
    return (this.view ??= new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength));
  }

  private need(n: number, path: string, what: string): void {
    if (this.end - this.pos < n) {
      this.fail(path, `${what} needs ${n} bytes but only ${this.end - this.pos} remain in the ${this.scope} (truncated file?)`);
    }
  }

  /** A little-endian float (wire type 5). */
  float32(path: string): number {
    this.need(4, path, '32-bit value');
    const v = this.dv().getFloat32(this.pos, true);
    this.pos += 4;
    return v;
  }

  /** A little-endian double (wire type 1). */
  float64(path: string): number {
    this.need(8, path, '64-bit value');
    const v = this.dv().getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** A length prefix, checked against the remaining bytes; returns [start, end) of the payload and skips it. */
  lengthDelimited(path: string): [number, number] {
    const at = this.pos;
    const n = this.varint(path);
    if (n > this.end - this.pos) {
      this.fail(path, `length ${n} runs past the end of the ${this.scope} (${this.end - this.pos} bytes remain; truncated file?)`, at);
    }
    const start = this.pos;
    this.pos += n;
    return [start, start + n];
  }

  /** The payload of a length-delimited field (a view into the input, not a copy). */
  bytesField(path: string): Uint8Array {
    const [s, e] = this.lengthDelimited(path);
    return this.bytes.subarray(s, e);
  }

  /** A length-delimited UTF-8 string. */
  string(path: string): string {
    const at = this.pos;
    const b = this.bytesField(path);
    try {
      return utf8Decoder.decode(b);
    } catch {
      return this.fail(path, 'string is not valid UTF-8', at);
    }
  }

  /** A reader over an embedded message (length-delimited), positioned at its start. */
  sub(path: string): WireReader {
    const [s, e] = this.lengthDelimited(path);
    return new WireReader(this.bytes, this.source, s, e, 'enclosing message');
  }

  /** Read a key; returns [field number, wire type]. */
  key(path: string): [number, number] {
    const at = this.pos;
    const k = this.varint(path);
    const field = Math.floor(k / 8);
    const wire = k % 8;
    if (field === 0) this.fail(path, 'field number 0 is invalid', at);
    if (wire !== WIRE_VARINT && wire !== WIRE_I64 && wire !== WIRE_LEN && wire !== WIRE_I32) {
      this.fail(path, `field ${field} has unsupported wire type ${wire} (${wireName(wire)})`, at);
    }
    return [field, wire];
  }

  /** Skip the payload of a field of the given wire type. */
  skip(wire: number, path: string): void {
    switch (wire) {
      case WIRE_VARINT: this.varintBig(path); return;
      case WIRE_I64: this.need(8, path, '64-bit value'); this.pos += 8; return;
      case WIRE_LEN: this.lengthDelimited(path); return;
      case WIRE_I32: this.need(4, path, '32-bit value'); this.pos += 4; return;
      default: this.fail(path, `unsupported wire type ${wire} (${wireName(wire)})`);
    }
  }
}

/** The scalar kinds a repeated field can hold. */
export type ScalarKind = 'int64' | 'uint64' | 'int32' | 'float' | 'double';

function scalarWire(kind: ScalarKind): number {
  return kind === 'float' ? WIRE_I32 : kind === 'double' ? WIRE_I64 : WIRE_VARINT;
}

function readScalar(r: WireReader, kind: ScalarKind, path: string): number {
  switch (kind) {
    case 'int64': return r.int64(path);
    case 'uint64': return r.uint64(path);
    case 'int32': return r.int32(path);
    case 'float': return r.float32(path);
    case 'double': return r.float64(path);
  }
}

/**
 * Append one occurrence of a repeated scalar field to `out`: either packed (wire type 2, the
 * elements back to back) or a single unpacked element (the element's own wire type). Parsers must
 * accept both (protobuf spec). Fixed-size packed payloads must be a whole number of elements.
 */
export function readRepeated(r: WireReader, wire: number, kind: ScalarKind, out: number[], path: string): void {
  const elemWire = scalarWire(kind);
  if (wire === elemWire) {
    out.push(readScalar(r, kind, path));
    return;
  }
  if (wire !== WIRE_LEN) r.fail(path, `wire type ${wire} (${wireName(wire)}) for a repeated ${kind} field, expected ${elemWire} or 2 (packed)`);
  const at = r.pos;
  const sub = r.sub(path);
  const size = kind === 'float' ? 4 : kind === 'double' ? 8 : 0;
  if (size > 0 && (sub.end - sub.pos) % size !== 0) {
    r.fail(path, `packed ${kind} payload of ${sub.end - sub.pos} bytes is not a multiple of ${size}`, at);
  }
  while (sub.more()) out.push(readScalar(sub, kind, path));
}

/** Check a field's wire type against the expected one. */
export function expectWire(r: WireReader, wire: number, expected: number, path: string): void {
  if (wire !== expected) r.fail(path, `wire type ${wire} (${wireName(wire)}), expected ${expected} (${wireName(expected)})`);
}
