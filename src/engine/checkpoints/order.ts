/**
 * The checkpoints of a folder, in training order: by the number in each file name (the last run of digits
 * of the stem: `ckpt-10.onnx` after `ckpt-2.onnx`, `epoch=3-step=1200.onnx` by its step) when every file has
 * one and no two share it; otherwise by modification time (ties by name), and the note says why.
 */
import { readdirSync, statSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { EngineError } from '../errors';

export interface CheckpointFile {
  name: string;
  path: string;
  number: number | null;
  modifiedMs: number;
}

export interface CheckpointOrder {
  order: 'number-in-name' | 'modification-time';
  note: string;
  files: CheckpointFile[];
}

/** The last run of digits in a file name's stem, or null. */
export function numberInName(name: string): number | null {
  const runs = basename(name, extname(name)).match(/\d+/g);
  if (!runs) return null;
  const n = Number(runs[runs.length - 1]);
  return Number.isSafeInteger(n) ? n : null;
}

const byName = (a: CheckpointFile, b: CheckpointFile) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** Orders files already listed (exported for the tests: the rule without the file system). */
export function orderCheckpoints(files: CheckpointFile[]): CheckpointOrder {
  const without = files.filter((f) => f.number === null);
  const numbers = files.map((f) => f.number);
  const shared = numbers.find((n, i) => n !== null && numbers.indexOf(n) !== i);
  if (files.length > 0 && without.length === 0 && shared === undefined) {
    return {
      order: 'number-in-name',
      note: 'by the number in each file name',
      files: [...files].sort((a, b) => a.number! - b.number! || byName(a, b)),
    };
  }
  const why =
    files.length === 0
      ? 'no files'
      : without.length > 0
        ? `${without[0].name}${without.length > 1 ? ` and ${without.length - 1} more` : ''} ha${without.length > 1 ? 've' : 's'} no number in the name`
        : `the number ${shared} appears in more than one file name`;
  return {
    order: 'modification-time',
    note: `by modification time (${why})`,
    files: [...files].sort((a, b) => a.modifiedMs - b.modifiedMs || byName(a, b)),
  };
}

/** The `.onnx` files directly in `folder` (not its subfolders), ordered; refuses a folder without any. */
export function listCheckpoints(folder: string): CheckpointOrder {
  const root = resolve(folder);
  let names: string[];
  try {
    if (!statSync(root).isDirectory())
      throw new EngineError('USAGE', `${root} is not a folder`, { hint: 'give the folder that holds the .onnx checkpoints' });
    names = readdirSync(root);
  } catch (e) {
    if (e instanceof EngineError) throw e;
    throw new EngineError('USAGE', `cannot read the checkpoint folder ${root}: ${(e as Error).message}`);
  }
  const files: CheckpointFile[] = [];
  for (const name of names) {
    if (extname(name).toLowerCase() !== '.onnx') continue;
    const path = join(root, name);
    try {
      const st = statSync(path);
      if (st.isFile()) files.push({ name, path, number: numberInName(name), modifiedMs: st.mtimeMs });
    } catch {
      // Vanished between listing and stat: not a checkpoint of this run.
    }
  }
  if (files.length === 0)
    throw new EngineError('USAGE', `${root} holds no .onnx files`, {
      hint: 'point at the folder the training run exports its ONNX checkpoints to (only files directly in it are read)',
    });
  return orderCheckpoints(files);
}
