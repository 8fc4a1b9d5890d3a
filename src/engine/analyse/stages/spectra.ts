/** Stage "spectra", pass 1: each attack's mean perturbation spectrum against the images' own. */
import { binForReport } from '../../../protocol/reportMaps';
import type { DefenceAttackRef, SpectraSection } from '../../report/sections';
import { SPECTRA_DEFINITION, SpectrumAccumulator, defaultSpectrumCutoff } from '../../spectral/spectra';
import type { AnalyseContext } from '../context';
import type { BatchStage, BatchStageModule } from '../batchStage';
import { forEachSuccess } from './successfulExamples';

export function startSpectraStage(ctx: AnalyseContext, refs: DefenceAttackRef[]): BatchStage {
  const cutoff = defaultSpectrumCutoff(ctx.H, ctx.W);
  const spectra = ctx.plan.analyses.spectra ? refs.map(() => new SpectrumAccumulator(ctx.C, ctx.H, ctx.W, cutoff)) : [];
  return {
    onBatch({ suite }) {
      if (spectra.length) forEachSuccess(suite, ctx.classifier.pixelsPerSample, (a, x, xa) => spectra[a].add(x, xa));
    },
    publish() {
      if (!spectra.length) return;
      ctx.section('spectra', {
        kind: 'spectra',
        cutoff,
        definition: SPECTRA_DEFINITION,
        entries: refs
          .map((r, a) => {
            const e = spectra[a].result();
            return {
              attack: r.label,
              mode: r.mode,
              ...e,
              perturbationSpectrum: binForReport(e.perturbationSpectrum),
              logSpectrumDifference: binForReport(e.logSpectrumDifference),
            };
          })
          .filter((e) => e.count > 0),
      } satisfies SpectraSection);
    },
  };
}

export const spectraStage: BatchStageModule = {
  plan: ({ analyses, attacks }) => ({ stage: 'spectra', skipped: analyses.spectra ? null : 'not asked for', sizes: { attacks } }),
  start: startSpectraStage,
};
