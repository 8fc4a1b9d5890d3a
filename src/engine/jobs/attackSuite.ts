/**
 * Runs a suite of attacks over image batches and keeps the paper's per-image protocol records. The attack
 * job reports them; the analyse job also feeds each batch's adversarial examples to the defences and the
 * spectral analyses before the batch is dropped (memory stays bounded by the batch).
 */
import { performance } from 'node:perf_hooks';
import { join } from 'node:path';
import type { JobOptionsByKind } from '../../protocol/jobKinds';
import type { DatasetSample } from '../data/dataset';
import { EngineError } from '../errors';
import { topK } from '../eval/scores';
import type { ClassifierGradientBuilder } from '../grad/classifierGradient';
import type { Classifier } from '../runtime/classifier';
import { attackNorm } from '../attacks/catalog';
import { summariseEnsemble, type EnsembleImage, type EnsembleSection } from '../attacks/ensemble';
import { attackContext, gradientProvider, type GradientProvider } from '../attacks/context';
import { writeGalleryItem, type GalleryItem } from '../attacks/gallery';
import { perturbationNorms } from '../attacks/perturbation';
import { CostCounter, type PassCounts } from '../attacks/costCounter';
import { attackCost, summarise, type AttackRunSummary, type ImageOutcome } from '../attacks/protocol';
import { createAttack, WHITE_BOX } from '../attacks/registry';
import type { Attack, AttackContext } from '../attacks/types';
import { seedFor, seedRecord } from '../util/seeds';
import { tallyGradients, type GradientHealth } from '../eval/maskingFlags';
import type { PreparedModel } from './prepare';
import { sessionOptionsFor } from '../runtime/modelSession';

/** A target class (by index, or by name resolved against the class names) or the least-likely class. */
export type TargetChoice = { kind: 'class'; class: number; name?: string } | { kind: 'least-likely' };

/** The attack job's options, declared once with their runtime check in src/protocol/jobKinds.ts. */
export type SuiteOptions = JobOptionsByKind['attack'];

/** One attack's results on one batch. */
export interface BatchAttackResult {
  /** Batch indices of the attacked images (correct under the criterion and not already the target). */
  attacked: number[];
  /** attacked.length × pixels: adversarial examples (or the last attempt where the attack failed). */
  adversarial: Float32Array;
  /** Undefended model's scores on `adversarial`. */
  scores: Float32Array;
  success: boolean[];
  l2: Float64Array;
  linf: Float64Array;
  /** Minimal-ε mode: the ε found per attacked image (NaN where none). */
  epsilon: Float64Array | null;
  /** Model queries spent per attacked image. */
  queries: Float64Array;
  /** Ensemble cascade: whether it ran on each attacked image (not on those an earlier attack broke); absent: on all. */
  ran?: boolean[];
}

export interface SuiteBatch {
  samples: DatasetSample[];
  pixels: Float32Array;
  count: number;
  labels: number[];
  cleanScores: Float32Array;
  classes: number;
  cleanTop1: boolean[];
  cleanTop5: boolean[];
  targets: number[] | null;
  attacks: BatchAttackResult[];
}

export class AttackSuite {
  readonly attacks: Attack[];
  private readonly contexts: AttackContext[] = [];
  private readonly outcomes: ImageOutcome[][];
  private readonly galleries: GalleryItem[][];
  private readonly seconds: number[];
  /** Per attack: its context's pass counter, and the passes of the batches recorded so far. */
  private readonly counters: CostCounter[];
  private readonly passes: (PassCounts & { evaluationForward: number })[];
  private gradients: GradientProvider | null = null;
  private targetChoice: TargetChoice | null;
  /** Ensemble runs: per image, which attack of the cascade broke it. */
  private readonly ensembleImages: EnsembleImage[] = [];
  /** relPaths of the images recorded, in the order of every attack's outcomes (a shard's report maps them to sample positions). */
  private readonly recordedPaths: string[] = [];
  /**
   * The input gradient's health at the attacked clean images (the masking flags' evidence), when asked for
   * with probeGradients(): one cross-entropy gradient pass per batch, the source PGD and APGD-CE already use.
   */
  private health: GradientHealth | null = null;

  constructor(
    private readonly prepared: PreparedModel,
    private readonly classifier: Classifier,
    readonly classNames: string[],
    readonly options: SuiteOptions,
    private readonly signal?: AbortSignal,
    /** The seed stream of its attacks (same per-attack formula, recorded under the stage that runs the suite). */
    private readonly seedStream: 'attacks/suite' | 'attacks/eps-list' | 'sweeps/epsilon/pgd' = 'attacks/suite',
  ) {
    this.attacks = options.attacks.map((s) => createAttack(s));
    this.outcomes = this.attacks.map(() => []);
    this.galleries = this.attacks.map(() => []);
    this.seconds = this.attacks.map(() => 0);
    this.counters = this.attacks.map(() => new CostCounter());
    this.passes = this.attacks.map(() => ({ forward: 0, gradient: 0, evaluationForward: 0 }));
    this.targetChoice = resolveTarget(options.target, classNames, prepared.info.output.numClasses ?? classNames.length);
  }

  get needsGradient(): boolean {
    return this.options.attacks.some((s) => WHITE_BOX.has(s.name)) && this.options.gradient === 'analytic';
  }

  /** Each attack of a run gets its own seed, derived from the run's. */
  seedOf(attackIndex: number): number {
    return seedFor(this.prepared.config.seed, this.seedStream, attackIndex);
  }

  /** Called once, after the first batch fixed the output kind; `builder` is null when no white-box attack needs it. */
  start(builder: ClassifierGradientBuilder | null): void {
    const rt = this.prepared.config.runtime;
    this.gradients = gradientProvider(
      this.classifier,
      builder,
      this.options.gradient,
      {
        ...sessionOptionsFor(rt),
        maxBatch: this.classifier.batchSize,
        label: this.prepared.model.path,
      },
      seedFor(this.prepared.config.seed, 'attacks/estimated-gradient'),
    );
    this.attacks.forEach((_, k) =>
      this.contexts.push(
        attackContext(this.classifier, this.gradients!, this.options.criterion, this.seedOf(k), this.signal, undefined, this.counters[k]),
      ),
    );
  }

  /** Counts zero / NaN / infinite input gradients at each batch's attacked images (analytic gradients only). */
  probeGradients(): void {
    this.health = { images: 0, zero: 0, nan: 0, infinite: 0 };
  }

  /** The gradient tally so far; null when not probed or no analytic gradient was used. */
  get gradientHealth(): GradientHealth | null {
    return this.health && this.needsGradient ? { ...this.health } : null;
  }

  get started(): boolean {
    return this.gradients !== null;
  }

  /**
   * Attacks one decoded batch with every attack of the suite and records the protocol per image.
   * `onAttackDone(k)` is told after the k-th attack of the batch finished, so a long batch (C&W, SimBA)
   * still moves the progress bar.
   */
  /** How many of these images runBatch would attack (the correctly classified ones, not already the target). */
  attackedCount(samples: DatasetSample[], cleanScores: Float32Array): number {
    return this.choose(
      samples.map((s) => s.label),
      cleanScores,
    ).idx.length;
  }

  private choose(labels: number[], cleanScores: Float32Array) {
    const count = labels.length;
    const classes = cleanScores.length / Math.max(1, count);
    const rank = labels.map((_, i) => topK(cleanScores.subarray(i * classes, (i + 1) * classes), Math.min(5, classes)));
    const cleanTop1 = labels.map((l, i) => rank[i][0] === l);
    const cleanTop5 = labels.map((l, i) => rank[i].includes(l));
    const t = this.targetChoice;
    const targets = t
      ? labels.map((_, i) => (t.kind === 'class' ? t.class : leastLikely(cleanScores.subarray(i * classes, (i + 1) * classes))))
      : null;
    // Attack the images classified correctly under the criterion (and not already the target).
    const chosen = labels.map(
      (l, i) => (this.options.criterion === 'top1' ? cleanTop1[i] : cleanTop5[i]) && (!targets || targets[i] !== l),
    );
    return { rank, cleanTop1, cleanTop5, targets, idx: chosen.flatMap((c, i) => (c ? [i] : [])) };
  }

  async runBatch(
    samples: DatasetSample[],
    pixels: Float32Array,
    cleanScores: Float32Array,
    onAttackDone?: (finished: number) => void,
  ): Promise<SuiteBatch> {
    if (!this.gradients) throw new EngineError('RUNTIME', 'AttackSuite.runBatch called before start()');
    const count = samples.length;
    const per = this.classifier.pixelsPerSample;
    const classes = cleanScores.length / count;
    const p = this.prepared.config.preprocessing;
    const shape: [number, number, number] = [per / (p.height * p.width), p.height, p.width];
    const labels = samples.map((s) => s.label);
    const { rank, cleanTop1, cleanTop5, targets, idx } = this.choose(labels, cleanScores);
    const sub = new Float32Array(idx.length * per);
    idx.forEach((i, k) => sub.set(pixels.subarray(i * per, (i + 1) * per), k * per));
    const subLabels = idx.map((i) => labels[i]);
    const subTargets = targets ? idx.map((i) => targets[i]) : null;
    const results: BatchAttackResult[] = [];
    const queries: Float64Array[] = [];
    const seconds: number[] = [];
    /** This batch's passes per attack, added to the run's when the batch is recorded. */
    const passes: (PassCounts & { evaluationForward: number })[] = [];
    const cascade = this.options.ensemble !== undefined;
    /** Cascade: the attack that broke each attacked image (-1: none yet). */
    const brokenBy = new Array<number>(idx.length).fill(-1);
    let cancelled: string | null = null;
    for (let a = 0; a < this.attacks.length; a++) {
      const t0 = performance.now();
      const before = this.counters[a].snapshot();
      // The cascade runs each attack only on the images every earlier one left robust.
      const run = idx.flatMap((_, k) => (!cascade || brokenBy[k] < 0 ? [k] : []));
      const runPixels = run.length === idx.length ? sub : gatherRows(sub, run, per);
      const attacked = run.length
        ? await this.attacks[a].run(
            {
              pixels: runPixels,
              count: run.length,
              labels: run.map((k) => subLabels[k]),
              targets: subTargets ? run.map((k) => subTargets[k]) : null,
            },
            this.contexts[a],
          )
        : { adversarial: new Float32Array(0), queries: new Float64Array(0) };
      if (this.signal?.aborted) {
        // An attack cut short by a cancel would count its images as robust: its batch is dropped. A cascade keeps
        // the attacks that finished before it (they are recorded below); a plain suite drops the whole batch.
        cancelled = `cancelled during ${this.attacks[a].label}`;
        if (!cascade || a === 0) throw new EngineError('CANCELLED', `${cancelled}; the interrupted batch is not counted`);
        break;
      }
      const result = expand(attacked, run, idx.length, per, sub, a > 0 && cascade ? results : null);
      const advScores = idx.length ? await this.classifier.scores(result.adversarial, idx.length) : new Float32Array(0);
      seconds.push((performance.now() - t0) / 1000);
      const after = this.counters[a].snapshot();
      passes.push({ forward: after.forward - before.forward, gradient: after.gradient - before.gradient, evaluationForward: idx.length });
      const ranSet = new Set(run);
      const success = idx.length
        ? this.contexts[a].isAdversarial(advScores, subLabels, subTargets).map((ok, k) => ok && ranSet.has(k))
        : [];
      success.forEach((ok, k) => {
        if (ok && brokenBy[k] < 0) brokenBy[k] = a;
      });
      const norms = perturbationNorms(result.adversarial, sub, idx.length);
      results.push({
        attacked: idx,
        adversarial: result.adversarial,
        scores: advScores,
        success,
        l2: norms.l2,
        linf: norms.linf,
        epsilon: result.epsilon ?? null,
        queries: result.queries,
        ran: idx.map((_, k) => ranSet.has(k)),
      });
      queries.push(result.queries);
      onAttackDone?.(a + 1);
    }
    if (!cancelled && this.health && this.needsGradient && idx.length) {
      const health = this.health;
      try {
        const source = await this.gradients.get({ kind: 'cross-entropy' });
        tallyGradients(health, (await source.compute(sub, idx.length, { labels: subLabels })).grad, idx.length);
      } catch (e) {
        // No analytic gradient after all (its attacks have said why): there is nothing to probe.
        if (!(e instanceof EngineError) || e.code === 'CANCELLED') throw e;
        this.health = null;
      }
    }
    // Recorded only once every attack finished the batch, so all attacks of a run count the same images (a
    // cancelled cascade records the attacks that finished).
    /** Cascade: the attacked set's top-1/top-5 verdicts of the attack that broke each image, carried to later attacks. */
    const carried = new Map<number, { top1: boolean; top5: boolean }>();
    for (let a = 0; a < results.length; a++) {
      const { adversarial, scores: advScores, success, l2, linf, epsilon, ran } = results[a];
      this.seconds[a] += seconds[a];
      this.passes[a].forward += passes[a].forward;
      this.passes[a].gradient += passes[a].gradient;
      this.passes[a].evaluationForward += passes[a].evaluationForward;
      const byImage = new Map(idx.map((i, k) => [i, k]));
      for (let i = 0; i < count; i++) {
        const k = byImage.get(i);
        if (k === undefined) {
          this.outcomes[a].push({
            cleanTop1: cleanTop1[i],
            cleanTop5: cleanTop5[i],
            attacked: false,
            success: false,
            attackedTop1: cleanTop1[i],
            attackedTop5: cleanTop5[i],
            l2: NaN,
            linf: NaN,
            queries: 0,
            epsilon: NaN,
          });
          continue;
        }
        if (ran && !ran[k]) {
          // Broken by an earlier attack of the cascade: not attacked again, its attacked-set verdict carried over.
          const c = carried.get(k)!;
          this.outcomes[a].push({
            cleanTop1: cleanTop1[i],
            cleanTop5: cleanTop5[i],
            attacked: false,
            success: false,
            attackedTop1: c.top1,
            attackedTop5: c.top5,
            l2: NaN,
            linf: NaN,
            queries: 0,
            epsilon: NaN,
          });
          continue;
        }
        const advRank = topK(advScores.subarray(k * classes, (k + 1) * classes), Math.min(5, classes));
        const ok = success[k];
        if (ok) carried.set(k, { top1: advRank[0] === labels[i], top5: advRank.includes(labels[i]) });
        this.outcomes[a].push({
          cleanTop1: cleanTop1[i],
          cleanTop5: cleanTop5[i],
          attacked: true,
          success: ok,
          attackedTop1: ok ? advRank[0] === labels[i] : cleanTop1[i],
          attackedTop5: ok ? advRank.includes(labels[i]) : cleanTop5[i],
          l2: l2[k],
          linf: linf[k],
          queries: queries[a][k],
          epsilon: epsilon ? epsilon[k] : NaN,
        });
        const outDir = this.options.outDir;
        if (ok && outDir && this.galleries[a].length < this.options.gallery) {
          const stem = `${String(this.galleries[a].length).padStart(2, '0')}-${samples[i].className}`;
          this.galleries[a].push(
            writeGalleryItem(
              outDir,
              join('gallery', `attack-${a + 1}`),
              stem,
              sub.subarray(k * per, (k + 1) * per),
              adversarial.subarray(k * per, (k + 1) * per),
              shape,
              {
                relPath: samples[i].relPath,
                label: labels[i],
                cleanPrediction: rank[i][0],
                adversarialPrediction: advRank[0],
                l2: l2[k],
                linf: linf[k],
              },
            ),
          );
        }
      }
    }
    for (const sample of samples) this.recordedPaths.push(sample.relPath);
    if (cascade) {
      const byImage = new Map(idx.map((i, k) => [i, k]));
      samples.forEach((sample, i) => {
        const k = byImage.get(i);
        this.ensembleImages.push({
          relPath: sample.relPath,
          label: labels[i],
          cleanCorrect: k !== undefined,
          brokenBy: k !== undefined && brokenBy[k] >= 0 ? brokenBy[k] : null,
          attacksRun: results.length,
        });
      });
    }
    if (cancelled) throw new EngineError('CANCELLED', `${cancelled}; the attacks of the cascade that finished are kept`);
    return { samples, pixels, count, labels, cleanScores, classes, cleanTop1, cleanTop5, targets, attacks: results };
  }

  /** The ensemble's section (cascade runs only): robust accuracy per attack and overall, and who broke each image. */
  ensembleSection(): EnsembleSection | null {
    const e = this.options.ensemble;
    if (!e) return null;
    const first = this.attacks[0].params;
    return summariseEnsemble(
      {
        version: e.version,
        norm: first.norm as 'linf' | 'l2',
        eps: first.eps as number,
        labels: this.attacks.map((a) => a.label),
        seconds: this.seconds,
      },
      this.ensembleImages,
    );
  }

  /** The protocol summary of every attack over the batches run so far. */
  summaries(): (AttackRunSummary & { gallery: GalleryItem[] })[] {
    return this.attacks.map((attack, a) => ({
      ...this.summary(a, attack),
      gallery: this.galleries[a],
    }));
  }

  private summary(a: number, attack: Attack): AttackRunSummary {
    const t = this.targetChoice;
    const ran = this.outcomes[a].filter((o) => o.attacked).map((o) => o.queries);
    return {
      ...summarise(this.outcomes[a], {
        label: attack.label,
        mode: attack.mode,
        params: attack.params,
        criterion: this.options.criterion,
        targeted: t ? (t.kind === 'class' ? `class ${t.class} (${this.classNames[t.class] ?? t.class})` : 'least-likely') : null,
        gradient: WHITE_BOX.has(this.options.attacks[a].name) ? this.options.gradient : 'none',
        seed: this.seedOf(a),
        seconds: this.seconds[a],
        budgetNorm: attack.mode === 'minimal-perturbation' ? attackNorm(attack.params.attack as string, attack.params) : null,
      }),
      cost: attackCost(this.passes[a], ran),
    };
  }

  /** Per attack, the per-image outcomes recorded so far (the robustness curves derive from them). */
  outcomesOf(a: number): readonly ImageOutcome[] {
    return this.outcomes[a];
  }

  /**
   * Per-image outcomes of every attack, in the order the images were recorded, with their relPaths (for a shard's
   * report: `merge` recomputes the summaries from them). A cancelled cascade's later attacks may hold fewer rows.
   */
  perImage(): { relPaths: string[]; outcomes: ImageOutcome[][] } {
    return { relPaths: this.recordedPaths.slice(), outcomes: this.outcomes.map((o) => o.slice()) };
  }

  get totalSeconds(): number {
    return this.seconds.reduce((x, y) => x + y, 0);
  }

  seeds(): Record<string, number> {
    const estimated =
      this.options.gradient === 'estimated' && this.options.attacks.some((s) => WHITE_BOX.has(s.name))
        ? seedRecord(this.prepared.config.seed, 'attacks/estimated-gradient')
        : {};
    return { ...Object.fromEntries(this.attacks.map((_, a) => [`attack${a + 1}`, this.seedOf(a)])), ...estimated };
  }

  async dispose(): Promise<void> {
    await this.gradients?.dispose();
  }
}

function gatherRows(x: Float32Array, rows: number[], per: number): Float32Array {
  const out = new Float32Array(rows.length * per);
  rows.forEach((k, r) => out.set(x.subarray(k * per, (k + 1) * per), r * per));
  return out;
}

/**
 * An attack's outcome on `run` (rows of the batch's attacked images) spread over all `count` of them: the
 * images it did not run on keep the adversarial example of the attack that broke them (`earlier`), no queries.
 */
function expand(
  outcome: { adversarial: Float32Array; queries: Float64Array; epsilon?: Float64Array },
  run: number[],
  count: number,
  per: number,
  clean: Float32Array,
  earlier: BatchAttackResult[] | null,
): { adversarial: Float32Array; queries: Float64Array; epsilon?: Float64Array } {
  if (run.length === count) return outcome;
  const adversarial = Float32Array.from(clean);
  const queries = new Float64Array(count);
  const epsilon = outcome.epsilon ? new Float64Array(count).fill(NaN) : undefined;
  if (earlier)
    for (const r of earlier)
      r.success.forEach((ok, k) => {
        if (ok) adversarial.set(r.adversarial.subarray(k * per, (k + 1) * per), k * per);
      });
  run.forEach((k, r) => {
    adversarial.set(outcome.adversarial.subarray(r * per, (r + 1) * per), k * per);
    queries[k] = outcome.queries[r];
    if (epsilon) epsilon[k] = outcome.epsilon![r];
  });
  return { adversarial, queries, ...(epsilon ? { epsilon } : {}) };
}

function resolveTarget(t: TargetChoice | null, classNames: string[], numClasses: number): TargetChoice | null {
  if (!t || t.kind === 'least-likely') return t;
  const index = t.name !== undefined ? classNames.indexOf(t.name) : t.class;
  if (index < 0) throw new EngineError('USAGE', `--targeted ${t.name}: no class has that name (classes: ${classNames.join(', ')})`);
  if (index >= numClasses) throw new EngineError('USAGE', `--targeted ${index}: the target class is out of range 0…${numClasses - 1}`);
  return { kind: 'class', class: index };
}

function leastLikely(row: Float32Array): number {
  let best = 0;
  for (let k = 1; k < row.length; k++) if (row[k] < row[best]) best = k;
  return best;
}

/**
 * Images counted as done while a batch is part way through: the batch's images times the fraction of its
 * parts finished (its attacks, plus any work that follows them in the same batch), rounded down so the count never runs ahead.
 */
export function imagesDoneWithin(doneBefore: number, batchImages: number, finishedParts: number, parts: number): number {
  return doneBefore + Math.floor((batchImages * finishedParts) / Math.max(1, parts));
}
