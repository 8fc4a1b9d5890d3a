/**
 * Pass 2 over the first `adaptiveImages` correctly classified images: the suite again (same seeds as pass 1
 * would give for these images only — budgets are re-derived here, so nothing from pass 1 must be kept), then
 * per defence and attack the adaptive attack on the images the attack broke; the ε sweep with PGD-10 L∞;
 * and the defended inference cost.
 */
import { performance } from 'node:perf_hooks';
import { streamPixelBatches } from '../data/batches';
import type { AdaptiveDefence, AdaptiveRun, DefenceChoice } from '../defences/defence';
import { correctness } from '../defences/tally';
import type { GradientSource } from '../grad/estimatedGradient';
import { GradientModel } from '../grad/gradientModel';
import { pixelSpecFor } from '../input/pixelSpec';
import { AttackSuite, imagesDoneWithin } from '../jobs/attackSuite';
import type { DefenceCost, Sweep } from '../report/sections';
import { seedFor, seedRecord } from '../util/seeds';
import type { AnalyseContext } from './context';
import { AdaptiveTally, adaptiveRows, attackAdaptively, type AdaptiveRow } from './stages/adaptive';
import type { AttackStage } from './stages/attacks';
import { CostMeter } from './stages/cost';
import { startEpsilonSweep } from './stages/epsilonSweep';

export interface PassTwoResult {
  /** Per chosen defence (same order): its adaptive rows (null without a gradient) and its cost. */
  defences: { adaptive: AdaptiveRow[] | null; cost: DefenceCost | null }[];
  sweeps: Sweep[];
  seeds: Record<string, number>;
  seconds: number;
}

export async function runPassTwo(
  ctx: AnalyseContext,
  attacks: AttackStage,
  choices: DefenceChoice[],
  cleanCorrect: Set<string>,
): Promise<PassTwoResult> {
  const t0 = performance.now();
  const { classifier, prepared, plan, runSeed } = ctx;
  const { suite, refs, builder } = attacks;
  const samples = ctx.data.samples.filter((s) => cleanCorrect.has(s.relPath)).slice(0, plan.adaptiveImages);
  const per = classifier.pixelsPerSample;
  const seeds: Record<string, number> = {};
  const disposers: (() => Promise<void>)[] = [];
  try {
    let ce: Promise<GradientSource | null> | null = null;
    const run: AdaptiveRun = {
      prepared,
      classifier,
      builder,
      sessionOpts: ctx.sessionOpts,
      runSeed,
      seeds,
      disposers,
      crossEntropyGradient: () =>
        (ce ??= builder
          ? GradientModel.open(builder, { kind: 'cross-entropy' }, { ...ctx.sessionOpts, maxBatch: classifier.batchSize }).then((g) => {
              disposers.push(() => g.dispose());
              return g;
            })
          : Promise.resolve(null)),
    };
    const defended: AdaptiveDefence[] = [];
    for (const c of choices) defended.push(await c.adaptive(run));
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
    if (defended.some((d) => d.gradient)) Object.assign(seeds, seedRecord(runSeed, 'adaptive/attack'));
    let done = 0;
    let batchNo = 0;
    const stage = 'adaptive attacks and ε sweep';
    const progress = (n: number) => ctx.progress(stage, n, samples.length);
    // the batch's parts: the suite's attacks, the ε sweep, then each defence's adaptive attacks
    const parts = pass2Suite.attacks.length + 1 + defended.length;
    progress(0);
    for await (const batch of streamPixelBatches(
      samples,
      pixelSpecFor(prepared.config.preprocessing),
      classifier.batchSize,
      ctx.signalOpt,
    )) {
      const count = batch.samples.length;
      const before = done;
      done += count + batch.failed.length;
      if (count === 0) continue;
      const scores = await classifier.scores(batch.pixels, count);
      const sb = await pass2Suite.runBatch(batch.samples, batch.pixels, scores, (finished) =>
        progress(imagesDoneWithin(before, count, finished, parts)),
      );
      const clean = correctness(scores, sb.labels);
      // Cost: one timed plain pass per batch against each defence's pass on the same clean images.
      const t = performance.now();
      await classifier.scores(batch.pixels, count);
      const plainMs = performance.now() - t;
      // The ε sweep's attacks run once per batch; every defence classifies the same examples.
      const epsBatch = epsSweep ? await epsSweep.runBatch(batch.samples, batch.pixels, scores) : null;
      for (let d = 0; d < defended.length; d++) {
        progress(imagesDoneWithin(before, count, pass2Suite.attacks.length + 1 + d, parts));
        const def = defended[d];
        const td = performance.now();
        const defClean = correctness(await def.model.scores(batch.pixels, count), sb.labels);
        costs[d].add(plainMs, performance.now() - td, count);
        if (epsSweep && epsBatch) await epsSweep.tally(d, def.model, epsBatch, clean, defClean);
        if (!def.gradient) continue;
        for (let a = 0; a < refs.length; a++) {
          await attackAdaptively(
            def.model,
            def.gradient,
            suite.attacks[a],
            sb.attacks[a],
            batch.pixels,
            sb.labels,
            per,
            plan.criterion,
            seedFor(runSeed, 'adaptive/attack', a, batchNo, d),
            tallies[d][a],
            ctx.hooks.signal,
          );
        }
      }
      batchNo++;
      progress(done);
    }
    return {
      // Each row records its attack's seed at batch 0 of the first defence, as reports always have.
      defences: defended.map((def, d) => ({
        adaptive: def.gradient
          ? adaptiveRows(
              tallies[d],
              refs,
              (norm) => def.label(norm),
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
      seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    for (const d of disposers.reverse()) await d();
  }
}
