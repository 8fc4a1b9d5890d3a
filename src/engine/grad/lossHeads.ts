/**
 * Loss heads on the logits, each emitting its per-sample loss and its closed-form ∂loss/∂logits (the
 * backward pass starts from the latter, so heads need no gradient modules of their own).
 */
import { makeValueInfo } from '../onnx/build';
import type { ValueInfoProto } from '../onnx/onnxProto';
import type { Emitter } from './emitter';

export type LossHead =
  /** Cross-entropy against `label`: untargeted attacks ascend it; targeted ones descend it with the target as label. */
  | { kind: 'cross-entropy' }
  /**
   * Carlini–Wagner margin, clamped at −κ (κ is an input). Targeted (t = target): max(max_{j≠t} z_j − z_t, −κ).
   * Untargeted (t = true label): max(z_t − max_{j≠t} z_j, −κ). Attacks minimise it.
   */
  | { kind: 'cw-margin'; targeted: boolean }
  /** Vector–Jacobian product: loss = Σ_k c_k z_k for a cotangent c on the logits (DeepFool, custom losses). */
  | { kind: 'vjp' };

export const HEAD_INPUTS = { label: 'rl.label', kappa: 'rl.kappa', cotangent: 'rl.cotangent' } as const;

export interface EmittedHead {
  inputs: ValueInfoProto[];
  loss: string;
  dLogits: string;
}

export function emitHead(head: LossHead, e: Emitter, logits: string, numClasses: number): EmittedHead {
  const oneHot = (indices: string) => e.op('OneHot', [indices, e.int64([numClasses], []), e.float([0, 1])], { axis: -1 });
  const rowSum = (x: string) => e.reduceSum(x, [1], false);
  switch (head.kind) {
    case 'cross-entropy': {
      const label = HEAD_INPUTS.label;
      const target = oneHot(label);
      const logProbs = e.op('LogSoftmax', [logits], { axis: -1 });
      const loss = e.op('Neg', [rowSum(e.op('Mul', [target, logProbs]))]);
      // softmax − onehot, with the label's entry computed as −Σ_{j≠y} p_j: p_y − 1 would cancel
      // catastrophically in float32 when the model is confident.
      const others = e.op('Mul', [e.op('Softmax', [logits], { axis: -1 }), e.op('Sub', [e.scalar(1), target])]);
      const dLogits = e.op('Sub', [others, e.op('Mul', [target, e.reduceSum(others, [1], true)])]);
      return { inputs: [makeValueInfo(label, 'int64', ['N'])], loss, dLogits };
    }
    case 'cw-margin': {
      const { label, kappa } = HEAD_INPUTS;
      const t = oneHot(label);
      const zt = rowSum(e.op('Mul', [logits, t]));
      // Exclude class t from the max by pushing it far down (finite, so no inf − inf later).
      const others = e.op('Sub', [logits, e.op('Mul', [t, e.scalar(1e30)])]);
      const best = e.reduce('ReduceMax', others, [1], false);
      const bestIndex = e.op('ArgMax', [others], { axis: 1, keepdims: 0 });
      const j = oneHot(bestIndex);
      const margin = head.targeted ? e.op('Sub', [best, zt]) : e.op('Sub', [zt, best]);
      const floor = e.op('Neg', [kappa]);
      const loss = e.op('Max', [margin, floor]);
      const active = e.op('Cast', [e.op('Greater', [margin, floor])], { to: 1 });
      const direction = head.targeted ? e.op('Sub', [j, t]) : e.op('Sub', [t, j]);
      const dLogits = e.op('Mul', [direction, e.unsqueeze(active, [1])]);
      return { inputs: [makeValueInfo(label, 'int64', ['N']), makeValueInfo(kappa, 'float32', [])], loss, dLogits };
    }
    case 'vjp': {
      const c = HEAD_INPUTS.cotangent;
      const loss = rowSum(e.op('Mul', [logits, c]));
      return { inputs: [makeValueInfo(c, 'float32', ['N', numClasses])], loss, dLogits: c };
    }
  }
}
