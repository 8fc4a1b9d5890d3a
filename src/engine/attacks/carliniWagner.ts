/**
 * Carlini–Wagner L2 (Carlini & Wagner, "Towards Evaluating the Robustness of Neural Networks", IEEE S&P 2017,
 * arXiv:1608.04644). Minimal-perturbation attack: per image it minimises over w
 *
 *   ‖x'(w) − x‖₂² + c·f(x'(w)),   x'(w) = lo + (hi − lo)·(tanh(w) + 1)/2   (always inside [lo, hi]),
 *
 * with f the C&W margin clamped at −κ: untargeted f = max(z_y − max_{j≠y} z_j, −κ), targeted (target t)
 * f = max(max_{j≠t} z_j − z_t, −κ) (under the top-5 criterion the max becomes the 5th largest z_j, j≠t).
 * Adam (β 0.9/0.999) on w, started at atanh of the slightly shrunk clean image; a binary search over c per
 * image: c₀, ×10 while no success, bisection once one succeeded; each search step restarts from the clean
 * image; an image that has not yet succeeded stops a search step early when its loss has not decreased by
 * 0.01 % over steps/10 steps (the paper checks the batch's total loss; per image, stuck images leave the batch).
 * The smallest successful L2 over every step of every search step is returned.
 *
 * Cost: up to searchSteps × steps gradient evaluations per image (the paper: 9 × 10,000; torchattacks'
 * CW: 1 × 50–100 at c = 1, no search). Default 9 × 300: about 2,200 evaluations per image after early
 * aborts, 0.5–0.8 s per 28×28 CNN image on two CPU cores. Fewer steps cannot move pixels that sit at the box
 * edges: there w starts near ±7.25 and Adam moves it by about lr per step, so on 100 mnist-cnn digits 9 × 100
 * broke 40 %, 9 × 200 96 %, 9 × 300 all of them. Raise `steps` for smaller L2; lower it for large inputs.
 */
import { EngineError } from '../errors';
import { attackDefaults } from './catalog';
import type { GradientSource } from '../grad/estimatedGradient';
import type { Attack, AttackBatch, AttackContext, AttackOutcome } from './types';

export interface CarliniWagnerParams {
  /** Initial trade-off constant c₀ of the binary search (paper: 1e-3). */
  c: number;
  /** Confidence κ ≥ 0: success needs the margin to reach −κ (paper's default 0). */
  kappa: number;
  /** Adam steps per binary-search step (paper: 10,000; default 300, the fewest that broke every MNIST digit). */
  steps: number;
  /** Binary-search steps over c (paper: 9; 1 = a single run at c, as torchattacks' CW). */
  searchSteps: number;
  /** Adam learning rate in tanh space (paper: 0.01). */
  lr: number;
  /** Stop an image's search step when its loss stalls before any success (paper: true, on the batch total). */
  abortEarly: boolean;
}

/** From the catalog: c₀ 1e-3, κ 0, 9 × 300 steps, lr 0.01, early abort. */
export const CARLINI_WAGNER_DEFAULTS = attackDefaults('cw') as unknown as CarliniWagnerParams;

/** Clean pixels are shrunk towards the box centre by this factor before atanh, so w stays finite (paper: 1e-6). */
export const TANH_SHRINK = 1e-6;
const BETA1 = 0.9,
  BETA2 = 0.999,
  ADAM_EPS = 1e-8;
/** c above this counts as "no upper bound yet" (the paper's 1e10). */
const NO_UPPER = 1e10;

export function createCarliniWagner(params: Partial<CarliniWagnerParams> = {}): Attack {
  const p = validateParams(params);
  const search = p.searchSteps > 1 ? `, ${p.searchSteps} search steps` : '';
  return {
    label: `C&W L2 (${p.steps} steps${search}, c${p.searchSteps > 1 ? '₀' : ''}=${p.c}, κ=${p.kappa})`,
    mode: 'minimal-perturbation',
    params: { attack: 'cw', ...p },
    run: (batch, ctx) => runCarliniWagner(p, batch, ctx),
  };
}

function usage(param: string, value: unknown, expected: string): EngineError {
  return new EngineError('USAGE', `C&W L2: ${param} ${String(value)}: expected ${expected}`);
}

export function validateParams(params: Partial<CarliniWagnerParams>): CarliniWagnerParams {
  const p = { ...CARLINI_WAGNER_DEFAULTS, ...params };
  const isInt = (v: number) => Number.isInteger(v);
  if (!(p.c > 0) || !Number.isFinite(p.c) || p.c > NO_UPPER)
    throw usage('c', p.c, `a trade-off constant 0 < c ≤ ${NO_UPPER} (paper: 1e-3 with the binary search)`);
  if (!(p.kappa >= 0) || !Number.isFinite(p.kappa))
    throw usage('kappa', p.kappa, 'a confidence κ ≥ 0 in logit units (0 = just cross the decision boundary)');
  if (!isInt(p.steps) || p.steps < 1 || p.steps > 1e6)
    throw usage('steps', p.steps, 'a whole number of Adam steps per search step, 1…1000000 (paper: 10000; default 300)');
  if (!isInt(p.searchSteps) || p.searchSteps < 1 || p.searchSteps > 50)
    throw usage('searchSteps', p.searchSteps, 'a whole number of binary-search steps over c, 1…50 (paper: 9)');
  if (!(p.lr > 0) || !(p.lr <= 1)) throw usage('lr', p.lr, 'an Adam learning rate 0 < lr ≤ 1 in tanh space (paper: 0.01)');
  if (typeof p.abortEarly !== 'boolean') throw usage('abortEarly', p.abortEarly, 'true or false');
  return p;
}

// ---- tanh space ------------------------------------------------------------------------------------

/** w = atanh((2(x − lo)/(hi − lo) − 1)·(1 − TANH_SHRINK)): finite even at x = lo or hi (and outside, clamped). */
export function toTanhSpace(x: ArrayLike<number>, lo: number, hi: number, out: Float32Array, offset = 0): void {
  const edge = 1 - TANH_SHRINK,
    scale = (edge * 2) / (hi - lo);
  for (let j = 0; j < out.length; j++) out[j] = Math.atanh(Math.min(edge, Math.max(-edge, (x[offset + j] - lo) * scale - edge)));
}

/** x' = lo + (hi − lo)·(tanh(w) + 1)/2, clipped against rounding; tanh(w) kept for the chain rule. */
export function fromTanhSpace(w: ArrayLike<number>, lo: number, hi: number, x: Float32Array, t: Float32Array): void {
  const half = (hi - lo) / 2;
  for (let j = 0; j < x.length; j++) {
    const tj = Math.tanh(w[j]);
    t[j] = tj;
    const v = lo + half * (tj + 1);
    x[j] = v < lo ? lo : v > hi ? hi : v;
  }
}

/**
 * ∂/∂w of ‖x' − x‖₂² + c·f: (2(x' − x) + c·∂f/∂x')·(hi − lo)/2·(1 − tanh²w), written into `out`.
 */
export function objectiveGradient(
  xAdv: ArrayLike<number>,
  x: ArrayLike<number>,
  xOffset: number,
  t: ArrayLike<number>,
  dfdx: ArrayLike<number>,
  c: number,
  half: number,
  out: Float32Array,
): void {
  for (let j = 0; j < out.length; j++) {
    out[j] = (2 * (xAdv[j] - x[xOffset + j]) + c * dfdx[j]) * half * (1 - t[j] * t[j]);
  }
}

/** One Adam step (PyTorch's form, bias-corrected, step ≥ 1) on w with gradient g; m and v updated in place. */
export function adamStep(w: Float32Array, m: Float32Array, v: Float32Array, g: ArrayLike<number>, lr: number, step: number): void {
  const c1 = 1 - BETA1 ** step,
    c2 = 1 - BETA2 ** step;
  for (let j = 0; j < w.length; j++) {
    const gj = g[j];
    const mj = BETA1 * m[j] + (1 - BETA1) * gj;
    const vj = BETA2 * v[j] + (1 - BETA2) * gj * gj;
    m[j] = mj;
    v[j] = vj;
    w[j] -= (lr * (mj / c1)) / (Math.sqrt(vj / c2) + ADAM_EPS);
  }
}

// ---- the margin f ----------------------------------------------------------------------------------

/**
 * Unclamped margin of one logit row and the competing class j: untargeted z_y − z_j, targeted z_j − z_t,
 * where z_j is the `rank`-th largest logit other than class `cls` (rank 1 = the C&W max).
 */
export function marginOf(row: ArrayLike<number>, cls: number, targeted: boolean, rank: number): { margin: number; other: number } {
  const others: number[] = [];
  for (let j = 0; j < row.length; j++) if (j !== cls) others.push(j);
  others.sort((a, b) => row[b] - row[a] || a - b);
  const other = others[Math.min(rank, others.length) - 1];
  const d = row[cls] - row[other];
  return { margin: targeted ? -d : d, other };
}

export interface MarginGradient {
  /** Logits, unclamped margins, ∂max(margin, −κ)/∂x' and model evaluations per row for images `ids`. */
  evaluate(
    xs: Float32Array,
    ids: number[],
  ): Promise<{ logits: Float32Array; margin: Float64Array; grad: Float32Array; evaluations: Float64Array }>;
}

/** Model evaluations one `compute` call costs per image (the NES estimate spends 2 per direction pair + 1). */
function callCost(source: GradientSource): number {
  const pairs = (source as { options?: { pairs?: number } }).options?.pairs;
  return source.kind === 'estimated' && pairs ? 1 + 2 * pairs : 1;
}

/** Top-1: the engine's cw-margin head gives f and its gradient in one call. */
function headMargin(source: GradientSource, cls: number[], targeted: boolean, kappa: number): MarginGradient {
  const cost = callCost(source);
  return {
    async evaluate(xs, ids) {
      const r = await source.compute(xs, ids.length, { labels: ids.map((i) => cls[i]), kappa });
      const classes = r.logits.length / ids.length;
      const margin = Float64Array.from(
        ids,
        (i, k) => marginOf(r.logits.subarray(k * classes, (k + 1) * classes), cls[i], targeted, 1).margin,
      );
      return { logits: r.logits, margin, grad: r.grad, evaluations: new Float64Array(ids.length).fill(cost) };
    },
  };
}

/**
 * Top-5 (rank-k margin) through the vjp head: the cotangent ±(e_y − e_j) needs j, which is taken from the
 * image's previous logits; rows whose j (or whether f is clamped) changed are recomputed, so the gradient is
 * exact, mostly at one call per step.
 */
export function rankMarginGradient(
  source: GradientSource,
  cls: number[],
  targeted: boolean,
  kappa: number,
  rank: number,
  lastLogits: Float32Array,
  classes: number,
): MarginGradient {
  const cost = callCost(source);
  const cotangentRow = (row: ArrayLike<number>, i: number, out: Float32Array, at: number) => {
    const { margin, other } = marginOf(row, cls[i], targeted, rank);
    out.fill(0, at, at + classes);
    if (margin > -kappa) {
      out[at + cls[i]] = targeted ? -1 : 1;
      out[at + other] = targeted ? 1 : -1;
    }
  };
  return {
    async evaluate(xs, ids) {
      const n = ids.length,
        per = xs.length / n;
      const cot = new Float32Array(n * classes);
      ids.forEach((i, k) => cotangentRow(lastLogits.subarray(i * classes, (i + 1) * classes), i, cot, k * classes));
      const r = await source.compute(xs, n, { cotangent: cot });
      const evaluations = new Float64Array(n).fill(cost);
      const exact = new Float32Array(n * classes);
      const redo: number[] = [];
      ids.forEach((i, k) => {
        cotangentRow(r.logits.subarray(k * classes, (k + 1) * classes), i, exact, k * classes);
        lastLogits.set(r.logits.subarray(k * classes, (k + 1) * classes), i * classes);
        for (let q = 0; q < classes; q++)
          if (exact[k * classes + q] !== cot[k * classes + q]) {
            redo.push(k);
            break;
          }
      });
      if (redo.length > 0) {
        const rx = new Float32Array(redo.length * per),
          rc = new Float32Array(redo.length * classes);
        redo.forEach((k, q) => {
          rx.set(xs.subarray(k * per, (k + 1) * per), q * per);
          rc.set(exact.subarray(k * classes, (k + 1) * classes), q * classes);
        });
        const again = await source.compute(rx, redo.length, { cotangent: rc });
        redo.forEach((k, q) => {
          r.grad.set(again.grad.subarray(q * per, (q + 1) * per), k * per);
          evaluations[k] += cost;
        });
      }
      const margin = Float64Array.from(
        ids,
        (i, k) => marginOf(r.logits.subarray(k * classes, (k + 1) * classes), cls[i], targeted, rank).margin,
      );
      return { logits: r.logits, margin, grad: r.grad, evaluations };
    },
  };
}

// ---- the attack ------------------------------------------------------------------------------------

interface RunState {
  /** Current c per image and the binary-search bounds. */
  c: Float64Array;
  lower: Float64Array;
  upper: Float64Array;
  /** Best successful x' (squared L2 in bestL2sq, Infinity = none yet) and, until one exists, the closest try. */
  best: Float32Array;
  bestL2sq: Float64Array;
  closestMargin: Float64Array;
  queries: Float64Array;
}

function newState(count: number, per: number, c0: number): RunState {
  return {
    c: new Float64Array(count).fill(c0),
    lower: new Float64Array(count),
    upper: new Float64Array(count).fill(NO_UPPER),
    best: new Float32Array(count * per),
    bestL2sq: new Float64Array(count).fill(Infinity),
    closestMargin: new Float64Array(count).fill(Infinity),
    queries: new Float64Array(count),
  };
}

/** The paper's update: success → upper = min(upper, c), bisect; failure → lower = max(lower, c), bisect or ×10. */
export function nextConstant(c: number, lower: number, upper: number, succeeded: boolean): { c: number; lower: number; upper: number } {
  if (succeeded) {
    const u = Math.min(upper, c);
    return { c: u < NO_UPPER ? (lower + u) / 2 : c, lower, upper: u };
  }
  const l = Math.max(lower, c);
  return { c: upper < NO_UPPER ? (l + upper) / 2 : c * 10, lower: l, upper };
}

async function runCarliniWagner(p: CarliniWagnerParams, batch: AttackBatch, ctx: AttackContext): Promise<AttackOutcome> {
  const { count, pixels } = batch;
  const per = ctx.pixelsPerImage;
  const state = newState(count, per, p.c);
  state.best.set(pixels.subarray(0, count * per));
  if (count === 0) return { adversarial: state.best, queries: state.queries };
  const oracle = await marginGradient(p, batch, ctx, state);
  for (let s = 0; s < p.searchSteps && !ctx.signal?.aborted; s++) {
    const found = await optimise(p, batch, ctx, state, oracle);
    for (let i = 0; i < count; i++) {
      const next = nextConstant(state.c[i], state.lower[i], state.upper[i], found[i]);
      state.c[i] = next.c;
      state.lower[i] = next.lower;
      state.upper[i] = next.upper;
    }
  }
  return { adversarial: state.best, queries: state.queries };
}

async function marginGradient(p: CarliniWagnerParams, batch: AttackBatch, ctx: AttackContext, state: RunState): Promise<MarginGradient> {
  const targeted = batch.targets !== null;
  const cls = batch.targets ?? batch.labels;
  if (ctx.criterion === 'top1') return headMargin(await ctx.gradient({ kind: 'cw-margin', targeted }), cls, targeted, p.kappa);
  const lastLogits = await ctx.classifier.scores(batch.pixels, batch.count);
  for (let i = 0; i < batch.count; i++) state.queries[i] += 1;
  const classes = lastLogits.length / batch.count;
  return rankMarginGradient(
    await ctx.gradient({ kind: 'vjp' }),
    cls,
    targeted,
    p.kappa,
    Math.min(5, classes - 1),
    Float32Array.from(lastLogits),
    classes,
  );
}

/**
 * One binary-search step: Adam from the clean image at each image's current c, all still-running images
 * batched through every step. Returns which images reached success (margin ≤ −κ under the criterion).
 */
async function optimise(
  p: CarliniWagnerParams,
  batch: AttackBatch,
  ctx: AttackContext,
  state: RunState,
  oracle: MarginGradient,
): Promise<boolean[]> {
  const { count, pixels } = batch;
  const per = ctx.pixelsPerImage;
  const [lo, hi] = ctx.range;
  const half = (hi - lo) / 2;
  const w = new Float32Array(count * per),
    m = new Float32Array(count * per),
    v = new Float32Array(count * per);
  for (let i = 0; i < count; i++) toTanhSpace(pixels, lo, hi, w.subarray(i * per, (i + 1) * per), i * per);
  const found = new Array<boolean>(count).fill(false);
  const prevLoss = new Float64Array(count).fill(Infinity);
  const checkEvery = Math.max(1, Math.floor(p.steps / 10));
  let active = Array.from({ length: count }, (_, i) => i);
  const g = new Float32Array(per);
  for (let step = 0; step < p.steps && active.length > 0; step++) {
    if (ctx.signal?.aborted) break;
    const n = active.length;
    const xs = new Float32Array(n * per),
      ts = new Float32Array(n * per);
    active.forEach((i, k) =>
      fromTanhSpace(w.subarray(i * per, (i + 1) * per), lo, hi, xs.subarray(k * per, (k + 1) * per), ts.subarray(k * per, (k + 1) * per)),
    );
    const r = await oracle.evaluate(xs, active);
    const adversarial = ctx.isAdversarial(
      r.logits,
      active.map((i) => batch.labels[i]),
      batch.targets && active.map((i) => batch.targets![i]),
    );
    const loss = new Float64Array(n);
    active.forEach((i, k) => {
      state.queries[i] += r.evaluations[k];
      const x = xs.subarray(k * per, (k + 1) * per);
      const l2sq = squaredDistance(x, pixels, i * per);
      loss[k] = l2sq + state.c[i] * Math.max(r.margin[k], -p.kappa);
      record(state, i, x, l2sq, r.margin[k], adversarial[k] && r.margin[k] <= -p.kappa, found);
      objectiveGradient(
        x,
        pixels,
        i * per,
        ts.subarray(k * per, (k + 1) * per),
        r.grad.subarray(k * per, (k + 1) * per),
        state.c[i],
        half,
        g,
      );
      adamStep(
        w.subarray(i * per, (i + 1) * per),
        m.subarray(i * per, (i + 1) * per),
        v.subarray(i * per, (i + 1) * per),
        g,
        p.lr,
        step + 1,
      );
    });
    if (p.abortEarly && step % checkEvery === 0) active = active.filter((i, k) => !stalled(loss[k], prevLoss, i, found[i]));
  }
  return found;
}

/**
 * The paper's abort test (loss above 99.99 % of its value steps/10 steps earlier), per image, for images that
 * have not succeeded in this search step. Succeeded ones always run on: their loss oscillates while the L2
 * shrinks along the boundary, and stopping them on a noisy uptick lost much of the L2 gain (measured:
 * median L2 0.66 instead of 0.57 on fashion-resnet at c = 1, 100 steps).
 */
export function stalled(loss: number, prevLoss: Float64Array, i: number, succeeded: boolean): boolean {
  const stop = !succeeded && loss > prevLoss[i] * 0.9999;
  prevLoss[i] = loss;
  return stop;
}

function squaredDistance(x: Float32Array, clean: Float32Array, offset: number): number {
  let s = 0;
  for (let j = 0; j < x.length; j++) {
    const d = x[j] - clean[offset + j];
    s += d * d;
  }
  return s;
}

/** Keeps the smallest successful x' per image; until one exists, the try with the lowest margin. */
function record(state: RunState, i: number, x: Float32Array, l2sq: number, margin: number, success: boolean, found: boolean[]): void {
  const per = x.length;
  if (success) {
    found[i] = true;
    if (l2sq < state.bestL2sq[i]) {
      state.bestL2sq[i] = l2sq;
      state.best.set(x, i * per);
    }
  } else if (state.bestL2sq[i] === Infinity && margin < state.closestMargin[i]) {
    state.closestMargin[i] = margin;
    state.best.set(x, i * per);
  }
}
