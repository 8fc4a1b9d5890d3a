/**
 * `merge` of analyse shards (pass 1): the sections that rest on pass 1 alone, recomputed from the shards'
 * per-image data and counts in whole-sample order — each defence's configuration chosen again from the summed
 * tallies of every candidate (as the unsharded run chooses from the whole sample), its non-adaptive rows and
 * sweeps; Occluded Frequency from its per-image scores; RCT maps and spectra as count-weighted means; the
 * per-image table. Pass 2 (adaptive attacks, the ε sweep, defence costs) needs the chosen configuration and the
 * whole sample's first correct images, so shards do not run it: the merged report names it as not recomputed.
 */
import { DEFENCES } from '../defences';
import type { DefenceRun } from '../defences/defence';
import type { AnalyseOptions } from '../analyse/options';
import { EngineError } from '../errors';
import type { ReportV1 } from '../report/schema';
import type {
  DefenceResult,
  DefencesSection,
  Map2D,
  OccludedFrequencySection,
  PerImageSection,
  RctSection,
  SpectraSection,
  Sweep,
  SweepsSection,
} from '../report/sections';
import type { Classifier } from '../runtime/classifier';
import { OccludedFrequencyAggregator } from '../spectral/occludedFrequency';
import { sectionBandGroup } from '../../protocol/ofBands';
import { exampleFile } from '../../protocol/perImageFiles';
import { AdaptiveTally } from '../analyse/stages/adaptive';
import { CostMeter } from '../analyse/stages/cost';
import { DefenceTally } from '../defences/tally';

const EPSILON_SWEEP_ID = 'defence-rate-vs-epsilon';

interface Shard {
  report: ReportV1;
  source: string;
}

/** A file of shard `shard`'s run folder that the merged folder keeps (as `to`). */
export interface FileCopy {
  shard: number;
  from: string;
  to: string;
}

/** Each defence's configuration chosen from the sum of the shards' tallies; its rows and pass-1 sweeps. */
export async function mergeDefences(shards: Shard[]): Promise<{ section: DefencesSection; sweeps: Sweep[]; pass2: boolean } | null> {
  const first = shards[0].report;
  const extras = first.shard!.analyse;
  const given = first.sections.defences as DefencesSection | undefined;
  if (!extras || !given) return null;
  const { setup } = extras;
  const p = first.config.resolved.preprocessing;
  const results: DefenceResult[] = [];
  const sweeps: Sweep[] = [];
  for (const [d, entry] of extras.defences.entries()) {
    const defence = DEFENCES.find((x) => x.name === entry.defence);
    if (!defence) throw new EngineError('USAGE', `${shards[0].source}: unknown defence ${entry.defence}`);
    const run: DefenceRun = {
      classifier: { preprocessing: p } as unknown as Classifier,
      preprocessing: p,
      opts: { ...setup.defenceOptions } as AnalyseOptions,
      sweeps: setup.sweeps,
      runSeed: first.config.resolved.seed,
      criterion: setup.refs[0]?.criterion ?? 'top1',
      refs: setup.refs,
      builder: null,
      gradientUnavailable: null,
      sessionOpts: { label: '' } as DefenceRun['sessionOpts'],
      disposers: [],
      countsOnly: true,
    };
    const sweep = await defence.sweep(run);
    const tallies = sweep.tallies();
    for (const s of shards) {
      const counts = s.report.shard!.analyse?.defences[d];
      if (!counts || counts.defence !== entry.defence || counts.tallies.length !== tallies.length)
        throw new EngineError('USAGE', `shard ${s.report.shard!.index} (${s.source}) lacks the tallies of ${entry.defence}`);
      counts.tallies.forEach((k, i) => tallies[i].addCounts(k));
    }
    const choice = sweep.choose(setup.tolerance);
    results.push(choice.result);
    sweeps.push(...choice.sweeps);
  }
  const pass2 = shards.every((s) => s.report.shard!.analyse?.pass2);
  if (pass2) sweeps.push(...mergePassTwo(shards, results));
  return { section: { kind: 'defences', results, notes: given.notes }, sweeps, pass2 };
}

/**
 * Pass 2 of shards that knew every defence's configuration (given by the user): the adaptive rows, the ε sweep and
 * the costs from the summed counts of the shards' parts of the adaptive images. Adds to `results`; returns the ε sweep.
 */
function mergePassTwo(shards: Shard[], results: DefenceResult[]): Sweep[] {
  const parts = shards.map((s) => s.report.shard!.analyse!.pass2!);
  const given = shards.map((s) => s.report.sections.defences as DefencesSection);
  results.forEach((result, d) => {
    const template = given[0].results[d];
    const rows = parts.map((p) => p.defences[d]);
    if (rows.every((r) => r.adaptive))
      result.rows.forEach((row, a) => {
        const t = new AdaptiveTally();
        for (const r of rows) {
          const c = r.adaptive![a];
          t.adv += c.adv;
          t.rescued += c.rescued;
          t.rescuedNonAdaptive += c.rescuedNonAdaptive;
          t.attackedTop1 += c.attackedTop1;
          t.attackedTop5 += c.attackedTop5;
          t.seconds += c.seconds;
        }
        // The adaptive ensemble's cascade (--adaptive autoattack): each shard's row counts its own images.
        for (const g of given) {
          const e = g.results[d]?.rows[a]?.adaptive?.ensemble;
          if (e) t.addEnsemble(e.attacks, e.skipped);
        }
        const shown = template.rows[a].adaptive;
        row.adaptive = shown ? t.row(shown.label, shown.seed) : null;
      });
    const cost = new CostMeter();
    for (const r of rows) cost.addSums(r.cost);
    result.cost = template.cost ? cost.result(template.cost.batchSize) : null;
  });
  const sweep = (shards[0].report.sections.sweeps as SweepsSection | undefined)?.sweeps.find((s) => s.id === EPSILON_SWEEP_ID);
  if (!sweep || !parts.every((p) => p.defences.every((r) => r.epsilon))) return [];
  const criterion = shards[0].report.shard!.analyse!.setup.refs[0]?.criterion ?? 'top1';
  return [
    {
      ...sweep,
      series: sweep.series.map((series, d) => {
        const tallies = sweep.x.map(() => new DefenceTally(criterion));
        for (const p of parts) p.defences[d].epsilon!.forEach((c, e) => tallies[e].addCounts(c));
        return { ...series, y: tallies.map((t) => t.defenceRate) };
      }),
      fixed: { ...sweep.fixed, images: parts.reduce((k, p) => k + p.images, 0) },
    },
  ];
}

export function sweepsSection(sweeps: Sweep[]): SweepsSection | null {
  return sweeps.length ? { kind: 'sweeps', sweeps } : null;
}

/** Σ countₛ·mapₛ / Σ countₛ, cell by cell (the shards' means weighted by their example counts). */
function weightedMap(parts: { count: number; map: Map2D }[]): Map2D {
  const total = parts.reduce((k, x) => k + x.count, 0);
  const { map } = parts[0];
  const values = map.values.map((_, i) => parts.reduce((k, x) => k + x.count * x.map.values[i], 0) / total);
  return { ...map, values };
}

const weighted = (parts: { count: number; value: number }[]) =>
  parts.reduce((k, x) => k + x.count * x.value, 0) / parts.reduce((k, x) => k + x.count, 0);

/** Items of every shard under the same attack, in the attacks' order. */
function byAttack<T extends { attack: string }>(order: string[], lists: T[][]): T[][] {
  return order.map((label) => lists.flatMap((l) => l.filter((x) => x.attack === label))).filter((g) => g.length > 0);
}

export function mergeRct(shards: Shard[], order: string[]): RctSection | null {
  const sections = shards.map((s) => s.report.sections.rct as RctSection | undefined);
  if (!sections[0]) return null;
  const maps = byAttack(
    order,
    sections.map((s) => s?.maps ?? []),
  ).map((g) => ({ ...g[0], count: g.reduce((k, m) => k + m.count, 0), map: weightedMap(g) }));
  return { ...sections[0], maps };
}

export function mergeSpectra(shards: Shard[], order: string[]): SpectraSection | null {
  const sections = shards.map((s) => s.report.sections.spectra as SpectraSection | undefined);
  if (!sections[0]) return null;
  const entries = byAttack(
    order,
    sections.map((s) => s?.entries ?? []),
  ).map((g) => ({
    ...g[0],
    count: g.reduce((k, e) => k + e.count, 0),
    perturbationSpectrum: weightedMap(g.map((e) => ({ count: e.count, map: e.perturbationSpectrum }))),
    logSpectrumDifference: weightedMap(g.map((e) => ({ count: e.count, map: e.logSpectrumDifference }))),
    lowFrequencyEnergyPerturbation: weighted(g.map((e) => ({ count: e.count, value: e.lowFrequencyEnergyPerturbation }))),
    lowFrequencyEnergyImages: weighted(g.map((e) => ({ count: e.count, value: e.lowFrequencyEnergyImages }))),
  }));
  return { ...sections[0], entries };
}

/**
 * The explained images of every shard in sample order, aggregated again; their previews kept under their names.
 * The shards' band groups must agree (a score of group k is not a score of band k): a difference is refused.
 */
export function mergeOccludedFrequency(shards: Shard[], pos: Map<string, number>, copies: FileCopy[]): OccludedFrequencySection | null {
  const sections = shards.map((s) => s.report.sections.occludedFrequency as OccludedFrequencySection | undefined);
  const at = sections.findIndex((s) => s !== undefined);
  if (at < 0) return null;
  const first = sections[at]!;
  sections.forEach((s, i) => {
    if (!s) return;
    const [g, g0] = [sectionBandGroup(s), sectionBandGroup(first)];
    if (g !== g0 || s.bands !== first.bands)
      throw new EngineError(
        'USAGE',
        `${shards[i].source} and ${shards[at].source} ablated different Occluded Frequency band groups (${s.bands} bands in groups of ${g} vs ${first.bands} bands in groups of ${g0}): their band scores cannot be merged`,
        { hint: 'run every shard with the same --of-band-group (or none)' },
      );
  });
  const model = first.models[0];
  const images = sections
    .flatMap((s, shard) => (s?.models[0].images ?? []).map((image) => ({ image, shard })))
    .sort((a, b) => pos.get(a.image.relPath)! - pos.get(b.image.relPath)!);
  for (const { image, shard } of images) {
    for (const f of [image.original, ...(image.previews ?? []).map((x) => x.path)])
      if (f) copies.push({ shard: shards[shard].report.shard!.index, from: f, to: f });
  }
  const aggregate = new OccludedFrequencyAggregator(model.mean.length, model.perClass.length);
  for (const { image } of images) aggregate.add(image.label, image.scores, image.flips);
  return {
    ...first,
    models: [
      {
        ...model,
        images: images.map((x) => x.image),
        perClass: aggregate.perClass(),
        mean: aggregate.mean(),
        flipRate: aggregate.flipRate(),
      },
    ],
  };
}

/**
 * The per-image table in sample order; each saved example renamed to its row in the merged table (and cut to the
 * first `perAttack` in sample order, as the unsharded run saves them). The defences' columns are kept only when
 * every shard chose the configurations the merge chose (a shard's verdicts are its own choice's).
 */
export function mergePerImage(
  shards: Shard[],
  pos: Map<string, number>,
  chosen: DefenceResult[] | null,
  copies: FileCopy[],
): { section: PerImageSection; defencesDropped: boolean } | null {
  const sections = shards.map((s) => s.report.sections.perImage as PerImageSection | undefined);
  if (!sections[0]) return null;
  const rows = sections
    .flatMap((s, shard) => (s?.images.relPath ?? []).map((relPath, r) => ({ shard, r, position: pos.get(relPath)! })))
    .sort((a, b) => a.position - b.position);
  const rowOf = new Map(rows.map((x, g) => [`${x.shard}:${x.r}`, g]));
  const col = <T>(get: (s: PerImageSection) => T[]) => rows.map((x) => get(sections[x.shard]!)[x.r]);
  const base = sections[0];
  const cap = base.examples.perAttack;
  const attacks = base.attacks.map((att, a) => {
    const saved = sections
      .flatMap((s, shard) =>
        s!.attacks[a].saved.images.map((local, k) => ({
          shard,
          local,
          image: rowOf.get(`${shard}:${local}`)!,
          amplification: s!.attacks[a].saved.amplification[k],
        })),
      )
      .sort((x, y) => x.image - y.image)
      .slice(0, cap ?? Infinity);
    return {
      ...att,
      outcome: col((s) => s.attacks[a].outcome),
      adversarialPrediction: col((s) => s.attacks[a].adversarialPrediction),
      epsilon: att.epsilon ? col((s) => s.attacks[a].epsilon!) : null,
      l2: col((s) => s.attacks[a].l2),
      linf: col((s) => s.attacks[a].linf),
      queries: col((s) => s.attacks[a].queries),
      saved: { images: saved.map((x) => x.image), amplification: saved.map((x) => x.amplification) },
      _saved: saved,
    };
  });
  const cleanSaved = new Set<number>();
  attacks.forEach((att, a) => {
    for (const x of att._saved) {
      const index = shards[x.shard].report.shard!.index;
      const files = [base.examples.adversarial, base.examples.perturbation];
      if (!cleanSaved.has(x.image)) {
        files.unshift(base.examples.clean);
        cleanSaved.add(x.image);
      }
      for (const pattern of files)
        copies.push({ shard: index, from: exampleFile(pattern, a, x.local), to: exampleFile(pattern, a, x.image) });
    }
  });
  const same =
    chosen !== null &&
    sections.every((s) => s!.defences.length === base.defences.length) &&
    shards.every((s) =>
      ((s.report.sections.defences as DefencesSection | undefined)?.results ?? []).every(
        (r, d) => JSON.stringify(r.defence) === JSON.stringify(chosen[d]?.defence),
      ),
    );
  const defences = same
    ? base.defences.map((def, d) => ({
        ...def,
        clean: col((s) => s.defences[d].clean),
        ...(def.cleanPrediction ? { cleanPrediction: col((s) => s.defences[d].cleanPrediction!) } : {}),
        adversarial: def.adversarial.map((adv, a) => ({
          ...adv,
          verdict: col((s) => s.defences[d].adversarial[a].verdict),
          ...(adv.prediction ? { prediction: col((s) => s.defences[d].adversarial[a].prediction!) } : {}),
        })),
      }))
    : [];
  return {
    section: {
      ...base,
      images: {
        relPath: col((s) => s.images.relPath),
        label: col((s) => s.images.label),
        prediction: col((s) => s.images.prediction),
        confidence: col((s) => s.images.confidence),
      },
      attacks: attacks.map(({ _saved, ...att }) => att),
      defences,
    },
    defencesDropped: !same && base.defences.length > 0,
  };
}
