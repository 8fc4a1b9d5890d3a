/**
 * FAB-T, the targeted Fast Adaptive Boundary attack (Croce & Hein, ICML 2020, "Minimally distorted adversarial
 * examples with a fast adaptive boundary attack"), L∞ and L2, as in the authors' code (fra31/auto-attack,
 * fab_base.py, fab_projections.py) and as AutoAttack runs it: once per target class — the 2nd, 3rd, … highest
 * clean logit — each run only on the images not yet broken, and an image counts as broken only when the
 * smallest adversarial perturbation found has norm ≤ ε (FAB minimises the norm; ε bounds it afterwards).
 *
 * One step at x (x₀ the clean image, t the target, y the label), with f = z_t − z_y and w = ∇f(x):
 *   the linearised boundary {z : f(x) + w·(z − x) = 0} = {z : w·z = b}, b = w·x − f(x);
 *   d₁ = the minimal-norm move from x onto it, d₂ = the same from x₀, both inside the box [lo, hi];
 *   α = min(max(‖d₁‖ / (‖d₁‖ + ‖d₂‖), 0), α_max)   (biases the step towards x₀: smaller perturbations);
 *   x ← clip((x + η·d₁)(1 − α) + (x₀ + η·d₂)·α)     (η > 1 overshoots the linearised boundary).
 * Where x is now adversarial, it is kept when its norm is the smallest so far, and x moves back towards x₀:
 * x ← x₀ + β·(x − x₀). Every image of a run takes all the steps (later steps shrink the perturbation).
 *
 * Each step costs one gradient pass (the 'vjp' head with the cotangent e_t − e_y gives f and ∇f) and one
 * forward pass (is the new point adversarial?), as the reference; the targets cost one clean forward pass.
 */
import { EngineError } from '../errors';
import { topK } from '../eval/scores';
import { attackDefaults } from './catalog';
import { formatEpsilon } from './format';
import { checkEpsilon } from './gradientSteps';
import type { Attack, AttackBatch, AttackContext, AttackOutcome, Norm } from './types';

export interface FabParams {
  norm: Norm;
  /** The budget: an example counts only when its norm is ≤ ε (also the radius ε/2 of a restart's random start). */
  eps: number;
  /** Iterations per run. */
  steps: number;
  /** Runs per target class; the first starts at the clean image, later ones at random points (as the reference). */
  restarts: number;
  /** Target classes per image: the 2nd … (targets + 1)-th highest clean logit. */
  targets: number;
  /** Largest weight α of the step from x₀. */
  alphaMax: number;
  /** Overshoot η of the projections. */
  eta: number;
  /** Backward step β towards x₀ after a success. */
  beta: number;
}

/** The reference's floor on a projection's norm in α (a zero move would divide by zero). */
const NORM_FLOOR = 1e-8;

export function createFabT(params: Partial<FabParams> = {}): Attack {
  const p = { ...attackDefaults('fab-t', params.norm ?? 'linf'), ...params } as FabParams;
  checkEpsilon('fab-t', p.eps, p.norm);
  const recorded: Record<string, unknown> = { attack: 'fab-t', ...p };
  return {
    label: `FAB-T-${p.steps} ${p.norm === 'linf' ? 'L∞' : 'L2'} ε=${formatEpsilon(p.eps, p.norm)}`,
    mode: 'fixed-eps',
    params: recorded,
    run: (batch, ctx) => runFabT(batch, ctx, p, recorded),
  };
}

async function runFabT(batch: AttackBatch, ctx: AttackContext, p: FabParams, recorded: Record<string, unknown>): Promise<AttackOutcome> {
  if (batch.targets)
    throw new EngineError('USAGE', 'fab-t: targets given: it picks its own target classes (the top classes of the clean logits)');
  const per = ctx.pixelsPerImage;
  const adversarial = Float32Array.from(batch.pixels);
  const queries = new Float64Array(batch.count);
  if (batch.count === 0) return { adversarial, queries };
  // Target classes from the clean logits, sorted once before the runs as the reference does.
  const clean = await ctx.classifier.scores(batch.pixels, batch.count);
  queries.fill(1);
  const k = clean.length / batch.count;
  const targets = Math.min(p.targets, k - 1);
  if (targets < p.targets)
    recorded.fallback = `${p.targets} target classes asked, but the model has ${k} classes, so at most ${k - 1} (classes − 1): ran ${targets}`;
  const ranked = batch.labels.map((label, i) => fabTargets(clean.subarray(i * k, (i + 1) * k), label, targets));
  // Images already adversarial are not attacked (the reference runs on the correctly classified ones only).
  const broken = ctx.isAdversarial(clean, batch.labels, null);
  for (let t = 0; t < targets; t++) {
    for (let r = 0; r < p.restarts; r++) {
      const rows = broken.flatMap((b, i) => (b ? [] : [i]));
      if (rows.length === 0 || ctx.signal?.aborted) return { adversarial, queries };
      const run = await fabRun(
        batch,
        rows,
        rows.map((i) => ranked[i][t]),
        ctx,
        p,
        r > 0,
        k,
      );
      rows.forEach((i, j) => {
        queries[i] += run.queries[j];
        if (run.norm[j] <= p.eps) {
          broken[i] = true;
          adversarial.set(run.best.subarray(j * per, (j + 1) * per), i * per);
        }
      });
    }
  }
  return { adversarial, queries };
}

/** FAB-T's target classes for one image: the highest clean logits other than the label, best first. */
export function fabTargets(scores: ArrayLike<number>, label: number, count: number): number[] {
  return topK(scores, Math.min(count + 1, scores.length))
    .filter((c) => c !== label)
    .slice(0, count);
}

export interface FabRunResult {
  /** The smallest adversarial point found per row (the clean image where none was). */
  best: Float32Array;
  /** Its norm (Infinity where none was found). */
  norm: Float64Array;
  queries: Float64Array;
}

/**
 * One FAB run (the reference's attack_single_run, targeted) on `rows` of the batch towards `targets` (one per
 * row). Stops early only on cancellation; what it found so far is returned.
 */
export async function fabRun(
  batch: AttackBatch,
  rows: number[],
  targets: number[],
  ctx: AttackContext,
  p: Pick<FabParams, 'norm' | 'eps' | 'steps' | 'alphaMax' | 'eta' | 'beta'>,
  randomStart: boolean,
  /** Classes of the model's output (default: the context's). */
  classes = ctx.numClasses,
): Promise<FabRunResult> {
  const n = rows.length;
  const per = ctx.pixelsPerImage;
  const [lo, hi] = ctx.range;
  const labels = rows.map((i) => batch.labels[i]);
  const x0 = new Float32Array(n * per);
  rows.forEach((i, j) => x0.set(batch.pixels.subarray(i * per, (i + 1) * per), j * per));
  const x = randomStart ? startPoint(x0, n, per, p, ctx) : Float32Array.from(x0);
  const best = Float32Array.from(x0);
  const bestNorm = new Float64Array(n).fill(Infinity);
  const queries = new Float64Array(n);
  const source = await ctx.gradient({ kind: 'vjp' });
  const cotangent = new Float32Array(n * classes);
  for (let j = 0; j < n; j++) {
    cotangent[j * classes + targets[j]] += 1;
    cotangent[j * classes + labels[j]] -= 1;
  }
  const w = new Float64Array(per);
  const point = new Float64Array(per);
  const d1 = new Float64Array(per);
  const d2 = new Float64Array(per);
  for (let step = 0; step < p.steps; step++) {
    if (ctx.signal?.aborted) break;
    const { logits, grad } = await source.compute(x, n, { cotangent });
    for (let j = 0; j < n; j++) {
      queries[j] += 1;
      const at = j * per;
      const f = logits[j * classes + targets[j]] - logits[j * classes + labels[j]];
      let wx = 0;
      for (let q = 0; q < per; q++) {
        w[q] = grad[at + q];
        wx += w[q] * x[at + q];
      }
      const b = wx - f;
      for (let q = 0; q < per; q++) point[q] = x[at + q];
      projectOntoHyperplane(point, w, b, p.norm, lo, hi, d1);
      for (let q = 0; q < per; q++) point[q] = x0[at + q];
      projectOntoHyperplane(point, w, b, p.norm, lo, hi, d2);
      const a1 = Math.max(normOf(d1, p.norm), NORM_FLOOR);
      const a2 = Math.max(normOf(d2, p.norm), NORM_FLOOR);
      const alpha = Math.min(Math.max(a1 / (a1 + a2), 0), p.alphaMax);
      for (let q = 0; q < per; q++) {
        const v = (x[at + q] + p.eta * d1[q]) * (1 - alpha) + (x0[at + q] + p.eta * d2[q]) * alpha;
        x[at + q] = v < lo ? lo : v > hi ? hi : v;
      }
    }
    const scores = await ctx.classifier.scores(x, n);
    const adv = ctx.isAdversarial(scores, labels, null);
    for (let j = 0; j < n; j++) {
      queries[j] += 1;
      if (!adv[j]) continue;
      const at = j * per;
      const size = distance(x, x0, at, per, p.norm);
      if (size < bestNorm[j]) {
        bestNorm[j] = size;
        best.set(x.subarray(at, at + per), at);
      }
      for (let q = at; q < at + per; q++) x[q] = x0[q] + (x[q] - x0[q]) * p.beta;
    }
  }
  return { best, norm: bestNorm, queries };
}

/**
 * The reference's random start of a restart: x₀ + (ε/2)·u/‖u‖ (u uniform in [−1, 1] for L∞, Gaussian for L2),
 * clipped to the box.
 */
function startPoint(x0: Float32Array, n: number, per: number, p: Pick<FabParams, 'norm' | 'eps'>, ctx: AttackContext): Float32Array {
  const [lo, hi] = ctx.range;
  const x = new Float32Array(n * per);
  const u = new Float64Array(per);
  for (let j = 0; j < n; j++) {
    let size = 0;
    for (let q = 0; q < per; q++) {
      u[q] = p.norm === 'linf' ? 2 * ctx.rng.next() - 1 : ctx.rng.normal();
      size = p.norm === 'linf' ? Math.max(size, Math.abs(u[q])) : size + u[q] * u[q];
    }
    const f = (0.5 * p.eps) / (p.norm === 'linf' ? size : Math.sqrt(size));
    for (let q = 0; q < per; q++) {
      const v = x0[j * per + q] + f * u[q];
      x[j * per + q] = v < lo ? lo : v > hi ? hi : v;
    }
  }
  return x;
}

/**
 * The minimal-norm move d (L∞ or L2) from `point` onto the hyperplane w·z = b within the box [lo, hi]:
 *   minimise ‖d‖ subject to w·(point + d) = b and lo ≤ point + d ≤ hi,
 * written into `out`. With r = b − w·point ≥ 0 (else w and r change sign), every coordinate moves in the
 * direction of its weight, d_q = sign(w_q)·min(λ·a_q, room_q), where room_q is how far the box lets it move
 * that way and a_q = 1 (L∞: the optimum spreads the move evenly) or |w_q| (L2: along w, the KKT solution);
 * w·d(λ) = Σ |w_q|·min(λ·a_q, room_q) grows piecewise linearly in λ, and the λ where it reaches r is found
 * over the sorted breakpoints room_q / a_q. Where even the box's far corner does not reach the hyperplane,
 * d is that corner (as the reference). Coordinates with w_q = 0 do not move.
 */
export function projectOntoHyperplane(
  point: ArrayLike<number>,
  w: ArrayLike<number>,
  b: number,
  norm: Norm,
  lo: number,
  hi: number,
  out: Float64Array,
): Float64Array {
  const per = point.length;
  let wp = 0;
  for (let q = 0; q < per; q++) wp += w[q] * point[q];
  const r0 = b - wp;
  const sign = r0 >= 0 ? 1 : -1;
  const r = sign * r0;
  // A non-finite logit or gradient gives no hyperplane to move to: no move (rather than the box's corner).
  if (!Number.isFinite(r)) return out.fill(0);
  // Per coordinate (with w oriented so that r ≥ 0): |w_q|, the room it can move by, its slope a_q.
  const abs = new Float64Array(per);
  const room = new Float64Array(per);
  const breaks = new Float64Array(per);
  const order: number[] = [];
  for (let q = 0; q < per; q++) {
    out[q] = 0;
    const wq = sign * w[q];
    if (wq === 0 || !Number.isFinite(wq)) continue;
    abs[q] = Math.abs(wq);
    room[q] = Math.max(0, wq > 0 ? hi - point[q] : point[q] - lo);
    breaks[q] = room[q] / (norm === 'linf' ? 1 : abs[q]);
    order.push(q);
  }
  if (r === 0 || order.length === 0) return out;
  order.sort((i, j) => breaks[i] - breaks[j]);
  // Sweep the breakpoints: below breaks[order[k]], h(λ) = saturated + slope·λ.
  let saturated = 0;
  let slope = 0;
  for (const q of order) slope += abs[q] * (norm === 'linf' ? 1 : abs[q]);
  let lambda = Infinity;
  for (const q of order) {
    if (saturated + slope * breaks[q] >= r) {
      lambda = (r - saturated) / slope;
      break;
    }
    saturated += abs[q] * room[q];
    slope -= abs[q] * (norm === 'linf' ? 1 : abs[q]);
  }
  for (const q of order) {
    const move = Math.min(lambda * (norm === 'linf' ? 1 : abs[q]), room[q]);
    out[q] = sign * w[q] > 0 ? move : -move;
  }
  return out;
}

function normOf(d: Float64Array, norm: Norm): number {
  let s = 0;
  if (norm === 'linf') for (let q = 0; q < d.length; q++) s = Math.max(s, Math.abs(d[q]));
  else {
    for (let q = 0; q < d.length; q++) s += d[q] * d[q];
    s = Math.sqrt(s);
  }
  return s;
}

function distance(x: Float32Array, x0: Float32Array, at: number, per: number, norm: Norm): number {
  let s = 0;
  for (let q = at; q < at + per; q++) {
    const v = x[q] - x0[q];
    s = norm === 'linf' ? Math.max(s, Math.abs(v)) : s + v * v;
  }
  return norm === 'linf' ? s : Math.sqrt(s);
}
