/**
 * What a run actually used, with where each part came from, in words: the preprocessing, the class order
 * and the dataset, read from `report.config` (resolved values, provenance) and `report.dataset`. Shown by the
 * panel's summary and the CLI, so that a wrong normalisation or class order is visible before any number.
 *
 * In src/protocol (types only from the engine): the webview bundles it, the host and the CLI import it.
 */
import type { Preprocessing, Provenance } from '../engine/config/runConfig';
import type { ReportConfig, ReportDataset } from '../engine/report/schema';

const baseName = (path: string) => path.split(/[\\/]/).pop() ?? path;

/** Where a setting came from: "robustness.json", "setting or flag", "inferred from the model", "default". */
export function provenanceWords(p: Provenance | undefined, configFile: string | null): string {
  switch (p) {
    case 'config':
      return configFile ? baseName(configFile) : 'configuration file';
    case 'flag':
      return 'setting or flag';
    case 'inferred':
      return 'inferred from the model';
    case 'default':
      return 'default';
    default:
      return 'source not recorded';
  }
}

type ClassOrderConfig = Pick<ReportConfig, 'provenance' | 'file' | 'resolved'> & Partial<Pick<ReportConfig, 'classOrder'>>;

/** Where the class order (folder name → logit index) came from, in words: the run's own account where it has one. */
export function classOrderSource(config: ClassOrderConfig): string {
  if (config.classOrder?.description) return config.classOrder.description;
  const p = config.provenance?.classNames;
  switch (p) {
    case 'config':
      return `from ${config.file ? baseName(config.file) : 'the configuration file'}`;
    case 'flag':
      return 'given as a setting or flag';
    case 'inferred':
      return "from the model's metadata";
    case 'default':
      return 'alphabetical folder order, as torchvision ImageFolder';
    default:
      return config.resolved?.classNames ? 'source not recorded' : 'alphabetical folder order, as torchvision ImageFolder';
  }
}

const CLASS_ORDER_SHORT: Record<NonNullable<ReportConfig['classOrder']>['source'], string> = {
  flag: 'names given on the command line',
  config: 'configured names',
  'labels-file': 'class-names file',
  'model-metadata': "the model's metadata",
  'folder-indices': 'folders named 0…N−1',
  'folders-sorted': 'alphabetical folders',
  'per-image-labels': 'labels file',
  unknown: 'unknown',
};

/** The same in two or three words, for lists of differences (Compare). */
export function classOrderShort(config: ClassOrderConfig, datasetKind?: string): string {
  if (config.classOrder) return CLASS_ORDER_SHORT[config.classOrder.source] ?? config.classOrder.source;
  // Reports written before the class order was recorded: from the provenance.
  if (config.resolved.classNames === null) return datasetKind === 'flat-with-labels' ? 'labels file' : 'alphabetical folders';
  switch (config.provenance.classNames) {
    case 'flag':
      return CLASS_ORDER_SHORT.flag;
    case 'inferred':
      return CLASS_ORDER_SHORT['model-metadata'];
    default:
      return config.provenance.labels ? CLASS_ORDER_SHORT['labels-file'] : CLASS_ORDER_SHORT.config;
  }
}

const list = (v: number[] | null) => (v ? v.map((x) => String(Number(x.toPrecision(4)))).join(' / ') : 'none');

/** One part of the preprocessing with its source, e.g. { what: "mean 0.287", from: "robustness.json" }. */
export interface PreprocessingPart {
  what: string;
  from: string;
}

/** The preprocessing as it was applied, part by part, each with its provenance. */
export function preprocessingParts(config: Pick<ReportConfig, 'provenance' | 'file' | 'resolved'>): PreprocessingPart[] {
  const p: Preprocessing = config.resolved.preprocessing;
  const from = (key: string) => provenanceWords(config.provenance?.[key], config.file);
  const resize =
    p.resize === 'stretch' ? 'stretched' : p.resizeShorterTo ? `${p.resize}, shorter side to ${p.resizeShorterTo}` : String(p.resize);
  return [
    { what: `input "${p.inputName}", ${p.layout}`, from: from('input.layout') },
    { what: `${p.height}×${p.width}`, from: from('input.size') },
    { what: String(p.channels), from: from('input.channels') },
    { what: p.pixelScale === 255 ? 'pixels 0–255' : 'pixels 0–1', from: from('input.pixelScale') },
    { what: `mean ${list(p.mean)}`, from: from('input.mean') },
    { what: `std ${list(p.std)}`, from: from('input.std') },
    { what: `resize ${resize} (${p.resizeFilter})`, from: from('input.resize') },
  ];
}

/** "NCHW, 28×28, gray, pixels 0–1 (inferred from the model); mean 0.287, std 0.3536 (robustness.json); …" grouped by source. */
export function preprocessingText(config: Pick<ReportConfig, 'provenance' | 'file' | 'resolved'>): string {
  const groups: { from: string; what: string[] }[] = [];
  for (const part of preprocessingParts(config)) {
    const last = groups[groups.length - 1];
    if (last && last.from === part.from) last.what.push(part.what);
    else groups.push({ from: part.from, what: [part.what] });
  }
  return groups.map((g) => `${g.what.join(', ')} (${g.from})`).join('; ');
}

/** The dataset in one line: folder, images used of all, sampling seed, fingerprint. */
export function datasetText(d: ReportDataset): string {
  const sampling = d.sampling.limit !== null ? `, stratified sample (limit ${d.sampling.limit}, seed ${d.sampling.seed})` : '';
  return `${d.root}: ${d.sampledImages} of ${d.totalImages} images${sampling}, fingerprint ${d.fingerprint.slice(0, 12)}…`;
}
