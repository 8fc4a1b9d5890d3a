/**
 * Constructing ONNX models in code (tests, and graph rewriting such as gradient graphs): plain JS values in,
 * ModelProto out; encode with encodeModel() from ./onnxProto.
 */
import { leBytes } from './protobuf';
import {
  AttributeType,
  type AttributeProto,
  type GraphProto,
  type Int64,
  type ModelProto,
  type NodeProto,
  type OperatorSetIdProto,
  type TensorProto,
  type TensorShapeDim,
  type ValueInfoProto,
  TensorDataType,
  dataTypeFromName,
  dataTypeName,
} from './onnxProto';

export type TensorValues =
  | Float32Array
  | Float64Array
  | Int32Array
  | Int16Array
  | Int8Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

function defaultType(data: TensorValues): TensorDataType {
  if (data instanceof Float32Array) return TensorDataType.FLOAT;
  if (data instanceof Float64Array) return TensorDataType.DOUBLE;
  if (data instanceof Int32Array) return TensorDataType.INT32;
  if (data instanceof Int16Array) return TensorDataType.INT16;
  if (data instanceof Int8Array) return TensorDataType.INT8;
  if (data instanceof Uint8Array) return TensorDataType.UINT8;
  if (data instanceof Uint16Array) return TensorDataType.UINT16;
  if (data instanceof Uint32Array) return TensorDataType.UINT32;
  if (data instanceof BigInt64Array) return TensorDataType.INT64;
  return TensorDataType.UINT64;
}

/**
 * A tensor with raw_data (little-endian, copied so later changes to `data` do not leak into the model).
 * The element type follows the array type; pass `dataType` for same-width reinterpretations such as
 * Uint16Array → FLOAT16/BFLOAT16 or Uint8Array → BOOL. A plain number[] becomes float32.
 */
export function makeTensor(name: string, dims: number[], data: TensorValues | number[], dataType?: TensorDataType): TensorProto {
  const values = Array.isArray(data) ? Float32Array.from(data) : data;
  const dt = dataType ?? defaultType(values);
  const n = dims.reduce((a, b) => a * b, 1);
  if (values.length !== n) throw new Error(`makeTensor ${name}: ${values.length} values for dims [${dims.join(',')}] (${n} elements)`);
  if (dataType !== undefined && values.BYTES_PER_ELEMENT !== sizeOf(dt)) {
    throw new Error(`makeTensor ${name}: ${values.constructor.name} cannot hold ${dataTypeName(dt)}`);
  }
  return {
    name,
    dims: [...dims],
    dataType: dt,
    rawData: leBytes(values).slice(),
    docString: '',
    externalData: [],
    dataLocation: 0,
    metadataProps: [],
  };
}

function sizeOf(dt: TensorDataType): number {
  return { 1: 4, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8, 12: 4, 13: 8, 16: 2 }[dt as number] ?? 0;
}

// ---- attributes -------------------------------------------------------------------------------------

/** An attribute value with an explicit type (needed where JS cannot tell, e.g. float 1.0 vs int 1). */
export interface TypedAttr {
  attrType: AttributeType;
  value: unknown;
}
export const attr = {
  float: (v: number): TypedAttr => ({ attrType: AttributeType.FLOAT, value: v }),
  int: (v: Int64): TypedAttr => ({ attrType: AttributeType.INT, value: v }),
  floats: (v: number[]): TypedAttr => ({ attrType: AttributeType.FLOATS, value: v }),
  ints: (v: Int64[]): TypedAttr => ({ attrType: AttributeType.INTS, value: v }),
  strings: (v: string[]): TypedAttr => ({ attrType: AttributeType.STRINGS, value: v }),
  graph: (g: GraphProto): TypedAttr => ({ attrType: AttributeType.GRAPH, value: g }),
};

/**
 * Plain values: an integer number or bigint → INT, a non-integer number → FLOAT (use attr.float(1) for a
 * whole-number float), string/Uint8Array → STRING, number[] → INTS if all integers else FLOATS, string[] →
 * STRINGS, TensorProto → TENSOR, GraphProto → GRAPH, arrays of those → TENSORS/GRAPHS.
 */
export type AttrValue =
  | number
  | bigint
  | string
  | Uint8Array
  | TensorProto
  | GraphProto
  | number[]
  | bigint[]
  | string[]
  | TensorProto[]
  | GraphProto[]
  | TypedAttr;

const enc = new TextEncoder();
const isTyped = (v: unknown): v is TypedAttr => typeof v === 'object' && v !== null && 'attrType' in v;
const isTensor = (v: unknown): v is TensorProto => typeof v === 'object' && v !== null && 'dataType' in v && 'dims' in v;
const isGraph = (v: unknown): v is GraphProto => typeof v === 'object' && v !== null && 'node' in v && 'initializer' in v;

export function makeAttribute(name: string, value: AttrValue): AttributeProto {
  const a: AttributeProto = { name, type: AttributeType.UNDEFINED, refAttrName: '', docString: '' };
  const fail = (why: string) => new Error(`attribute ${name}: ${why}`);
  if (isTyped(value)) {
    const v = value.value;
    a.type = value.attrType;
    switch (value.attrType) {
      case AttributeType.FLOAT:
        a.f = v as number;
        break;
      case AttributeType.INT:
        a.i = v as Int64;
        break;
      case AttributeType.FLOATS:
        a.floats = [...(v as number[])];
        break;
      case AttributeType.INTS:
        a.ints = [...(v as Int64[])];
        break;
      case AttributeType.STRINGS:
        a.strings = (v as string[]).map((s) => enc.encode(s));
        break;
      case AttributeType.GRAPH:
        a.g = v as GraphProto;
        break;
      default:
        throw fail(`unsupported typed attribute ${value.attrType}`);
    }
  } else if (typeof value === 'bigint' || (typeof value === 'number' && Number.isInteger(value))) {
    a.type = AttributeType.INT;
    a.i = value;
  } else if (typeof value === 'number') {
    a.type = AttributeType.FLOAT;
    a.f = value;
  } else if (typeof value === 'string') {
    a.type = AttributeType.STRING;
    a.s = enc.encode(value);
  } else if (value instanceof Uint8Array) {
    a.type = AttributeType.STRING;
    a.s = value;
  } else if (Array.isArray(value)) {
    const xs = value as unknown[];
    if (xs.length === 0) throw fail('empty list: use attr.ints([]) / attr.floats([]) to give its type');
    if (xs.every((x) => typeof x === 'bigint' || (typeof x === 'number' && Number.isInteger(x)))) {
      a.type = AttributeType.INTS;
      a.ints = xs as Int64[];
    } else if (xs.every((x) => typeof x === 'number')) {
      a.type = AttributeType.FLOATS;
      a.floats = xs;
    } else if (xs.every((x) => typeof x === 'string')) {
      a.type = AttributeType.STRINGS;
      a.strings = xs.map((s) => enc.encode(s));
    } else if (xs.every(isTensor)) {
      a.type = AttributeType.TENSORS;
      a.tensors = xs;
    } else if (xs.every(isGraph)) {
      a.type = AttributeType.GRAPHS;
      a.graphs = xs;
    } else throw fail('mixed list');
  } else if (isTensor(value)) {
    a.type = AttributeType.TENSOR;
    a.t = value;
  } else if (isGraph(value)) {
    a.type = AttributeType.GRAPH;
    a.g = value;
  } else throw fail(`unsupported value ${String(value)}`);
  return a;
}

export function makeNode(
  opType: string,
  inputs: string[],
  outputs: string[],
  attrs: Record<string, AttrValue> = {},
  name = '',
  domain = '',
): NodeProto {
  return {
    input: [...inputs],
    output: [...outputs],
    name,
    opType,
    domain,
    overload: '',
    docString: '',
    metadataProps: [],
    attribute: Object.entries(attrs).map(([k, v]) => makeAttribute(k, v)),
  };
}

// ---- value infos, graphs, models --------------------------------------------------------------------

/** Shape entries: number = fixed, string = symbolic (dim_param), null = unknown; shape null = unknown rank. */
export function makeValueInfo(name: string, elemType: TensorDataType | string, shape: (number | string | null)[] | null): ValueInfoProto {
  const et = typeof elemType === 'string' ? dataTypeFromName(elemType) : elemType;
  if (et === undefined) throw new Error(`makeValueInfo ${name}: unknown element type '${elemType}'`);
  const dims = shape?.map((d): TensorShapeDim => (typeof d === 'number' ? { dimValue: d } : typeof d === 'string' ? { dimParam: d } : {}));
  return { name, docString: '', metadataProps: [], type: { denotation: '', tensorType: { elemType: et, shape: dims } } };
}

export interface GraphSpec {
  name?: string;
  nodes: NodeProto[];
  inputs: ValueInfoProto[];
  outputs: ValueInfoProto[];
  initializers?: TensorProto[];
  valueInfo?: ValueInfoProto[];
}

export function makeGraph(spec: GraphSpec): GraphProto {
  return {
    name: spec.name ?? 'graph',
    node: spec.nodes,
    input: spec.inputs,
    output: spec.outputs,
    initializer: spec.initializers ?? [],
    valueInfo: spec.valueInfo ?? [],
    docString: '',
    metadataProps: [],
  };
}

export interface ModelSpec {
  graph: GraphProto | GraphSpec;
  /** Default: the ONNX domain at opset 13. */
  opsetImports?: OperatorSetIdProto[] | { domain: string; version: number }[];
  /** Default 8 (accepted by every onnxruntime since 1.10). */
  irVersion?: number;
  producerName?: string;
  producerVersion?: string;
  metadata?: Record<string, string>;
}

export function makeModel(spec: ModelSpec): ModelProto {
  const graph = 'node' in spec.graph ? spec.graph : makeGraph(spec.graph);
  return {
    irVersion: spec.irVersion ?? 8,
    opsetImport: (spec.opsetImports ?? [{ domain: '', version: 13 }]).map((o) => ({ domain: o.domain, version: o.version })),
    producerName: spec.producerName ?? 'robustness-lens',
    producerVersion: spec.producerVersion ?? '',
    domain: '',
    modelVersion: 0,
    docString: '',
    graph,
    metadataProps: Object.entries(spec.metadata ?? {}).map(([key, value]) => ({ key, value })),
  };
}
