/**
 * Stage "defences", pass 1: every selected defence's candidate configurations classify each batch's clean
 * images and adversarial examples; after the pass each defence picks its configuration and reports its
 * non-adaptive rows and sweeps.
 */
import type { DefenceChoice, DefenceSweep } from '../../defences/defence';
import { DefenceBatch } from '../../defences/defenceBatch';
import { DEFENCES } from '../../defences';
import type { SuiteBatch } from '../../jobs/attackSuite';
import type { DefenceResult, DefencesSection, Sweep } from '../../report/sections';
import type { AnalyseContext } from '../context';
import type { AttackStage } from './attacks';

export interface DefenceStage {
  sweeps: DefenceSweep[];
  onBatch(sb: SuiteBatch): Promise<void>;
}

export async function startDefenceStage(ctx: AnalyseContext, attacks: AttackStage): Promise<DefenceStage> {
  for (const d of DEFENCES) Object.assign(ctx.seeds, d.legacySeeds?.(ctx.runSeed));
  const sweeps: DefenceSweep[] = [];
  for (const d of ctx.plan.defences) {
    Object.assign(ctx.seeds, d.seeds?.(ctx.runSeed));
    sweeps.push(
      await d.sweep({
        classifier: ctx.classifier,
        preprocessing: ctx.prepared.config.preprocessing,
        opts: ctx.opts,
        sweeps: ctx.plan.analyses.sweeps,
        runSeed: ctx.runSeed,
        criterion: ctx.plan.criterion,
        refs: attacks.refs,
        builder: attacks.builder,
        gradientUnavailable: attacks.gradientUnavailable,
        sessionOpts: ctx.sessionOpts,
        disposers: ctx.disposers,
      }),
    );
  }
  return {
    sweeps,
    async onBatch(sb) {
      if (!sweeps.length) return;
      const batch = new DefenceBatch(sb);
      for (const s of sweeps) await s.tally(batch);
    },
  };
}

export interface ChosenDefences {
  choices: DefenceChoice[];
  /** The section's results, one per choice; pass 2 adds the adaptive rows and the cost. */
  results: DefenceResult[];
  notes: string[];
  sweeps: Sweep[];
}

/** Picks each defence's configuration and publishes the non-adaptive section. */
export function chooseDefences(ctx: AnalyseContext, stage: DefenceStage): ChosenDefences {
  const choices = stage.sweeps.map((s) => s.choose(ctx.plan.tolerance));
  const chosen: ChosenDefences = { choices, results: choices.map((c) => c.result), notes: [], sweeps: choices.flatMap((c) => c.sweeps) };
  publishDefences(ctx, chosen);
  return chosen;
}

export function publishDefences(ctx: AnalyseContext, chosen: ChosenDefences): void {
  ctx.section('defences', { kind: 'defences', results: chosen.results, notes: chosen.notes } satisfies DefencesSection);
}
