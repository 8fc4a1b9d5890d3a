/**
 * `robustness-lens gradients`: input gradients (and logits) as .npy with a JSON index, optionally compared
 * with a reference .npy (e.g. PyTorch's `x.grad` saved with numpy.save).
 */
import { readFileSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { EngineError } from '../engine/errors';
import { compareGradients, type GradientLoss, type GradientsOptions, type InputGradients } from '../engine/jobs/gradientsJob';
import { writeFileAtomic } from '../engine/util/atomicWrite';
import { decodeNpy, encodeNpy } from '../engine/util/npy';
import { TOOL_VERSION } from '../engine/version';

export const GRADIENTS_FLAG_SPEC = {
  loss: { type: 'string' },
  target: { type: 'string' },
  out: { type: 'string' },
  against: { type: 'string' },
  quiet: { type: 'boolean' },
} as const;

export const GRADIENTS_USAGE = `gradients options:
  --loss ce|margin|logit:K  cross-entropy (default), the margin max_{j≠t} z_j − z_t, or the logit z_K itself
  --target label|predicted  the class t the loss is measured against (default label); predicted = the model's
                         own top-1, so a flat folder of unlabelled images works
  --out FILE.npy         gradients, N×C×H×W float32, images in sorted path order (default gradients.npy);
                         beside it FILE.logits.npy (N×K) and FILE.json (files, labels, targets, losses, settings)
  --against REF.npy      compare with a reference of the same shape: cosine and relative error per image
  --limit N              the first N images in sorted path order
  pixel space: x = byte/255 in [0,1], planar C×H×W, before the model's scaling, mean/std and layout`;

export function parseLoss(text: string | undefined): GradientLoss {
  if (text === undefined || text === 'ce' || text === 'cross-entropy') return { kind: 'ce' };
  if (text === 'margin') return { kind: 'margin' };
  const m = /^logit:(\d+)$/.exec(text);
  if (m) return { kind: 'logit', index: Number(m[1]) };
  throw new EngineError('USAGE', `--loss ${text}: expected ce, margin or logit:K (K a class index, e.g. logit:3)`);
}

export function parseTarget(text: string | undefined): GradientsOptions['target'] {
  if (text === undefined || text === 'label' || text === 'predicted') return text ?? 'label';
  throw new EngineError('USAGE', `--target ${text}: expected label or predicted`);
}

/** FILE.npy → FILE.logits.npy and FILE.json beside it. */
export function outputPaths(out: string | undefined): { gradients: string; logits: string; index: string } {
  const gradients = resolve(out ?? 'gradients.npy');
  if (extname(gradients) !== '.npy') throw new EngineError('USAGE', `--out ${out}: expected a file name ending in .npy`);
  const stem = join(dirname(gradients), basename(gradients, '.npy'));
  return { gradients, logits: `${stem}.logits.npy`, index: `${stem}.json` };
}

function lossText(loss: GradientLoss): string {
  return loss.kind === 'ce' ? 'cross-entropy' : loss.kind === 'margin' ? 'margin max_{j≠t} z_j − z_t' : `logit z_${loss.index}`;
}

/** Writes the three files; returns the lines to print. */
export function writeGradients(
  result: InputGradients,
  loss: GradientLoss,
  target: GradientsOptions['target'],
  out: string | undefined,
): string[] {
  const paths = outputPaths(out);
  const n = result.files.length;
  writeFileAtomic(paths.gradients, encodeNpy(result.gradients, result.shape));
  writeFileAtomic(paths.logits, encodeNpy(result.logits, [n, result.numClasses]));
  const index = {
    tool: `robustness-lens ${TOOL_VERSION}`,
    model: { path: result.prepared.model.path, sha256: result.prepared.model.sha256 },
    images: result.root,
    pixelSpace: 'x = byte/255 in [0,1], planar C×H×W, before the model’s scaling, mean/std and layout',
    preprocessing: result.prepared.config.preprocessing,
    loss: lossText(loss),
    target,
    scores: result.scores,
    shape: result.shape,
    files: {
      gradients: basename(paths.gradients),
      logits: basename(paths.logits),
    },
    classNames: result.classNames,
    perImage: result.files.map((f, i) => ({
      file: f.relPath,
      label: f.label,
      className: f.className,
      target: result.targets[i],
      predicted: result.predicted[i],
      loss: result.loss[i],
    })),
    skipped: result.skipped,
    notes: result.notes,
  };
  writeFileAtomic(paths.index, JSON.stringify(index, null, 2) + '\n');
  const correct = result.files.filter((f, i) => f.label !== null && f.label === result.predicted[i]).length;
  const labelled = result.files.filter((f) => f.label !== null).length;
  return [
    `gradients  ${n} images × [${result.shape.slice(1).join(', ')}], ${lossText(loss)} against the ${target === 'label' ? 'label' : 'model’s prediction'}`,
    ...(labelled ? [`clean      top-1 ${correct}/${labelled} (${((100 * correct) / labelled).toFixed(1)} %)`] : []),
    ...(result.skipped.length ? [`skipped    ${result.skipped.length} unreadable images (listed in ${basename(paths.index)})`] : []),
    ...result.notes.map((note) => `note       ${note}`),
    `wrote      ${paths.gradients}`,
    `           ${paths.logits}`,
    `           ${paths.index}`,
  ];
}

/** Compares with a reference .npy of the same shape; the lines to print. */
export function compareWithReference(result: InputGradients, referenceFile: string): string[] {
  const file = resolve(referenceFile);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(file));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new EngineError(
      code === 'ENOENT' ? 'FILE_NOT_FOUND' : 'FILE_UNREADABLE',
      `--against ${file}: cannot read it (${code ?? (e as Error).message})`,
      {
        file,
      },
    );
  }
  const ref = decodeNpy(bytes, file);
  const expected = result.shape;
  const same = ref.shape.length === expected.length && ref.shape.every((d, i) => d === expected[i]);
  const flatSame = ref.shape.length === 2 && ref.shape[0] === expected[0] && ref.shape[1] === expected[1] * expected[2] * expected[3];
  if (!same && !flatSame)
    throw new EngineError(
      'FILE_INVALID',
      `--against ${file}: shape (${ref.shape.join(', ')}) does not match the gradients' (${expected.join(', ')})`,
      {
        file,
        expected: `(${expected.join(', ')}) or (${expected[0]}, ${expected[1] * expected[2] * expected[3]}), images in sorted path order`,
      },
    );
  const rows = compareGradients(result.gradients, ref.data, expected[0]);
  const width = Math.max(...result.files.map((f) => f.relPath.length), 4);
  const worst = rows.reduce((w, r, i) => (r.cosine < rows[w].cosine ? i : w), 0);
  return [
    `against    ${file} (${ref.dtype === '<f8' ? 'float64' : 'float32'})`,
    `  ${'file'.padEnd(width)}  cosine      rel. error`,
    ...rows.map((r, i) => `  ${result.files[i].relPath.padEnd(width)}  ${r.cosine.toFixed(6)}  ${r.relError.toExponential(2)}`),
    `worst      cosine ${rows[worst].cosine.toFixed(6)} (${result.files[worst].relPath}), largest relative error ${Math.max(...rows.map((r) => r.relError)).toExponential(2)}`,
  ];
}
