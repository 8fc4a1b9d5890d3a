/** Text summaries of the defences, sweeps and frequency sections for the terminal. */
import { ensembleBreaksText } from '../protocol/adaptiveEnsemble';
import type { ReportV1 } from '../engine/report/schema';
import { bandLabel, sectionBandGroup } from '../protocol/ofBands';
import type {
  DefenceParamsByKind,
  DefenceRow,
  DefenceSpec,
  DefencesSection,
  OccludedFrequencySection,
  RctSection,
  SpectraSection,
  SweepsSection,
} from '../engine/report/sections';

const pct = (v: number | null | undefined) => (v === null || v === undefined ? '—' : `${(100 * v).toFixed(1)}%`);
const MODE: Record<string, string> = {
  'fixed-eps': 'fixed-ε',
  'minimal-eps': 'minimal-ε',
  'minimal-perturbation': 'minimal perturbation',
  'query-limited': 'query-limited',
  clean: 'clean',
};

/** A defence's heading line; a defence without an entry here is listed by its parameters. */
const DESCRIBE: { [K in keyof DefenceParamsByKind]?: (p: DefenceParamsByKind[K]) => string } = {
  'post-averaging': (p) =>
    `post-averaging  K=${p.K}  r=${p.radius} (model-input space; ${p.radiusPixels.toFixed(3)} in pixel units)  directions ${p.directions}  ${p.points} points/image  seed ${p.seed}`,
  'low-pass': (p) => `low-pass  cutoff k=${p.cutoff} of ${p.maxCutoff}`,
};

export function describeDefence(def: DefenceSpec): string {
  const describe = DESCRIBE[def.kind] as ((p: DefenceSpec['params']) => string) | undefined;
  return describe
    ? describe(def.params)
    : `${def.kind}  ${Object.entries(def.params)
        .map(([k, v]) => `${k}=${String(v)}`)
        .join('  ')}`;
}

export function formatDefences(r: ReportV1): string[] {
  const d = r.sections.defences as DefencesSection | undefined;
  if (!d) return [];
  const lines: string[] = [];
  for (const res of d.results) {
    const def = res.defence;
    lines.push('', describeDefence(def));
    lines.push(`  chosen: ${res.chosenBy}`);
    if (res.cost)
      lines.push(
        `  cost: ${res.cost.relativeCost.toFixed(1)}× plain inference per image at batch ${res.cost.batchSize} (${res.cost.plainImagesPerSecond.toFixed(0)} → ${res.cost.defendedImagesPerSecond.toFixed(0)} images/s)`,
      );
    lines.push(
      '  attack (mode)                                    #Adv  clean orig→def   attacked orig→def   defence rate non-adaptive / adaptive',
    );
    for (const row of res.rows) {
      const name = `${row.attack.label} (${MODE[row.attack.mode] ?? row.attack.mode})`.padEnd(48);
      const rates = row.adaptive ? ratePair(row.adaptive, row.numAdversarial, row.defenceRate) : `${pct(row.defenceRate)} / — (not run)`;
      lines.push(
        `  ${name} ${String(row.numAdversarial).padStart(4)}  ${pct(row.original.clean.top1)}→${pct(row.defended.clean.top1)}   ${pct(row.original.attacked.top1)}→${pct(row.defended.attacked.top1)}        ${rates}`,
      );
      const cascade = row.adaptive ? ensembleBreaksText(row.adaptive) : null;
      if (cascade) lines.push(`      adaptive ${cascade}`);
    }
  }
  for (const n of d.notes) lines.push(`note: ${n}`);
  return lines;
}

/**
 * "non-adaptive / adaptive" on one set of examples, named: all of #Adv, or the part pass 2 re-attacked —
 * then with the non-adaptive rate on all of #Adv beside it, labelled, never a second unlabelled rate.
 */
export function ratePair(adaptive: NonNullable<DefenceRow['adaptive']>, numAdversarial: number, defenceRate: number | null): string {
  const pair = `${pct(adaptive.nonAdaptiveDefenceRate)} / ${pct(adaptive.defenceRate)}`;
  return adaptive.images === numAdversarial
    ? `${pair} (both on all ${numAdversarial})`
    : `${pair} (both on the ${adaptive.images} of ${numAdversarial} re-attacked; non-adaptive on all ${numAdversarial}: ${pct(defenceRate)})`;
}

export function formatSweeps(r: ReportV1): string[] {
  const s = r.sections.sweeps as SweepsSection | undefined;
  if (!s) return [];
  const lines: string[] = [];
  for (const sw of s.sweeps) {
    lines.push(
      '',
      `${sw.title}   (${Object.entries(sw.fixed)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')})`,
    );
    lines.push(`  ${sw.xLabel.padEnd(40)} ${sw.x.map((x) => String(+x.toPrecision(3)).padStart(7)).join('')}`);
    for (const series of sw.series)
      lines.push(
        `  ${`${series.name} [${MODE[series.mode] ?? series.mode}]`.slice(0, 40).padEnd(40)} ${series.y.map((y) => pct(y).padStart(7)).join('')}`,
      );
  }
  return lines;
}

export function formatFrequency(r: ReportV1): string[] {
  const lines: string[] = [];
  const of = r.sections.occludedFrequency as OccludedFrequencySection | undefined;
  if (of) {
    const g = sectionBandGroup(of);
    lines.push(
      '',
      `Occluded Frequency (${of.bands} DCT bands${g > 1 ? `, ablated in groups of ${g}` : ''}, baseline ${of.baseline}, score on ${of.scoreOn})`,
    );
    for (const m of of.models) {
      const top = m.mean
        .map((v, i) => [v, i] as const)
        .sort((a, b) => b[0] - a[0])
        .slice(0, 5);
      lines.push(
        `  ${m.model}: ${m.images.length} image(s); highest mean logit drops: ${top.map(([v, i]) => `${bandLabel(i, g, of.bands)} ${v.toFixed(2)}`).join(', ')}`,
      );
    }
  }
  const rct = r.sections.rct as RctSection | undefined;
  if (rct)
    for (const m of rct.maps)
      lines.push(
        `RCT map  ${m.attack}: ${m.count} examples, ${m.map.height}×${m.map.width}${m.map.binned ? ` (means of ${m.map.binned.block}×${m.map.binned.block} blocks of ${m.map.binned.height}×${m.map.binned.width})` : ''}, max ${Math.max(...m.map.values).toFixed(3)}`,
      );
  const sp = r.sections.spectra as SpectraSection | undefined;
  if (sp)
    for (const e of sp.entries)
      lines.push(
        `spectrum ${e.attack}: low-frequency energy (|k| ≤ ${sp.cutoff}) perturbation ${pct(e.lowFrequencyEnergyPerturbation)} vs images ${pct(e.lowFrequencyEnergyImages)}`,
      );
  return lines;
}
