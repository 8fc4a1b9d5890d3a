/**
 * ONNX element types and reading tensor values out of a TensorProto (raw_data little-endian, the typed
 * *_data fields, or external data attached by loadModel).
 */
import { EngineError } from '../errors';
import { HOST_LE } from './protobuf';
import { DataLocation, type TensorProto } from './onnxProto';

export enum TensorDataType {
  UNDEFINED = 0,
  FLOAT = 1,
  UINT8 = 2,
  INT8 = 3,
  UINT16 = 4,
  INT16 = 5,
  INT32 = 6,
  INT64 = 7,
  STRING = 8,
  BOOL = 9,
  FLOAT16 = 10,
  DOUBLE = 11,
  UINT32 = 12,
  UINT64 = 13,
  COMPLEX64 = 14,
  COMPLEX128 = 15,
  BFLOAT16 = 16,
  FLOAT8E4M3FN = 17,
  FLOAT8E4M3FNUZ = 18,
  FLOAT8E5M2 = 19,
  FLOAT8E5M2FNUZ = 20,
  UINT4 = 21,
  INT4 = 22,
  FLOAT4E2M1 = 23,
  FLOAT8E8M0 = 24,
  UINT2 = 25,
  INT2 = 26,
}

/** Short names as used in reports and by onnxruntime ('float32', 'uint8', …). */
const NAMES: Record<number, string> = {
  0: 'undefined',
  1: 'float32',
  2: 'uint8',
  3: 'int8',
  4: 'uint16',
  5: 'int16',
  6: 'int32',
  7: 'int64',
  8: 'string',
  9: 'bool',
  10: 'float16',
  11: 'float64',
  12: 'uint32',
  13: 'uint64',
  14: 'complex64',
  15: 'complex128',
  16: 'bfloat16',
  17: 'float8e4m3fn',
  18: 'float8e4m3fnuz',
  19: 'float8e5m2',
  20: 'float8e5m2fnuz',
  21: 'uint4',
  22: 'int4',
  23: 'float4e2m1',
  24: 'float8e8m0',
  25: 'uint2',
  26: 'int2',
};
const BY_NAME: Record<string, number> = Object.fromEntries(Object.entries(NAMES).map(([k, v]) => [v, Number(k)]));
Object.assign(BY_NAME, { float: 1, double: 11 });

export function dataTypeName(dt: number): string {
  return NAMES[dt] ?? `unknown(${dt})`;
}

/** Data type code from a short name ('float32', 'float', 'int64', …); undefined when unknown. */
export function dataTypeFromName(name: string): TensorDataType | undefined {
  return BY_NAME[name.toLowerCase()];
}

/** Bytes per element (fractional for 4/2-bit types); undefined for strings/unknown types. */
export function dataTypeSize(dt: number): number | undefined {
  switch (dt) {
    case 1:
    case 6:
    case 12:
      return 4;
    case 2:
    case 3:
    case 9:
    case 17:
    case 18:
    case 19:
    case 20:
    case 24:
      return 1;
    case 4:
    case 5:
    case 10:
    case 16:
      return 2;
    case 7:
    case 11:
    case 13:
    case 14:
      return 8;
    case 15:
      return 16;
    case 21:
    case 22:
    case 23:
      return 0.5;
    case 25:
    case 26:
      return 0.25;
    default:
      return undefined;
  }
}

export function tensorElementCount(t: TensorProto): number {
  let n = 1;
  for (const d of t.dims) n *= d;
  return n;
}

function where(t: TensorProto, file?: string): string {
  return `${file ? `${file}: ` : ''}tensor '${t.name || '(unnamed)'}' [${t.dims.join(',')}] ${dataTypeName(t.dataType)}`;
}

function invalid(t: TensorProto, file: string | undefined, what: string): EngineError {
  return new EngineError('MODEL_INVALID', `${where(t, file)}: ${what}`, { file });
}

/**
 * The tensor's little-endian element bytes, from raw_data or (data_location = EXTERNAL) from the file
 * loadModel resolved; undefined when the data is in a typed *_data field instead.
 */
export function tensorRawBytes(t: TensorProto, file?: string): Uint8Array | undefined {
  if (t.dataLocation === DataLocation.EXTERNAL) {
    if (!t.externalSource) {
      const loc = t.externalData.find((e) => e.key === 'location')?.value ?? '?';
      throw new EngineError(
        'MODEL_UNSUPPORTED',
        `${where(t, file)}: data is stored in external file '${loc}', which was not resolved; load the model with loadModel(path) so the file next to it can be read`,
        { file },
      );
    }
    return t.externalSource.read();
  }
  return t.rawData;
}

/** Checks raw byte length against dims × element size. */
function checkRaw(t: TensorProto, bytes: Uint8Array, n: number, size: number, file?: string): void {
  if (bytes.length !== n * size) {
    throw invalid(t, file, `holds ${bytes.length} data bytes but ${n} elements × ${size} bytes need ${n * size}`);
  }
}

function checkLen(t: TensorProto, len: number, n: number, field: string, file?: string): void {
  if (len !== n) throw invalid(t, file, `${field} has ${len} values but the dims need ${n}`);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1,
    e = (h >> 10) & 0x1f,
    m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

export function bfloat16ToFloat(b: number): number {
  u32[0] = (b & 0xffff) << 16;
  return f32[0];
}

/** Element values as float32 (ints and doubles converted). Throws for strings/complex/8-bit floats. */
export function tensorToFloat32(t: TensorProto, file?: string): Float32Array {
  const n = tensorElementCount(t),
    dt = t.dataType;
  const raw = tensorRawBytes(t, file);
  if (raw) {
    const size = dataTypeSize(dt);
    if (size === undefined || !NUMERIC.has(dt)) throw unsupported(t, file, 'float32');
    checkRaw(t, raw, n, size, file);
    if (dt === 1 && HOST_LE) return new Float32Array(raw.slice().buffer); // one memcpy, aligned
    const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = readNumber(dv, dt, i);
    return out;
  }
  const src = typedSource(t, n, file);
  if (!src) throw unsupported(t, file, 'float32');
  const out = new Float32Array(n);
  if (dt === 10) for (let i = 0; i < n; i++) out[i] = halfToFloat(Number(src[i]));
  else if (dt === 16) for (let i = 0; i < n; i++) out[i] = bfloat16ToFloat(Number(src[i]));
  else for (let i = 0; i < n; i++) out[i] = Number(src[i]);
  return out;
}

/** Element values as int64 (for shapes, indices, axes). Throws for floating-point tensors. */
export function tensorToInt64Array(t: TensorProto, file?: string): BigInt64Array {
  const n = tensorElementCount(t),
    dt = t.dataType;
  if (!INTEGER.has(dt)) throw unsupported(t, file, 'int64');
  const raw = tensorRawBytes(t, file);
  const out = new BigInt64Array(n);
  if (raw) {
    checkRaw(t, raw, n, dataTypeSize(dt)!, file);
    const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    if (dt === 7) for (let i = 0; i < n; i++) out[i] = dv.getBigInt64(i * 8, true);
    else if (dt === 13) for (let i = 0; i < n; i++) out[i] = BigInt.asIntN(64, dv.getBigUint64(i * 8, true));
    else for (let i = 0; i < n; i++) out[i] = BigInt(readNumber(dv, dt, i));
    return out;
  }
  const src = typedSource(t, n, file);
  if (!src) throw unsupported(t, file, 'int64');
  for (let i = 0; i < n; i++) out[i] = BigInt.asIntN(64, BigInt(src[i]));
  return out;
}

const NUMERIC = new Set([1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 16]);
const INTEGER = new Set([2, 3, 4, 5, 6, 7, 9, 12, 13]);

function unsupported(t: TensorProto, file: string | undefined, to: string): EngineError {
  return new EngineError('MODEL_UNSUPPORTED', `${where(t, file)}: cannot read ${dataTypeName(t.dataType)} values as ${to}`, { file });
}

/** Element i of a little-endian buffer of type dt, as a JS number. */
function readNumber(dv: DataView, dt: number, i: number): number {
  switch (dt) {
    case 1:
      return dv.getFloat32(i * 4, true);
    case 2:
    case 9:
      return dv.getUint8(i);
    case 3:
      return dv.getInt8(i);
    case 4:
      return dv.getUint16(i * 2, true);
    case 5:
      return dv.getInt16(i * 2, true);
    case 6:
      return dv.getInt32(i * 4, true);
    case 7:
      return Number(dv.getBigInt64(i * 8, true));
    case 10:
      return halfToFloat(dv.getUint16(i * 2, true));
    case 11:
      return dv.getFloat64(i * 8, true);
    case 12:
      return dv.getUint32(i * 4, true);
    case 13:
      return Number(dv.getBigUint64(i * 8, true));
    case 16:
      return bfloat16ToFloat(dv.getUint16(i * 2, true));
    default:
      throw new Error(`readNumber: unexpected data type ${dt}`);
  }
}

/** The typed *_data field that holds this data type, checked against the element count. */
function typedSource(t: TensorProto, n: number, file?: string): ArrayLike<number | bigint> | undefined {
  let src: ArrayLike<number | bigint> | undefined,
    field = '';
  switch (t.dataType) {
    case 1:
      src = t.floatData;
      field = 'float_data';
      break;
    case 11:
      src = t.doubleData;
      field = 'double_data';
      break;
    case 2:
    case 3:
    case 4:
    case 5:
    case 6:
    case 9:
    case 10:
    case 16:
      src = t.int32Data;
      field = 'int32_data';
      break;
    case 7:
      src = t.int64Data;
      field = 'int64_data';
      break;
    case 12:
    case 13:
      src = t.uint64Data;
      field = 'uint64_data';
      break;
    default:
      return undefined;
  }
  if (!src) {
    if (n === 0) return [];
    throw invalid(t, file, `has no data (neither raw_data nor ${field})`);
  }
  checkLen(t, src.length, n, field, file);
  return src;
}
