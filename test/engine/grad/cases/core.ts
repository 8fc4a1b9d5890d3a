/** Per-op gradient check cases of Identity, Relu and Add, as data (checked by ops.core.test.ts). */
import type { NamedOpCase } from '../opCheck';

export const CORE_CASES: readonly NamedOpCase[] = [
  { name: 'Identity', check: { op: 'Identity', inputs: [{ dims: [2, 3] }] } },
  {
    name: 'Relu (inputs kept away from the kink)',
    check: { op: 'Relu', inputs: [{ dims: [3, 4], data: Array.from({ length: 12 }, (_, i) => (i % 2 ? 1 : -1) * (0.1 + i / 10)) }] },
  },
  { name: 'Add, same shapes', check: { op: 'Add', inputs: [{ dims: [2, 3] }, { dims: [2, 3] }] } },
  { name: 'Add, broadcasting both ways', check: { op: 'Add', inputs: [{ dims: [2, 1, 4] }, { dims: [3, 1] }] } },
  {
    name: 'Add, broadcast of a constant bias',
    check: { op: 'Add', inputs: [{ dims: [2, 3, 2, 2] }, { dims: [1, 3, 1, 1], constant: true }] },
  },
  { name: 'Add, rank-0 operand', check: { op: 'Add', inputs: [{ dims: [2, 3] }, { dims: [] }] } },
];
