/**
 * The low-pass filter as a defence of the analyse job: pass 1 sweeps the cutoff, the reported cutoff is the
 * user's or the tolerance rule's, and the adaptive attacker differentiates exactly through the (linear) filter.
 */
import { gradientBuilderFor } from '../grad/forClassifier';
import { GradientModel } from '../grad/gradientModel';
import type { LossHead } from '../grad/lossHeads';
import type { GradientSource } from '../grad/estimatedGradient';
import { lowPassMatrix, maxCutoff } from '../spectral/lowPass';
import type { Sweep } from '../report/sections';
import { ADAPTIVE_STEPS } from './adaptive';
import type { Defence, DefenceSweep } from './defence';
import { wholeFlag } from './flags';
import { LowPassModel, checkCutoff } from './lowPassModel';
import { DefenceTally, chooseParameter } from './tally';

interface CutoffState {
  cutoff: number;
  model: LowPassModel;
  tallies: DefenceTally[];
}

/** All cutoffs 1…max when max ≤ 32, else ~32 values (every one up to 16, then geometric) — plus the user's. */
export function cutoffGrid(max: number, given: number | null, sweep: boolean): number[] {
  if (!sweep) return given !== null ? [given] : [...new Set([1, 2, 4, 8, 16, max].filter((k) => k <= max))];
  const grid = new Set<number>();
  if (max <= 32) for (let k = 1; k <= max; k++) grid.add(k);
  else {
    for (let k = 1; k <= 16; k++) grid.add(k);
    for (let i = 0; i <= 16; i++) grid.add(Math.round(16 * (max / 16) ** (i / 16)));
  }
  if (given !== null) grid.add(given);
  return [...grid].filter((k) => k >= 1 && k <= max).sort((a, b) => a - b);
}

export const lowPass: Defence = {
  name: 'low-pass',
  title: 'Low-pass filter',
  cli: {
    flagValue: 'lowpass',
    flags: { cutoff: { type: 'string' } },
    usage: [['--cutoff K', 'low-pass cutoff 1…min(H,W)/2 (default: chosen by the sweep)']],
    parse: (flags) => ({ cutoff: wholeFlag(flags, 'cutoff', 1) ?? null }),
  },
  check(opts, p) {
    if (opts.cutoff !== null) checkCutoff(opts.cutoff, p);
  },
  leavesParameterToSweep: (opts) => opts.cutoff === null,
  plan: (opts, p, sweeps) => ({ cutoffs: cutoffGrid(maxCutoff(p.height, p.width), opts.cutoff, sweeps).length }),

  sweep(run): Promise<DefenceSweep> {
    const { opts, preprocessing: p, refs } = run;
    const maxK = maxCutoff(p.height, p.width);
    const cutoffs = cutoffGrid(maxK, opts.cutoff, run.sweeps);
    const states: CutoffState[] = cutoffs.map((cutoff) => ({
      cutoff,
      model: new LowPassModel(run.classifier, cutoff),
      tallies: refs.map(() => new DefenceTally(run.criterion)),
    }));
    return Promise.resolve({
      defence: lowPass,
      tallies: () => states.flatMap((s) => s.tallies),
      async tally(batch) {
        for (const c of states) batch.tally(c.tallies, await c.model.scores(batch.pixels, batch.rows));
      },
      choose(tolerance) {
        const candidates = opts.cutoff !== null ? [cutoffs.indexOf(opts.cutoff)] : cutoffs.map((_, i) => i);
        const pick = chooseParameter(
          candidates.map((i) => cutoffs[i]),
          candidates.map((i) => states[i].tallies),
          tolerance,
        );
        const choice =
          opts.cutoff !== null
            ? { value: opts.cutoff, index: candidates[0], reason: 'cutoff given by the user' }
            : { ...pick, index: candidates[pick.index] };
        const chosen = states[choice.index];
        const cutoff = choice.value;
        const sweeps: Sweep[] = [];
        if (run.sweeps && cutoffs.length > 1) {
          sweeps.push({
            id: 'accuracy-vs-cutoff',
            title: 'Low-pass filter: accuracy vs cutoff',
            xLabel: 'cutoff k',
            yLabel: 'top-1 accuracy',
            x: cutoffs,
            series: [
              { name: 'clean', attack: null, mode: 'clean', y: states.map((s) => s.tallies[0].defendedCleanTop1) },
              ...refs.map((r, a) => ({
                name: `attacked: ${r.label}`,
                attack: r.label,
                mode: r.mode,
                y: states.map((s) => s.tallies[a].row(r).defended.attacked.top1),
              })),
            ],
            fixed: { undefendedCleanTop1: states[0].tallies[0].originalCleanTop1, maxCutoff: maxK },
          });
        }
        return {
          result: {
            defence: { kind: 'low-pass', params: { cutoff, maxCutoff: maxK } },
            chosenBy: choice.reason,
            rows: chosen.tallies.map((t, a) => t.row(refs[a])),
            cost: null,
          },
          sweeps,
          async adaptive(pass2) {
            const { classifier } = pass2;
            // One builder for the filtered model; one gradient graph per loss head, opened on first use.
            const lpBuilder = pass2.builder
              ? await gradientBuilderFor(pass2.prepared, classifier.outputKind?.kind ?? 'logits', classifier.numClasses ?? undefined, {
                  rows: lowPassMatrix(p.height, cutoff),
                  cols: lowPassMatrix(p.width, cutoff),
                })
              : null;
            const heads = new Map<string, Promise<GradientSource>>();
            const gradientFor = (head: LossHead): Promise<GradientSource | null> => {
              if (!lpBuilder) return Promise.resolve(null);
              const key = JSON.stringify(head);
              let g = heads.get(key);
              if (!g) {
                g = GradientModel.open(lpBuilder, head, { ...pass2.sessionOpts, maxBatch: classifier.batchSize }).then((opened) => {
                  pass2.disposers.push(() => opened.dispose());
                  return opened;
                });
                heads.set(key, g);
              }
              return g;
            };
            const gradient = await gradientFor({ kind: 'cross-entropy' });
            return {
              model: new LowPassModel(classifier, cutoff),
              gradient,
              gradientFor,
              label: (norm) =>
                `PGD-${ADAPTIVE_STEPS} ${norm === 'linf' ? 'L∞' : 'L2'} through the low-pass filter (exact gradient), same budget per image`,
            };
          },
        };
      },
    });
  },
};
