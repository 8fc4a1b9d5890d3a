/**
 * Whether two runs can be compared like for like, and whether a run still describes its model: every
 * difference that makes a comparison unfair, in words, and every reason a run is stale (its model file or
 * its configuration changed after it). Hard differences (other images, class order, ε, criterion) make the
 * numbers of the two sides incomparable; soft ones (a different attack suite, a partial run) leave the
 * shared part comparable. Pure: the file checks go through a probe, so that the rules are unit-tested.
 */
import { ATTACK_CATALOG, ATTACK_NAMES, analysePresetSuite, type AnalysePreset, type AttackName } from '../engine/attacks/catalog';
import type { Preprocessing } from '../engine/config/runConfig';
import type { AttacksSection } from '../engine/jobs/attackJob';
import type { ReportV1 } from '../engine/report/schema';
import { classOrderShort } from '../protocol/provenanceWords';

export type DifferenceSeverity = 'hard' | 'soft';
export type DifferenceKind =
  'command' | 'status' | 'dataset' | 'images' | 'class-order' | 'preprocessing' | 'criterion' | 'suite' | 'epsilon';

export interface RunDifference {
  kind: DifferenceKind;
  severity: DifferenceSeverity;
  /** One sentence naming both sides' values ("A used 500 images (seed 0), B 100 (seed 0)"). */
  text: string;
  /** A new run of one side with the other side's settings (preset, images, seed, ε) removes it. */
  fixableByRerun: boolean;
}

type Run = AttacksSection['runs'][number];

/** The default fixed ε of analyse and the quick check (settings and the CLI without --eps). */
const DEFAULT_EPS = 8 / 255;

/** Every difference between two runs that makes comparing their numbers unfair, hard ones first. */
export function runDifferences(a: ReportV1, b: ReportV1): RunDifference[] {
  const out: RunDifference[] = [];
  const add = (kind: DifferenceKind, severity: DifferenceSeverity, text: string, fixableByRerun: boolean) =>
    out.push({ kind, severity, text, fixableByRerun });

  datasetDifferences(a, b, add);
  const classOrder = classOrderDifference(a, b);
  if (classOrder) add('class-order', 'hard', classOrder, false);
  const pre = preprocessingDifference(a.config.resolved.preprocessing, b.config.resolved.preprocessing);
  if (pre) {
    // The same model fed two ways: one of them is wrong. Two models may legitimately need different inputs.
    const sameModel = a.model.sha256 === b.model.sha256;
    add(
      'preprocessing',
      sameModel ? 'hard' : 'soft',
      `preprocessing: ${pre}${sameModel ? ' (the same model file: one of the two is fed wrongly)' : ' (right only if the two models were trained with different input normalisation)'}`,
      false,
    );
  }
  suiteDifferences(a, b, add);
  // An analysis and a quick check never run the same suite, however either is re-run.
  if (a.command !== b.command) add('command', 'soft', `A is ${commandName(a.command)}, B ${commandName(b.command)}`, false);
  for (const [side, r] of [
    ['A', a],
    ['B', b],
  ] as const) {
    if (r.status !== 'complete')
      add(
        'status',
        'soft',
        `${side} is ${r.status === 'partial' ? 'partial (cancelled before the end)' : r.status}: some sections are missing`,
        true,
      );
  }
  return out.sort((x, y) => (x.severity === y.severity ? 0 : x.severity === 'hard' ? -1 : 1));
}

type Add = (kind: DifferenceKind, severity: DifferenceSeverity, text: string, fixableByRerun: boolean) => void;

function datasetDifferences(a: ReportV1, b: ReportV1, add: Add): void {
  const da = a.dataset;
  const db = b.dataset;
  if (!da || !db) {
    if (da || db) add('dataset', 'hard', `${da ? 'B' : 'A'} used no dataset, ${da ? 'A' : 'B'} the images in ${(da ?? db)!.root}`, false);
    return;
  }
  if (da.fingerprint !== db.fingerprint) {
    const where =
      da.root === db.root
        ? `the images in ${da.root} changed between the runs (A ${da.totalImages}, B ${db.totalImages} images)`
        : `A ${da.root} (${da.totalImages} images), B ${db.root} (${db.totalImages} images)`;
    add('dataset', 'hard', `dataset fingerprint differs: different images (${where})`, false);
  }
  if (da.sampledImages !== db.sampledImages || da.sampling.seed !== db.sampling.seed) {
    add(
      'images',
      'hard',
      `A used ${da.sampledImages} images (seed ${da.sampling.seed}), B ${db.sampledImages} (seed ${db.sampling.seed})`,
      true,
    );
  }
}

function classOrderDifference(a: ReportV1, b: ReportV1): string | null {
  const na = a.dataset?.classNames ?? a.config.resolved.classNames;
  const nb = b.dataset?.classNames ?? b.config.resolved.classNames;
  if (!na || !nb || sameList(na, nb)) return null;
  const sa = classOrderShort(a.config, a.dataset?.kind);
  const sb = classOrderShort(b.config, b.dataset?.kind);
  const sources = sa === sb ? '' : `: A ${sa}, B ${sb}`;
  const sameSet = na.length === nb.length && sameList([...na].sort(), [...nb].sort());
  const first = na.findIndex((n, i) => n !== nb[i]);
  const at = first >= 0 ? `; logit ${first} is ${JSON.stringify(na[first])} in A, ${JSON.stringify(nb[first] ?? 'nothing')} in B` : '';
  return sameSet ? `class order${sources} (same names, different order${at})` : `class names differ${sources} (${at.slice(2)})`;
}

function describeNormalisation(p: Preprocessing): string {
  if (!p.mean && !p.std) return 'none';
  const list = (v: number[] | null) => (v ? v.map((x) => String(Number(x.toPrecision(3)))).join(', ') : 'none');
  return `mean ${list(p.mean)}/std ${list(p.std)}`;
}

/** "A mean 0.287/std 0.353, B none; size 28×28 vs 32×32", or null when both feed the model alike. */
export function preprocessingDifference(a: Preprocessing, b: Preprocessing): string | null {
  const parts: string[] = [];
  const na = describeNormalisation(a);
  const nb = describeNormalisation(b);
  if (na !== nb) parts.push(`A ${na}, B ${nb}`);
  const field = (name: string, va: string, vb: string) => {
    if (va !== vb) parts.push(`${name} ${va} vs ${vb}`);
  };
  field('size', `${a.height}×${a.width}`, `${b.height}×${b.width}`);
  field('pixel scale', `[0, ${a.pixelScale}]`, `[0, ${b.pixelScale}]`);
  field('channels', a.channels, b.channels);
  field('layout', a.layout, b.layout);
  field('resize', resizeText(a), resizeText(b));
  return parts.length ? parts.join('; ') : null;
}

function resizeText(p: Preprocessing): string {
  return `${p.resize}${p.resizeShorterTo !== null ? ` (shorter side ${p.resizeShorterTo})` : ''}, ${p.resizeFilter}`;
}

function commandName(command: string): string {
  return command === 'attack' ? 'an attack run (quick check)' : `an ${command} run`;
}

/** An attack run's identity across reports: attack, norm, mode and target, not its ε (compared separately). */
export function attackKey(run: Pick<Run, 'params' | 'mode' | 'targeted' | 'label'>): string {
  const name = attackName(run);
  return `${name}|${runNorm(name, run.params)}|${run.mode}|${run.targeted ?? ''}`;
}

/** The catalog name the engine records in `params.attack` (older reports: the label's first word). */
function attackName(run: Pick<Run, 'params' | 'label'>): string {
  if (typeof run.params.attack === 'string') return run.params.attack;
  const label = run.label.toLowerCase();
  const byTitle = [...ATTACK_NAMES]
    .sort((x, y) => ATTACK_CATALOG[y].title.length - ATTACK_CATALOG[x].title.length)
    .find((n) => label.startsWith(ATTACK_CATALOG[n].title.toLowerCase()));
  return byTitle ?? run.label.split(' ')[0];
}

function runNorm(name: string, params: Record<string, unknown>): string {
  if (typeof params.norm === 'string') return params.norm;
  return (ATTACK_NAMES as readonly string[]).includes(name) ? ATTACK_CATALOG[name as AttackName].norms[0] : '';
}

function attackRuns(r: ReportV1): Run[] {
  const section = Object.values(r.sections).find(
    (s): s is AttacksSection => typeof s === 'object' && s !== null && (s as { kind?: unknown }).kind === 'attacks',
  );
  return section?.runs ?? [];
}

function criterionOf(r: ReportV1): string | null {
  const s = Object.values(r.sections).find((x) => (x as { kind?: unknown } | null)?.kind === 'attacks') as AttacksSection | undefined;
  return s?.criterion ?? null;
}

/** The fixed ε of a run's fixed-ε L∞ attacks (the ε the preset was given), or null. */
export function fixedEpsilon(r: ReportV1): number | null {
  const run = attackRuns(r).find((x) => x.mode === 'fixed-eps' && runNorm(attackName(x), x.params) === 'linf');
  return run && typeof run.params.eps === 'number' ? run.params.eps : null;
}

/**
 * The analyse preset whose suite a run's attacks are (reports do not record the preset; the suite tells),
 * 'quick check' for an attack run, or null for a suite of its own (chosen attacks, or a partial run).
 */
export function suiteName(r: ReportV1): AnalysePreset | 'quick check' | null {
  if (r.command === 'attack') return 'quick check';
  const keys = attackRuns(r).map(attackKey).sort();
  if (!keys.length) return null;
  for (const preset of ['fast', 'full'] as const) {
    const eps = fixedEpsilon(r) ?? DEFAULT_EPS;
    const suite = analysePresetSuite(preset, eps, eps * 2).map((spec) => {
      const record = ATTACK_CATALOG[spec.name];
      const mode = typeof spec.params.mode === 'string' ? spec.params.mode : record.modes[0];
      return `${spec.name}|${runNorm(spec.name, spec.params)}|${mode}|`;
    });
    if (sameList(suite.sort(), keys)) return preset;
  }
  return null;
}

function suiteText(r: ReportV1, attacks: number): string {
  const name = suiteName(r);
  const n = `${attacks} attack${attacks === 1 ? '' : 's'}`;
  if (name === null) return `a suite of its own (${n})`;
  return name === 'quick check' ? `the quick check (${n})` : `${name} preset (${n})`;
}

function suiteDifferences(a: ReportV1, b: ReportV1, add: Add): void {
  const ca = criterionOf(a);
  const cb = criterionOf(b);
  if (ca && cb && ca !== cb) add('criterion', 'hard', `attack success criterion: A ${ca}, B ${cb}`, true);
  const ra = attackRuns(a);
  const rb = attackRuns(b);
  const byKey = new Map(rb.map((r) => [attackKey(r), r]));
  const shared = ra.filter((r) => byKey.has(attackKey(r)));
  const keysA = ra.map(attackKey).sort();
  const keysB = rb.map(attackKey).sort();
  // A cancelled run has fewer attacks because it stopped: its status line says so, not a suite of its own.
  const stoppedShort = (r: ReportV1, mine: string[], theirs: string[]) => r.status !== 'complete' && mine.every((k) => theirs.includes(k));
  const cutShort = stoppedShort(a, keysA, keysB) || stoppedShort(b, keysB, keysA);
  if (!sameList(keysA, keysB) && (ra.length || rb.length) && !cutShort) {
    add(
      'suite',
      'soft',
      `attacks: A ${suiteText(a, ra.length)}, B ${suiteText(b, rb.length)}: only the ${shared.length} shared attack${shared.length === 1 ? ' is' : 's are'} compared`,
      a.command === b.command,
    );
  }
  for (const run of shared) {
    const other = byKey.get(attackKey(run))!;
    const ea = typeof run.params.eps === 'number' ? run.params.eps : null;
    const eb = typeof other.params.eps === 'number' ? other.params.eps : null;
    if (ea === eb || (ea !== null && eb !== null && Math.abs(ea - eb) < 1e-9)) continue;
    const what = run.mode === 'minimal-eps' ? 'the ε search bound' : 'ε';
    add('epsilon', 'hard', `${what} differs for ${attackTitle(run)}: ${epsText(ea)} vs ${epsText(eb)}`, true);
  }
}

/** "PGD L∞ (fixed ε)": the attack without its ε, which is what differs. */
function attackTitle(run: Run): string {
  const name = attackName(run);
  const title = (ATTACK_NAMES as readonly string[]).includes(name) ? ATTACK_CATALOG[name as AttackName].title : run.label;
  const norm = typeof run.params.norm === 'string' ? ` ${run.params.norm === 'linf' ? 'L∞' : 'L2'}` : '';
  const mode = {
    'fixed-eps': 'fixed ε',
    'minimal-eps': 'minimal ε',
    'minimal-perturbation': 'minimal perturbation',
    'query-limited': 'query-limited',
  }[run.mode];
  return `${title}${norm} (${mode})`;
}

/** 8/255 for budgets on the byte grid, else 3 significant digits. */
export function epsText(eps: number | null): string {
  if (eps === null) return 'none';
  const k = eps * 255;
  return Math.abs(k - Math.round(k)) < 1e-6 ? `${Math.round(k)}/255` : String(Number(eps.toPrecision(3)));
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

// ---- staleness ----

export interface FileFacts {
  mtimeMs: number;
  size: number;
}

/** The file system as the staleness check sees it. */
export interface StalenessProbe {
  /** Null when the file does not exist. */
  stat(path: string): FileFacts | null;
  sha256(path: string): Promise<string>;
  /** The configuration file a run of this model would read now (null: none). */
  configFileFor(modelPath: string): string | null;
}

export interface Staleness {
  reasons: string[];
  /** The model file is gone: the run cannot be repeated. */
  modelMissing: boolean;
}

const clock = (ms: number) =>
  new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/:\d\d\.\d+Z$/, ' UTC');

/**
 * Why a run no longer describes its model as it is now: the model file's content changed (sha256; an
 * mtime after the run alone, with the same content, is not a change), or its configuration file is another
 * one, or was modified after the run (the resolved configuration cannot be recomputed without the engine,
 * so a newer file counts as a change: the user is asked, never silently given the old run).
 */
export async function runStaleness(r: ReportV1, probe: StalenessProbe): Promise<Staleness> {
  const reasons: string[] = [];
  const created = Date.parse(r.createdAt);
  const model = probe.stat(r.model.path);
  const name = baseName(r.model.path);
  if (!model) return { reasons: [`${name} no longer exists at ${r.model.path}`], modelMissing: true };
  if (model.mtimeMs > created || model.size !== r.model.sizeBytes) {
    const sha = await probe.sha256(r.model.path);
    if (sha !== r.model.sha256)
      reasons.push(
        `${name} changed after this run (sha256 ${r.model.sha256.slice(0, 8)}… then, ${sha.slice(0, 8)}… now; modified ${clock(model.mtimeMs)})`,
      );
  }
  const current = probe.configFileFor(r.model.path);
  const recorded = r.config.file;
  if (current !== recorded) {
    reasons.push(
      current === null
        ? `its configuration file ${recorded} is no longer found: a new run would use defaults`
        : recorded === null
          ? `${current} was created after this run (it ran without a configuration file)`
          : `a new run would read ${current}, this run read ${recorded}`,
    );
  } else if (current !== null) {
    const cfg = probe.stat(current);
    if (cfg && cfg.mtimeMs > created)
      reasons.push(`${baseName(current)} was modified after this run (${clock(cfg.mtimeMs)}, run ${clock(created)})`);
  }
  return { reasons, modelMissing: false };
}

function baseName(path: string): string {
  const parts = path.split(/[\\/]/);
  return parts[parts.length - 1] || path;
}

/** The settings that make a new run sample, attack and budget as a given run did. */
export interface MatchSettings {
  /** Null: the run's suite is no preset (the current suite setting stays). */
  preset: AnalysePreset | null;
  /** Image limit (the run's sample size when it ran on every image). */
  limit: number | null;
  seed: number;
  /** The fixed ε (null: the run had no fixed-ε L∞ attack; the current setting stays). */
  epsilon: number | null;
}

export function matchSettings(r: ReportV1): MatchSettings {
  const name = suiteName(r);
  return {
    preset: name === 'full' || name === 'fast' ? name : null,
    limit: r.dataset ? (r.dataset.sampling.limit ?? r.dataset.sampledImages) : r.config.resolved.limit,
    seed: r.dataset?.sampling.seed ?? r.config.resolved.seed,
    epsilon: fixedEpsilon(r),
  };
}
