/** Stage "rct", pass 1: each attack's mean RCT map over its successful adversarial examples. */
import { binForReport } from '../../../protocol/reportMaps';
import type { DefenceAttackRef, RctSection } from '../../report/sections';
import { DEFAULT_RCT_EPSILON, RCT_DEFINITION, RctAccumulator } from '../../spectral/rct';
import type { BatchStage, BatchStageModule } from '../batchStage';
import type { AnalyseContext } from '../context';
import { forEachSuccess } from './successfulExamples';

export function startRctStage(ctx: AnalyseContext, refs: DefenceAttackRef[]): BatchStage {
  const maps = ctx.plan.analyses.rct ? refs.map(() => new RctAccumulator(ctx.C, ctx.H, ctx.W, DEFAULT_RCT_EPSILON)) : [];
  return {
    onBatch({ suite }) {
      if (maps.length) forEachSuccess(suite, ctx.classifier.pixelsPerSample, (a, x, xa) => maps[a].add(x, xa));
    },
    publish() {
      if (!maps.length) return;
      ctx.section('rct', {
        kind: 'rct',
        epsilon: DEFAULT_RCT_EPSILON,
        definition: RCT_DEFINITION,
        maps: refs
          .map((r, a) => ({ attack: r.label, mode: r.mode, count: maps[a].count, map: binForReport(maps[a].result()) }))
          .filter((m) => m.count > 0),
      } satisfies RctSection);
    },
  };
}

export const rctStage: BatchStageModule = {
  plan: ({ analyses, attacks }) => ({ stage: 'rct', skipped: analyses.rct ? null : 'not asked for', sizes: { attacks } }),
  start: startRctStage,
};
