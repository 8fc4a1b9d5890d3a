/**
 * Stage "per-image", pass 1: every evaluated image as a row of the per-image table — its clean prediction,
 * each attack's outcome, minimal ε, norms and queries, and, once each defence's configuration is chosen, the
 * defended verdicts its pass-1 tally kept (not a second classification) — with example PNGs for the panel's
 * detail view, capped so that runs on large images stay small on disk.
 */
import { perturbationPng, encodePng, writePng } from '../../attacks/gallery';
import { tallyBehind } from '../../defences/tally';
import { rowProbabilities, topK } from '../../eval/scores';
import type {
  DefenceAttackRef,
  DefenceResult,
  PerImageAttack,
  PerImageDefence,
  PerImageExamples,
  PerImageOutcome,
  PerImageSection,
} from '../../report/sections';
import { PER_IMAGE_FILES, exampleFile } from '../../../protocol/perImageFiles';
import type { BatchAttackResult } from '../../jobs/attackSuite';
import type { BatchStage, BatchStageModule } from '../batchStage';
import type { AnalyseContext } from '../context';

/** Images of at most this many pixels per channel save every example by default (a few hundred bytes each). */
export const SMALL_IMAGE_PIXELS = 64 * 64;
/** Examples saved per attack by default for larger images. */
export const DEFAULT_EXAMPLES_PER_ATTACK = 32;

/** Examples saved per attack: the option, else every one for small images and DEFAULT_EXAMPLES_PER_ATTACK otherwise (null = all). */
export function examplesPerAttack(option: number | undefined, height: number, width: number): number | null {
  if (option !== undefined) return option;
  return height * width <= SMALL_IMAGE_PIXELS ? null : DEFAULT_EXAMPLES_PER_ATTACK;
}

/** 4 significant digits: the table shows 3, and 1,000 × 7 rows of full doubles would triple the report. */
export function round4(v: number): number | null {
  return Number.isFinite(v) ? Number(v.toPrecision(4)) : null;
}

function examplesNote(outDir: string | null | undefined, cap: number | null, height: number, width: number): string {
  if (!outDir) return 'No example images: the run has no output folder (analyse --out DIR saves them).';
  if (cap === null) return `Every successful adversarial example is saved (images of ${height}×${width} pixels are small).`;
  if (cap === 0) return 'No example images were saved (--examples 0); re-run with --examples N to save the first N per attack.';
  const why = height * width > SMALL_IMAGE_PIXELS ? ` (images larger than 64×64 pixels)` : '';
  return `The first ${cap} successful examples of each attack are saved${why}; re-run with --examples N to save more.`;
}

export function startPerImageStage(ctx: AnalyseContext, refs: DefenceAttackRef[]): BatchStage {
  const outDir = ctx.opts.outDir ?? null;
  const cap = examplesPerAttack(ctx.opts.perImageExamples, ctx.H, ctx.W);
  const shape: [number, number, number] = [ctx.C, ctx.H, ctx.W];
  const images: PerImageSection['images'] = { relPath: [], label: [], prediction: [], confidence: [] };
  const attacks: PerImageAttack[] = refs.map((r) => ({
    attack: r.label,
    mode: r.mode,
    norm: r.norm,
    outcome: [],
    adversarialPrediction: [],
    epsilon: r.mode === 'minimal-eps' || r.mode === 'minimal-perturbation' ? [] : null,
    l2: [],
    linf: [],
    queries: [],
    saved: { images: [], amplification: [] },
  }));
  const cleanSaved = new Set<number>();
  const examples: PerImageExamples = { ...PER_IMAGE_FILES, perAttack: cap, note: examplesNote(outDir, cap, ctx.H, ctx.W) };
  let defences: PerImageDefence[] = [];

  const publish = () =>
    ctx.section('perImage', {
      kind: 'per-image',
      criterion: ctx.plan.criterion,
      images,
      attacks,
      defences,
      examples,
    } satisfies PerImageSection);

  return {
    onBatch({ suite: sb }) {
      const per = sb.pixels.length / Math.max(1, sb.count);
      const kind = ctx.classifier.outputKind?.kind ?? 'logits';
      const first = images.relPath.length;
      for (let i = 0; i < sb.count; i++) {
        const row = sb.cleanScores.subarray(i * sb.classes, (i + 1) * sb.classes);
        const predicted = topK(row, 1)[0];
        images.relPath.push(sb.samples[i].relPath);
        images.label.push(sb.labels[i]);
        images.prediction.push(predicted);
        images.confidence.push(round4(rowProbabilities(row, kind)[predicted]) ?? 0);
      }
      sb.attacks.forEach((r, a) => {
        const column = attacks[a];
        const byImage = new Map(r.attacked.map((i, k) => [i, k]));
        for (let i = 0; i < sb.count; i++) {
          const k = byImage.get(i);
          const outcome: PerImageOutcome = k === undefined ? 0 : r.success[k] ? 2 : 1;
          column.outcome.push(outcome);
          column.adversarialPrediction.push(k === undefined ? -1 : topK(r.scores.subarray(k * sb.classes, (k + 1) * sb.classes), 1)[0]);
          column.epsilon?.push(k === undefined || !r.success[k] ? null : round4(minimalBudget(refs[a], r, k)));
          column.l2.push(k === undefined ? null : round4(r.l2[k]));
          column.linf.push(k === undefined ? null : round4(r.linf[k]));
          column.queries.push(k === undefined ? 0 : r.queries[k]);
          if (outcome !== 2 || !outDir || (cap !== null && column.saved.images.length >= cap)) continue;
          const image = first + i;
          const clean = sb.pixels.subarray(i * per, (i + 1) * per);
          const adversarial = r.adversarial.subarray(k! * per, (k! + 1) * per);
          if (!cleanSaved.has(image)) {
            writePng(outDir, exampleFile(examples.clean, a, image), encodePng(clean, ...shape));
            cleanSaved.add(image);
          }
          writePng(outDir, exampleFile(examples.adversarial, a, image), encodePng(adversarial, ...shape));
          const perturbation = perturbationPng(clean, adversarial, shape);
          writePng(outDir, exampleFile(examples.perturbation, a, image), perturbation.png);
          column.saved.images.push(image);
          column.saved.amplification.push(round4(perturbation.amplification) ?? 1);
        }
      });
    },
    publish() {
      if (images.relPath.length) publish();
    },
    onDefencesChosen(results) {
      if (!images.relPath.length) return;
      defences = perImageDefences(results, images.relPath.length, ctx.plan.criterion);
      publish();
    },
  };
}

/** The budget that sufficed: minimal-ε attacks report it, a minimal-perturbation attack's is its example's norm. */
function minimalBudget(ref: DefenceAttackRef, r: BatchAttackResult, k: number): number {
  if (ref.mode === 'minimal-eps') return r.epsilon ? r.epsilon[k] : NaN;
  return ref.norm === 'l2' ? r.l2[k] : r.linf[k];
}

/** Each chosen defence's per-image verdicts, read from the pass-1 tallies behind its rows. */
export function perImageDefences(results: DefenceResult[], rows: number, criterion: 'top1' | 'top5'): PerImageDefence[] {
  const pick = (v: { top1: boolean; top5: boolean }) => (criterion === 'top1' ? v.top1 : v.top5);
  return results.flatMap((result) => {
    const tallies = result.rows.map((row) => ({ attack: row.attack.label, tally: tallyBehind(row) }));
    // A tally that saw other images than the table (a batch cut short inside the defences) is left out.
    if (tallies.length === 0 || tallies.some((t) => !t.tally || t.tally.evaluated !== rows)) return [];
    const first = tallies[0].tally!;
    return [
      {
        defence: result.defence.kind,
        clean: Array.from({ length: rows }, (_, i) => (pick(first.defendedClean(i)) ? 1 : 0)),
        cleanPrediction: Array.from({ length: rows }, (_, i) => first.defendedCleanClass(i)),
        adversarial: tallies.map(({ attack, tally }) => ({
          attack,
          verdict: Array.from({ length: rows }, (_, i) => {
            const v = tally!.defendedExample(i);
            return v === null ? -1 : pick(v) ? 1 : 0;
          }),
          prediction: Array.from({ length: rows }, (_, i) => tally!.defendedExampleClass(i)),
        })),
      },
    ];
  });
}

export const perImageStage: BatchStageModule = {
  plan: ({ images, attacks }) => ({ stage: 'per-image', skipped: null, sizes: { images, attacks } }),
  start: startPerImageStage,
};
