/**
 * What a shard of the analyse job adds to its report for `merge`: each attack's per-image outcomes (as `attack`
 * shards carry them) and every defence's tally counts for every candidate configuration, so the merged run
 * sums them and chooses each defence's configuration from the whole sample, as the unsharded run does.
 */
import type { PreparedData } from '../jobs/prepare';
import type { ReportShard } from '../report/schema';
import { outcomeColumns } from '../shard/outcomeColumns';
import type { AttackStage } from './stages/attacks';
import type { DefenceStage } from './stages/defences';
import type { AnalyseContext } from './context';
import type { PassTwoCounts } from './passTwo';

export type ShardExtras = Omit<ReportShard, keyof NonNullable<PreparedData['shard']>>;

export function analyseShardExtras(
  attacks: AttackStage,
  shard: NonNullable<PreparedData['shard']>,
  defences: DefenceStage,
  ctx: AnalyseContext,
  pass2: PassTwoCounts | null,
): ShardExtras {
  const { opts, plan } = ctx;
  const position = new Map(shard.relPaths.map((p, r) => [p, shard.images[r]]));
  const { relPaths, outcomes } = attacks.suite.perImage();
  const images = relPaths.map((p) => position.get(p)!);
  return {
    attacks: {
      outcomes: outcomes.map((o) => outcomeColumns(o, images.slice(0, o.length))),
      evidence: null,
      galleryLimit: attacks.suite.options.gallery,
      curves: { attackNames: attacks.suite.options.attacks.map((a) => a.name), epsList: [...plan.epsGrid], entries: [], outcomes: [] },
    },
    analyse: {
      setup: {
        // The options the defences' candidate grids and choices read (the preset sizes post-averaging's grid).
        defenceOptions: { preset: opts.preset, K: opts.K, radius: opts.radius, directions: opts.directions, cutoff: opts.cutoff },
        sweeps: plan.analyses.sweeps,
        tolerance: plan.tolerance,
        refs: attacks.refs,
      },
      defences: defences.sweeps.map((s) => ({ defence: s.defence.name, tallies: s.tallies().map((t) => t.counts()) })),
      ...(pass2 ? { pass2 } : {}),
    },
  };
}
