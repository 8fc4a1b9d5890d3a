/**
 * Stage "sweeps" (ε), pass 2: PGD-10 L∞ at every ε of the grid attacks each batch once; every defence
 * classifies the same adversarial examples, giving its defence rate against ε.
 */
import { formatEpsilon } from '../../attacks/format';
import { stackAdversarial, type StackedAdversarial } from '../../defences/defenceBatch';
import { DefenceTally, correctness } from '../../defences/tally';
import type { ClassifierGradientBuilder } from '../../grad/classifierGradient';
import { AttackSuite } from '../../jobs/attackSuite';
import type { DatasetSample } from '../../data/dataset';
import type { Sweep } from '../../report/sections';
import type { ScoreModel } from '../../runtime/scoreModel';
import { seedFor, seedRecord } from '../../util/seeds';
import type { AnalyseContext } from '../context';
import type { EpsilonCurve } from '../../eval/maskingFlags';

type Correctness = { top1: boolean[]; top5: boolean[] };

/** One batch's ε-sweep examples and the undefended model's correctness on them. */
export interface EpsilonBatch {
  adv: StackedAdversarial;
  original: Correctness;
}

export interface EpsilonSweepStage {
  runBatch(samples: DatasetSample[], pixels: Float32Array, scores: Float32Array): Promise<EpsilonBatch>;
  /** Defence `d` classifies the batch's examples (`clean`/`defendedClean`: its clean images). */
  tally(d: number, model: ScoreModel, batch: EpsilonBatch, clean: Correctness, defendedClean: Correctness): Promise<void>;
  sweep(defences: string[], images: number): Sweep;
  /** The undefended model's robust accuracy at each ε of the sweep (the masking flags' evidence). */
  robustCurve(): EpsilonCurve;
  /** Defence `d`'s tallies, one per ε. */
  tallies(d: number): DefenceTally[];
}

/** Null when the sweeps are off or there is no gradient for PGD. */
export function startEpsilonSweep(
  ctx: AnalyseContext,
  builder: ClassifierGradientBuilder | null,
  defences: number,
  seeds: Record<string, number>,
  disposers: (() => Promise<void>)[],
): EpsilonSweepStage | null {
  const { epsGrid, criterion } = ctx.plan;
  // The sweep's recorded seed (its PGD attacks are a suite of their own and draw the suite's per-attack seeds).
  const recorded = seedFor(ctx.runSeed, 'sweeps/epsilon');
  seeds.epsilonSweep = recorded;
  if (!builder || !ctx.plan.analyses.sweeps) return null;
  const suite = new AttackSuite(
    ctx.prepared,
    ctx.classifier,
    ctx.classNames,
    {
      attacks: epsGrid.map((eps) => ({ name: 'pgd' as const, params: { norm: 'linf', eps } })),
      criterion,
      target: null,
      gradient: 'analytic',
      gallery: 0,
      outDir: null,
    },
    ctx.hooks.signal,
    'sweeps/epsilon/pgd',
  );
  disposers.push(() => suite.dispose());
  suite.start(builder);
  Object.assign(seeds, seedRecord(ctx.runSeed, 'sweeps/epsilon/pgd'));
  const tallies = Array.from({ length: defences }, () => epsGrid.map(() => new DefenceTally(criterion)));
  const per = ctx.classifier.pixelsPerSample;
  return {
    async runBatch(samples, pixels, scores) {
      const adv = stackAdversarial(await suite.runBatch(samples, pixels, scores), per);
      return { adv, original: correctness(adv.scores, adv.labels) };
    },
    async tally(d, model, { adv, original }, clean, defendedClean) {
      const defAdv = correctness(adv.labels.length ? await model.scores(adv.pixels, adv.labels.length) : new Float32Array(0), adv.labels);
      tallies[d].forEach((tally, e) => tally.add(clean, defendedClean, adv.maps[e], original, defAdv));
    },
    tallies: (d) => tallies[d],
    robustCurve() {
      const runs = suite.summaries();
      return {
        attack: 'PGD-10 L∞ (the ε sweep)',
        eps: [...epsGrid],
        robustAccuracy: runs.map((r) => (r.evaluated ? r.attacked.top1Accuracy : null)),
        evaluated: runs[0]?.evaluated ?? 0,
      };
    },
    sweep(names, images) {
      return {
        id: 'defence-rate-vs-epsilon',
        title: 'Defence rate vs attack ε (PGD-10 L∞, fixed ε)',
        xLabel: 'ε (pixel units)',
        yLabel: 'defence rate',
        x: epsGrid,
        series: names.map((name, d) => ({
          name,
          attack: 'PGD-10 L∞',
          mode: 'fixed-eps' as const,
          y: tallies[d].map((t) => t.defenceRate),
        })),
        fixed: { images, epsilons: epsGrid.map((e) => formatEpsilon(e, 'linf')).join(' '), seed: recorded },
      };
    },
  };
}
