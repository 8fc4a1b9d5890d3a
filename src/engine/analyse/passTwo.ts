/**
 * Pass 2 over the first `adaptiveImages` correctly classified images: the ε sweep with PGD-10 L∞ and the
 * defended inference cost on them; then pass 1's batches are replayed up to the last of them, the suite again
 * (same seeds and same batches, so the same random starts and budgets: the adaptive rows re-attack pass 1's
 * own adversarial examples, none that pass 1 did not count), and per defence and attack the adaptive attack
 * on those of the adaptive images that the attack broke, beside pass 1's verdict on each.
 */
import { performance } from 'node:perf_hooks';
import { analyseBatches } from './analyseBatches';
import type { AdaptiveDefence, AdaptiveRun, DefenceChoice } from '../defences/defence';
import { correctness, tallyBehind, type DefenceTally } from '../defences/tally';
import type { GradientSource } from '../grad/estimatedGradient';
import { EngineError } from '../errors';
import { GradientModel } from '../grad/gradientModel';
import type { LossHead } from '../grad/lossHeads';
import { AttackSuite } from '../jobs/attackSuite';
import type { DefenceCost, Sweep } from '../report/sections';
import { seedFor, seedRecord } from '../util/seeds';
import { compareScores, type EpsilonCurve, type Repeatability } from '../eval/maskingFlags';
import type { AnalyseContext } from './context';
import { adaptiveEnsembleSpecs, apgdAdaptiveLabel, ensembleAdaptiveLabel } from '../defences/adaptive';
import { AdaptiveTally, adaptiveRows, attackAdaptively, examplesToReattack, type AdaptiveRow } from './stages/adaptive';
import type { AttackStage } from './stages/attacks';
import { CostMeter, type CostSums } from './stages/cost';
import type { TallyCounts } from '../defences/tally';
import { startEpsilonSweep } from './stages/epsilonSweep';
import { ANALYSE_STAGES } from './stageWork';
import { adaptiveAttackPasses, addPasses, NO_PASSES, suiteAttackPasses } from './passCounts';
import { WorkProgress } from './workProgress';

export interface PassTwoResult {
  /** Per chosen defence (same order): its adaptive rows (null without a gradient) and its cost. */
  defences: { adaptive: AdaptiveRow[] | null; cost: DefenceCost | null }[];
  sweeps: Sweep[];
  seeds: Record<string, number>;
  /** Where pass 2 could not replay pass 1 exactly. */
  warnings: string[];
  /** Each defended model's two classifications of the same clean batch (the masking flags' evidence). */
  repeatability: Repeatability[];
  /** The ε sweep's robust accuracy of the undefended model (null without the sweep). */
  epsilonCurve: EpsilonCurve | null;
  seconds: number;
  /** What the rows above were computed from, for a shard's report: `merge` sums them. */
  counts: PassTwoCounts;
}

export interface PassTwoCounts {
  /** Adaptive images this run attacked. */
  images: number;
  /** Per defence: its adaptive tallies (per attack; null without a gradient), ε-sweep tallies (per ε), cost sums. */
  defences: { adaptive: AdaptiveCounts[] | null; epsilon: TallyCounts[] | null; cost: CostSums }[];
}

export type AdaptiveCounts = Pick<AdaptiveTally, 'adv' | 'rescued' | 'rescuedNonAdaptive' | 'attackedTop1' | 'attackedTop5' | 'seconds'>;

/**
 * Pass 1's images (in its order, so the same batches) up to the end of the batch holding the last adaptive
 * image: replaying them re-creates pass 1's attack on every adaptive image exactly.
 */
export function replayedPrefix<T extends { relPath: string }>(all: T[], adaptive: T[], batchSize: number): T[] {
  if (!adaptive.length) return [];
  const last = all.findIndex((s) => s.relPath === adaptive[adaptive.length - 1].relPath);
  if (last < 0) return [];
  return all.slice(0, Math.min(all.length, Math.ceil((last + 1) / batchSize) * batchSize));
}

/**
 * Whether pass 2 re-attacks image `index`'s example (of pass 1's order) for one defence and attack: the defence
 * defended it in pass 1 (its tally's verdict), or, where no tally stands behind the row, the image was correct.
 */
function willReattack(tally: DefenceTally | null, index: number, correct: boolean): boolean {
  return tally ? tally.defendedExample(index) !== null : correct;
}

/**
 * Per defence (by name), the share of the adaptive images' attack examples pass 2 will re-attack when it takes
 * the first `adaptiveImages` correct images of `samples` (pass 1's order): pass 1's exact count, known once
 * pass 1 is over (the plan counted the bound, every example). No gradient graph: nothing is re-attacked.
 */
export function reattackedShares(
  samples: { relPath: string }[],
  choices: DefenceChoice[],
  cleanCorrect: Set<string>,
  adaptiveImages: number,
  gradients: boolean,
): Record<string, number> {
  const shares: Record<string, number> = {};
  for (const c of choices) {
    const tallies = c.result.rows.map((row) => tallyBehind(row) ?? null);
    let images = 0;
    let examples = 0;
    for (let j = 0; j < samples.length && images < adaptiveImages; j++) {
      const correct = cleanCorrect.has(samples[j].relPath);
      if (!correct) continue;
      images++;
      for (const t of tallies) if (willReattack(t, j, correct)) examples++;
    }
    shares[c.result.defence.kind] = gradients && images && tallies.length ? examples / (images * tallies.length) : 0;
  }
  return shares;
}

export async function runPassTwo(
  ctx: AnalyseContext,
  attacks: AttackStage,
  choices: DefenceChoice[],
  cleanCorrect: Set<string>,
  /** A shard's part of the whole sample's adaptive images (else the first correct ones of `ctx.data.samples`). */
  adaptiveSet?: Set<string>,
): Promise<PassTwoResult> {
  const t0 = performance.now();
  const { classifier, prepared, plan, runSeed } = ctx;
  const { suite, refs, builder } = attacks;
  const samples = adaptiveSet
    ? ctx.data.samples.filter((s) => adaptiveSet.has(s.relPath))
    : ctx.data.samples.filter((s) => cleanCorrect.has(s.relPath)).slice(0, plan.adaptiveImages);
  const per = classifier.pixelsPerSample;
  const seeds: Record<string, number> = {};
  const warnings: string[] = [];
  const disposers: (() => Promise<void>)[] = [];
  try {
    // The undefended model's gradient per loss head, opened once and shared by the defences.
    const heads = new Map<string, Promise<GradientSource | null>>();
    const headGradient = (head: LossHead): Promise<GradientSource | null> => {
      const key = JSON.stringify(head);
      let g = heads.get(key);
      if (!g) {
        g = builder
          ? GradientModel.open(builder, head, { ...ctx.sessionOpts, maxBatch: classifier.batchSize }).then((opened) => {
              disposers.push(() => opened.dispose());
              return opened;
            })
          : Promise.resolve(null);
        heads.set(key, g);
      }
      return g;
    };
    const run: AdaptiveRun = {
      prepared,
      classifier,
      builder,
      sessionOpts: ctx.sessionOpts,
      runSeed,
      eotSamples: plan.eotSamples,
      seeds,
      disposers,
      crossEntropyGradient: () => headGradient({ kind: 'cross-entropy' }),
      headGradient,
    };
    const defended: AdaptiveDefence[] = [];
    for (const c of choices) defended.push(await c.adaptive(run));
    // Post-averaging draws fresh points on every call: APGD then keeps its images for every step (the rand version).
    const isRandomized = (d: number) => choices[d].result.defence.kind === 'post-averaging';
    const adaptiveAttack = ctx.opts.adaptiveAttack ?? 'pgd';
    const tallies = defended.map(() => refs.map(() => new AdaptiveTally()));
    const costs = defended.map(() => new CostMeter());
    const epsSweep = startEpsilonSweep(ctx, builder, defended.length, seeds, disposers);
    const pass2Suite = new AttackSuite(
      prepared,
      classifier,
      suite.classNames,
      { ...suite.options, gallery: 0, outDir: null },
      ctx.hooks.signal,
    );
    disposers.push(() => pass2Suite.dispose());
    pass2Suite.start(builder);
    const adaptive = defended.some((d) => d.gradient);
    if (adaptive) Object.assign(seeds, seedRecord(runSeed, 'adaptive/attack'));
    const replay = adaptive ? replayedPrefix(ctx.data.samples, samples, classifier.batchSize) : [];
    // Two progress stages: their images cost very differently, and one rate over both would mislead the ETA.
    const progress = (n: number) => ctx.progress(ANALYSE_STAGES.passTwoSweep, n, samples.length);
    progress(0);
    /** The first clean batch, classified twice by every defended model once pass 2 is over (so no draw moves). */
    let probe: { pixels: Float32Array; count: number } | null = null;
    // Part 1, over the adaptive images themselves: the ε sweep and the defended cost.
    for await (const { batch, count, done } of analyseBatches(ctx, samples)) {
      const scores = await classifier.scores(batch.pixels, count);
      probe ??= { pixels: Float32Array.from(batch.pixels), count };
      const labels = batch.samples.map((s) => s.label);
      const clean = correctness(scores, labels);
      // Cost: one timed plain pass per batch against each defence's pass on the same clean images.
      const t = performance.now();
      await classifier.scores(batch.pixels, count);
      const plainMs = performance.now() - t;
      // The ε sweep's attacks run once per batch; every defence classifies the same examples.
      const epsBatch = epsSweep ? await epsSweep.runBatch(batch.samples, batch.pixels, scores) : null;
      for (let d = 0; d < defended.length; d++) {
        const def = defended[d];
        const td = performance.now();
        const defClean = correctness(await def.model.scores(batch.pixels, count), labels);
        costs[d].add(plainMs, performance.now() - td, count);
        if (epsSweep && epsBatch) await epsSweep.tally(d, def.model, epsBatch, clean, defClean);
      }
      progress(done);
    }
    // Part 2, pass 1's batches again, up to the last adaptive image: the same batches make the suite draw the
    // same random starts, so the examples re-attacked are pass 1's #Adv examples and its verdicts on them hold.
    if (adaptive) {
      const inAdaptiveSet = new Set(samples.map((s) => s.relPath));
      const pass1 = choices.map((c) => c.result.rows.map((row) => tallyBehind(row) ?? null));
      const mismatched = refs.map(() => 0);
      let evaluated = 0;
      let batchNo = 0;
      // Progress by work (the replayed attacks are quick beside the adaptive ones, EOT through post-averaging
      // above all), counted from what is known now: pass 1's verdicts say which examples each defence and
      // attack will re-attack, so the ETA knows this stage's cost from its start.
      const classes = classifier.numClasses ?? ctx.classNames.length;
      const perAttack = suiteAttackPasses(plan, pass2Suite.attacks.length, classes);
      const suitePerImage = perAttack.reduce((sum, a) => addPasses(sum, a), NO_PASSES);
      const perReattack = defended.map((def, d) =>
        def.gradient
          ? adaptiveAttackPasses(plan.defences[d]?.name ?? '', ctx.opts.K, plan.eotSamples, adaptiveAttack, classes, ctx.defendedFactors)
          : NO_PASSES,
      );
      /** Pass 1's count of the examples defence d will re-attack for attack a among replay images [from, to). */
      const reattacks = (d: number, a: number, from: number, to: number) => {
        let n = 0;
        for (let j = from; j < to; j++)
          if (inAdaptiveSet.has(replay[j].relPath) && willReattack(pass1[d][a], j, cleanCorrect.has(replay[j].relPath))) n++;
        return n;
      };
      const workOf = (from: number, to: number) => {
        let w = addPasses(
          { forward: to - from, gradient: 0 },
          suitePerImage,
          replay.slice(from, to).filter((s) => cleanCorrect.has(s.relPath)).length,
        );
        defended.forEach((def, d) => {
          if (def.gradient) refs.forEach((_r, a) => (w = addPasses(w, perReattack[d], reattacks(d, a, from, to))));
        });
        return w;
      };
      const work = new WorkProgress(ctx.report, ANALYSE_STAGES.passTwoAdaptive, replay.length, workOf(0, replay.length));
      for await (const { batch, count, before } of analyseBatches(ctx, replay)) {
        const offset = evaluated;
        evaluated += count;
        work.startBatch(before, count, workOf(before, before + count));
        const scores = await classifier.scores(batch.pixels, count);
        const attacked = pass2Suite.attackedCount(batch.samples, scores);
        const sb = await pass2Suite.runBatch(batch.samples, batch.pixels, scores, (finished) =>
          work.advance(addPasses(NO_PASSES, perAttack[finished - 1], attacked)),
        );
        const firstWithGradient = defended.findIndex((def) => def.gradient);
        for (let d = 0; d < defended.length; d++) {
          const def = defended[d];
          if (!def.gradient) continue;
          for (let a = 0; a < refs.length; a++) {
            work.partBegins();
            const tally = pass1[d][a];
            const examples = examplesToReattack(
              sb.attacks[a],
              (i) => inAdaptiveSet.has(batch.samples[i].relPath),
              tally ? (i) => tally.defendedExample(offset + i) : null,
            );
            if (d === firstWithGradient) mismatched[a] += examples.mismatched;
            await attackAdaptively(
              def.model,
              def.gradient,
              suite.attacks[a],
              sb.attacks[a],
              examples,
              batch.pixels,
              sb.labels,
              per,
              plan.criterion,
              seedFor(runSeed, 'adaptive/attack', a, batchNo, d),
              tallies[d][a],
              ctx.hooks.signal,
              {
                attack: adaptiveAttack,
                randomized: isRandomized(d),
                gradients: { get: (head) => defenceGradient(def, head) },
              },
            );
            work.advance(addPasses(NO_PASSES, perReattack[d], examples.ks.length));
          }
        }
        batchNo++;
        work.endBatch();
      }
      mismatched.forEach((m, a) => {
        if (m)
          warnings.push(
            `pass 2 did not reproduce pass 1's ${refs[a].label} on ${m} of the ${samples.length} adaptive images (is the execution provider deterministic?): its adaptive rows count only the examples both passes broke`,
          );
      });
    }
    const repeatability: Repeatability[] = [];
    if (probe)
      for (let d = 0; d < defended.length; d++) {
        const { pixels, count } = probe;
        const first = await defended[d].model.scores(pixels, count);
        repeatability.push(compareScores(choices[d].result.defence.kind, first, await defended[d].model.scores(pixels, count), count));
      }
    return {
      repeatability,
      epsilonCurve: epsSweep ? epsSweep.robustCurve() : null,
      // Each row records its attack's seed at batch 0 of the first defence, as reports always have.
      defences: defended.map((def, d) => ({
        adaptive: def.gradient
          ? adaptiveRows(
              tallies[d],
              refs,
              (norm, tally) =>
                adaptiveAttack === 'autoattack'
                  ? ensembleAdaptiveLabel(
                      norm,
                      isRandomized(d),
                      tally.ensembleLabels() ?? adaptiveEnsembleSpecs(norm, 1, isRandomized(d)).map((s) => s.name),
                    )
                  : adaptiveAttack === 'apgd-ce'
                    ? apgdAdaptiveLabel(norm, isRandomized(d))
                    : def.label(norm),
              (a) => seedFor(runSeed, 'adaptive/attack', a, 0, 0),
            )
          : null,
        cost: costs[d].result(classifier.batchSize),
      })),
      sweeps: epsSweep
        ? [
            epsSweep.sweep(
              choices.map((c) => c.result.defence.kind),
              samples.length,
            ),
          ]
        : [],
      seeds,
      warnings,
      seconds: (performance.now() - t0) / 1000,
      counts: {
        images: samples.length,
        defences: defended.map((def, d) => ({
          adaptive: def.gradient
            ? tallies[d].map((t) => ({
                adv: t.adv,
                rescued: t.rescued,
                rescuedNonAdaptive: t.rescuedNonAdaptive,
                attackedTop1: t.attackedTop1,
                attackedTop5: t.attackedTop5,
                seconds: t.seconds,
              }))
            : null,
          epsilon: epsSweep ? epsSweep.tallies(d).map((t) => t.counts()) : null,
          cost: costs[d].sums(),
        })),
      },
    };
  } finally {
    for (const d of disposers.reverse()) await d();
  }
}

/** A defence's gradient of `head` (cross-entropy: the one it always gave; others where it can open them). */
async function defenceGradient(def: AdaptiveDefence, head: LossHead): Promise<GradientSource> {
  const g = head.kind === 'cross-entropy' ? def.gradient : def.gradientFor ? await def.gradientFor(head) : null;
  if (!g) throw new EngineError('MODEL_UNSUPPORTED', `this defence offers no ${head.kind} gradient for the adaptive attack`);
  return g;
}
