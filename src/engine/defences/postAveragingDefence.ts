/**
 * Post-averaging as a defence of the analyse job: pass 1 sweeps radius × K (one direction draw of max(K)
 * per radius serves every K), the reported r is the user's or the tolerance rule's, and the adaptive
 * attacker follows the EOT gradient over the defence's own freshly sampled points.
 */
import { EngineError } from '../errors';
import { channelCount } from '../data/pixels';
import { EotGradient, eotPoints } from './eotGradient';
import type { GradientSource } from '../grad/estimatedGradient';
import type { LossHead } from '../grad/lossHeads';
import { ADAPTIVE_STEPS } from './adaptive';
import type { Defence, DefenceRun, DefenceSweep } from './defence';
import { defenceRateSweep, roundTo } from './defenceSweeps';
import { choiceFlag, wholeFlag } from './flags';
import {
  DEFAULT_K,
  PostAveragedModel,
  checkPostAveraging,
  pointsPerImage,
  radiusHint,
  radiusInPixels,
  randomDirections,
  type DirectionSampler,
} from './postAveraging';
import { ReluHyperplaneSampler } from './reluNormals';
import { DefenceTally, chooseParameter } from './tally';
import type { AnalyseOptions } from '../analyse/options';
import type { Preprocessing } from '../config/runConfig';
import { Rng } from '../util/random';
import { seedFor, seedRecord } from '../util/seeds';
import type { Sweep } from '../report/sections';

/** Radius grid as multiples of the paper-derived hint (model-input units). */
export const RADIUS_FACTORS = { full: [0.25, 0.5, 0.75, 1, 1.5, 2, 3], fast: [0.5, 1, 2], minimal: [1] } as const;
export const K_GRID = { full: [1, 2, 5, 10, 15, 20], fast: [1, 5, 15], minimal: [] } as const;

/** One radius: a model drawing max(K grid) directions, tallies per K × attack. */
interface RadiusState {
  radius: number;
  model: PostAveragedModel;
  tallies: DefenceTally[][];
}

/** The radii and K values pass 1 evaluates, and the paper-derived radius hint the radii are multiples of. */
function grid(opts: AnalyseOptions, p: Preprocessing, sweeps: boolean): { radii: number[]; Ks: number[]; hint: number } {
  const hint = radiusHint(channelCount(p) * p.height * p.width);
  const size = opts.defenceGrid ?? opts.preset;
  const radii = opts.radius !== null ? [opts.radius] : RADIUS_FACTORS[size].map((f) => roundTo(f * hint, 3));
  const Ks = [...new Set([...(sweeps ? K_GRID[size] : []), opts.K])].sort((a, b) => a - b);
  return { radii, Ks, hint };
}

async function directionSampler(run: DefenceRun): Promise<DirectionSampler> {
  if (run.opts.directions !== 'approx') return randomDirections(run.preprocessing);
  if (!run.builder)
    throw new EngineError(
      'MODEL_UNSUPPORTED',
      `post-averaging "approx" directions need the model's gradient, which is unavailable: ${run.gradientUnavailable}`,
      { hint: 'use --directions random' },
    );
  const s = await ReluHyperplaneSampler.open(run.builder, run.preprocessing, run.sessionOpts);
  run.disposers.push(() => s.dispose());
  return s;
}

export const postAveraging: Defence = {
  name: 'post-averaging',
  title: 'Post-averaging',
  cli: {
    flagValue: 'post-averaging',
    flags: { K: { type: 'string' }, radius: { type: 'string' }, directions: { type: 'string' } },
    usage: [
      ['--K N', `post-averaging directions (default ${DEFAULT_K}: 6K+1 = ${pointsPerImage(DEFAULT_K)} points per image)`],
      ['--radius R', 'post-averaging radius in model-input units (default: chosen by a sweep around 0.09·√d)'],
      ['--directions D', 'random (default) | approx (normals of the nearest ReLU hyperplanes)'],
    ],
    parse(flags) {
      const K = wholeFlag(flags, 'K', 1) ?? DEFAULT_K;
      let radius: number | null = null;
      if (flags.radius !== undefined) {
        radius = Number(flags.radius);
        if (!(radius > 0) || !Number.isFinite(radius))
          throw new EngineError(
            'USAGE',
            `--radius ${String(flags.radius)}: expected a positive length in model-input units (the paper: 30 for ImageNet, 6 for CIFAR-10)`,
          );
      }
      const directions = choiceFlag(flags, 'directions', ['random', 'approx'] as const) ?? 'random';
      return { K, radius, directions };
    },
  },
  check(opts) {
    checkPostAveraging(opts.K, opts.radius ?? 1);
  },
  leavesParameterToSweep: (opts) => opts.radius === null,
  legacySeeds: (runSeed) => ({ postAveraging: seedFor(runSeed, 'defences/post-averaging/radius', 0) }),
  seeds: (runSeed) => seedRecord(runSeed, 'defences/post-averaging/radius'),
  plan(opts, p, sweeps) {
    const { radii, Ks } = grid(opts, p, sweeps);
    return { radii: radii.length, K: Ks.length, pointsPerImage: pointsPerImage(Math.max(...Ks)) };
  },

  async sweep(run): Promise<DefenceSweep> {
    const { opts, preprocessing: p, refs } = run;
    // merge (countsOnly) runs no model: the sampler is never drawn from.
    const sampler = run.countsOnly ? (null as unknown as DirectionSampler) : await directionSampler(run);
    const { radii, Ks, hint } = grid(opts, p, run.sweeps);
    const radiusSeed = (i: number) => seedFor(run.runSeed, 'defences/post-averaging/radius', i);
    const states: RadiusState[] = radii.map((radius, i) => ({
      radius,
      model: new PostAveragedModel(run.classifier, { K: Math.max(...Ks), radius, sampler, rng: new Rng(radiusSeed(i)) }),
      tallies: Ks.map(() => refs.map(() => new DefenceTally(run.criterion))),
    }));
    return {
      defence: postAveraging,
      tallies: () => states.flatMap((s) => s.tallies.flat()),
      async tally(batch) {
        for (const r of states) {
          const sums = await r.model.probabilitySums(batch.pixels, batch.rows, Ks);
          sums.forEach((s, ki) => batch.tally(r.tallies[ki], s));
        }
      },
      choose(tolerance) {
        const kIndex = Ks.indexOf(opts.K);
        const choice =
          opts.radius !== null
            ? { value: opts.radius, index: 0, reason: 'r given by the user' }
            : chooseParameter(
                radii,
                states.map((s) => s.tallies[kIndex]),
                tolerance,
              );
        const chosen = states[choice.index];
        const radius = choice.value;
        const sweeps: Sweep[] = [];
        if (run.sweeps) {
          if (radii.length > 1)
            sweeps.push(
              defenceRateSweep(
                'defence-rate-vs-radius',
                'Post-averaging: defence rate vs radius r',
                'r (model-input units)',
                radii,
                refs,
                (a, i) => states[i].tallies[kIndex][a].defenceRate,
                { K: opts.K, directions: opts.directions, seed: radiusSeed(0), radiusHint: roundTo(hint, 4) },
              ),
            );
          if (Ks.length > 1)
            sweeps.push(
              defenceRateSweep(
                'defence-rate-vs-K',
                'Post-averaging: defence rate vs K',
                'K (directions)',
                Ks,
                refs,
                (a, i) => chosen.tallies[i][a].defenceRate,
                { radius, directions: opts.directions, seed: radiusSeed(choice.index) },
              ),
            );
        }
        return {
          result: {
            defence: {
              kind: 'post-averaging',
              params: {
                K: opts.K,
                radius,
                radiusPixels: radiusInPixels(radius, p),
                radiusSpace: 'model-input',
                directions: opts.directions,
                points: pointsPerImage(opts.K),
                seed: radiusSeed(choice.index),
              },
            },
            chosenBy: choice.reason,
            rows: chosen.tallies[kIndex].map((t, a) => t.row(refs[a])),
            cost: null,
          },
          sweeps,
          async adaptive(pass2) {
            const K = opts.K;
            const modelSeed = seedFor(pass2.runSeed, 'adaptive/post-averaging/model');
            pass2.seeds.postAveragingAdaptive = modelSeed;
            const model = new PostAveragedModel(pass2.classifier, { K, radius, sampler, rng: new Rng(modelSeed) });
            const eotFor = (base: GradientSource, seed: number) =>
              new EotGradient(base, {
                K,
                radius,
                sampler,
                rng: new Rng(seed),
                baseKind: pass2.classifier.outputKind?.kind ?? 'logits',
                samples: pass2.eotSamples,
              });
            const ce = await pass2.crossEntropyGradient();
            if (ce) Object.assign(pass2.seeds, seedRecord(pass2.runSeed, 'adaptive/post-averaging/eot'));
            const gradient = ce ? eotFor(ce, seedFor(pass2.runSeed, 'adaptive/post-averaging/eot')) : null;
            // Other loss heads (the ensemble's DLR): the same EOT over the undefended model's gradient of that
            // head, each with its own stream of directions (cross-entropy keeps the stream it always had).
            const heads = new Map<string, Promise<GradientSource | null>>();
            let other = 0;
            const gradientFor = (head: LossHead): Promise<GradientSource | null> => {
              if (head.kind === 'cross-entropy') return Promise.resolve(gradient);
              const key = JSON.stringify(head);
              let g = heads.get(key);
              if (!g) {
                const seed = seedFor(pass2.runSeed, 'adaptive/post-averaging/eot-head', ++other);
                pass2.seeds[`postAveragingEot/${head.kind}${'targeted' in head && head.targeted ? '-targeted' : ''}`] = seed;
                g = pass2.headGradient(head).then((base) => (base ? eotFor(base, seed) : null));
                heads.set(key, g);
              }
              return g;
            };
            return {
              model,
              gradient,
              gradientFor,
              label: (norm) =>
                `EOT-PGD-${ADAPTIVE_STEPS} ${norm === 'linf' ? 'L∞' : 'L2'} (gradient averaged over ${eotPoints(K, pass2.eotSamples)} of the ${pointsPerImage(K)} freshly sampled defence points each step), same budget per image`,
            };
          },
        };
      },
    };
  },
};
