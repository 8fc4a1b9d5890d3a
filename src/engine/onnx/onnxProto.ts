/**
 * The ONNX schema (onnx.proto3, current field numbers) as TypeScript types, with a decoder and an encoder
 * built on the wire-format reader/writer in ./protobuf.
 *
 * Fields this tool does not model (training_info, functions, device configurations, sparse initializers,
 * quantization annotations, sparse-tensor/type-proto attributes, non-tensor type payloads, anything newer)
 * are kept as raw field bytes in `unknownFields` of the message that held them and are re-emitted verbatim
 * by the encoder, so decode → encode never silently drops parts of a model.
 */
import { EngineError } from '../errors';
import { type Int64, ProtoError, ProtoReader, ProtoWriter, Wire } from './protobuf';
import { TensorDataType } from './tensorData';

export * from './tensorData';
export type { Int64 } from './protobuf';

/** Raw bytes (tag included) of fields not modelled here; re-emitted after the known fields when encoding. */
interface HasUnknown {
  unknownFields?: Uint8Array[];
}

export interface StringStringEntryProto extends HasUnknown {
  key: string;
  value: string;
}
export interface OperatorSetIdProto extends HasUnknown {
  domain: string;
  version: number;
}

export interface ModelProto extends HasUnknown {
  irVersion: number;
  opsetImport: OperatorSetIdProto[];
  producerName: string;
  producerVersion: string;
  domain: string;
  modelVersion: Int64;
  docString: string;
  graph: GraphProto;
  metadataProps: StringStringEntryProto[];
}

export interface GraphProto extends HasUnknown {
  name: string;
  node: NodeProto[];
  initializer: TensorProto[];
  docString: string;
  input: ValueInfoProto[];
  output: ValueInfoProto[];
  valueInfo: ValueInfoProto[];
  metadataProps: StringStringEntryProto[];
}

export interface NodeProto extends HasUnknown {
  input: string[];
  output: string[];
  name: string;
  opType: string;
  domain: string;
  overload: string;
  attribute: AttributeProto[];
  docString: string;
  metadataProps: StringStringEntryProto[];
}

export enum AttributeType {
  UNDEFINED = 0,
  FLOAT = 1,
  INT = 2,
  STRING = 3,
  TENSOR = 4,
  GRAPH = 5,
  FLOATS = 6,
  INTS = 7,
  STRINGS = 8,
  TENSORS = 9,
  GRAPHS = 10,
  SPARSE_TENSOR = 11,
  SPARSE_TENSORS = 12,
  TYPE_PROTO = 13,
  TYPE_PROTOS = 14,
}

/** Exactly one value field is meaningful, chosen by `type`; sparse tensors / type protos stay in unknownFields. */
export interface AttributeProto extends HasUnknown {
  name: string;
  type: AttributeType;
  refAttrName: string;
  docString: string;
  f?: number;
  i?: Int64;
  s?: Uint8Array;
  t?: TensorProto;
  g?: GraphProto;
  floats?: number[];
  ints?: Int64[];
  strings?: Uint8Array[];
  tensors?: TensorProto[];
  graphs?: GraphProto[];
}

export enum DataLocation {
  DEFAULT = 0,
  EXTERNAL = 1,
}

/** Where loadModel found the bytes of an externally stored tensor; `read()` loads them on demand. */
export interface ExternalDataSource {
  file: string;
  offset: number;
  length: number;
  read(): Uint8Array;
}

export interface TensorProto extends HasUnknown {
  name: string;
  dims: number[];
  dataType: TensorDataType | number;
  segment?: { begin: Int64; end: Int64 };
  floatData?: Float32Array;
  int32Data?: Int32Array;
  stringData?: Uint8Array[];
  int64Data?: BigInt64Array;
  /** Little-endian element bytes; a zero-copy view into the decoded file buffer. */
  rawData?: Uint8Array;
  doubleData?: Float64Array;
  uint64Data?: BigUint64Array;
  docString: string;
  externalData: StringStringEntryProto[];
  dataLocation: DataLocation;
  metadataProps: StringStringEntryProto[];
  /** Not part of the proto: attached by loadModel for data_location = EXTERNAL. */
  externalSource?: ExternalDataSource;
}

export interface ValueInfoProto extends HasUnknown {
  name: string;
  type?: TypeProto;
  docString: string;
  metadataProps: StringStringEntryProto[];
}

/** One dimension: a fixed size, a symbolic name, or neither (unknown). */
export interface TensorShapeDim extends HasUnknown {
  dimValue?: number;
  dimParam?: string;
  denotation?: string;
}

export interface TypeProtoTensor extends HasUnknown {
  elemType: TensorDataType | number;
  /** undefined = unknown rank; [] = scalar. */
  shape?: TensorShapeDim[];
}

/**
 * tensor_type is decoded; sequence/map/optional/sparse/opaque types are only named in `otherKind` and kept
 * as raw bytes in unknownFields (this tool only feeds tensors).
 */
export interface TypeProto extends HasUnknown {
  tensorType?: TypeProtoTensor;
  otherKind?: 'sequence' | 'map' | 'opaque' | 'sparse_tensor' | 'optional';
  denotation: string;
}

// =======================================================================================================
// Decoding

/** Nested messages deeper than this are rejected (protobuf's own default limit), so hostile input cannot overflow the stack. */
const MAX_DEPTH = 100;

function child(r: ProtoReader, name: string, index: number | undefined, depth: number): ProtoReader {
  r.want(Wire.LEN, name);
  if (depth > MAX_DEPTH) r.fail(`messages nested deeper than ${MAX_DEPTH} levels`, r.tagStart);
  return r.message(name, index);
}

function str(r: ProtoReader, name: string): string {
  r.want(Wire.LEN, name);
  return r.string(name);
}

function i64(r: ProtoReader, name: string): Int64 {
  r.want(Wire.VARINT, name);
  return r.int64();
}

function num(r: ProtoReader, name: string): number {
  r.want(Wire.VARINT, name);
  return r.int64Number();
}

function finishUnknown<T extends HasUnknown>(o: T, unknown: Uint8Array[]): T {
  if (unknown.length) o.unknownFields = unknown;
  return o;
}

function decodeEntry(r: ProtoReader): StringStringEntryProto {
  const o: StringStringEntryProto = { key: '', value: '' };
  const unknown: Uint8Array[] = [];
  while (r.next()) {
    if (r.field === 1) o.key = str(r, 'key');
    else if (r.field === 2) o.value = str(r, 'value');
    else r.keepUnknown(unknown);
  }
  return finishUnknown(o, unknown);
}

function decodeOpset(r: ProtoReader): OperatorSetIdProto {
  const o: OperatorSetIdProto = { domain: '', version: 0 };
  const unknown: Uint8Array[] = [];
  while (r.next()) {
    if (r.field === 1) o.domain = str(r, 'domain');
    else if (r.field === 2) o.version = num(r, 'version');
    else r.keepUnknown(unknown);
  }
  return finishUnknown(o, unknown);
}

/** Concatenates typed-array chunks (repeated fields may arrive in several packed runs). */
function concat<T extends Float32Array | Float64Array | Int32Array | BigInt64Array | BigUint64Array>(
  chunks: T[],
  make: (n: number) => T,
): T {
  if (chunks.length === 1) return chunks[0];
  const out = make(chunks.reduce((s, c) => s + c.length, 0));
  let o = 0;
  for (const c of chunks) {
    (out as Float32Array).set(c as Float32Array, o);
    o += c.length;
  }
  return out;
}

function decodeTensor(r: ProtoReader, d: number): TensorProto {
  const t: TensorProto = { name: '', dims: [], dataType: 0, docString: '', externalData: [], dataLocation: 0, metadataProps: [] };
  const unknown: Uint8Array[] = [];
  const floats: Float32Array[] = [],
    doubles: Float64Array[] = [];
  let int32: number[] | undefined, int64: bigint[] | undefined, uint64: bigint[] | undefined;
  while (r.next()) {
    switch (r.field) {
      case 1:
        r.repeated(Wire.VARINT, 'dims', (s) => t.dims.push(s.int64Number()));
        break;
      case 2:
        r.want(Wire.VARINT, 'data_type');
        t.dataType = r.int32();
        break;
      case 3: {
        const s = child(r, 'segment', undefined, d);
        const seg = { begin: 0 as Int64, end: 0 as Int64 };
        while (s.next()) {
          if (s.field === 1) seg.begin = i64(s, 'begin');
          else if (s.field === 2) seg.end = i64(s, 'end');
          else s.skip();
        }
        t.segment = seg;
        break;
      }
      case 4:
        floats.push(r.floats('float_data'));
        break;
      case 5: {
        const a = (int32 ??= []);
        r.repeated(Wire.VARINT, 'int32_data', (s) => a.push(s.int32()));
        break;
      }
      case 6:
        r.want(Wire.LEN, 'string_data');
        (t.stringData ??= []).push(r.bytes('string_data'));
        break;
      case 7: {
        const a = (int64 ??= []);
        r.repeated(Wire.VARINT, 'int64_data', (s) => a.push(s.int64Big()));
        break;
      }
      case 8:
        t.name = str(r, 'name');
        break;
      case 9:
        r.want(Wire.LEN, 'raw_data');
        t.rawData = r.bytes('raw_data');
        break;
      case 10:
        doubles.push(r.doubles('double_data'));
        break;
      case 11: {
        const a = (uint64 ??= []);
        r.repeated(Wire.VARINT, 'uint64_data', (s) => a.push(s.uint64Big()));
        break;
      }
      case 12:
        t.docString = str(r, 'doc_string');
        break;
      case 13:
        t.externalData.push(decodeEntry(child(r, 'external_data', t.externalData.length, d)));
        break;
      case 14:
        r.want(Wire.VARINT, 'data_location');
        t.dataLocation = r.int32();
        break;
      case 16:
        t.metadataProps.push(decodeEntry(child(r, 'metadata_props', t.metadataProps.length, d)));
        break;
      default:
        r.keepUnknown(unknown);
    }
  }
  if (floats.length) t.floatData = concat(floats, (n) => new Float32Array(n));
  if (doubles.length) t.doubleData = concat(doubles, (n) => new Float64Array(n));
  if (int32) t.int32Data = Int32Array.from(int32);
  if (int64) t.int64Data = BigInt64Array.from(int64);
  if (uint64) t.uint64Data = BigUint64Array.from(uint64);
  return finishUnknown(t, unknown);
}

function decodeDim(r: ProtoReader): TensorShapeDim {
  const o: TensorShapeDim = {};
  const unknown: Uint8Array[] = [];
  while (r.next()) {
    // oneof: the last of dim_value/dim_param wins, as in protobuf.
    if (r.field === 1) {
      o.dimValue = num(r, 'dim_value');
      delete o.dimParam;
    } else if (r.field === 2) {
      o.dimParam = str(r, 'dim_param');
      delete o.dimValue;
    } else if (r.field === 3) o.denotation = str(r, 'denotation');
    else r.keepUnknown(unknown);
  }
  return finishUnknown(o, unknown);
}

const OTHER_KINDS: Record<number, TypeProto['otherKind']> = { 4: 'sequence', 5: 'map', 7: 'opaque', 8: 'sparse_tensor', 9: 'optional' };

function decodeType(r: ProtoReader, d: number): TypeProto {
  const o: TypeProto = { denotation: '' };
  const unknown: Uint8Array[] = [];
  while (r.next()) {
    if (r.field === 1) {
      const tr = child(r, 'tensor_type', undefined, d);
      const tt: TypeProtoTensor = { elemType: 0 };
      const tu: Uint8Array[] = [];
      while (tr.next()) {
        if (tr.field === 1) {
          tr.want(Wire.VARINT, 'elem_type');
          tt.elemType = tr.int32();
        } else if (tr.field === 2) {
          const sr = child(tr, 'shape', undefined, d + 1);
          const shape: TensorShapeDim[] = (tt.shape = []);
          while (sr.next()) {
            if (sr.field === 1) shape.push(decodeDim(child(sr, 'dim', shape.length, d + 2)));
            else sr.skip();
          }
        } else tr.keepUnknown(tu);
      }
      o.tensorType = finishUnknown(tt, tu);
    } else if (r.field === 6) o.denotation = str(r, 'denotation');
    else {
      if (OTHER_KINDS[r.field]) o.otherKind = OTHER_KINDS[r.field];
      r.keepUnknown(unknown);
    }
  }
  return finishUnknown(o, unknown);
}

function decodeValueInfo(r: ProtoReader, d: number): ValueInfoProto {
  const o: ValueInfoProto = { name: '', docString: '', metadataProps: [] };
  const unknown: Uint8Array[] = [];
  while (r.next()) {
    switch (r.field) {
      case 1:
        o.name = str(r, 'name');
        break;
      case 2:
        o.type = decodeType(child(r, 'type', undefined, d), d + 1);
        break;
      case 3:
        o.docString = str(r, 'doc_string');
        break;
      case 4:
        o.metadataProps.push(decodeEntry(child(r, 'metadata_props', o.metadataProps.length, d)));
        break;
      default:
        r.keepUnknown(unknown);
    }
  }
  return finishUnknown(o, unknown);
}

function decodeAttribute(r: ProtoReader, d: number): AttributeProto {
  const a: AttributeProto = { name: '', type: AttributeType.UNDEFINED, refAttrName: '', docString: '' };
  const unknown: Uint8Array[] = [];
  while (r.next()) {
    switch (r.field) {
      case 1:
        a.name = str(r, 'name');
        break;
      case 2:
        r.want(Wire.I32, 'f');
        a.f = r.float();
        break;
      case 3:
        a.i = i64(r, 'i');
        break;
      case 4:
        r.want(Wire.LEN, 's');
        a.s = r.bytes('s');
        break;
      case 5:
        a.t = decodeTensor(child(r, 't', undefined, d), d + 1);
        break;
      case 6:
        a.g = decodeGraph(child(r, 'g', undefined, d), d + 1);
        break;
      case 7: {
        const f = (a.floats ??= []);
        for (const v of r.floats('floats')) f.push(v);
        break;
      }
      case 8: {
        const x = (a.ints ??= []);
        r.repeated(Wire.VARINT, 'ints', (s) => x.push(s.int64()));
        break;
      }
      case 9:
        r.want(Wire.LEN, 'strings');
        (a.strings ??= []).push(r.bytes('strings'));
        break;
      case 10: {
        const x = (a.tensors ??= []);
        x.push(decodeTensor(child(r, 'tensors', x.length, d), d + 1));
        break;
      }
      case 11: {
        const x = (a.graphs ??= []);
        x.push(decodeGraph(child(r, 'graphs', x.length, d), d + 1));
        break;
      }
      case 13:
        a.docString = str(r, 'doc_string');
        break;
      case 20:
        r.want(Wire.VARINT, 'type');
        a.type = r.int32();
        break;
      case 21:
        a.refAttrName = str(r, 'ref_attr_name');
        break;
      default:
        r.keepUnknown(unknown);
    }
  }
  return finishUnknown(a, unknown);
}

function decodeNode(r: ProtoReader, d: number): NodeProto {
  const n: NodeProto = {
    input: [],
    output: [],
    name: '',
    opType: '',
    domain: '',
    overload: '',
    attribute: [],
    docString: '',
    metadataProps: [],
  };
  const unknown: Uint8Array[] = [];
  while (r.next()) {
    switch (r.field) {
      case 1:
        n.input.push(str(r, 'input'));
        break;
      case 2:
        n.output.push(str(r, 'output'));
        break;
      case 3:
        n.name = str(r, 'name');
        break;
      case 4:
        n.opType = str(r, 'op_type');
        break;
      case 5:
        n.attribute.push(decodeAttribute(child(r, 'attribute', n.attribute.length, d), d + 1));
        break;
      case 6:
        n.docString = str(r, 'doc_string');
        break;
      case 7:
        n.domain = str(r, 'domain');
        break;
      case 8:
        n.overload = str(r, 'overload');
        break;
      case 9:
        n.metadataProps.push(decodeEntry(child(r, 'metadata_props', n.metadataProps.length, d)));
        break;
      default:
        r.keepUnknown(unknown);
    }
  }
  return finishUnknown(n, unknown);
}

function decodeGraph(r: ProtoReader, d: number): GraphProto {
  const g: GraphProto = { name: '', node: [], initializer: [], docString: '', input: [], output: [], valueInfo: [], metadataProps: [] };
  const unknown: Uint8Array[] = [];
  while (r.next()) {
    switch (r.field) {
      case 1:
        g.node.push(decodeNode(child(r, 'node', g.node.length, d), d + 1));
        break;
      case 2:
        g.name = str(r, 'name');
        break;
      case 5:
        g.initializer.push(decodeTensor(child(r, 'initializer', g.initializer.length, d), d + 1));
        break;
      case 10:
        g.docString = str(r, 'doc_string');
        break;
      case 11:
        g.input.push(decodeValueInfo(child(r, 'input', g.input.length, d), d + 1));
        break;
      case 12:
        g.output.push(decodeValueInfo(child(r, 'output', g.output.length, d), d + 1));
        break;
      case 13:
        g.valueInfo.push(decodeValueInfo(child(r, 'value_info', g.valueInfo.length, d), d + 1));
        break;
      case 16:
        g.metadataProps.push(decodeEntry(child(r, 'metadata_props', g.metadataProps.length, d)));
        break;
      default:
        r.keepUnknown(unknown);
    }
  }
  return finishUnknown(g, unknown);
}

const MODEL_FIELDS: Record<number, string> = {
  1: 'ir_version',
  2: 'producer_name',
  3: 'producer_version',
  4: 'domain',
  5: 'model_version',
  6: 'doc_string',
  7: 'graph',
  8: 'opset_import',
  14: 'metadata_props',
  20: 'training_info',
  25: 'functions',
  26: 'configuration',
};

/** Recognisable non-ONNX files, so the error can say what the file is instead. */
function sniffOtherFormat(b: Uint8Array): string | undefined {
  const ascii = (from: number, s: string) => s.split('').every((c, i) => b[from + i] === c.charCodeAt(0));
  if (b[0] === 0x89 && ascii(1, 'PNG')) return 'a PNG image';
  if (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'a JPEG image';
  if (ascii(0, 'PK\x03\x04')) return 'a ZIP archive (e.g. a PyTorch .pt/.pth checkpoint; export it with torch.onnx.export)';
  if (b[0] === 0x1f && b[1] === 0x8b) return 'a gzip-compressed file';
  if (b[0] === 0x89 && ascii(1, 'HDF')) return 'an HDF5 file (e.g. a Keras .h5 model)';
  if (ascii(4, 'ORTM')) return 'an ONNX Runtime .ort (flatbuffer) model, not a .onnx protobuf';
  if (ascii(4, 'TFL3')) return 'a TensorFlow Lite model';
  if (ascii(0, 'version https://git-lfs')) return 'a Git LFS pointer file (run git lfs pull to fetch the real model)';
  const first = String.fromCharCode(b[0] ?? 0);
  if (first === '{' || first === '[') return 'a JSON/text file';
  if (first === '<') return 'an HTML/XML file';
  return undefined;
}

interface TopLevel {
  m: Omit<ModelProto, 'graph'> & { graph?: GraphProto };
  unknown: Uint8Array[];
  seen: Map<number, number>;
}

function readModel(r: ProtoReader): TopLevel {
  const m: TopLevel['m'] = {
    irVersion: 0,
    opsetImport: [],
    producerName: '',
    producerVersion: '',
    domain: '',
    modelVersion: 0,
    docString: '',
    metadataProps: [],
  };
  const unknown: Uint8Array[] = [];
  const seen = new Map<number, number>();
  while (r.next()) {
    seen.set(r.field, (seen.get(r.field) ?? 0) + 1);
    switch (r.field) {
      case 1:
        m.irVersion = num(r, 'ir_version');
        break;
      case 2:
        m.producerName = str(r, 'producer_name');
        break;
      case 3:
        m.producerVersion = str(r, 'producer_version');
        break;
      case 4:
        m.domain = str(r, 'domain');
        break;
      case 5:
        m.modelVersion = i64(r, 'model_version');
        break;
      case 6:
        m.docString = str(r, 'doc_string');
        break;
      case 7:
        m.graph = decodeGraph(child(r, 'graph', undefined, 0), 1);
        break;
      case 8:
        m.opsetImport.push(decodeOpset(child(r, 'opset_import', m.opsetImport.length, 0)));
        break;
      case 14:
        m.metadataProps.push(decodeEntry(child(r, 'metadata_props', m.metadataProps.length, 0)));
        break;
      default:
        r.keepUnknown(unknown);
    }
  }
  return { m, unknown, seen };
}

/**
 * A truncated file fails at the outermost length prefix (e.g. "graph needs 400000 bytes"); decoding again
 * with overrunning messages clamped finds the innermost message where the data stops, which is the more
 * useful place to name. Falls back to the first error when that pass finds nothing deeper.
 */
function describeFailure(bytes: Uint8Array, first: ProtoError): string {
  // Truncation always surfaces at the top level; deeper first errors are corruption, reported as found.
  if (first.path !== 'ModelProto') return first.message;
  const r = new ProtoReader(bytes, 0, bytes.length, 'ModelProto');
  r.clampMessages = true;
  try {
    readModel(r);
  } catch (e) {
    if (e instanceof ProtoError && e.path !== first.path) return `${e.message} (enclosing: ${first.message})`;
  }
  return first.message;
}

/**
 * Decodes an ONNX model. Anything that is not one — empty, random, truncated, another format, or a valid
 * protobuf of some other message — throws EngineError('MODEL_INVALID', '<file>: not an ONNX model: …').
 * Tensor raw_data stays a view into `bytes` (keep `bytes` alive and unmodified).
 */
export function decodeModel(bytes: Uint8Array, file: string): ModelProto {
  const expected = 'an ONNX ModelProto (protobuf) with ir_version (field 1), opset_import (field 8) and graph (field 7)';
  const notModel = (what: string, cause?: unknown) =>
    new EngineError('MODEL_INVALID', `${file}: not an ONNX model: ${what}`, { file, expected, cause });
  if (bytes.length === 0) throw notModel('the file is empty (0 bytes)');
  const other = sniffOtherFormat(bytes);
  if (other) throw notModel(`it looks like ${other}`);

  let top: TopLevel;
  try {
    top = readModel(new ProtoReader(bytes, 0, bytes.length, 'ModelProto'));
  } catch (e) {
    if (!(e instanceof ProtoError)) throw e;
    throw notModel(`the protobuf is truncated or corrupt (${bytes.length} bytes): ${describeFailure(bytes, e)}`, e);
  }
  const { m, unknown, seen } = top;

  const missing: string[] = [];
  if (!(m.irVersion > 0)) missing.push('ir_version (field 1) is missing or 0');
  else if (m.irVersion > 1000) missing.push(`ir_version ${m.irVersion} is not a plausible IR version`);
  if (!m.graph) missing.push('there is no graph (field 7)');
  if (m.opsetImport.length === 0 && !(m.irVersion > 0 && m.irVersion < 3)) missing.push('there is no opset_import (field 8)');
  if (missing.length || !m.graph) {
    const found = [...seen].map(([f, n]) => `${f} ${MODEL_FIELDS[f] ?? '(not a ModelProto field)'}${n > 1 ? ` ×${n}` : ''}`);
    throw notModel(`${missing.join('; ')}; expected ${expected}, found top-level fields: ${found.join(', ') || 'none'}`);
  }
  return finishUnknown({ ...m, graph: m.graph }, unknown);
}

// =======================================================================================================
// Encoding

function writeUnknown(w: ProtoWriter, o: HasUnknown): void {
  for (const u of o.unknownFields ?? []) w.raw(u);
}

function writeString(w: ProtoWriter, field: number, s: string | undefined): void {
  if (s) w.stringField(field, s);
}

function writeEntries(w: ProtoWriter, field: number, entries: StringStringEntryProto[] | undefined): void {
  for (const e of entries ?? []) {
    w.messageField(field, () => {
      writeString(w, 1, e.key);
      writeString(w, 2, e.value);
      writeUnknown(w, e);
    });
  }
}

function writeTensor(w: ProtoWriter, t: TensorProto): void {
  w.packedVarints(1, t.dims);
  w.varintField(2, t.dataType);
  if (t.segment) {
    const seg = t.segment;
    w.messageField(3, () => {
      w.varintField(1, seg.begin);
      w.varintField(2, seg.end);
    });
  }
  if (t.floatData) w.packedFloats(4, t.floatData);
  if (t.int32Data) w.packedVarints(5, t.int32Data);
  for (const s of t.stringData ?? []) w.bytesField(6, s);
  if (t.int64Data) w.packedVarints(7, t.int64Data);
  writeString(w, 8, t.name);
  if (t.rawData) w.bytesField(9, t.rawData);
  if (t.doubleData) w.packedDoubles(10, t.doubleData);
  if (t.uint64Data) w.packedVarints(11, t.uint64Data);
  writeString(w, 12, t.docString);
  writeEntries(w, 13, t.externalData);
  if (t.dataLocation) w.varintField(14, t.dataLocation);
  writeEntries(w, 16, t.metadataProps);
  writeUnknown(w, t);
}

function writeType(w: ProtoWriter, tp: TypeProto): void {
  const tt = tp.tensorType;
  if (tt) {
    w.messageField(1, () => {
      w.varintField(1, tt.elemType);
      if (tt.shape) {
        const shape = tt.shape;
        w.messageField(2, () => {
          for (const dim of shape) {
            w.messageField(1, () => {
              if (dim.dimValue !== undefined) w.varintField(1, dim.dimValue);
              else if (dim.dimParam !== undefined) w.stringField(2, dim.dimParam);
              writeString(w, 3, dim.denotation);
              writeUnknown(w, dim);
            });
          }
        });
      }
      writeUnknown(w, tt);
    });
  }
  writeString(w, 6, tp.denotation);
  writeUnknown(w, tp);
}

function writeValueInfo(w: ProtoWriter, v: ValueInfoProto): void {
  writeString(w, 1, v.name);
  const type = v.type;
  if (type) w.messageField(2, () => writeType(w, type));
  writeString(w, 3, v.docString);
  writeEntries(w, 4, v.metadataProps);
  writeUnknown(w, v);
}

function writeAttribute(w: ProtoWriter, a: AttributeProto): void {
  writeString(w, 1, a.name);
  if (a.f !== undefined) w.floatField(2, a.f);
  if (a.i !== undefined) w.varintField(3, a.i);
  if (a.s !== undefined) w.bytesField(4, a.s);
  const { t, g } = a;
  if (t) w.messageField(5, () => writeTensor(w, t));
  if (g) w.messageField(6, () => writeGraph(w, g));
  if (a.floats) w.packedFloats(7, a.floats);
  if (a.ints) w.packedVarints(8, a.ints);
  for (const s of a.strings ?? []) w.bytesField(9, s);
  for (const x of a.tensors ?? []) w.messageField(10, () => writeTensor(w, x));
  for (const x of a.graphs ?? []) w.messageField(11, () => writeGraph(w, x));
  writeString(w, 13, a.docString);
  w.varintField(20, a.type);
  writeString(w, 21, a.refAttrName);
  writeUnknown(w, a);
}

function writeNode(w: ProtoWriter, n: NodeProto): void {
  // Empty names are meaningful here (an omitted optional input), so every entry is written.
  for (const s of n.input) w.stringField(1, s);
  for (const s of n.output) w.stringField(2, s);
  writeString(w, 3, n.name);
  writeString(w, 4, n.opType);
  for (const a of n.attribute) w.messageField(5, () => writeAttribute(w, a));
  writeString(w, 6, n.docString);
  writeString(w, 7, n.domain);
  writeString(w, 8, n.overload);
  writeEntries(w, 9, n.metadataProps);
  writeUnknown(w, n);
}

function writeGraph(w: ProtoWriter, g: GraphProto): void {
  for (const n of g.node) w.messageField(1, () => writeNode(w, n));
  writeString(w, 2, g.name);
  for (const t of g.initializer) w.messageField(5, () => writeTensor(w, t));
  writeString(w, 10, g.docString);
  for (const v of g.input) w.messageField(11, () => writeValueInfo(w, v));
  for (const v of g.output) w.messageField(12, () => writeValueInfo(w, v));
  for (const v of g.valueInfo) w.messageField(13, () => writeValueInfo(w, v));
  writeEntries(w, 16, g.metadataProps);
  writeUnknown(w, g);
}

/** Serialises a model (fields in field-number order, preserved unknown fields last in their message). */
export function encodeModel(m: ModelProto): Uint8Array {
  const w = new ProtoWriter();
  w.varintField(1, m.irVersion);
  writeString(w, 2, m.producerName);
  writeString(w, 3, m.producerVersion);
  writeString(w, 4, m.domain);
  if (m.modelVersion) w.varintField(5, m.modelVersion);
  writeString(w, 6, m.docString);
  w.messageField(7, () => writeGraph(w, m.graph));
  for (const o of m.opsetImport) {
    w.messageField(8, () => {
      writeString(w, 1, o.domain);
      w.varintField(2, o.version);
      writeUnknown(w, o);
    });
  }
  writeEntries(w, 14, m.metadataProps);
  writeUnknown(w, m);
  return w.finish();
}
