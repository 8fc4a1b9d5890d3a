/**
 * `attack`: runs one or more attacks over the sampled images, batch by batch (each batch is decoded once and
 * attacked by every attack of the suite), and reports the paper's protocol per attack, with gallery PNGs.
 * Cancellation stops after the current batch; what finished is reported, marked partial.
 */
import { performance } from 'node:perf_hooks';
import { join } from 'node:path';
import { streamPixelBatches } from '../data/batches';
import { EngineError, isEngineError } from '../errors';
import { topK } from '../eval/scores';
import { gradientBuilderFor } from '../grad/forClassifier';
import type { ClassifierGradientBuilder } from '../grad/classifierGradient';
import { pixelSpecFor } from '../input/pixelSpec';
import { channelCount } from '../data/pixels';
import { Classifier } from '../runtime/classifier';
import { buildReport } from '../report/buildReport';
import type { ReportV1 } from '../report/schema';
import { attackContext, gradientProvider, type GradientChoice } from '../attacks/context';
import { writeGalleryItem, type GalleryItem } from '../attacks/gallery';
import { perturbationNorms } from '../attacks/perturbation';
import { summarise, type AttackRunSummary, type ImageOutcome } from '../attacks/protocol';
import { createAttack, WHITE_BOX, type AttackSpec } from '../attacks/registry';
import type { AttackContext, Criterion } from '../attacks/types';
import type { JobHooks } from './evalJob';
import { prepareData, prepareModel, type JobRequest } from './prepare';

/** A target class (by index, or by name resolved against the class names) or the least-likely class. */
export type TargetChoice = { kind: 'class'; class: number; name?: string } | { kind: 'least-likely' };

export interface AttackJobOptions {
  attacks: AttackSpec[];
  criterion: Criterion;
  target: TargetChoice | null;
  gradient: GradientChoice;
  /** Successful examples saved per attack. */
  gallery: number;
  /** Folder for gallery PNGs (relative paths in the report are relative to it); none = no gallery. */
  outDir: string | null;
}

export interface AttacksSection {
  kind: 'attacks';
  criterion: Criterion;
  gradient: GradientChoice;
  /** Notes from the gradient builder (e.g. probabilities differentiated as log-probabilities). */
  notes: string[];
  runs: (AttackRunSummary & { gallery: GalleryItem[] })[];
}

export async function runAttackJob(req: JobRequest, opts: AttackJobOptions, hooks: JobHooks = {}): Promise<ReportV1> {
  const prepared = await prepareModel(req);
  const data = await prepareData(prepared);
  const attacks = opts.attacks.map((s) => createAttack(s));
  const classNames = prepared.config.classNames ?? data.dataset.classNames;
  const target = resolveTarget(opts.target, classNames, prepared.info.output.numClasses ?? classNames.length);
  const classifier = await Classifier.open(prepared.config, prepared.info);
  const seed = prepared.config.seed;
  const p = prepared.config.preprocessing;
  const shape: [number, number, number] = [channelCount(p), p.height, p.width];
  const per = classifier.pixelsPerSample;
  const needsGradient = opts.attacks.some((s) => WHITE_BOX.has(s.name)) && opts.gradient === 'analytic';
  let builder: ClassifierGradientBuilder | null = null;
  const contexts: AttackContext[] = [];
  const outcomes: ImageOutcome[][] = attacks.map(() => []);
  const galleries: GalleryItem[][] = attacks.map(() => []);
  const seconds = attacks.map(() => 0);
  let gradients: ReturnType<typeof gradientProvider> | null = null;
  let partial = false;
  const skipped: { relPath: string; error: string }[] = [];
  try {
    try {
      let done = 0;
      for await (const batch of streamPixelBatches(data.samples, pixelSpecFor(p), classifier.batchSize, hooks.signal ? { signal: hooks.signal } : {})) {
        for (const f of batch.failed) skipped.push({ relPath: f.sample.relPath, error: f.error });
        const count = batch.samples.length;
        if (count === 0) continue;
        const scores = await classifier.scores(batch.pixels, count);
        const classes = scores.length / count;
        if (!gradients) {
          // The output kind is known after the first batch; the gradient graph is built once, if needed.
          if (needsGradient) builder = await gradientBuilderFor(prepared, classifier.outputKind!.kind, classes);
          gradients = gradientProvider(classifier, builder, opts.gradient, {
            executionProvider: prepared.config.runtime.executionProvider, threads: prepared.config.runtime.threads, maxBatch: classifier.batchSize, label: prepared.model.path,
          }, seed);
          attacks.forEach((_, k) => contexts.push(attackContext(classifier, gradients!, opts.criterion, attackSeed(seed, k), hooks.signal)));
        }
        const labels = batch.samples.map((s) => s.label);
        const rank = labels.map((_, i) => topK(scores.subarray(i * classes, (i + 1) * classes), Math.min(5, classes)));
        const cleanTop1 = labels.map((l, i) => rank[i][0] === l);
        const cleanTop5 = labels.map((l, i) => rank[i].includes(l));
        const targets = target ? labels.map((_, i) => (target.kind === 'class' ? target.class : leastLikely(scores.subarray(i * classes, (i + 1) * classes)))) : null;
        // Attack the images classified correctly under the criterion (and not already the target).
        const chosen = labels.map((l, i) => (opts.criterion === 'top1' ? cleanTop1[i] : cleanTop5[i]) && (!targets || targets[i] !== l));
        const idx = chosen.flatMap((c, i) => (c ? [i] : []));
        const sub = new Float32Array(idx.length * per);
        idx.forEach((i, k) => sub.set(batch.pixels.subarray(i * per, (i + 1) * per), k * per));
        for (let a = 0; a < attacks.length; a++) {
          const t0 = performance.now();
          const result = idx.length
            ? await attacks[a].run({ pixels: sub, count: idx.length, labels: idx.map((i) => labels[i]), targets: targets ? idx.map((i) => targets[i]) : null }, contexts[a])
            : { adversarial: new Float32Array(0), queries: new Float64Array(0) };
          const advScores = idx.length ? await classifier.scores(result.adversarial, idx.length) : new Float32Array(0);
          seconds[a] += (performance.now() - t0) / 1000;
          const success = idx.length ? contexts[a].isAdversarial(advScores, idx.map((i) => labels[i]), targets ? idx.map((i) => targets[i]) : null) : [];
          const norms = perturbationNorms(result.adversarial, sub, idx.length);
          const byImage = new Map(idx.map((i, k) => [i, k]));
          for (let i = 0; i < count; i++) {
            const k = byImage.get(i);
            if (k === undefined) {
              outcomes[a].push({ cleanTop1: cleanTop1[i], cleanTop5: cleanTop5[i], attacked: false, success: false, attackedTop1: cleanTop1[i], attackedTop5: cleanTop5[i], l2: NaN, linf: NaN, queries: 0, epsilon: NaN });
              continue;
            }
            const advRank = topK(advScores.subarray(k * classes, (k + 1) * classes), Math.min(5, classes));
            const ok = success[k];
            outcomes[a].push({
              cleanTop1: cleanTop1[i], cleanTop5: cleanTop5[i], attacked: true, success: ok,
              attackedTop1: ok ? advRank[0] === labels[i] : cleanTop1[i],
              attackedTop5: ok ? advRank.includes(labels[i]) : cleanTop5[i],
              l2: norms.l2[k], linf: norms.linf[k], queries: result.queries[k], epsilon: result.epsilon ? result.epsilon[k] : NaN,
            });
            if (ok && opts.outDir && galleries[a].length < opts.gallery) {
              const stem = `${String(galleries[a].length).padStart(2, '0')}-${batch.samples[i].className}`;
              galleries[a].push(writeGalleryItem(opts.outDir, join('gallery', `attack-${a + 1}`), stem, sub.subarray(k * per, (k + 1) * per), result.adversarial.subarray(k * per, (k + 1) * per), shape, {
                relPath: batch.samples[i].relPath, label: labels[i], cleanPrediction: rank[i][0], adversarialPrediction: advRank[0], l2: norms.l2[k], linf: norms.linf[k],
              }));
            }
          }
        }
        done += count + batch.failed.length;
        hooks.onProgress?.({ stage: `attacking (${attacks.length} attack${attacks.length > 1 ? 's' : ''})`, done, total: data.samples.length });
        if (hooks.signal?.aborted) { partial = true; break; }
      }
    } catch (e) {
      if (!(isEngineError(e) && e.code === 'CANCELLED')) throw e;
      partial = true;
    }
    const runs = attacks.map((attack, a) => ({
      ...summarise(outcomes[a], {
        label: attack.label, mode: attack.mode, params: attack.params, criterion: opts.criterion,
        targeted: target ? (target.kind === 'class' ? `class ${target.class} (${classNames[target.class] ?? target.class})` : 'least-likely') : null,
        gradient: WHITE_BOX.has(opts.attacks[a].name) ? opts.gradient : 'none',
        seed: attackSeed(seed, a), seconds: seconds[a],
        budgetNorm: attack.mode === 'minimal-perturbation' ? ((attack.params.norm as 'l2' | 'linf' | undefined) ?? 'l2') : null,
      }),
      gallery: galleries[a],
    }));
    const section: AttacksSection = { kind: 'attacks', criterion: opts.criterion, gradient: opts.gradient, notes: builder?.notes ?? [], runs };
    prepared.timings.attacks = seconds.reduce((x, y) => x + y, 0);
    return buildReport({
      command: 'attack', prepared, data, classifier, status: partial ? 'partial' : 'complete', skippedImages: skipped,
      sections: { attacks: section }, seeds: Object.fromEntries(attacks.map((_, a) => [`attack${a + 1}`, attackSeed(seed, a)])),
      ...(opts.gradient === 'estimated' ? { warnings: ['white-box attacks used ESTIMATED gradients (NES, forward passes only): their strength is a lower bound'] } : {}),
    });
  } finally {
    await gradients?.dispose();
    await classifier.dispose();
  }
}

function resolveTarget(t: TargetChoice | null, classNames: string[], numClasses: number): TargetChoice | null {
  if (!t || t.kind === 'least-likely') return t;
  const index = t.name !== undefined ? classNames.indexOf(t.name) : t.class;
  if (index < 0) throw new EngineError('USAGE', `--targeted ${t.name}: no class has that name (classes: ${classNames.join(', ')})`);
  if (index >= numClasses) throw new EngineError('USAGE', `--targeted ${index}: the target class is out of range 0…${numClasses - 1}`);
  return { kind: 'class', class: index };
}

/** Each attack of a run gets its own seed, derived from the run's. */
function attackSeed(seed: number, attackIndex: number): number {
  return seed + 1000003 * attackIndex;
}

function leastLikely(row: Float32Array): number {
  let best = 0;
  for (let k = 1; k < row.length; k++) if (row[k] < row[best]) best = k;
  return best;
}
