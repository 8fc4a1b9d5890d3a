/**
 * A labels file is either a list of class names in logit order (.txt one per line, or a JSON array of
 * strings) or per-image labels for a flat folder (CSV file,label or a JSON object/array of records).
 * The content decides; the dataset module parses the per-image form.
 */
import { extname } from 'node:path';
import { EngineError } from '../errors';
import { readTextFile } from '../util/readText';

export type LabelsSource = { kind: 'class-names'; classNames: string[] } | { kind: 'per-image' };

export function readLabelsSource(path: string): LabelsSource {
  const text = readTextFile(path, 'labels file');
  const ext = extname(path).toLowerCase();
  if (ext === '.csv') return { kind: 'per-image' };
  if (ext === '.json') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      throw new EngineError('CONFIG_INVALID', `${path}: labels file is not valid JSON (${(e as Error).message})`, { file: path });
    }
    if (Array.isArray(parsed) && parsed.every((v) => typeof v === 'string')) return { kind: 'class-names', classNames: parsed };
    return { kind: 'per-image' };
  }
  const names = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
  if (names.length === 0)
    throw new EngineError('CONFIG_INVALID', `${path}: labels file is empty`, { file: path, expected: 'one class name per line' });
  return { kind: 'class-names', classNames: names };
}
