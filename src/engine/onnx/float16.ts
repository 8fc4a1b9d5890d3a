/**
 * Float16 models run in float32: the engine feeds float32 pixels, reads float32 scores and builds its
 * gradient graph in float32, and onnxruntime's CPU provider lacks float16 kernels for most ops. So a graph
 * whose pixels, scores or weights are float16 is rewritten once at load: float16 initializers and Constant
 * tensors become float32 (exactly: every float16 value is a float32 value), Cast(to=float16) becomes
 * Cast(to=float), and float16 inputs, outputs and value_info become float32. The model then computes what
 * its float16 weights define, without float16's rounding of activations — a note says so.
 * Not rewritten (refused by the callers' later checks as before): float16 inside subgraphs (If/Loop).
 */
import { makeTensor } from './build';
import type { AttributeProto, ModelProto, TensorProto, ValueInfoProto } from './onnxProto';
import { TensorDataType, tensorToFloat32 } from './tensorData';

const F16 = TensorDataType.FLOAT16;

/** Rewrites `proto` in place when it holds float16 tensors; returns the note to show, or null when it has none. */
export function runFloat16InFloat32(proto: ModelProto, file: string): string | null {
  const g = proto.graph;
  let changed = 0;
  const tensor = (t: TensorProto): TensorProto => {
    if (t.dataType !== F16) return t;
    changed++;
    const converted = makeTensor(t.name, t.dims, tensorToFloat32(t, file));
    converted.docString = t.docString;
    return converted;
  };
  const valueInfo = (v: ValueInfoProto) => {
    if (v.type?.tensorType?.elemType === F16) {
      v.type.tensorType.elemType = TensorDataType.FLOAT;
      changed++;
    }
  };
  g.initializer = g.initializer.map(tensor);
  for (const v of [...g.input, ...g.output, ...g.valueInfo]) valueInfo(v);
  for (const node of g.node) {
    for (const a of node.attribute) attribute(a, tensor, () => changed++);
  }
  if (changed === 0) return null;
  return `${file}: float16 model run in float32 (its float16 weights exactly; activations are not rounded to float16, so scores and gradients can differ from a float16 runtime's in the last float16 digits)`;
}

function attribute(a: AttributeProto, tensor: (t: TensorProto) => TensorProto, count: () => void): void {
  if (a.t) a.t = tensor(a.t);
  if (a.tensors) a.tensors = a.tensors.map(tensor);
  // Cast(to=float16) and friends (EyeLike, RandomNormal… dtype) produce float32 instead.
  if ((a.name === 'to' || a.name === 'dtype') && a.i !== undefined && Number(a.i) === F16) {
    a.i = typeof a.i === 'bigint' ? BigInt(TensorDataType.FLOAT) : TensorDataType.FLOAT;
    count();
  }
}
