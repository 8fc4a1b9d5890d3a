/**
 * The one list of gradient modules, by ONNX op type (default domain). An op that is not listed has no
 * gradient, and the builder says so before any computation.
 */
import type { NodeView } from './nodeView';
import type { OpGradient } from './types';
import { CORE_GRADIENTS } from './ops/index';
import { ELEMENTWISE_GRADIENTS } from './ops/elementwise';
import { SPATIAL_GRADIENTS } from './ops/spatial';
import { STRUCTURAL_GRADIENTS } from './ops/structural';

const ALL: OpGradient[] = [...CORE_GRADIENTS, ...ELEMENTWISE_GRADIENTS, ...SPATIAL_GRADIENTS, ...STRUCTURAL_GRADIENTS];

const BY_OP = new Map(ALL.map((g) => [g.opType, g]));

export function gradientFor(node: NodeView): OpGradient | undefined {
  if (node.domain !== '' && node.domain !== 'ai.onnx') return undefined;
  return BY_OP.get(node.opType);
}

/** Ops whose output is piecewise constant in their float inputs: on the path they leave no useful gradient. */
export const ZERO_GRADIENT_OPS = new Set([
  'ArgMax', 'ArgMin', 'Floor', 'Ceil', 'Round', 'Sign', 'Equal', 'Greater', 'GreaterOrEqual', 'Less', 'LessOrEqual',
  'Not', 'And', 'Or', 'Xor', 'IsNaN', 'IsInf', 'NonZero', 'QuantizeLinear', 'DynamicQuantizeLinear', 'Hardmax', 'BitShift',
]);
