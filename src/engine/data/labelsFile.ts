import { EngineError } from '../errors';
import { isImageName } from './walk';

/** One row of a labels file, before labels are resolved to class indices. */
export interface LabelEntry {
  /** Path relative to the dataset root, '/'-separated. */
  file: string;
  /** A class index (number) or a class name (string). */
  label: number | string;
  /** Where it came from, for messages: "line 4" or "entry 3". */
  where: string;
}

/**
 * Parses a labels file: CSV `file,label` (optional header row, detected because its first cell is not an
 * image file name; quotes allowed; extra columns ignored) or JSON, either `{ "a.png": 3, … }` or
 * `[{ "file": "a.png", "label": 3 }, …]`. A label that is a non-negative integer ("3" or 3) is a class
 * index, anything else a class name.
 */
export function parseLabelsFile(text: string, file: string): LabelEntry[] {
  text = text.replace(/^\uFEFF/, '');
  return /\.json$/i.test(file) || /^\s*[[{]/.test(text) ? parseJson(text, file) : parseCsv(text, file);
}

function invalid(file: string, what: string): never {
  throw new EngineError('DATASET_INVALID', `${file}: ${what}`, {
    file,
    expected: 'CSV rows "file,label" or JSON {"file.png": label} / [{"file": …, "label": …}]',
  });
}

function parseCsv(text: string, file: string): LabelEntry[] {
  const out: LabelEntry[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() === '') continue;
    const cells = splitCsvLine(lines[i]).map((c) => c.trim());
    if (out.length === 0 && i === firstNonBlank(lines) && !isImageName(cells[0])) continue; // header row
    if (cells.length < 2 || cells[0] === '' || cells[1] === '')
      invalid(file, `line ${i + 1}: expected "file,label", got ${JSON.stringify(lines[i])}`);
    out.push({ file: normalise(cells[0]), label: toLabel(cells[1]), where: `line ${i + 1}` });
  }
  return out;
}

function firstNonBlank(lines: string[]): number {
  return lines.findIndex((l) => l.trim() !== '');
}

/** Splits one CSV line on commas, honouring "quoted, cells" with "" escapes. */
function splitCsvLine(line: string): string[] {
  const cells: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted && ch === '"' && line[i + 1] === '"') {
      cur += '"';
      i++;
    } else if (ch === '"') {
      quoted = !quoted;
    } else if (ch === ',' && !quoted) {
      cells.push(cur);
      cur = '';
    } else {
      cur += ch;
    }
  }
  cells.push(cur);
  return cells;
}

function parseJson(text: string, file: string): LabelEntry[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    return invalid(file, `not valid JSON (${(e as Error).message})`);
  }
  const label = (v: unknown, where: string): number | string => {
    if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return v;
    if (typeof v === 'string' && v.trim() !== '') return toLabel(v.trim());
    return invalid(file, `${where}: label must be a class index (integer ≥ 0) or a class name, got ${JSON.stringify(v)}`);
  };
  if (Array.isArray(data)) {
    return data.map((row, i) => {
      const where = `entry ${i}`;
      if (typeof row !== 'object' || row === null || typeof (row as { file?: unknown }).file !== 'string') {
        invalid(file, `${where}: expected {"file": "…", "label": …}, got ${JSON.stringify(row)}`);
      }
      const r = row as { file: string; label?: unknown };
      return { file: normalise(r.file), label: label(r.label, where), where };
    });
  }
  if (typeof data === 'object' && data !== null) {
    return Object.entries(data).map(([f, v]) => ({
      file: normalise(f),
      label: label(v, `entry ${JSON.stringify(f)}`),
      where: `entry ${JSON.stringify(f)}`,
    }));
  }
  return invalid(file, 'expected a JSON object {"file.png": label} or an array [{"file": …, "label": …}]');
}

function toLabel(s: string): number | string {
  return /^\d+$/.test(s) ? Number(s) : s;
}

/** Labels files may be written on Windows or with "./": compare paths as root-relative, '/'-separated. */
function normalise(p: string): string {
  return p.replace(/\\/g, '/').replace(/^(\.\/)+/, '');
}
