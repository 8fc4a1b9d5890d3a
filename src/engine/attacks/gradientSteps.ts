/**
 * The projected-gradient core shared by FGSM, FGM and PGD: steps along sign(∇) (L∞) or ∇/‖∇‖₂ (L2) of the
 * cross-entropy — ascending it for untargeted attacks, descending the target's for targeted ones —
 * projected onto the per-image ε-ball and the valid range after every step.
 */
import { EngineError } from '../errors';
import type { LossHead } from '../grad/lossHeads';
import { headLogits, headLoss } from '../grad/lossOnLogits';
import { projectInPlace } from './perturbation';
import { SignStepper } from './signStepKernel';
import type { AttackBatch, AttackContext, Norm } from './types';

export interface StepOptions {
  norm: Norm;
  /** Per-image ε. */
  eps: Float64Array;
  /** Per-image step size. */
  alpha: Float64Array;
  steps: number;
  randomStart: boolean;
  /** Stop moving an image once it is adversarial. */
  earlyStop: boolean;
}

export interface StepResult {
  adversarial: Float32Array;
  /** Final loss per image (higher = more adversarial, sign-adjusted for targeted). */
  score: Float64Array;
  success: boolean[];
  queries: Float64Array;
}

const CROSS_ENTROPY: LossHead = { kind: 'cross-entropy' };

export async function projectedGradientSteps(batch: AttackBatch, ctx: AttackContext, o: StepOptions): Promise<StepResult> {
  const { count } = batch;
  const [lo, hi] = ctx.range;
  const x0 = batch.pixels;
  const x = Float32Array.from(x0);
  const targeted = batch.targets !== null;
  const lossLabels = batch.targets ?? batch.labels;
  if (o.randomStart) randomStart(x, x0, count, o, ctx);
  const grads = await ctx.gradient(CROSS_ENTROPY);
  const queries = new Float64Array(count);
  const score = new Float64Array(count).fill(-Infinity);
  let success = new Array<boolean>(count).fill(false);
  const frozen = new Array<boolean>(count).fill(false);
  const signedAlpha = o.alpha.map((a) => (targeted ? -a : a));
  const stepper = o.norm === 'linf' ? new SignStepper(x0, count, lo, hi) : undefined;
  const moving = (i: number): boolean => !frozen[i];
  for (let step = 0; step < o.steps; step++) {
    if (ctx.signal?.aborted) break;
    const { logits, grad } = await grads.compute(x, count, { labels: lossLabels });
    for (let i = 0; i < count; i++) if (!frozen[i]) queries[i]++;
    if (o.earlyStop) {
      success = ctx.isAdversarial(logits, batch.labels, batch.targets);
      success.forEach((s, i) => {
        if (s) frozen[i] = true;
      });
      if (frozen.every(Boolean)) break;
    }
    if (stepper) stepper.step(x, grad, signedAlpha, o.eps, moving);
    else l2Step(x, x0, grad, count, signedAlpha, o.eps, moving, lo, hi);
  }
  // Final evaluation (forward only): success, and the sign-adjusted loss that picks the worst case across restarts.
  const scores = await ctx.classifier.scores(x, count);
  success = ctx.isAdversarial(scores, batch.labels, batch.targets);
  const classes = scores.length / count;
  const kind = ctx.classifier.outputKind?.kind ?? 'logits';
  for (let i = 0; i < count; i++) {
    const loss = headLoss(CROSS_ENTROPY, headLogits(scores.subarray(i * classes, (i + 1) * classes), kind), { label: lossLabels[i] });
    score[i] = targeted ? -loss : loss;
    queries[i]++;
  }
  return { adversarial: x, score, success, queries };
}

/** One L2 step per moving image: by a[i] along g/‖g‖₂, projected onto the ε-ball and the valid range. */
function l2Step(
  x: Float32Array,
  x0: Float32Array,
  grad: Float32Array,
  count: number,
  a: ArrayLike<number>,
  eps: ArrayLike<number>,
  moving: (i: number) => boolean,
  lo: number,
  hi: number,
): void {
  const per = x0.length / count;
  for (let i = 0; i < count; i++) {
    if (!moving(i)) continue;
    const start = i * per,
      end = start + per;
    let s = 0;
    for (let j = start; j < end; j++) s += grad[j] * grad[j];
    const f = a[i] / (Math.sqrt(s) + 1e-10);
    for (let j = start; j < end; j++) x[j] += f * grad[j];
    projectInPlace(x.subarray(start, end), x0.subarray(start, end), 1, [eps[i]], 'l2', lo, hi);
  }
}

function randomStart(x: Float32Array, x0: Float32Array, count: number, o: StepOptions, ctx: AttackContext): void {
  const per = ctx.pixelsPerImage;
  const [lo, hi] = ctx.range;
  for (let i = 0; i < count; i++) {
    const start = i * per,
      end = start + per;
    if (o.norm === 'linf') {
      for (let j = start; j < end; j++) x[j] = x0[j] + o.eps[i] * (2 * ctx.rng.next() - 1);
    } else {
      // Uniform in the L2 ball: a Gaussian direction, radius ε·U^(1/d).
      let s = 0;
      const d = new Float64Array(per);
      for (let j = 0; j < per; j++) {
        d[j] = ctx.rng.normal();
        s += d[j] * d[j];
      }
      const r = (o.eps[i] * Math.pow(ctx.rng.next(), 1 / per)) / Math.sqrt(s);
      for (let j = 0; j < per; j++) x[start + j] = x0[start + j] + r * d[j];
    }
    for (let j = start; j < end; j++) x[j] = x[j] < lo ? lo : x[j] > hi ? hi : x[j];
  }
}

/** ε must be positive; an L∞ ε beyond the pixel range's width (1) or an absurd L2 ε is refused. */
export function checkEpsilon(attack: string, eps: number, norm: Norm): number {
  if (!(eps > 0) || !Number.isFinite(eps))
    throw new EngineError(
      'USAGE',
      `${attack}: ε ${eps}: expected a positive number (pixel units in [0,1], e.g. 8/255 = ${(8 / 255).toFixed(4)})`,
    );
  if (norm === 'linf' && eps > 1)
    throw new EngineError(
      'USAGE',
      `${attack}: L∞ ε ${eps} exceeds the pixel range [0,1]: every image would be reachable (did you mean ${eps}/255 = ${(eps / 255).toFixed(4)}?)`,
    );
  if (norm === 'l2' && eps > 1000) throw new EngineError('USAGE', `${attack}: L2 ε ${eps} is absurd for pixels in [0,1]`);
  return eps;
}

export function checkSteps(attack: string, steps: number): number {
  if (!Number.isInteger(steps) || steps < 1 || steps > 100000)
    throw new EngineError('USAGE', `${attack}: steps ${steps}: expected a whole number from 1 to 100000`);
  return steps;
}
