/**
 * Auto-PGD (Croce & Hein, 2020), L∞ and L2, as in the authors' code (fra31/auto-attack, autopgd_base.py):
 * step size 2ε halved at the checkpoints when fewer than ρ = 75 % of the steps since the last one raised the
 * loss (or the best loss did not move and the step was not halved last time), restarting from the best point;
 * momentum 0.75 after the first step; a random start on the ε-sphere.
 *   APGD-CE: cross-entropy (descending the target's when the run is targeted).
 *   APGD-T: the targeted DLR loss, once per target class — the 2nd, 3rd, … highest clean logit — each run only
 *           on the images still classified correctly; a success is any misclassification, as in AutoAttack.
 * An image once misclassified stays counted as broken (the reference keeps its first adversarial point), so
 * broken images leave the batch and cost no more gradients; the robust accuracy is the reference's. With EOT
 * (randomized models) images stay for every step, as in the reference, and keep the latest misclassified point.
 */
import { EngineError } from '../errors';
import { dlrMinClasses, type LossHead } from '../grad/lossHeads';
import type { GradientInputs } from '../grad/gradientModel';
import { topK } from '../eval/scores';
import { attackDefaults } from './catalog';
import { formatEpsilon } from './format';
import { checkEpsilon } from './gradientSteps';
import type { Attack, AttackBatch, AttackContext, AttackOutcome, Norm } from './types';

export interface ApgdParams {
  norm: Norm;
  eps: number;
  steps: number;
  restarts: number;
  /** Fraction of the steps since the last checkpoint that must have raised the loss to keep the step size. */
  rho: number;
  /**
   * EOT: gradient calls averaged per step (AutoAttack's rand version: 20). Each call is a query; for a
   * randomized defence every call samples anew, for a deterministic model the calls return the same gradient.
   */
  eot: number;
  /**
   * Not a catalog parameter: keep every image for all steps even without EOT (a randomized model whose gradient
   * source already averages draws, e.g. analyse's EOT gradient through post-averaging). Default: eot > 1.
   */
  keepBroken?: boolean;
}

export interface ApgdTargetedParams extends ApgdParams {
  /** Target classes tried per image: the 2nd … (targets + 1)-th highest clean logit. */
  targets: number;
}

const MOMENTUM = 0.75;
const NORM_FLOOR = 1e-12;

export function createApgdCe(params: Partial<ApgdParams> = {}): Attack {
  const p = { ...defaults('apgd-ce', params.norm), ...params } as ApgdParams;
  checkEpsilon('apgd-ce', p.eps, p.norm);
  return {
    label: `APGD-CE-${p.steps} ${normText(p.norm)} ε=${formatEpsilon(p.eps, p.norm)}${p.eot > 1 ? ` EOT-${p.eot}` : ''}`,
    mode: 'fixed-eps',
    params: { attack: 'apgd-ce', ...p },
    run: (batch, ctx) =>
      cascade(batch, ctx, p, [
        {
          head: { kind: 'cross-entropy' },
          // Targeted runs descend the target's cross-entropy: the loss ascended is its negative.
          sign: batch.targets ? -1 : 1,
          inputs: (rows) => ({ labels: rows.map((i) => (batch.targets ?? batch.labels)[i]) }),
        },
      ]),
  };
}

export function createApgdT(params: Partial<ApgdTargetedParams> = {}): Attack {
  const p = { ...defaults('apgd-t', params.norm), ...params } as ApgdTargetedParams;
  checkEpsilon('apgd-t', p.eps, p.norm);
  const recorded: Record<string, unknown> = { attack: 'apgd-t', ...p };
  return {
    label: `APGD-T-${p.steps} ${normText(p.norm)} ε=${formatEpsilon(p.eps, p.norm)}${p.eot > 1 ? ` EOT-${p.eot}` : ''}`,
    mode: 'fixed-eps',
    params: recorded,
    run: async (batch, ctx) => {
      if (batch.targets)
        throw new EngineError('USAGE', 'apgd-t: targets given: it picks its own target classes (use apgd-ce for a given target)');
      if (ctx.numClasses < dlrMinClasses(true)) {
        // The targeted DLR loss reads the 4th-highest logit: with fewer classes it does not exist.
        recorded.loss = `cross-entropy (targeted DLR needs ≥ 4 classes; the model has ${ctx.numClasses})`;
        recorded.fallback = `ran on the cross-entropy: the targeted DLR loss divides by z_π1 − (z_π3 + z_π4)/2, which needs ≥ 4 classes, and the model has ${ctx.numClasses}`;
        return cascade(batch, ctx, p, [
          { head: { kind: 'cross-entropy' }, sign: 1, inputs: (rows) => ({ labels: rows.map((i) => batch.labels[i]) }) },
        ]);
      }
      // Target classes from the clean logits, as the reference sorts them once before the runs.
      const clean = await ctx.classifier.scores(batch.pixels, batch.count);
      const k = clean.length / batch.count;
      const targets = Math.min(p.targets, k - 1);
      if (targets < p.targets)
        // AutoAttack's 9 targets assume ≥ 10 classes; a smaller model runs every other class once.
        recorded.fallback = `${p.targets} target classes asked, but the model has ${k} classes, so at most ${k - 1} (classes − 1): ran ${targets}`;
      const ranked = Array.from({ length: batch.count }, (_, i) => topK(clean.subarray(i * k, (i + 1) * k), targets + 1));
      const passes = Array.from({ length: targets }, (_, t): Pass => ({
        head: { kind: 'dlr', targeted: true },
        sign: 1,
        inputs: (rows: number[]): GradientInputs => ({
          labels: rows.map((i) => batch.labels[i]),
          targets: rows.map((i) => ranked[i][t + 1]),
        }),
      }));
      const outcome = await cascade(batch, ctx, p, passes);
      for (let i = 0; i < batch.count; i++) outcome.queries[i] += 1; // the clean forward pass
      return outcome;
    },
  };
}

/**
 * APGD-DLR: the untargeted DLR loss −(z_y − max_{j≠y} z_j)/(z_π1 − z_π3) — the rand version of AutoAttack
 * runs it in place of APGD-T (autoattack.py, version 'rand'); below 3 classes the cross-entropy, recorded.
 */
export function createApgdDlr(params: Partial<ApgdParams> = {}): Attack {
  const p = { ...defaults('apgd-dlr', params.norm), ...params } as ApgdParams;
  checkEpsilon('apgd-dlr', p.eps, p.norm);
  const recorded: Record<string, unknown> = { attack: 'apgd-dlr', ...p };
  return {
    label: `APGD-DLR-${p.steps} ${normText(p.norm)} ε=${formatEpsilon(p.eps, p.norm)}${p.eot > 1 ? ` EOT-${p.eot}` : ''}`,
    mode: 'fixed-eps',
    params: recorded,
    run: (batch, ctx) => {
      const labels = (rows: number[]) => ({ labels: rows.map((i) => batch.labels[i]) });
      if (batch.targets) throw new EngineError('USAGE', 'apgd-dlr: targets given: it is untargeted (use apgd-ce for a given target)');
      if (ctx.numClasses < dlrMinClasses(false)) {
        recorded.loss = `cross-entropy (DLR needs ≥ 3 classes; the model has ${ctx.numClasses})`;
        recorded.fallback = `ran on the cross-entropy: the DLR loss divides by z_π1 − z_π3, the gap to the third-highest logit, which needs ≥ 3 classes, and the model has ${ctx.numClasses}`;
        return cascade(batch, ctx, p, [{ head: { kind: 'cross-entropy' }, sign: 1, inputs: labels }]);
      }
      return cascade(batch, ctx, p, [{ head: { kind: 'dlr', targeted: false }, sign: 1, inputs: labels }]);
    },
  };
}

interface Pass {
  head: LossHead;
  /** +1: ascend the head's loss; −1: descend it. */
  sign: 1 | -1;
  /** The head's inputs for the given rows of the batch. */
  inputs: (rows: number[]) => GradientInputs;
}

/**
 * Each pass (a loss, or a target class), each restart: one APGD run on the images not yet broken. Returns
 * the first adversarial point of each broken image, and for the others the highest-loss point found.
 */
async function cascade(batch: AttackBatch, ctx: AttackContext, p: ApgdParams, passes: Pass[]): Promise<AttackOutcome> {
  const per = ctx.pixelsPerImage;
  const adversarial = Float32Array.from(batch.pixels);
  const queries = new Float64Array(batch.count);
  const broken = new Array<boolean>(batch.count).fill(false);
  const bestScore = new Float64Array(batch.count).fill(-Infinity);
  for (const pass of passes) {
    for (let r = 0; r < p.restarts; r++) {
      const rows = broken.flatMap((b, i) => (b ? [] : [i]));
      if (rows.length === 0 || ctx.signal?.aborted) return { adversarial, queries };
      const run = await apgdRun(batch, rows, ctx, p, pass);
      rows.forEach((i, j) => {
        queries[i] += run.queries[j];
        const src = (run.success[j] ? run.xAdv : run.xBest).subarray(j * per, (j + 1) * per);
        if (run.success[j]) {
          broken[i] = true;
          adversarial.set(src, i * per);
        } else if (run.loss[j] > bestScore[i]) {
          bestScore[i] = run.loss[j];
          adversarial.set(src, i * per);
        }
      });
    }
  }
  return { adversarial, queries };
}

interface RunResult {
  success: boolean[];
  /** The first adversarial point (where success). */
  xAdv: Float32Array;
  /** The highest-loss point. */
  xBest: Float32Array;
  loss: Float64Array;
  queries: Float64Array;
}

/** One APGD run on `rows` of the batch (algorithm 1 of the paper, with the reference code's details). */
async function apgdRun(batch: AttackBatch, rows: number[], ctx: AttackContext, p: ApgdParams, pass: Pass): Promise<RunResult> {
  const n = rows.length;
  const per = ctx.pixelsPerImage;
  const [lo, hi] = ctx.range;
  const x0 = new Float32Array(n * per);
  rows.forEach((i, j) => x0.set(batch.pixels.subarray(i * per, (i + 1) * per), j * per));
  const labels = rows.map((i) => batch.labels[i]);
  const targets = batch.targets ? rows.map((i) => batch.targets![i]) : null;
  const grads = await ctx.gradient(pass.head);
  const extra = pass.inputs(rows);
  const queries = new Float64Array(n);

  const x = randomStart(x0, n, p, ctx);
  const evaluate = async (at: Float32Array, active: number[]) => {
    const sub = active.length === n ? at : gather(at, active, per);
    const subExtra = active.length === n ? extra : pick(extra, active);
    // EOT (as the reference): the mean loss and gradient over `eot` calls; the last call's logits decide success.
    let out = await grads.compute(sub, active.length, subExtra);
    if (p.eot > 1) {
      const grad = Float32Array.from(out.grad);
      const loss = Float64Array.from(out.loss);
      for (let e = 1; e < p.eot; e++) {
        out = await grads.compute(sub, active.length, subExtra);
        for (let q = 0; q < grad.length; q++) grad[q] += out.grad[q];
        for (let q = 0; q < loss.length; q++) loss[q] += out.loss[q];
      }
      for (let q = 0; q < grad.length; q++) grad[q] /= p.eot;
      for (let q = 0; q < loss.length; q++) loss[q] /= p.eot;
      out = { ...out, grad, loss: Float32Array.from(loss) };
    }
    const adv = ctx.isAdversarial(
      out.logits,
      active.map((j) => labels[j]),
      targets ? active.map((j) => targets[j]) : null,
    );
    for (const j of active) queries[j] += p.eot;
    return { loss: Float64Array.from(out.loss, (l) => pass.sign * l), grad: out.grad, adv };
  };

  const success = new Array<boolean>(n).fill(false);
  const xAdv = new Float32Array(n * per);
  const xBest = Float32Array.from(x);
  const gradBest = new Float32Array(n * per);
  const grad = new Float32Array(n * per);
  const lossBest = new Float64Array(n).fill(-Infinity);
  const record = (active: number[], r: Awaited<ReturnType<typeof evaluate>>, lossNow: Float64Array) => {
    active.forEach((j, a) => {
      const g = r.grad.subarray(a * per, (a + 1) * per);
      grad.set(g, j * per);
      lossNow[j] = r.loss[a];
      if (r.adv[a] && (!success[j] || keepGoing)) {
        success[j] = true;
        xAdv.set(x.subarray(j * per, (j + 1) * per), j * per);
      }
      if (r.loss[a] > lossBest[j]) {
        lossBest[j] = r.loss[a];
        xBest.set(x.subarray(j * per, (j + 1) * per), j * per);
        gradBest.set(g, j * per);
      }
    });
  };

  const all = Array.from({ length: n }, (_, j) => j);
  // With EOT (a randomized model) an image stays in the run after a draw misclassified it, and its example is
  // the latest point a draw misclassified, as the reference (x_best_adv); the first lucky draw is a weak example,
  // and the caller's fresh forward pass decides whether it is broken. Deterministic: it leaves at once.
  const keepGoing = p.keepBroken ?? p.eot > 1;
  const lossSteps: Float64Array[] = [];
  record(all, await evaluate(x, all), new Float64Array(n));
  const stepSize = new Float64Array(n).fill(2 * p.eps);
  const xOld = Float32Array.from(x);
  const nIter2 = Math.max(Math.floor(0.22 * p.steps), 1);
  const nIterMin = Math.max(Math.floor(0.06 * p.steps), 1);
  const sizeDecrease = Math.max(Math.floor(0.03 * p.steps), 1);
  let k = nIter2;
  let counter = 0;
  const lossBestLastCheck = Float64Array.from(lossBest);
  const reducedLastCheck = new Array<boolean>(n).fill(true);

  for (let step = 0; step < p.steps; step++) {
    if (ctx.signal?.aborted) break;
    const active = keepGoing ? all : all.filter((j) => !success[j]);
    if (active.length === 0) break;
    const a = step > 0 ? MOMENTUM : 1;
    for (const j of active) momentumStep(x, xOld, x0, grad, j * per, per, stepSize[j], p, a, lo, hi);
    const lossNow = new Float64Array(n).fill(NaN);
    record(active, await evaluate(x, active), lossNow);
    lossSteps.push(lossNow);
    if (++counter === k) {
      for (const j of active) {
        // The reference compares loss_steps[i − k] at the first checkpoint too, where that row is still zero.
        let increases = 0;
        for (let c = 0; c < k; c++) {
          const now = lossSteps[step - c][j];
          const before = step - c - 1 >= 0 ? lossSteps[step - c - 1][j] : 0;
          if (now > before) increases++;
        }
        const oscillating = increases <= k * p.rho;
        const stalled = !reducedLastCheck[j] && lossBestLastCheck[j] >= lossBest[j];
        const reduce = oscillating || stalled;
        reducedLastCheck[j] = reduce;
        lossBestLastCheck[j] = lossBest[j];
        if (reduce) {
          stepSize[j] /= 2;
          x.set(xBest.subarray(j * per, (j + 1) * per), j * per);
          grad.set(gradBest.subarray(j * per, (j + 1) * per), j * per);
        }
      }
      k = Math.max(k - sizeDecrease, nIterMin);
      counter = 0;
    }
  }
  return { success, xAdv, xBest, loss: lossBest, queries };
}

/** x ← P(x + a·(z − x) + (1 − a)·(x − x_old)) with z = P(x + η·step direction); x_old ← x (one image). */
function momentumStep(
  x: Float32Array,
  xOld: Float32Array,
  x0: Float32Array,
  grad: Float32Array,
  start: number,
  per: number,
  eta: number,
  p: ApgdParams,
  a: number,
  lo: number,
  hi: number,
): void {
  const end = start + per;
  const z = new Float64Array(per);
  if (p.norm === 'linf') {
    for (let j = start; j < end; j++) {
      const s = grad[j] > 0 ? 1 : grad[j] < 0 ? -1 : 0;
      z[j - start] = clip(clip(x[j] + eta * s, x0[j] - p.eps, x0[j] + p.eps), lo, hi);
    }
    for (let j = start; j < end; j++) {
      const moved = x[j] + (z[j - start] - x[j]) * a + (x[j] - xOld[j]) * (1 - a);
      xOld[j] = x[j];
      x[j] = clip(clip(moved, x0[j] - p.eps, x0[j] + p.eps), lo, hi);
    }
    return;
  }
  let g2 = 0;
  for (let j = start; j < end; j++) g2 += grad[j] * grad[j];
  const scale = eta / (Math.sqrt(g2) + NORM_FLOOR);
  for (let j = start; j < end; j++) z[j - start] = x[j] + scale * grad[j];
  projectL2(z, x0, start, p.eps, lo, hi);
  const moved = new Float64Array(per);
  for (let j = start; j < end; j++) moved[j - start] = x[j] + (z[j - start] - x[j]) * a + (x[j] - xOld[j]) * (1 - a);
  projectL2(moved, x0, start, p.eps, lo, hi);
  for (let j = start; j < end; j++) {
    xOld[j] = x[j];
    x[j] = moved[j - start];
  }
}

/** v (one image, offset `start` into x0) ← clip(x0 + (v − x0)·min(ε, ‖v − x0‖)/‖v − x0‖, lo, hi), as the reference. */
function projectL2(v: Float64Array, x0: Float32Array, start: number, eps: number, lo: number, hi: number): void {
  let s = 0;
  for (let j = 0; j < v.length; j++) s += (v[j] - x0[start + j]) ** 2;
  const norm = Math.sqrt(s);
  const f = Math.min(eps, norm) / (norm + NORM_FLOOR);
  for (let j = 0; j < v.length; j++) v[j] = clip(x0[start + j] + (v[j] - x0[start + j]) * f, lo, hi);
}

/** The reference's start: L∞ x0 + ε·t/‖t‖∞ with t uniform in [−1, 1]; L2 x0 + ε·t/‖t‖₂ with t Gaussian; clipped. */
function randomStart(x0: Float32Array, n: number, p: ApgdParams, ctx: AttackContext): Float32Array {
  const per = ctx.pixelsPerImage;
  const [lo, hi] = ctx.range;
  const x = new Float32Array(n * per);
  const t = new Float64Array(per);
  for (let i = 0; i < n; i++) {
    let size = 0;
    for (let j = 0; j < per; j++) {
      t[j] = p.norm === 'linf' ? 2 * ctx.rng.next() - 1 : ctx.rng.normal();
      size = p.norm === 'linf' ? Math.max(size, Math.abs(t[j])) : size + t[j] * t[j];
    }
    const f = p.eps / ((p.norm === 'linf' ? size : Math.sqrt(size)) + NORM_FLOOR);
    for (let j = 0; j < per; j++) x[i * per + j] = clip(x0[i * per + j] + f * t[j], lo, hi);
  }
  return x;
}

function gather(x: Float32Array, rows: number[], per: number): Float32Array {
  const out = new Float32Array(rows.length * per);
  rows.forEach((j, a) => out.set(x.subarray(j * per, (j + 1) * per), a * per));
  return out;
}

function pick(extra: GradientInputs, rows: number[]): GradientInputs {
  return {
    ...(extra.labels ? { labels: rows.map((j) => extra.labels![j]) } : {}),
    ...(extra.targets ? { targets: rows.map((j) => extra.targets![j]) } : {}),
    ...(extra.kappa !== undefined ? { kappa: extra.kappa } : {}),
  };
}

function clip(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

function normText(norm: Norm): string {
  return norm === 'linf' ? 'L∞' : 'L2';
}

function defaults(name: 'apgd-ce' | 'apgd-t' | 'apgd-dlr', norm: Norm | undefined): Record<string, unknown> {
  return attackDefaults(name, norm ?? 'linf');
}
