import type { NodeView } from '../nodeView';
import type { GradContext, OpGradient } from '../types';

/**
 * Einsum (https://onnx.ai/onnx/operators/onnx__Einsum.html): y = Σ over the letters not in the output of
 * Π_k x_k. The gradient with respect to x_k is another Einsum: dY and the other operands contracted to
 * x_k's subscripts (dX_k = einsum(dY, x_others → term_k)). A letter that only x_k carries (summed away in
 * the forward pass) does not appear in that product: the contraction leaves it out and the result is
 * broadcast back along it (y does not depend on where along that axis x_k's value sits).
 * Refused, naming node and equation: a letter repeated within the differentiated operand (a diagonal) and an
 * ellipsis whose dims broadcast (a size-1 dim against a larger one).
 */
export const einsumGradient: OpGradient = {
  opType: 'Einsum',
  gradient: ({ node, dy, needs, ctx }) => {
    const equation = node.string('equation');
    const { terms, output } = parseEinsum(node, equation, ctx);
    const e = ctx.e;
    return node.inputs.map((x, k) => {
      if (!needs[k]) return '';
      const term = terms[k];
      if (new Set(term).size !== term.length)
        node.fail(`equation "${equation}": operand ${k} repeats a subscript (a diagonal), whose gradient is not supported`);
      const others = terms.filter((_, j) => j !== k);
      const present = new Set([...output, ...others.flat()]);
      const kept = term.filter((c) => present.has(c));
      const inputs = [dy[0], ...node.inputs.filter((_, j) => j !== k)];
      const subscripts = [output, ...others].map((t) => t.join(''));
      let g = e.op('Einsum', inputs, { equation: `${subscripts.join(',')}->${kept.join('')}` });
      if (kept.length < term.length) {
        const missing = term.map((c, i) => (present.has(c) ? -1 : i)).filter((i) => i >= 0);
        g = e.op('Expand', [e.unsqueeze(g, missing), e.shapeOf(x)]);
      }
      return g;
    });
  },
};

/** Letters of each operand and of the output, with any ellipsis spelled out as fresh letters (right-aligned). */
export function parseEinsum(node: NodeView, equation: string, ctx: GradContext): { terms: string[][]; output: string[] } {
  const fail = (why: string): never => node.fail(`equation "${equation}": ${why}`);
  const compact = equation.replace(/\s+/g, '');
  const [lhs, rhs, extra] = compact.split('->');
  if (extra !== undefined || lhs === undefined) fail('more than one "->"');
  const raw = lhs.split(',');
  if (raw.length !== node.inputs.length) fail(`${raw.length} operand subscripts for ${node.inputs.length} inputs`);
  for (const t of [...raw, rhs ?? '']) if (!/^[a-zA-Z]*(\.\.\.)?[a-zA-Z]*$/.test(t)) fail(`"${t}" is not letters with at most one "..."`);
  const used = new Set(compact.replace(/[^a-zA-Z]/g, ''));
  const fresh = [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'].filter((c) => !used.has(c));
  const ranks = node.inputs.map((x) => ctx.rank(x));
  const ellipsisRank = Math.max(0, ...raw.map((t, k) => (t.includes('...') ? ranks[k] - t.replace('...', '').length : 0)));
  const ellipsis = fresh.slice(0, ellipsisRank);
  if (ellipsis.length < ellipsisRank) fail('too many dims under "..." to name');
  const spell = (t: string, rank: number): string[] => {
    if (!t.includes('...')) return [...t];
    const [before, after] = t.split('...');
    const n = rank - before.length - after.length;
    if (n < 0) fail(`"${t}" has more letters than its operand's ${rank} dims`);
    return [...before, ...ellipsis.slice(ellipsisRank - n), ...after];
  };
  const terms = raw.map((t, k) => spell(t, ranks[k]));
  terms.forEach((t, k) => {
    if (t.length !== ranks[k]) fail(`operand ${k} has ${ranks[k]} dims, its subscripts "${raw[k]}" name ${t.length}`);
  });
  // Ellipsis dims that broadcast (1 against n) would need their gradient summed to 1: not supported.
  const size = new Map<string, number>();
  terms.forEach((t, k) =>
    t.forEach((c, i) => {
      const d = ctx.shape(node.inputs[k]).dims[i];
      const seen = size.get(c);
      if (seen !== undefined && seen !== d) fail(`subscript "${c}" has size ${seen} in one operand and ${d} in another (broadcasting)`);
      size.set(c, d);
    }),
  );
  let output: string[];
  if (rhs !== undefined) output = spell(rhs, rhs.replace('...', '').length + (rhs.includes('...') ? ellipsisRank : 0));
  else {
    // Implicit output: the ellipsis dims, then the letters that appear exactly once, in alphabetical order.
    const count = new Map<string, number>();
    for (const t of raw) for (const c of t.replace('...', '')) count.set(c, (count.get(c) ?? 0) + 1);
    output = [
      ...ellipsis,
      ...[...count]
        .filter(([, n]) => n === 1)
        .map(([c]) => c)
        .sort(),
    ];
  }
  return { terms, output };
}
