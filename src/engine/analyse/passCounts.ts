/**
 * How much model work an analyse run does, from its plan: per progress stage, the images it counts and the
 * forward passes and input-gradient passes (forward + backward) each of them costs. A timing probe's
 * per-image costs times these counts give the estimate shown before a run, and the ETA's prior for stages
 * not yet started. Pure: the extension host imports it (no onnxruntime here).
 *
 * Counts are closed forms of what the stages run. Where an attack stops per image (DeepFool on crossing the
 * boundary, SimBA on success), the count is its typical cost, not its bound, and says so below; the rest
 * are the full work (minimal-ε bisection runs every step on images that break at the budget; defences are
 * counted as if every attack succeeded). Image decoding and the FFT-only stages (RCT, spectra) cost no
 * model passes and are left out.
 */
import type { AttackSpec } from '../attacks/catalog';
import { attackDefaults } from '../attacks/catalog';
import { ADAPTIVE_STEPS } from '../defences/adaptive';
import { pointsPerImage } from '../defences/postAveraging';
import { bandCount } from '../spectral/occludedFrequency';
import type { AnalysePlan } from './plan';

import { ANALYSE_STAGES, type Passes, type StageWork } from './stageWork';

/**
 * DeepFool stops an image once it crosses the boundary: its authors report 2–3 iterations on average
 * (Moosavi-Dezfooli et al., 2016); 3 linearised steps are counted, not the `steps` bound.
 */
export const DEEPFOOL_TYPICAL_STEPS = 3;
/**
 * SimBA stops an image on success; on an undefended classifier most images fall within a fifth of the
 * default budget (Guo et al., 2019, Table 1: a few hundred to ~1,700 queries of 10,000 on ImageNet).
 */
export const SIMBA_TYPICAL_BUDGET_FRACTION = 0.2;
/** The ε sweep's attack: PGD-10 L∞ at each ε of the grid (stages/epsilonSweep.ts). */
const SWEEP_PGD_STEPS = 10;

const add = (a: Passes, b: Passes, times = 1): Passes => ({ forward: a.forward + times * b.forward, gradient: a.gradient + times * b.gradient });
const NONE: Passes = { forward: 0, gradient: 0 };

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
      return { gradient: 0, forward: Math.ceil(n('maxQueries') * SIMBA_TYPICAL_BUDGET_FRACTION) };
  }
}

/** What a defence's model costs per image to classify, and per adaptive-attack gradient (EOT over its points). */
function defendedPasses(defence: string, K: number): { classify: Passes; gradient: Passes } {
  if (defence === 'post-averaging') {
    const points = pointsPerImage(K);
    return { classify: { forward: points, gradient: 0 }, gradient: { forward: 0, gradient: points } };
  }
  // The low-pass filter is part of the defended model's graph: one pass of the model.
  return { classify: { forward: 1, gradient: 0 }, gradient: { forward: 0, gradient: 1 } };
}

export interface ImageShape {
  height: number;
  width: number;
  numClasses: number;
}

/**
 * The work of each progress stage of the run `plan` describes (stages that do not run have none). `K` is
 * post-averaging's configured K (the one pass 2 uses). Pass 2 counts its adaptive images twice, as its
 * progress does: once for the ε sweep and the defended cost, once replaying pass 1's batches for the
 * adaptive attacks (the replayed prefix is taken as the adaptive images themselves).
 */
export function analyseWork(plan: AnalysePlan, shape: ImageShape, K: number): StageWork[] {
  const images = plan.stages.find((s) => s.stage === 'clean')!.sizes.images;
  const stage = (name: string) => plan.stages.find((s) => s.stage === name)!;
  const A = plan.attacks.length;
  const suite = plan.attacks.reduce((sum, a) => add(sum, attackPasses(a, shape.numClasses)), NONE);

  // Pass 1, per image: its scores, every attack, every defence configuration on the clean image and each
  // adversarial example, and Occluded Frequency (one pass per band) on the first ofImages images.
  let passOne = add({ forward: 1, gradient: 0 }, suite);
  const defenceSizes = stage('defences').skipped === null ? stage('defences').sizes : {};
  const rows = 1 + A;
  const radii = defenceSizes['post-averaging/radii'] ?? 0;
  passOne = add(passOne, { forward: rows * radii * (defenceSizes['post-averaging/pointsPerImage'] ?? 0), gradient: 0 });
  passOne = add(passOne, { forward: rows * (defenceSizes['low-pass/cutoffs'] ?? 0), gradient: 0 });
  const of = stage('occludedFrequency');
  if (of.skipped === null && images > 0) {
    passOne = add(passOne, { forward: (of.sizes.images / images) * bandCount(shape.height, shape.width), gradient: 0 });
  }
  const work: StageWork[] = [
    { stage: ANALYSE_STAGES.clean, images, perImage: { forward: 1, gradient: 0 } },
    { stage: ANALYSE_STAGES.passOne, images, perImage: passOne },
  ];

  const adaptive = stage('adaptive');
  if (adaptive.skipped !== null || plan.defences.length === 0) return work;
  const n2 = adaptive.sizes.images;
  const defended = plan.defences.map((d) => defendedPasses(d.name, K));
  const sweeps = stage('sweeps').skipped === null ? plan.epsGrid.length : 0;
  // Part 1, per adaptive image: scores, a timed plain pass, each defence on the clean image; the ε sweep's
  // PGD-10 at every ε, and every defence on each of its examples.
  let partOne: Passes = { forward: 2, gradient: 0 };
  for (const d of defended) partOne = add(partOne, d.classify, 1 + sweeps);
  partOne = add(partOne, { forward: 1, gradient: SWEEP_PGD_STEPS }, sweeps);
  // Part 2, per replayed image: scores, the suite again, then each defence's PGD-10 (EOT gradient) against
  // every attack's example, and the defended verdict on it.
  let partTwo = add({ forward: 1, gradient: 0 }, suite);
  for (const d of defended) partTwo = add(add(partTwo, d.gradient, A * ADAPTIVE_STEPS), d.classify, A);
  // Progress counts 2·n2 "images" over the two parts: the per-image cost is their mean.
  work.push({
    stage: ANALYSE_STAGES.passTwo,
    images: 2 * n2,
    perImage: { forward: (partOne.forward + partTwo.forward) / 2, gradient: (partOne.gradient + partTwo.gradient) / 2 },
  });
  return work;
}
