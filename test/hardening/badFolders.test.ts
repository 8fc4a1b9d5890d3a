/**
 * Issue #7, bad image folders: openDataset, streamPixelBatches and whole runEvalJob runs (with the corpus's
 * base model) on every folder case of the corpus.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { streamPixelBatches } from '../../src/engine/data/batches';
import { openDataset, type Dataset } from '../../src/engine/data/dataset';
import { EngineError, type EngineErrorCode } from '../../src/engine/errors';
import { runEvalJob } from '../../src/engine/jobs/evalJob';
import type { ReportV1 } from '../../src/engine/report/schema';
import { FOLDER_CASES } from '../fixtures/bad/corpus';
import { CLASS_NAMES, TINY_COUNT } from '../fixtures/bad/folders';
import { BASE_BYTES, CLASSES, SIDE } from '../fixtures/bad/models';

/** chmod 000 does not stop root, and CI runs as root. */
const AS_ROOT =
  process.getuid?.() === 0
    ? 'running as root, which reads files and folders whatever their permissions: the unreadable-permission outcome cannot be observed'
    : false;

interface Ctx {
  dir: string;
  root: string;
  model: string;
}
type Expect =
  { error: EngineErrorCode; message: RegExp } | { skip?: string | false; check: (ds: Dataset, ctx: Ctx) => Promise<void> | void };

const rel = (ds: Dataset) => ds.samples.map((s) => s.relPath);
const ignored = (ds: Dataset, root: string) => ds.ignored.map((i) => `${i.path.slice(root.length + 1)}: ${i.reason}`);
const GOOD = ['a/0.png', 'b/0.png', 'c/0.png'];

async function evalRun(ctx: Ctx): Promise<ReportV1> {
  return runEvalJob({ modelPath: ctx.model, workspaceRoot: ctx.root, overrides: { images: ctx.dir } });
}

const EXPECT: Record<string, Expect> = {
  'd-symlink-loop': {
    check: async (ds, ctx) => {
      assert.deepEqual(rel(ds), GOOD);
      assert.deepEqual(ignored(ds, ctx.dir), [`a/again: symlink to a folder already walked (${join(ctx.dir, 'a')}): not followed again`]);
      const report = await evalRun(ctx);
      assert.equal(report.status, 'complete');
      assert.equal((report.sections.clean as { evaluated: number }).evaluated, 3);
    },
  },
  'd-broken-symlink': {
    check: (ds, ctx) => {
      assert.deepEqual(rel(ds), GOOD);
      assert.deepEqual(ignored(ds, ctx.dir), ['b/gone.png: broken symlink']);
    },
  },
  'd-unreadable-file': {
    skip: AS_ROOT,
    check: async (ds) => {
      assert.deepEqual(rel(ds), ['a/0.png', 'b/0.png', 'c/0.png', 'c/locked.png']);
      const batches = [];
      for await (const b of streamPixelBatches(
        ds.samples,
        { height: SIDE, width: SIDE, channels: 'gray', resize: 'none', filter: 'bilinear' },
        8,
      ))
        batches.push(b);
      assert.deepEqual(
        batches[0].failed.map((f) => f.error),
        [`${ds.samples[3].path}: cannot read file (EACCES)`],
      );
      assert.equal(batches[0].samples.length, 3);
    },
  },
  'd-unreadable-folder': {
    skip: AS_ROOT,
    check: (ds, ctx) => {
      assert.deepEqual(rel(ds), GOOD);
      assert.deepEqual(ignored(ds, ctx.dir), ['c/private: folder not readable (EACCES)']);
    },
  },
  'd-tiny-10000': {
    check: async (ds, ctx) => {
      assert.equal(ds.samples.length, TINY_COUNT);
      // A black 1×1 image stretched to 8×8 leaves only the bias [0, 0.5, 1]: every image is predicted as
      // class c, so exactly the images of class c (i ≡ 2 mod 3, i < 10000: 3333 of them) are correct.
      const report = await evalRun(ctx);
      const clean = report.sections.clean as { evaluated: number; top1Correct: number; partial: boolean };
      assert.deepEqual([report.status, clean.evaluated, clean.top1Correct, clean.partial], ['complete', TINY_COUNT, 3333, false]);
    },
  },
  'd-flat-no-labels': {
    error: 'DATASET_INVALID',
    message: /flat: no images found \(2 images lie directly in the folder but there is no labels file; expected one subfolder per class/,
  },
  'd-empty': {
    error: 'DATASET_INVALID',
    message: /empty: no images found \(expected one subfolder per class containing \.png\/\.jpg\/\.jpeg images/,
  },
  'd-not-a-folder': { error: 'DATASET_INVALID', message: /file\.png: not a folder \(expected one subfolder per class/ },
  'd-missing': { error: 'FILE_NOT_FOUND', message: /no-such-folder: image folder not found$/ },
  'd-stray-files': {
    check: (ds, ctx) => {
      assert.deepEqual(rel(ds), GOOD);
      assert.deepEqual(ignored(ds, ctx.dir).sort(), [
        '.DS_Store: hidden',
        'README.md: not an image (only .png, .jpg, .jpeg are read)',
        'a/.hidden.png: hidden',
        'b/picture.bmp: not an image (only .png, .jpg, .jpeg are read)',
        'loose.png: image outside any class folder',
      ]);
    },
  },
  'd-all-corrupt': {
    check: async (ds, ctx) => {
      assert.equal(ds.samples.length, 3);
      const report = await evalRun(ctx);
      assert.equal((report.sections.clean as { evaluated: number }).evaluated, 0);
      const skipped = report.dataset!.skippedImages as { relPath: string; error: string }[];
      assert.deepEqual(
        skipped.map((s) => s.relPath),
        GOOD,
      );
      for (const s of skipped) assert.match(s.error, /0\.png: truncated PNG \(the file ends after 40 bytes, before the IEND chunk\)$/);
    },
  },
  'd-too-many-classes': { error: 'LABELS_MISMATCH', message: /images: 4 class folders but the model has 3 outputs$/ },
};

let root: string;
let model: string;
before(() => {
  root = mkdtempSync(join(tmpdir(), 'rl-bad-folders-'));
  mkdirSync(join(root, 'model'));
  model = join(root, 'model', 'model.onnx');
  writeFileSync(model, BASE_BYTES);
});
after(() => rmSync(root, { recursive: true, force: true }));

test('every folder case of the corpus has an expected outcome here', () => {
  assert.deepEqual(Object.keys(EXPECT).sort(), FOLDER_CASES.map((c) => c.id).sort());
  assert.equal(CLASS_NAMES.length, CLASSES);
});

for (const c of FOLDER_CASES) {
  const want = EXPECT[c.id];
  test(
    `${c.id} (${c.what}): ${'error' in want ? want.error : 'opens'}`,
    { skip: 'skip' in want ? want.skip : false, timeout: 60_000 },
    async () => {
      const caseRoot = join(root, c.id);
      mkdirSync(caseRoot);
      const dir = c.build(caseRoot);
      let ds: Dataset;
      try {
        ds = await openDataset({ root: dir, numClasses: CLASSES });
      } catch (e) {
        assert.ok(e instanceof EngineError, String(e));
        assert.ok('error' in want, `unexpected ${e.code}: ${e.message}`);
        assert.equal(e.code, want.error, e.message);
        assert.ok(e.message.startsWith(dir), e.message);
        assert.match(e.message, want.message);
        return;
      }
      assert.ok('check' in want, `${c.id} opened, but an error was expected`);
      await want.check(ds, { dir, root: caseRoot, model });
    },
  );
}
