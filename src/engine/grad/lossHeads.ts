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
  /**
   * Croce & Hein's (2020) difference-of-logits ratio, with π the logits sorted in decreasing order and y the true
   * label. Untargeted: −(z_y − max_{j≠y} z_j) / (z_π1 − z_π3). Targeted at t: −(z_y − z_t) / (z_π1 − (z_π3 + z_π4)/2).
   * Attacks ascend it; it is invariant to shifting and scaling the logits. Needs ≥ 3 (untargeted) or 4 classes.
   */
  | { kind: 'dlr'; targeted: boolean }
  /** Vector–Jacobian product: loss = Σ_k c_k z_k for a cotangent c on the logits (DeepFool, custom losses). */
  | { kind: 'vjp' };

export const HEAD_INPUTS = { label: 'rl.label', target: 'rl.target', kappa: 'rl.kappa', cotangent: 'rl.cotangent' } as const;

/** The denominator's guard, as in the authors' code (a tie of the top logits would divide by zero). */
export const DLR_EPSILON = 1e-12;

/** Classes the DLR loss needs: π1, π3 (untargeted) and π4 (targeted) must exist. */
export function dlrMinClasses(targeted: boolean): number {
  return targeted ? 4 : 3;
}

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
    case 'dlr': {
      const { label, target } = HEAD_INPUTS;
      const k = dlrMinClasses(head.targeted);
      // TopK gives π1…πk (values and indices); every term of the loss is a one-hot read of the logits.
      const [top, index] = e.node('TopK', [logits, e.int64([k])], { axis: 1, largest: 1, sorted: 1 }, 2);
      const column = (t: string, j: number) => e.squeeze(e.op('Slice', [t, e.int64([j]), e.int64([j + 1]), e.int64([1])]), [1]);
      const y = oneHot(label);
      const zy = rowSum(e.op('Mul', [logits, y]));
      // The other class of the numerator: t when targeted; else the best class other than y (π2 if π1 = y, else π1).
      let other: string, otherValue: string;
      if (head.targeted) {
        other = oneHot(target);
        otherValue = rowSum(e.op('Mul', [logits, other]));
      } else {
        const firstIsY = e.op('Cast', [e.op('Equal', [column(index, 0), label])], { to: 1 });
        const notFirst = e.op('Sub', [e.scalar(1), firstIsY]);
        otherValue = e.op('Add', [e.op('Mul', [column(top, 1), firstIsY]), e.op('Mul', [column(top, 0), notFirst])]);
        other = e.op('Add', [
          e.op('Mul', [oneHot(column(index, 1)), e.unsqueeze(firstIsY, [1])]),
          e.op('Mul', [oneHot(column(index, 0)), e.unsqueeze(notFirst, [1])]),
        ]);
      }
      // D = z_π1 − z_π3 (untargeted) or z_π1 − (z_π3 + z_π4)/2 (targeted), and ∂D/∂z as one-hots.
      const half = (t: string) => e.op('Mul', [t, e.scalar(0.5)]);
      const tail = head.targeted ? half(e.op('Add', [column(top, 2), column(top, 3)])) : column(top, 2);
      const denominator = e.op('Add', [e.op('Sub', [column(top, 0), tail]), e.scalar(DLR_EPSILON)]);
      const dTail = head.targeted ? half(e.op('Add', [oneHot(column(index, 2)), oneHot(column(index, 3))])) : oneHot(column(index, 2));
      const dDenominator = e.op('Sub', [oneHot(column(index, 0)), dTail]);
      const gap = e.op('Sub', [zy, otherValue]);
      const loss = e.op('Neg', [e.op('Div', [gap, denominator])]);
      // ∂L/∂z = (∂other − ∂y)/D + (z_y − z_other)/D² · ∂D
      const inverse = e.unsqueeze(e.op('Reciprocal', [denominator]), [1]);
      const dLogits = e.op('Add', [
        e.op('Mul', [e.op('Sub', [other, y]), inverse]),
        e.op('Mul', [dDenominator, e.op('Mul', [e.unsqueeze(gap, [1]), e.op('Mul', [inverse, inverse])])]),
      ]);
      const inputs = [makeValueInfo(label, 'int64', ['N'])];
      if (head.targeted) inputs.push(makeValueInfo(target, 'int64', ['N']));
      return { inputs, loss, dLogits };
    }
    case 'vjp': {
      const c = HEAD_INPUTS.cotangent;
      const loss = rowSum(e.op('Mul', [logits, c]));
      return { inputs: [makeValueInfo(c, 'float32', ['N', numClasses])], loss, dLogits: c };
    }
  }
}
