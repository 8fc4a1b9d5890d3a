/** Turning model outputs into class probabilities and rankings. */

export type OutputKind = 'logits' | 'probabilities' | 'log-probabilities';

/**
 * Decides, from the rows of a first batch, whether an output of unknown kind holds probabilities:
 * every value non-negative and every row summing to 1 (within 1e-3).
 */
export function probeOutputKind(rows: Float32Array, numClasses: number): { kind: OutputKind; reason: string } {
  const count = rows.length / numClasses;
  for (let r = 0; r < count; r++) {
    let sum = 0;
    for (let k = 0; k < numClasses; k++) {
      const v = rows[r * numClasses + k];
      if (!(v >= 0)) return { kind: 'logits', reason: `row ${r} has a negative (or NaN) value, so the outputs are taken as logits` };
      sum += v;
    }
    if (Math.abs(sum - 1) > 1e-3)
      return { kind: 'logits', reason: `row ${r} sums to ${sum.toFixed(4)}, not 1, so the outputs are taken as logits` };
  }
  return { kind: 'probabilities', reason: `all ${count} rows of the first batch are non-negative and sum to 1` };
}

/** Probabilities of one row, whatever the output kind (numerically stable softmax for logits). */
export function rowProbabilities(row: Float32Array, kind: OutputKind, out = new Float64Array(row.length)): Float64Array {
  if (kind === 'probabilities') {
    for (let k = 0; k < row.length; k++) out[k] = row[k];
    return out;
  }
  let max = -Infinity;
  for (let k = 0; k < row.length; k++) if (row[k] > max) max = row[k];
  let sum = 0;
  for (let k = 0; k < row.length; k++) {
    out[k] = Math.exp(row[k] - max);
    sum += out[k];
  }
  for (let k = 0; k < row.length; k++) out[k] /= sum;
  return out;
}

/** Indices of the k largest values, largest first; ties go to the lower index (as torch.topk on CPU does in practice). */
export function topK(row: ArrayLike<number>, k: number): number[] {
  const idx: number[] = [];
  for (let i = 0; i < row.length; i++) {
    let pos = idx.length;
    while (pos > 0 && row[idx[pos - 1]] < row[i]) pos--;
    if (pos < k) {
      idx.splice(pos, 0, i);
      if (idx.length > k) idx.pop();
    }
  }
  return idx;
}
