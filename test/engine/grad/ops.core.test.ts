import { opTest } from './opCheck';

opTest('Identity', { op: 'Identity', inputs: [{ dims: [2, 3] }] });
opTest('Relu (inputs kept away from the kink)', { op: 'Relu', inputs: [{ dims: [3, 4], data: Array.from({ length: 12 }, (_, i) => (i % 2 ? 1 : -1) * (0.1 + i / 10)) }] });
opTest('Add, same shapes', { op: 'Add', inputs: [{ dims: [2, 3] }, { dims: [2, 3] }] });
opTest('Add, broadcasting both ways', { op: 'Add', inputs: [{ dims: [2, 1, 4] }, { dims: [3, 1] }] });
opTest('Add, broadcast of a constant bias', { op: 'Add', inputs: [{ dims: [2, 3, 2, 2] }, { dims: [1, 3, 1, 1], constant: true }] });
opTest('Add, rank-0 operand', { op: 'Add', inputs: [{ dims: [2, 3] }, { dims: [] }] });
