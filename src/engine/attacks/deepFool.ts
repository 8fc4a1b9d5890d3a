/**
 * DeepFool (Moosavi-Dezfooli, Fawzi & Frossard, "DeepFool: a simple and accurate method to fool deep neural
 * networks", CVPR 2016), L2 and L∞ variants, minimal-perturbation mode.
 *
 * Per iteration, at the current point x_i and for each candidate class k (the top classes of the clean
 * prediction other than the label y):
 *   f'_k = z_k(x_i) − z_y(x_i),   w'_k = ∇z_k(x_i) − ∇z_y(x_i)
 * the linearised boundary to class k is |f'_k| / ‖w'_k‖_q away (q = 2 for L2, q = 1 for L∞, the dual norm);
 * the closest one, l, gives the step
 *   L2:  r_i = (|f'_l| + 1e-4) · w'_l / ‖w'_l‖₂²
 *   L∞:  r_i = (|f'_l| + 1e-4) · sign(w'_l) / ‖w'_l‖₁
 * accumulated as r_tot += r_i, with the overshoot applied to the accumulated perturbation as the paper and
 * its reference code do: x_{i+1} = clip(x + (1 + overshoot) · r_tot). Each image stops as soon as it is
 * adversarial under the criterion, or after `steps` iterations (its last attempt is returned).
 *
 * All w'_k of all still-unbroken images come from one vjp-head gradient call per iteration: one row per
 * (image, candidate) with the cotangent e_k − e_y on the logits.
 *
 * Criterion top-5: the label must leave the top 5, i.e. five classes must overtake it. Candidates already
 * above the label are left out; with m = 5 − (classes above the label) still to go, the step goes to the
 * m-th closest linearised boundary among the others (for top-1, m = 1: the paper's choice). The classes
 * correlated with it tend to cross on the way, so this needs far fewer steps than m greedy closest-boundary
 * passes (on mnist-cnn: 100 % vs 98.8 % success within 50 steps, 3.5× fewer queries, a smaller median L2).
 */
import { EngineError } from '../errors';
import { attackDefaults } from './catalog';
import type { GradientSource } from '../grad/estimatedGradient';
import { topK } from '../eval/scores';
import type { Attack, AttackBatch, AttackContext, AttackOutcome, Criterion, Norm } from './types';

export interface DeepFoolParams {
  /** Geometry of the linearised step: 'l2' (the paper's main algorithm) or 'linf' (its ℓ∞ variant, q = 1). */
  norm: Norm;
  /** Maximum number of linearised steps per image. */
  steps: number;
  /** Factor applied to the accumulated perturbation: x + (1 + overshoot) · r_tot. */
  overshoot: number;
  /** Number of top classes of the clean prediction considered (the label included), as in the reference code. */
  candidates: number;
}

/** The paper's and torchattacks' settings: 50 steps, overshoot 0.02, the top-10 classes. */
export const DEEPFOOL_DEFAULTS: Readonly<DeepFoolParams> = Object.freeze(attackDefaults('deepfool') as unknown as DeepFoolParams);

/** Added to |f'_l| so that the step lands just past the linearised boundary (as in the reference code). */
const STEP_MARGIN = 1e-4;
/** Upper bound on floats per gradient call (rows × pixels), so large images are sent in several calls. */
const MAX_BATCH_FLOATS = 1 << 25;

export function createDeepFool(params: Partial<DeepFoolParams> = {}): Attack {
  const p = validate({ ...DEEPFOOL_DEFAULTS, ...params });
  return {
    label: `DeepFool-${p.steps} ${p.norm === 'l2' ? 'L2' : 'L∞'} overshoot=${p.overshoot}`,
    mode: 'minimal-perturbation',
    params: { attack: 'deepfool', ...p },
    run: (batch, ctx) => runDeepFool(p, batch, ctx),
  };
}

function validate(p: DeepFoolParams): DeepFoolParams {
  const bad = (param: string, value: unknown, expected: string) =>
    new EngineError('USAGE', `deepfool: ${param} ${String(value)}: expected ${expected}`);
  if (p.norm !== 'l2' && p.norm !== 'linf') throw bad('norm', p.norm, "'l2' or 'linf'");
  if (!Number.isInteger(p.steps) || p.steps < 1 || p.steps > 10_000) throw bad('steps', p.steps, 'an integer from 1 to 10000');
  if (!Number.isFinite(p.overshoot) || p.overshoot < 0 || p.overshoot > 1)
    throw bad('overshoot', p.overshoot, 'a number from 0 to 1 (the paper uses 0.02)');
  if (!Number.isInteger(p.candidates) || p.candidates < 2)
    throw bad('candidates', p.candidates, 'an integer ≥ 2 (the label and at least one other class)');
  return p;
}

/** Per-image state of a run. */
interface State {
  per: number;
  classes: number;
  clean: Float32Array;
  /** Current point clip(x + (1 + overshoot) · r_tot), count × per. */
  adversarial: Float32Array;
  /** Accumulated perturbation r_tot (without the overshoot), count × per. */
  total: Float32Array;
  /** Latest scores at `adversarial`, count × classes. */
  scores: Float32Array;
  candidates: number[][];
  active: boolean[];
  queries: Float64Array;
}

async function runDeepFool(p: DeepFoolParams, batch: AttackBatch, ctx: AttackContext): Promise<AttackOutcome> {
  if (batch.targets)
    throw new EngineError('USAGE', 'deepfool: targets given: expected an untargeted run (DeepFool only moves images off their label)');
  const { count, labels } = batch;
  const per = ctx.pixelsPerImage;
  const state: State = {
    per,
    classes: 0,
    clean: batch.pixels,
    adversarial: batch.pixels.slice(),
    total: new Float32Array(count * per),
    scores: new Float32Array(0),
    candidates: [],
    active: [],
    queries: new Float64Array(count),
  };
  if (count === 0) return { adversarial: state.adversarial, queries: state.queries };
  state.scores = await ctx.classifier.scores(batch.pixels, count);
  state.classes = state.scores.length / count;
  state.queries.fill(1);
  state.candidates = labels.map((label, i) => candidateClasses(row(state.scores, i, state.classes), label, p.candidates));
  state.active = ctx.isAdversarial(state.scores, labels, null).map((adv) => !adv);
  const source = await ctx.gradient({ kind: 'vjp' });
  for (let step = 0; step < p.steps && !ctx.signal?.aborted; step++) {
    const moved = await stepAll(p, state, labels, ctx, source);
    if (moved.length === 0) break;
    await recheck(state, moved, labels, ctx);
  }
  return { adversarial: state.adversarial, queries: state.queries };
}

/** The top `k` classes of the clean scores other than the label (k − 1 of them), best first. */
export function candidateClasses(scores: ArrayLike<number>, label: number, k: number): number[] {
  return topK(scores, Math.min(k, scores.length))
    .concat(label)
    .filter((c) => c !== label)
    .slice(0, Math.min(k, scores.length) - 1);
}

/**
 * The candidates a step may aim at: those not yet above the label in `logits` (for top-1 while the image
 * is not adversarial, all of them).
 */
export function pendingCandidates(logits: ArrayLike<number>, label: number, candidates: number[]): number[] {
  return candidates.filter((c) => logits[c] <= logits[label]);
}

/**
 * One linearised step for every active image, from one gradient call per chunk of images. Returns the
 * images that moved; images left with no usable candidate (all gradients zero) are deactivated.
 */
async function stepAll(p: DeepFoolParams, s: State, labels: number[], ctx: AttackContext, source: GradientSource): Promise<number[]> {
  const work = s.active.flatMap((a, i) =>
    a ? [{ image: i, targets: pendingCandidates(row(s.scores, i, s.classes), labels[i], s.candidates[i]) }] : [],
  );
  const moved: number[] = [];
  for (const chunk of chunks(work, Math.max(1, Math.floor(MAX_BATCH_FLOATS / s.per)))) {
    const rows = chunk.reduce((n, w) => n + w.targets.length, 0);
    if (rows === 0) {
      for (const w of chunk) s.active[w.image] = false;
      continue;
    }
    const pixels = new Float32Array(rows * s.per);
    const cotangent = new Float32Array(rows * s.classes);
    let r = 0;
    for (const w of chunk) {
      for (const k of w.targets) {
        pixels.set(row(s.adversarial, w.image, s.per), r * s.per);
        cotangent[r * s.classes + k] = 1;
        cotangent[r * s.classes + labels[w.image]] = -1;
        r++;
      }
    }
    const { logits, grad } = await source.compute(pixels, rows, { cotangent });
    r = 0;
    for (const w of chunk) {
      const n = w.targets.length;
      s.queries[w.image] += n;
      const z = row(logits, r, s.classes);
      const f = Float64Array.from(w.targets, (k) => z[k] - z[labels[w.image]]);
      const nth = Math.min(n, overtakesNeeded(row(s.scores, w.image, s.classes), labels[w.image], ctx.criterion)) - 1;
      const step = linearizedStep(f, grad.subarray(r * s.per, (r + n) * s.per), s.per, p.norm, Math.max(0, nth));
      r += n;
      if (!step) {
        s.active[w.image] = false;
        continue;
      }
      accumulate(row(s.total, w.image, s.per), step.direction, step.scale, p.norm);
      compose(row(s.adversarial, w.image, s.per), row(s.clean, w.image, s.per), row(s.total, w.image, s.per), p.overshoot, ctx.range);
      moved.push(w.image);
    }
  }
  return moved;
}

/** Forward pass on the images that moved; those now adversarial stop. */
async function recheck(s: State, moved: number[], labels: number[], ctx: AttackContext): Promise<void> {
  const pixels = new Float32Array(moved.length * s.per);
  moved.forEach((i, j) => pixels.set(row(s.adversarial, i, s.per), j * s.per));
  const scores = await ctx.classifier.scores(pixels, moved.length);
  const adversarial = ctx.isAdversarial(
    scores,
    moved.map((i) => labels[i]),
    null,
  );
  moved.forEach((i, j) => {
    s.queries[i] += 1;
    s.scores.set(row(scores, j, s.classes), i * s.classes);
    if (adversarial[j]) s.active[i] = false;
  });
}

export interface LinearizedStep {
  /** Which of the rows was chosen (the closest linearised boundary). */
  choice: number;
  /** Its gradient w'_l (a view into the gradient rows). */
  direction: Float32Array;
  /** (|f'_l| + 1e-4) / ‖w'_l‖₂² for L2, (|f'_l| + 1e-4) / ‖w'_l‖₁ for L∞. */
  scale: number;
  /** The linearised distance |f'_l| / ‖w'_l‖_q. */
  distance: number;
}

/**
 * DeepFool's choice among candidate boundaries: f[k] = z_k − z_y and grad row k = ∇(z_k − z_y); boundary k
 * is |f_k| / ‖w_k‖_q away (q = 2 for L2, q = 1 for L∞). Picks the closest (`nth` = 0, the paper's rule) or
 * the nth-closest (0-based; the top-5 adaptation), skipping rows whose gradient is zero or not finite; null
 * when none is usable.
 */
export function linearizedStep(f: ArrayLike<number>, grad: Float32Array, per: number, norm: Norm, nth = 0): LinearizedStep | null {
  const usable: LinearizedStep[] = [];
  for (let k = 0; k < f.length; k++) {
    const direction = grad.subarray(k * per, (k + 1) * per);
    const size = norm === 'l2' ? squaredL2(direction) : l1(direction);
    const distance = Math.abs(f[k]) / (norm === 'l2' ? Math.sqrt(size) : size);
    if (!(size > 0) || !Number.isFinite(size) || !Number.isFinite(distance)) continue;
    usable.push({ choice: k, direction, scale: (Math.abs(f[k]) + STEP_MARGIN) / size, distance });
  }
  usable.sort((a, b) => a.distance - b.distance || a.choice - b.choice);
  return usable.length > 0 ? usable[Math.min(nth, usable.length - 1)] : null;
}

/** How many more classes must overtake the label: 1 for top-1, 5 − (classes above it) for top-5. */
export function overtakesNeeded(scores: ArrayLike<number>, label: number, criterion: Criterion): number {
  let above = 0;
  for (let k = 0; k < scores.length; k++) if (k !== label && scores[k] > scores[label]) above++;
  return criterion === 'top5' ? Math.max(1, 5 - above) : 1;
}

/** r_tot += scale · w (L2) or scale · sign(w) (L∞). */
export function accumulate(total: Float32Array, direction: Float32Array, scale: number, norm: Norm): void {
  if (norm === 'l2') for (let j = 0; j < total.length; j++) total[j] += scale * direction[j];
  else for (let j = 0; j < total.length; j++) total[j] += scale * Math.sign(direction[j]);
}

/** out = clip(x + (1 + overshoot) · r_tot) into the valid range. */
export function compose(out: Float32Array, clean: Float32Array, total: Float32Array, overshoot: number, [lo, hi]: [number, number]): void {
  const factor = 1 + overshoot;
  for (let j = 0; j < out.length; j++) {
    const v = clean[j] + factor * total[j];
    out[j] = v < lo ? lo : v > hi ? hi : v;
  }
}

function squaredL2(v: Float32Array): number {
  let s = 0;
  for (let j = 0; j < v.length; j++) s += v[j] * v[j];
  return s;
}

function l1(v: Float32Array): number {
  let s = 0;
  for (let j = 0; j < v.length; j++) s += Math.abs(v[j]);
  return s;
}

function row(data: Float32Array, index: number, width: number): Float32Array {
  return data.subarray(index * width, (index + 1) * width);
}

/** Splits the work so that no chunk has more than `maxRows` gradient rows (one image at least). */
function chunks<T extends { targets: number[] }>(work: T[], maxRows: number): T[][] {
  const out: T[][] = [];
  let current: T[] = [],
    rows = 0;
  for (const w of work) {
    if (current.length > 0 && rows + w.targets.length > maxRows) {
      out.push(current);
      current = [];
      rows = 0;
    }
    current.push(w);
    rows += w.targets.length;
  }
  if (current.length > 0) out.push(current);
  return out;
}
