/**
 * Minimal protobuf wire-format reader and writer (no schema, no protobufjs).
 *
 * Why hand-rolled: ONNX files can be hundreds of MB and almost all of that is tensor `raw_data`; this
 * reader hands length-delimited fields back as zero-copy `subarray` views of the file buffer, and it
 * bounds-checks every read so a truncated/corrupt file yields a `ProtoError` that says at which byte and in
 * which message path (e.g. `ModelProto.graph.node[12].attribute[0]`) decoding failed — never a RangeError.
 */

/** Wire types of the protobuf encoding. */
export const Wire = { VARINT: 0, I64: 1, LEN: 2, SGROUP: 3, EGROUP: 4, I32: 5 } as const;
export type WireType = (typeof Wire)[keyof typeof Wire];

const WIRE_NAMES = ['varint', 'fixed64', 'length-delimited', 'start-group', 'end-group', 'fixed32'];
export function wireName(w: number): string {
  return WIRE_NAMES[w] ?? `invalid(${w})`;
}

/** A 64-bit integer: a plain number while it is a safe integer, a bigint beyond that (e.g. INT64_MAX). */
export type Int64 = number | bigint;

/** Malformed or truncated protobuf; `offset` is the absolute byte offset, `path` the message/field path. */
export class ProtoError extends Error {
  constructor(
    readonly detail: string,
    readonly offset: number,
    readonly path: string,
  ) {
    super(`${detail} at byte ${offset} in ${path}`);
    this.name = 'ProtoError';
  }
}

const TWO32 = 4294967296;
/** Longest message path printed in full (see ProtoReader.path). */
const MAX_PATH_PARTS = 12;
const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);
const utf8 = new TextDecoder('utf-8');
const utf8Enc = new TextEncoder();
/** All supported Node platforms are little-endian; the check keeps typed-array fast paths honest. */
export const HOST_LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export class ProtoReader {
  /** Absolute read position in `buf`. */
  pos: number;
  /** Field number, wire type and tag start of the field last returned by next(). */
  field = 0;
  wire = 0;
  tagStart = 0;
  private readonly view: DataView;

  /**
   * @param buf the whole file (offsets in errors are relative to it)
   * @param name path segment for errors, e.g. 'ModelProto' or 'node'
   */
  constructor(
    readonly buf: Uint8Array,
    readonly start = 0,
    readonly end = buf.length,
    readonly name = 'message',
    readonly index?: number,
    private readonly parent?: ProtoReader,
    view?: DataView,
  ) {
    if (start < 0 || end > buf.length || start > end) throw new RangeError(`ProtoReader bounds ${start}..${end} outside 0..${buf.length}`);
    this.pos = start;
    this.view = view ?? new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  /**
   * Message/field path, built only when needed (errors). A hostile file can nest 100 levels deep, so long
   * paths keep their first and last segments: the message must stay readable.
   */
  get path(): string {
    const parts: string[] = [this.segment];
    for (let r = this.parent; r; r = r.parent) parts.push(r.segment);
    parts.reverse();
    if (parts.length <= MAX_PATH_PARTS) return parts.join('.');
    const keep = MAX_PATH_PARTS / 2;
    return [...parts.slice(0, keep), `…(${parts.length - 2 * keep} more)…`, ...parts.slice(-keep)].join('.');
  }

  private get segment(): string {
    return this.index === undefined ? this.name : `${this.name}[${this.index}]`;
  }

  fail(detail: string, offset = this.pos): never {
    throw new ProtoError(detail, offset, this.path);
  }

  eof(): boolean {
    return this.pos >= this.end;
  }

  /** Reads the next tag; false at the end of this message. */
  next(): boolean {
    if (this.pos >= this.end) return false;
    this.tagStart = this.pos;
    const tag = this.uint32();
    this.field = tag >>> 3;
    this.wire = tag & 7;
    if (this.field === 0) this.fail('invalid field number 0', this.tagStart);
    if (this.wire > 5) this.fail(`field ${this.field} has invalid wire type ${this.wire}`, this.tagStart);
    if (this.wire === Wire.EGROUP) this.fail(`unexpected end-group for field ${this.field}`, this.tagStart);
    return true;
  }

  /** Throws unless the current field has wire type `w`; `what` names the field for the message. */
  want(w: number, what: string): void {
    if (this.wire !== w) {
      this.fail(`field ${this.field} (${what}) has wire type ${wireName(this.wire)}, expected ${wireName(w)}`, this.tagStart);
    }
  }

  // ---- varints ---------------------------------------------------------------------------------------

  private lo = 0;
  private hi = 0;

  /** Reads a varint of up to 10 bytes into lo/hi (unsigned 32-bit halves). */
  private varint64(): void {
    const buf = this.buf,
      end = this.end,
      start = this.pos;
    let pos = this.pos,
      lo = 0,
      hi = 0,
      b = 0;
    for (let i = 0; i < 10; i++) {
      if (pos >= end) this.fail(`truncated varint (${pos - start} bytes, message ends)`, start);
      b = buf[pos++];
      if (i < 4) lo |= (b & 0x7f) << (7 * i);
      else if (i === 4) {
        lo |= (b & 0x7f) << 28;
        hi |= (b & 0x7f) >>> 4;
      } else hi |= (b & 0x7f) << (7 * i - 32);
      if (b < 0x80) {
        this.pos = pos;
        this.lo = lo >>> 0;
        this.hi = hi >>> 0;
        return;
      }
    }
    this.fail('varint longer than 10 bytes', start);
  }

  uint32(): number {
    // Fast path for the common 1-byte case (tags, small ints).
    if (this.pos < this.end && this.buf[this.pos] < 0x80) return this.buf[this.pos++];
    this.varint64();
    return this.lo;
  }

  /** int32 as protobuf encodes it (negative values are sign-extended 10-byte varints). */
  int32(): number {
    this.varint64();
    return this.lo | 0;
  }

  bool(): boolean {
    this.varint64();
    return this.lo !== 0 || this.hi !== 0;
  }

  /** Unsigned 64-bit varint as a bigint. */
  uint64Big(): bigint {
    this.varint64();
    return (BigInt(this.hi) << 32n) | BigInt(this.lo);
  }

  /** Unsigned 64-bit varint: number when safe, else bigint. */
  uint64(): Int64 {
    this.varint64();
    if (this.hi < 0x200000) return this.hi * TWO32 + this.lo;
    return (BigInt(this.hi) << 32n) | BigInt(this.lo);
  }

  /** Signed (two's complement) 64-bit varint: number when safe, else bigint. */
  int64(): Int64 {
    this.varint64();
    if (this.hi < 0x200000) return this.hi * TWO32 + this.lo;
    const v = BigInt.asIntN(64, (BigInt(this.hi) << 32n) | BigInt(this.lo));
    return v < 0n && v >= MIN_SAFE ? Number(v) : v; // hi >= 2^21 here, so only negatives can be safe
  }

  /** Signed 64-bit varint as a bigint. */
  int64Big(): bigint {
    this.varint64();
    return BigInt.asIntN(64, (BigInt(this.hi) << 32n) | BigInt(this.lo));
  }

  /** Signed 64-bit varint as a number (precision may be lost beyond 2^53; for sizes/versions). */
  int64Number(): number {
    const v = this.int64();
    return typeof v === 'number' ? v : Number(v);
  }

  // ---- fixed width -----------------------------------------------------------------------------------

  private need(n: number, what: string): number {
    const p = this.pos;
    if (this.end - p < n) this.fail(`truncated ${what}: needs ${n} bytes, only ${this.end - p} left`);
    this.pos = p + n;
    return p;
  }

  fixed32(): number {
    return this.view.getUint32(this.need(4, 'fixed32'), true);
  }
  sfixed32(): number {
    return this.view.getInt32(this.need(4, 'fixed32'), true);
  }
  float(): number {
    return this.view.getFloat32(this.need(4, 'float'), true);
  }
  fixed64Big(): bigint {
    return this.view.getBigUint64(this.need(8, 'fixed64'), true);
  }
  sfixed64Big(): bigint {
    return this.view.getBigInt64(this.need(8, 'fixed64'), true);
  }
  double(): number {
    return this.view.getFloat64(this.need(8, 'double'), true);
  }

  // ---- length-delimited ------------------------------------------------------------------------------

  /**
   * Diagnostic mode for truncated files: an embedded message that overruns its parent is clamped to the
   * bytes that remain, so decoding descends to the innermost message where the data actually stops.
   * Inherited by child readers.
   */
  clampMessages = false;

  /** Reads a length prefix and checks it fits; returns the payload start. */
  private lenPrefix(what: string, clamp = false): number {
    const at = this.pos;
    this.varint64();
    let len = this.hi * TWO32 + this.lo;
    const left = this.end - this.pos;
    if (len > left) {
      if (!clamp) this.fail(`length-delimited field ${this.field} (${what}) needs ${len} bytes but only ${left} remain`, at);
      len = left;
    }
    const p = this.pos;
    this.pos = p + len;
    return p;
  }

  /** Zero-copy view of a bytes field (shares memory with the file buffer). */
  bytes(what = 'bytes'): Uint8Array {
    const p = this.lenPrefix(what);
    return this.buf.subarray(p, this.pos);
  }

  string(what = 'string'): string {
    const p = this.lenPrefix(what);
    return utf8.decode(this.buf.subarray(p, this.pos));
  }

  /** A bounded reader over an embedded message (or packed run); this reader skips past it. */
  message(name: string, index?: number): ProtoReader {
    const p = this.lenPrefix(name, this.clampMessages);
    const r = new ProtoReader(this.buf, p, this.pos, name, index, this, this.view);
    r.clampMessages = this.clampMessages;
    return r;
  }

  // ---- repeated scalars (packed or not) --------------------------------------------------------------

  /**
   * Reads one occurrence of a repeated scalar field, which may be packed (LEN) or a single element with
   * `elemWire`; `readOne` is called once per element with the reader positioned on it.
   */
  repeated(elemWire: number, what: string, readOne: (r: ProtoReader) => void): void {
    if (this.wire === Wire.LEN) {
      const sub = this.message(what);
      while (sub.pos < sub.end) readOne(sub);
    } else {
      this.want(elemWire, what);
      readOne(this);
    }
  }

  /** Repeated float (packed or not) → a Float32Array chunk (copied: typed fields are small; alignment). */
  floats(what: string): Float32Array {
    if (this.wire !== Wire.LEN) {
      this.want(Wire.I32, what);
      return Float32Array.of(this.float());
    }
    const at = this.pos;
    const b = this.bytes(what);
    if (b.length % 4) this.fail(`packed float field ${this.field} (${what}) has ${b.length} bytes, not a multiple of 4`, at);
    return copyLE(b, 4, Float32Array, (dv, o) => dv.getFloat32(o, true));
  }

  /** Repeated double (packed or not). */
  doubles(what: string): Float64Array {
    if (this.wire !== Wire.LEN) {
      this.want(Wire.I64, what);
      return Float64Array.of(this.double());
    }
    const at = this.pos;
    const b = this.bytes(what);
    if (b.length % 8) this.fail(`packed double field ${this.field} (${what}) has ${b.length} bytes, not a multiple of 8`, at);
    return copyLE(b, 8, Float64Array, (dv, o) => dv.getFloat64(o, true));
  }

  // ---- skipping --------------------------------------------------------------------------------------

  /** Skips the value of the current field (including whole groups). */
  skip(): void {
    switch (this.wire) {
      case Wire.VARINT:
        this.varint64();
        return;
      case Wire.I64:
        this.need(8, 'fixed64');
        return;
      case Wire.I32:
        this.need(4, 'fixed32');
        return;
      case Wire.LEN:
        this.lenPrefix('unknown');
        return;
      case Wire.SGROUP:
        this.skipGroup(this.field);
        return;
      default:
        this.fail(`cannot skip wire type ${this.wire}`, this.tagStart);
    }
  }

  /** Skips the current field and appends its raw bytes (tag included) to `into`, to re-emit them later. */
  keepUnknown(into: Uint8Array[]): void {
    this.skip();
    into.push(this.buf.subarray(this.tagStart, this.pos));
  }

  private skipGroup(field: number): void {
    const start = this.tagStart;
    // Iterative: a stack of open group numbers, so hostile nesting cannot blow the JS stack.
    const open = [field];
    while (open.length) {
      if (this.pos >= this.end) this.fail(`unterminated group (field ${open[open.length - 1]})`, start);
      const tagAt = this.pos;
      const tag = this.uint32();
      const f = tag >>> 3,
        w = tag & 7;
      if (f === 0 || w > 5) this.fail(`invalid tag inside group (field ${f}, wire ${w})`, tagAt);
      if (w === Wire.EGROUP) {
        if (f !== open[open.length - 1]) this.fail(`end-group ${f} does not match start-group ${open[open.length - 1]}`, tagAt);
        open.pop();
      } else if (w === Wire.SGROUP) open.push(f);
      else {
        this.field = f;
        this.wire = w;
        this.skip();
      }
    }
    this.field = field;
    this.wire = Wire.SGROUP;
  }
}

type TypedCtor<T> = { new (n: number): T; new (buf: ArrayBuffer): T };
function copyLE<T extends Float32Array | Float64Array>(
  b: Uint8Array,
  size: number,
  Ctor: TypedCtor<T>,
  get: (dv: DataView, o: number) => number,
): T {
  if (HOST_LE) return new Ctor(b.slice().buffer); // one memcpy into a fresh, aligned buffer
  const out = new Ctor(b.length / size);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (let i = 0; i < out.length; i++) out[i] = get(dv, i * size);
  return out;
}

// =======================================================================================================

/**
 * Protobuf writer that keeps large byte fields by reference: output is a list of chunks joined once in
 * finish(), so a 100 MB raw_data is copied exactly once. Nested messages use fork()/ldelim().
 */
export class ProtoWriter {
  private chunks: Uint8Array[] = [];
  private len = 0; // bytes in `chunks` of the current level
  private scratch = new Uint8Array(1024);
  private sPos = 0; // next free byte in scratch
  private sStart = 0; // first scratch byte not yet moved into `chunks`
  private stack: { chunks: Uint8Array[]; len: number }[] = [];
  private readonly dv8 = new DataView(new ArrayBuffer(8));

  /** Bytes written at the current nesting level (including unflushed scratch). */
  get length(): number {
    return this.len + (this.sPos - this.sStart);
  }

  private flush(): void {
    if (this.sPos > this.sStart) {
      this.chunks.push(this.scratch.subarray(this.sStart, this.sPos));
      this.len += this.sPos - this.sStart;
      this.sStart = this.sPos;
    }
  }

  private room(n: number): void {
    if (this.scratch.length - this.sPos >= n) return;
    this.flush();
    this.scratch = new Uint8Array(Math.max(n, 64 * 1024));
    this.sPos = this.sStart = 0;
  }

  private byte(b: number): void {
    this.scratch[this.sPos++] = b;
  }

  tag(field: number, wire: WireType): this {
    return this.varint(field * 8 + wire);
  }

  /** Unsigned varint; negative numbers/bigints are written as 64-bit two's complement (10 bytes). */
  varint(v: Int64): this {
    if (typeof v === 'number' && v >= 0 && v <= 0x7fffffff && Number.isInteger(v)) {
      this.room(5);
      while (v > 0x7f) {
        this.byte((v & 0x7f) | 0x80);
        v >>>= 7;
      }
      this.byte(v);
      return this;
    }
    if (typeof v === 'number' && !Number.isSafeInteger(v))
      throw new RangeError(`varint value ${v} is not an integer within ±2^53; pass a bigint for 64-bit values`);
    let b = BigInt.asUintN(64, BigInt(v));
    this.room(10);
    while (b > 0x7fn) {
      this.byte(Number(b & 0x7fn) | 0x80);
      b >>= 7n;
    }
    this.byte(Number(b));
    return this;
  }

  fixed32(v: number): this {
    this.dv8.setUint32(0, v >>> 0, true);
    return this.copy4();
  }
  float(v: number): this {
    this.dv8.setFloat32(0, v, true);
    return this.copy4();
  }
  double(v: number): this {
    this.dv8.setFloat64(0, v, true);
    return this.copy8();
  }
  fixed64(v: bigint): this {
    this.dv8.setBigUint64(0, BigInt.asUintN(64, v), true);
    return this.copy8();
  }

  private copy4(): this {
    this.room(4);
    for (let i = 0; i < 4; i++) this.byte(this.dv8.getUint8(i));
    return this;
  }
  private copy8(): this {
    this.room(8);
    for (let i = 0; i < 8; i++) this.byte(this.dv8.getUint8(i));
    return this;
  }

  /** Appends bytes verbatim (no length prefix). Large arrays are kept by reference, not copied. */
  raw(b: Uint8Array): this {
    if (b.length <= 256) {
      this.room(b.length);
      this.scratch.set(b, this.sPos);
      this.sPos += b.length;
    } else {
      this.flush();
      this.chunks.push(b);
      this.len += b.length;
    }
    return this;
  }

  // ---- field helpers ---------------------------------------------------------------------------------

  varintField(field: number, v: Int64 | boolean): this {
    return this.tag(field, Wire.VARINT).varint(typeof v === 'boolean' ? (v ? 1 : 0) : v);
  }
  floatField(field: number, v: number): this {
    return this.tag(field, Wire.I32).float(v);
  }
  doubleField(field: number, v: number): this {
    return this.tag(field, Wire.I64).double(v);
  }
  fixed32Field(field: number, v: number): this {
    return this.tag(field, Wire.I32).fixed32(v);
  }
  fixed64Field(field: number, v: bigint): this {
    return this.tag(field, Wire.I64).fixed64(v);
  }
  bytesField(field: number, b: Uint8Array): this {
    return this.tag(field, Wire.LEN).varint(b.length).raw(b);
  }
  stringField(field: number, s: string): this {
    return this.bytesField(field, utf8Enc.encode(s));
  }

  /** Packed repeated varints (int32/int64/uint64/bool/enum). */
  packedVarints(field: number, values: ArrayLike<Int64>): this {
    if (values.length === 0) return this;
    let size = 0;
    for (let i = 0; i < values.length; i++) size += varintSize(values[i]);
    this.tag(field, Wire.LEN).varint(size);
    for (let i = 0; i < values.length; i++) this.varint(values[i]);
    return this;
  }

  packedFloats(field: number, values: ArrayLike<number>): this {
    if (values.length === 0) return this;
    const a = values instanceof Float32Array ? values : Float32Array.from(values);
    return this.bytesField(field, leBytes(a));
  }

  packedDoubles(field: number, values: ArrayLike<number>): this {
    if (values.length === 0) return this;
    const a = values instanceof Float64Array ? values : Float64Array.from(values);
    return this.bytesField(field, leBytes(a));
  }

  /** Embedded message: `body` writes its fields; the length prefix is filled in afterwards. */
  messageField(field: number, body: (w: this) => void): this {
    this.fork();
    body(this);
    return this.ldelim(field);
  }

  /** Starts a nested message. */
  fork(): this {
    this.flush();
    this.stack.push({ chunks: this.chunks, len: this.len });
    this.chunks = [];
    this.len = 0;
    return this;
  }

  /** Ends the message started by fork() and writes it as length-delimited `field` into the parent. */
  ldelim(field: number): this {
    this.flush();
    const parent = this.stack.pop();
    if (!parent) throw new Error('ProtoWriter.ldelim without fork');
    const child = this.chunks,
      childLen = this.len;
    this.chunks = parent.chunks;
    this.len = parent.len;
    this.tag(field, Wire.LEN).varint(childLen);
    this.flush();
    for (const c of child) this.chunks.push(c);
    this.len += childLen;
    return this;
  }

  finish(): Uint8Array {
    if (this.stack.length) throw new Error('ProtoWriter.finish with unclosed fork');
    this.flush();
    if (this.chunks.length === 1) return this.chunks[0].slice();
    const out = new Uint8Array(this.len);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }
}

/** Encoded size of a varint. */
export function varintSize(v: Int64): number {
  if (typeof v === 'number' && v >= 0 && v < 2 ** 53) {
    let n = 1;
    while (v >= 128) {
      v = Math.floor(v / 128);
      n++;
    }
    return n;
  }
  let b = BigInt.asUintN(64, BigInt(v));
  let n = 1;
  while (b > 0x7fn) {
    b >>= 7n;
    n++;
  }
  return n;
}

/** Little-endian bytes of a typed array (a view on LE hosts, a swapped copy otherwise). */
export function leBytes(a: ArrayBufferView & { BYTES_PER_ELEMENT: number; length: number }): Uint8Array {
  const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const size = a.BYTES_PER_ELEMENT;
  if (HOST_LE || size === 1) return bytes;
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i += size) for (let j = 0; j < size; j++) out[i + j] = bytes[i + size - 1 - j];
  return out;
}
