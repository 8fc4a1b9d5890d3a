/**
 * A plain-data description of a loaded model: signatures, op histogram, parameter counts, which inputs look
 * like images (and in which layout), and whether the first output is logits or (log-)probabilities.
 */
import type { LoadedModel } from './loadModel';
import {
  type GraphProto,
  type NodeProto,
  type TensorProto,
  type ValueInfoProto,
  dataTypeName,
  dataTypeSize,
  tensorElementCount,
} from './onnxProto';

export type Dim = number | string | null; // fixed, symbolic (dim_param), unknown
export interface TensorSig {
  name: string;
  elemType: string;
  shape: Dim[] | null;
}
export interface ImageInputCandidate {
  name: string;
  layout: 'NCHW' | 'NHWC' | 'NHW' | 'flat';
  channels: number;
  /** 0 when symbolic: the caller must be told the size. */
  height: number;
  width: number;
  batch: number | 'dynamic';
  elemType: string;
  /** Why this layout was chosen, in words. */
  reason: string;
}
export type OutputKind = 'logits' | 'probabilities' | 'log-probabilities' | 'unknown';
export interface ModelInfo {
  file: string;
  sizeBytes: number;
  sha256: string;
  irVersion: number;
  producer: string;
  /** Opset imports as in the file (the default ONNX domain is usually ''). */
  opsets: { domain: string; version: number }[];
  /** Graph inputs that are not initializers. */
  inputs: TensorSig[];
  outputs: TensorSig[];
  /** op_type ('domain:op' outside the default domain) → count over the graph and its subgraphs, count desc. */
  opHistogram: Record<string, number>;
  nodeCount: number;
  /**
   * Elements of all (top-level) initializers except BatchNormalization running mean/variance, which are
   * statistics rather than learned weights — so it equals PyTorch's sum(p.numel() for p in parameters())
   * for an unfolded export. (When the exporter folded BatchNorm into Conv biases it cannot be recovered.)
   */
  parameterCount: number;
  /** Bytes of all initializer data (statistics included): the weight storage size. */
  parameterBytes: number;
  metadata: Record<string, string>;
  externalDataFiles: string[];
  /** 'domain:op' of ops outside the standard ONNX domains. */
  customDomainOps: string[];
  /** Every input that looks like an image (0, 1 or several). */
  imageInputs: ImageInputCandidate[];
  output: { name: string; numClasses: number | null; kind: OutputKind; reason: string };
  warnings: string[];
}

const DEFAULT_DOMAINS = new Set(['', 'ai.onnx']);
const STANDARD_DOMAINS = new Set(['', 'ai.onnx', 'ai.onnx.ml']);
const IMAGE_ELEM_TYPES = new Set(['float32', 'float16', 'uint8']);
/** Ops that only move/reshape values, so the op before them decides what the output means. */
const SHAPE_ONLY_OPS = new Set(['Identity', 'Reshape', 'Flatten', 'Squeeze', 'Unsqueeze']);
/** Flattened inputs smaller than this side are more likely feature vectors than images. */
const MIN_FLAT_SIDE = 8;

export function tensorSig(v: ValueInfoProto): TensorSig {
  const tt = v.type?.tensorType;
  if (!tt) return { name: v.name, elemType: v.type?.otherKind ?? 'unknown', shape: null };
  const shape = tt.shape?.map((d): Dim => (d.dimValue !== undefined ? d.dimValue : d.dimParam !== undefined ? d.dimParam : null)) ?? null;
  return { name: v.name, elemType: dataTypeName(tt.elemType), shape };
}

const showShape = (s: Dim[]) => `[${s.map((d) => (d === null ? '?' : String(d))).join(',')}]`;
const isCh = (d: Dim) => d === 1 || d === 3;
const fixed = (d: Dim) => (typeof d === 'number' && d > 0 ? d : 0);

/** Decides whether one input looks like an image; `note` says why not (or what is missing). */
export function detectImageInput(sig: TensorSig): { candidate?: ImageInputCandidate; note?: string } {
  const { name, elemType, shape } = sig;
  if (!IMAGE_ELEM_TYPES.has(elemType)) return { note: `input '${name}' is ${elemType}, not float32/float16/uint8` };
  if (!shape) return { note: `input '${name}' has no shape information` };
  const s = showShape(shape);
  const batch: number | 'dynamic' = typeof shape[0] === 'number' && shape[0] > 0 ? shape[0] : 'dynamic';
  const base = { name, elemType, batch };

  if (shape.length === 4) {
    const [, c1, , c4] = shape;
    if (isCh(c1) && isCh(c4)) {
      return {
        candidate: {
          ...base,
          layout: 'NCHW',
          channels: c1,
          height: fixed(shape[2]),
          width: fixed(c4),
          reason: `shape ${s} is ambiguous: dim 1 and the last dim are both 1 or 3; assumed NCHW (the PyTorch/ONNX convention) — override the layout if the model is channels-last`,
        },
      };
    }
    if (isCh(c1)) {
      return {
        candidate: {
          ...base,
          layout: 'NCHW',
          channels: c1,
          height: fixed(shape[2]),
          width: fixed(c4),
          reason: `shape ${s}: dim 1 is ${c1} channel${c1 === 1 ? '' : 's'} and the last dim (${c4 ?? '?'}) is not 1 or 3, so channels-first (NCHW)`,
        },
      };
    }
    if (isCh(c4)) {
      return {
        candidate: {
          ...base,
          layout: 'NHWC',
          channels: c4,
          height: fixed(c1),
          width: fixed(shape[2]),
          reason: `shape ${s}: the last dim is ${c4} channel${c4 === 1 ? '' : 's'} and dim 1 (${c1 ?? '?'}) is not 1 or 3, so channels-last (NHWC)`,
        },
      };
    }
    return { note: `input '${name}' ${s} is rank 4 but neither dim 1 nor the last dim is 1 or 3 channels` };
  }
  if (shape.length === 3) {
    return {
      candidate: {
        ...base,
        layout: 'NHW',
        channels: 1,
        height: fixed(shape[1]),
        width: fixed(shape[2]),
        reason: `rank-3 shape ${s}: read as a batch of single-channel H×W images (NHW)`,
      },
    };
  }
  if (shape.length === 2) {
    const d = shape[1];
    if (typeof d !== 'number' || d <= 0) return { note: `input '${name}' ${s} is rank 2 with an unknown feature size` };
    const side = Math.round(Math.sqrt(d));
    if (side * side === d && side >= MIN_FLAT_SIDE) {
      return {
        candidate: {
          ...base,
          layout: 'flat',
          channels: 1,
          height: side,
          width: side,
          reason: `rank-2 shape ${s}: ${d} = ${side}×${side}, read as a flattened ${side}×${side} grayscale image`,
        },
      };
    }
    const side3 = Math.round(Math.sqrt(d / 3));
    if (d % 3 === 0 && side3 * side3 * 3 === d && side3 >= MIN_FLAT_SIDE) {
      return {
        candidate: {
          ...base,
          layout: 'flat',
          channels: 3,
          height: side3,
          width: side3,
          reason: `rank-2 shape ${s}: ${d} = 3×${side3}×${side3}, read as a flattened ${side3}×${side3} 3-channel image in CHW order (assumed; a model flattened in HWC order needs the layout overridden)`,
        },
      };
    }
    return { note: `input '${name}' ${s}: ${d} is neither a square nor 3× a square (at least ${MIN_FLAT_SIDE}×${MIN_FLAT_SIDE})` };
  }
  return { note: `input '${name}' ${s} has rank ${shape.length}; images need rank 2, 3 or 4` };
}

/** Walks back from `name` through shape-only ops to the op that computed the values. */
function classifyOutput(g: GraphProto, name: string): { kind: OutputKind; reason: string } {
  const producer = new Map<string, NodeProto>();
  for (const n of g.node) for (const o of n.output) producer.set(o, n);
  const path: string[] = [];
  let cur = name;
  for (let steps = 0; steps <= g.node.length; steps++) {
    const n = producer.get(cur);
    if (!n) {
      return {
        kind: 'unknown',
        reason: `'${cur}' is not computed by a node (graph input or initializer); logits vs probabilities will be probed at run time`,
      };
    }
    const op = DEFAULT_DOMAINS.has(n.domain) ? n.opType : `${n.domain}:${n.opType}`;
    const via = path.length ? ` (through ${path.join(' ← ')})` : '';
    if (op === 'Softmax') return { kind: 'probabilities', reason: `output '${name}' is produced by Softmax${via}` };
    if (op === 'LogSoftmax') return { kind: 'log-probabilities', reason: `output '${name}' is produced by LogSoftmax${via}` };
    if (!SHAPE_ONLY_OPS.has(op) || n.input.length === 0) {
      return {
        kind: 'unknown',
        reason: `output '${name}' is produced by ${op}${via}, not Softmax/LogSoftmax; logits vs probabilities will be probed at run time`,
      };
    }
    path.push(op);
    cur = n.input[0];
  }
  return { kind: 'unknown', reason: `output '${name}': the graph has a cycle of shape-only ops` };
}

function countOps(g: GraphProto, hist: Map<string, number>): void {
  for (const n of g.node) {
    const key = DEFAULT_DOMAINS.has(n.domain) ? n.opType : `${n.domain}:${n.opType}`;
    hist.set(key, (hist.get(key) ?? 0) + 1);
    for (const a of n.attribute) {
      if (a.g) countOps(a.g, hist);
      for (const sg of a.graphs ?? []) countOps(sg, hist);
    }
  }
}

function tensorBytes(t: TensorProto): number {
  if (t.externalSource) return t.externalSource.length;
  if (t.rawData) return t.rawData.length;
  if (t.stringData) return t.stringData.reduce((s, b) => s + b.length, 0);
  return Math.ceil(tensorElementCount(t) * (dataTypeSize(t.dataType) ?? 0));
}

export function describeModel(m: LoadedModel): ModelInfo {
  const p = m.proto,
    g = p.graph;
  const warnings: string[] = m.rewritten ? [m.rewritten.note] : [];
  const initNames = new Set(g.initializer.map((t) => t.name));
  const inputs = g.input.filter((v) => !initNames.has(v.name)).map(tensorSig);
  const outputs = g.output.map(tensorSig);

  const hist = new Map<string, number>();
  countOps(g, hist);
  const sorted = [...hist].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const customDomainOps = sorted.map(([k]) => k).filter((k) => k.includes(':') && !STANDARD_DOMAINS.has(k.slice(0, k.lastIndexOf(':'))));

  const imageInputs: ImageInputCandidate[] = [];
  const notes: string[] = [];
  for (const sig of inputs) {
    const { candidate, note } = detectImageInput(sig);
    if (candidate) {
      imageInputs.push(candidate);
      if (!candidate.height || !candidate.width) {
        warnings.push(
          `input '${sig.name}' ${showShape(sig.shape ?? [])} has symbolic or unknown height/width: the image size must be given explicitly`,
        );
      }
    } else if (note) notes.push(note);
  }
  if (imageInputs.length === 0)
    warnings.push(`no input looks like an image${notes.length ? `: ${notes.join('; ')}` : ' (the graph has no inputs)'}`);
  if (imageInputs.length > 1)
    warnings.push(
      `${imageInputs.length} inputs look like images (${imageInputs.map((c) => c.name).join(', ')}): the input to attack must be chosen explicitly`,
    );

  let output: ModelInfo['output'] = { name: '', numClasses: null, kind: 'unknown', reason: 'the graph has no outputs' };
  if (outputs.length === 0) warnings.push('the graph has no outputs');
  else {
    const o = outputs[0];
    const last = o.shape?.length ? o.shape[o.shape.length - 1] : null;
    const numClasses = typeof last === 'number' && last > 0 ? last : null;
    output = { name: o.name, numClasses, ...classifyOutput(g, o.name) };
    if (outputs.length > 1) warnings.push(`the graph has ${outputs.length} outputs; the first ('${o.name}') is taken as the class scores`);
    if (numClasses === null)
      warnings.push(
        `output '${o.name}' ${o.shape ? showShape(o.shape) : '(no shape)'} has no fixed last dimension: the number of classes is only known after a first run`,
      );
  }
  if (customDomainOps.length)
    warnings.push(`ops outside the standard ONNX domains: ${customDomainOps.join(', ')} (the runtime may not support them)`);
  if (!p.opsetImport.some((o) => DEFAULT_DOMAINS.has(o.domain))) warnings.push('no opset is imported for the default ONNX domain');

  // BatchNormalization inputs: X, scale, B, input_mean, input_var.
  const bnStats = new Set(
    g.node.filter((n) => n.opType === 'BatchNormalization' && DEFAULT_DOMAINS.has(n.domain)).flatMap((n) => n.input.slice(3, 5)),
  );

  return {
    file: m.path,
    sizeBytes: m.sizeBytes,
    sha256: m.sha256,
    irVersion: p.irVersion,
    producer: [p.producerName, p.producerVersion].filter(Boolean).join(' '),
    opsets: p.opsetImport.map((o) => ({ domain: o.domain, version: o.version })),
    inputs,
    outputs,
    opHistogram: Object.fromEntries(sorted),
    nodeCount: sorted.reduce((s, [, n]) => s + n, 0),
    parameterCount: g.initializer.reduce((s, t) => s + (bnStats.has(t.name) ? 0 : tensorElementCount(t)), 0),
    parameterBytes: g.initializer.reduce((s, t) => s + tensorBytes(t), 0),
    metadata: Object.fromEntries(p.metadataProps.map((e) => [e.key, e.value])),
    externalDataFiles: [...m.externalDataFiles],
    customDomainOps,
    imageInputs,
    output,
    warnings,
  };
}

/** Something that will not work with this model, found before any run (info, the model view), with what to do. */
export interface ModelDiagnostic {
  code: 'NO_GRADIENT' | 'ZERO_GRADIENT' | 'TRAINING_DROPOUT' | 'INPUT_TYPE' | 'OUTPUT_TYPE' | 'PROBABILITY_OUTPUT' | 'CLASS_COUNT';
  /** The node (and its op) it is about, where there is one. */
  node?: string;
  op?: string;
  message: string;
  hint: string;
}

/** The engine feeds float32 pixels and reads float32 scores: any other element type is refused by every command. */
export function elementTypeDiagnostics(info: ModelInfo): ModelDiagnostic[] {
  const out: ModelDiagnostic[] = [];
  for (const c of info.imageInputs) {
    if (c.elemType === 'float32') continue;
    out.push({
      code: 'INPUT_TYPE',
      message: `input '${c.name}' is ${c.elemType}: Robustness Lens feeds float32 pixels, so eval, attacks and gradcheck will refuse this model`,
      hint: `export the model with a float32 input (e.g. cast inside the graph: Cast(to=${c.elemType}) after a float32 input)`,
    });
  }
  const o = info.outputs[0];
  if (o && o.elemType !== 'float32') {
    out.push({
      code: 'OUTPUT_TYPE',
      message: `output '${o.name}' is ${o.elemType}: Robustness Lens reads float32 class scores, so every run will refuse this model`,
      hint: 'export the scores as float32 (a final Cast(to=float) is enough)',
    });
  }
  return out;
}

/**
 * The classes of an image folder against the model's outputs: more classes than outputs is refused when a
 * run opens the folder; fewer is allowed (a subset), and says which outputs the folders were mapped to.
 */
export function classCountDiagnostic(
  info: ModelInfo,
  root: string,
  classNames: string[],
  fromFolders: boolean,
): ModelDiagnostic | undefined {
  const outputs = info.output.numClasses;
  if (outputs === null || classNames.length === outputs) return undefined;
  const what = fromFolders ? 'class folders' : 'classes';
  if (classNames.length > outputs) {
    return {
      code: 'CLASS_COUNT',
      message: `${root}: ${classNames.length} ${what} but the model has ${outputs} outputs: every run with this folder will be refused`,
      hint: 'check that the image folder belongs to this model, or configure the class names in model-output order',
    };
  }
  return {
    code: 'CLASS_COUNT',
    message: `${root}: ${classNames.length} ${what} for a model with ${outputs} outputs: ${classMapping(classNames)}`,
    hint: 'if these are not the model\'s first classes, give the class names in model-output order (--class-names, or "classNames" in robustness.json)',
  };
}

/** "mapped by position to outputs 0…k−1 (a → 0, b → 1, …)", with a remark when the names look like other indices. */
export function classMapping(classNames: string[]): string {
  const shown =
    classNames
      .slice(0, 4)
      .map((n, i) => `${n} → ${i}`)
      .join(', ') + (classNames.length > 4 ? ', …' : '');
  const numbered = classNames.map((n) => /^(?:class[_-]?)?(\d+)$/i.exec(n)?.[1]).map((d) => (d === undefined ? undefined : Number(d)));
  const misleading = numbered.every((d) => d !== undefined) && numbered.some((d, i) => d !== i);
  return `they are mapped by sorted name to outputs 0…${classNames.length - 1} (${shown})${misleading ? '; the names look like class indices but are not read as such' : ''}`;
}
