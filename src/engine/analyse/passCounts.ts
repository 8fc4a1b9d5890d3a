/**
 * How much model work an analyse run does, from its plan: per progress stage, the images it counts and the
 * forward passes and input-gradient passes (forward + backward) each of them costs. A timing probe's
 * per-image costs times these counts give the estimate shown before a run, and the ETA's prior for stages
 * not yet started. Pure: the extension host imports it (no onnxruntime here).
 *
 * Counts are closed forms of what the stages run. DeepFool, which stops an image on crossing the boundary,
 * is counted at its typical cost, not its bound, and says so below; the rest are the full work (minimal-ε
 * bisection runs every step on images that break at the budget; defences are counted as if every attack
 * succeeded; SimBA and Square spend their whole query budget). Image decoding and the FFT-only stages (RCT,
 * spectra) cost no model passes and are left out.
 */
import type { AttackSpec } from '../attacks/catalog';
import { attackDefaults } from '../attacks/catalog';
import { ADAPTIVE_STEPS, adaptiveEnsembleSpecs, type AdaptiveAttack } from '../defences/adaptive';
import { eotPoints } from '../defences/eotGradient';
import { pointsPerImage } from '../defences/postAveraging';
import { bandCount, groupCount } from '../spectral/occludedFrequency';
import type { AnalysePlan } from './plan';

import { ANALYSE_STAGES, PLAIN_DEFENDED, type DefendedPassFactors, type Passes, type StageWork } from './stageWork';

/**
 * DeepFool stops an image once it crosses the boundary: its authors report 2–3 iterations on average
 * (Moosavi-Dezfooli et al., 2016); 3 linearised steps are counted, not the `steps` bound.
 */
export const DEEPFOOL_TYPICAL_STEPS = 3;
/**
 * Pass 2 re-attacks only the examples a defence defended in pass 1 (an attack broke the model, not the
 * defended one). Before pass 1 that share is unknown: it was a fifth on mnist-cnn, three quarters on
 * fashion-resnet and all of them on the random ResNet-18 at 224×224, whose adaptive stage the earlier
 * count of half left 2.6× short. The bound is counted, as the defences are counted as if every attack
 * succeeded: a budget's plan then errs towards finishing early rather than cutting the stage. Pass 1's exact
 * count replaces it once pass 1 is over: in the budget's re-plan (replan.ts, which then gives back what the
 * plan took when there is room) and in the ETA when the stage starts (passTwo.ts).
 */
export const REATTACKED_SHARE = 1;
/**
 * The adaptive ensemble's later attacks run only on the images its first (APGD-CE-10) left robust. On mnist-cnn
 * (analyse --preset fast --limit 20) it left 2 of 19 DeepFool examples through low-pass and through
 * post-averaging; a quarter is counted, so the estimate stays on the safe side of a budget.
 */
export const ENSEMBLE_SURVIVOR_SHARE = 0.25;
/** The ε sweep's attack: PGD-10 L∞ at each ε of the grid (stages/epsilonSweep.ts). */
const SWEEP_PGD_STEPS = 10;

export const addPasses = (a: Passes, b: Passes, times = 1): Passes => ({
  forward: a.forward + times * b.forward,
  gradient: a.gradient + times * b.gradient,
});
export const NO_PASSES: Passes = { forward: 0, gradient: 0 };
const add = addPasses;
const NONE = NO_PASSES;

/** Passes one image costs an attack of the suite (its parameters over the catalog's defaults). */
export function attackPasses(spec: AttackSpec, numClasses: number): Passes {
  const p: Record<string, unknown> = { ...attackDefaults(spec.name, spec.params.norm as 'linf' | 'l2' | undefined), ...spec.params };
  const n = (key: string) => p[key] as number;
  const minimal = p.mode === 'minimal-eps';
  switch (spec.name) {
    case 'fgsm':
    case 'fgm':
      // One gradient; fixed ε: one evaluation; minimal ε: up to the whole grid of evaluations.
      return { gradient: 1, forward: minimal ? n('gridSize') : 1 };
    case 'pgd': {
      // Per restart: `steps` gradients and one evaluation; minimal ε: the full budget, then every bisection step.
      const once = { gradient: n('restarts') * n('steps'), forward: n('restarts') };
      return minimal ? add(NONE, once, 1 + n('searchSteps')) : once;
    }
    case 'deepfool': {
      // Each linearised step: one vjp row per candidate class, and one evaluation; one evaluation first.
      const steps = Math.min(n('steps'), DEEPFOOL_TYPICAL_STEPS);
      return { gradient: steps * Math.min(n('candidates'), numClasses), forward: 1 + steps };
    }
    case 'cw':
      // The cw-margin head gives the loss and its gradient in one pass: steps per binary-search step, and one check each.
      return { gradient: n('searchSteps') * n('steps'), forward: n('searchSteps') };
    case 'simba':
      // The full query budget, the bound: an image stops at success, but on a model SimBA cannot break (a robust
      // or a random one: no success in 625 queries on the random ResNet-18 at 224) every image spends all of it,
      // and a fifth of it, counted before, left a budget's pass 1 1.5× its estimate.
      return { gradient: 0, forward: n('maxQueries') };
    case 'apgd-ce':
    case 'apgd-dlr':
      // Per restart: a gradient at the start and one per step, each `eot` calls. A bound: an image broken early leaves the batch.
      return { gradient: n('restarts') * (1 + n('steps')) * n('eot'), forward: 0 };
    case 'apgd-t':
      // The clean logits pick the targets; then per target class and restart as APGD-CE (a bound, likewise).
      return { gradient: Math.min(n('targets'), numClasses - 1) * n('restarts') * (1 + n('steps')) * n('eot'), forward: 1 };
    case 'fab-t': {
      // The clean logits pick the targets; then per target class and restart, each step one gradient and one
      // forward pass (every image of a run takes all the steps; a bound: an image broken within ε leaves later runs).
      const runs = Math.min(n('targets'), numClasses - 1) * n('restarts');
      return { gradient: runs * n('steps'), forward: 1 + runs * n('steps') };
    }
    case 'square':
      // One forward pass per iteration, the full budget as a bound (an image stops at success).
      return { gradient: 0, forward: n('maxQueries') };
  }
}

/**
 * What a defence's model costs per image to classify, and per adaptive-attack gradient (EOT over
 * `eotSamples` of its points: all 6K+1 by default), in plain passes at the probe's defended factors.
 */
export function defendedPasses(
  defence: string,
  K: number,
  eotSamples?: number,
  f: DefendedPassFactors = PLAIN_DEFENDED,
): { classify: Passes; gradient: Passes } {
  if (defence === 'post-averaging') {
    const points = pointsPerImage(K) * f.postAveragingForward;
    return {
      classify: { forward: points, gradient: 0 },
      gradient: { forward: 0, gradient: eotPoints(K, eotSamples) * f.postAveragingGradient },
    };
  }
  // Classifying filters the image in JavaScript first; the gradient's filter is part of the defended graph.
  return { classify: { forward: f.lowPassForward, gradient: 0 }, gradient: { forward: 0, gradient: 1 } };
}

export interface ImageShape {
  height: number;
  width: number;
  numClasses: number;
  /** Images per model call: pass 2 replays pass 1's batches whole (absent: counted image by image). */
  batchSize?: number;
}

/**
 * Passes per attacked image of each attack a suite of `count` attacks runs, in order: the plan's when the
 * suite is the plan's (one forward pass each otherwise: an attack the plan did not count).
 */
export function suiteAttackPasses(plan: AnalysePlan, count: number, numClasses: number): Passes[] {
  return Array.from({ length: count }, (_, i) =>
    count === plan.attacks.length ? attackPasses(plan.attacks[i], numClasses) : { forward: 1, gradient: 0 },
  );
}

/** Passes the whole suite costs one attacked image. */
export function suitePasses(plan: AnalysePlan, numClasses: number): Passes {
  return plan.attacks.reduce((sum, spec) => add(sum, attackPasses(spec, numClasses)), NONE);
}

/**
 * Pass 1's last part of a batch, per image: every defence configuration on the clean image and on each
 * adversarial example (`accuracy` of the images are attacked; every attack is counted as a success), and
 * Occluded Frequency (a pass per band group: ⌈bands / g⌉) on the share of the images it covers.
 */
export function passOneRest(plan: AnalysePlan, shape: ImageShape, accuracy: number, f: DefendedPassFactors = PLAIN_DEFENDED): Passes {
  const stage = (name: string) => plan.stages.find((s) => s.stage === name)!;
  const images = stage('clean').sizes.images;
  const defenceSizes = stage('defences').skipped === null ? stage('defences').sizes : {};
  const rows = 1 + plan.attacks.length * accuracy;
  const radii = defenceSizes['post-averaging/radii'] ?? 0;
  const points = (defenceSizes['post-averaging/pointsPerImage'] ?? 0) * f.postAveragingForward;
  let rest: Passes = { forward: rows * radii * points, gradient: 0 };
  rest = add(rest, { forward: rows * (defenceSizes['low-pass/cutoffs'] ?? 0) * f.lowPassForward, gradient: 0 });
  const of = stage('occludedFrequency');
  if (of.skipped === null && images > 0)
    rest = add(rest, {
      forward: (of.sizes.images / images) * groupCount(bandCount(shape.height, shape.width), plan.ofBandGroup),
      gradient: 0,
    });
  return rest;
}

/**
 * The work of each progress stage of the run `plan` describes (stages that do not run have none). `K` is
 * post-averaging's configured K (the one pass 2 uses); `accuracy` the expected clean accuracy (a probe's):
 * attacks run on correctly classified images only, and pass 2 takes its adaptive images from them. The
 * defences are counted as if every attack succeeded; pass 2 re-attacks, per defence, `reattacked[name]` of
 * the adaptive images' attack examples: once pass 1 is over its exact share (passTwo.ts), before it every
 * example (the bound: REATTACKED_SHARE).
 */
export function analyseWork(
  plan: AnalysePlan,
  shape: ImageShape,
  K: number,
  accuracy = 1,
  factors: DefendedPassFactors = PLAIN_DEFENDED,
  reattacked: Readonly<Record<string, number>> = {},
): StageWork[] {
  const a = Math.min(1, Math.max(0, accuracy));
  const images = plan.stages.find((s) => s.stage === 'clean')!.sizes.images;
  const stage = (name: string) => plan.stages.find((s) => s.stage === name)!;
  const A = plan.attacks.length;
  const suite = suitePasses(plan, shape.numClasses);

  // Pass 1, per image: its scores, every attack (on the correct images), then the defences and frequency analyses.
  const passOne = add(add({ forward: 1, gradient: 0 }, suite, a), passOneRest(plan, shape, a, factors));
  const work: StageWork[] = [
    { stage: ANALYSE_STAGES.clean, images, perImage: { forward: 1, gradient: 0 } },
    { stage: ANALYSE_STAGES.passOne, images, perImage: passOne },
  ];

  const adaptive = stage('adaptive');
  // The adaptive images: the first correctly classified ones; the replay reads pass 1's batches up to the end of
  // the one holding the last of them (passTwo.ts' replayedPrefix: 8 images replayed for 4 adaptive ones at batch 8).
  const n2 = Math.min(Math.round(a * images), adaptive.sizes.images);
  if (adaptive.skipped !== null || plan.defences.length === 0 || n2 === 0) return work;
  const lastAdaptive = Math.ceil(n2 / a);
  const replay = Math.min(images, shape.batchSize ? Math.ceil(lastAdaptive / shape.batchSize) * shape.batchSize : lastAdaptive);
  const defended = plan.defences.map((d) => defendedPasses(d.name, K, plan.eotSamples, factors));
  const sweeps = stage('sweeps').skipped === null ? plan.epsGrid.length : 0;
  // Part 1, per adaptive image: scores, a timed plain pass, each defence on the clean image; the ε sweep's
  // PGD-10 at every ε, and every defence on each of its examples.
  let partOne: Passes = { forward: 2, gradient: 0 };
  for (const d of defended) partOne = add(partOne, d.classify, 1 + sweeps);
  partOne = add(partOne, { forward: 1, gradient: SWEEP_PGD_STEPS }, sweeps);
  // Part 2, per replayed image: scores and the suite again; per adaptive image, each defence's PGD-10 (an EOT
  // gradient) against every attack's example, and the defended verdict on it.
  const replayed = add({ forward: 1, gradient: 0 }, suite, a);
  let reattacks = NONE;
  plan.defences.forEach((d) => {
    const share = reattacked[d.name] ?? REATTACKED_SHARE;
    reattacks = add(reattacks, adaptiveAttackPasses(d.name, K, plan.eotSamples, plan.adaptiveAttack, shape.numClasses, factors), A * share);
  });
  work.push({ stage: ANALYSE_STAGES.passTwoSweep, images: n2, perImage: partOne });
  // Per replayed image: the replay's share and the re-attacks' share (n2 of the replay's images are adaptive).
  const reattack = (x: number) => (x * n2) / replay;
  work.push({
    stage: ANALYSE_STAGES.passTwoAdaptive,
    images: replay,
    perImage: { forward: replayed.forward + reattack(reattacks.forward), gradient: replayed.gradient + reattack(reattacks.gradient) },
  });
  return work;
}

/** A gradient pass weighed in forward passes, where no probe has measured it (the shared CNNs: 4–8). */
export const GRADIENT_PASS_WEIGHT = 4;

/** Passes as one number of forward-pass equivalents (for splitting a batch's progress among its parts). */
export function passWeight(p: Passes): number {
  return p.forward + GRADIENT_PASS_WEIGHT * p.gradient;
}

/**
 * One defence's adaptive attack against one attack's example, and the defended verdict on it (pass 2):
 *   pgd:        ADAPTIVE_STEPS defence gradients and PGD's final evaluation through the defence;
 *   apgd-ce:    a gradient at the start and one per step (ADAPTIVE_STEPS + 1);
 *   autoattack: the cascade's first attack on the image, each later one on the `survivors` share of images
 *               still robust (default ENSEMBLE_SURVIVOR_SHARE, typical; 1 is the bound, what runs when nothing
 *               breaks), its gradients through the defence and its forward passes of the defended model, plus
 *               the cascade's check of each attack's examples (one defended classification per attack run).
 */
export function adaptiveAttackPasses(
  defence: string,
  K: number,
  eotSamples?: number,
  attack: AdaptiveAttack = 'pgd',
  numClasses = 10,
  factors: DefendedPassFactors = PLAIN_DEFENDED,
  survivors = ENSEMBLE_SURVIVOR_SHARE,
): Passes {
  const d = defendedPasses(defence, K, eotSamples, factors);
  // PGD ends with its own evaluation through the defence, and the verdict on the kept example is another
  // (stages/adaptive.ts); APGD-CE's steps return the defended scores, so only the verdict is added.
  if (attack === 'pgd') return add(add(NONE, d.gradient, ADAPTIVE_STEPS), d.classify, 2);
  if (attack === 'apgd-ce') return add(add(NONE, d.gradient, ADAPTIVE_STEPS + 1), d.classify);
  const randomized = defence === 'post-averaging';
  let total = d.classify;
  adaptiveEnsembleSpecs('linf', 1, randomized).forEach((spec, a) => {
    const p = attackPasses(spec, numClasses);
    const share = a === 0 ? 1 : survivors;
    total = add(total, add(add(add(NONE, d.gradient, p.gradient), d.classify, p.forward), d.classify), share);
  });
  return total;
}
