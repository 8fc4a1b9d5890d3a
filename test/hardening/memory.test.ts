/**
 * Bounded memory, measured in child processes (not the test runner, whose heap every test shares):
 *  - streaming evaluation: resident memory after 2,000 images is within a few MB of that after 500 — it
 *    does not grow with the number of images (the 10,000-image, 224×224×3 figures are in bench/memoryBench.ts);
 *  - a model with 100 MB of weights (external data) opens and answers within bounded memory (the 500 MB
 *    one is in the bench: generating it here would cost CI half a gigabyte of disk and several seconds).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/shared';
import { runTsChild } from './helpers-g/child';
import { writeBigGemmModel, writeImageFolder } from './helpers-g/generate';

const CHILD = join(__dirname, 'helpers-g', 'memoryChild.ts');

interface EvalRss {
  evaluated: number;
  imagesPerSecond: number;
  rssMiB: Record<string, number>;
  peakMiB: number;
}
interface LoadOutcome {
  ok: boolean;
  classes?: number;
  code?: string;
  message?: string;
  peakMiB: number;
}

describe('bounded memory', () => {
  let work: string;
  before(() => {
    work = mkdtempSync(join(tmpdir(), 'rl-memory-'));
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  it('streaming evaluation of 2,000 images: RSS after 2,000 minus after 500 stays under 24 MB', async () => {
    // A copy of the sample model without its robustness.json: the class names come from the folders.
    const model = join(work, 'fashion-resnet.onnx');
    copyFileSync(join(REPO_ROOT, 'samples', 'fashion-resnet.onnx'), model);
    writeImageFolder(join(work, 'images'), 2000, { size: 28, channels: 1, classes: 10 });
    const { code, result, stderr } = await runTsChild<EvalRss>(CHILD, ['eval', model, join(work, 'images'), '2000', '50', '500', '2000']);
    assert.equal(code, 0, stderr);
    assert.equal(result!.evaluated, 2000);
    const growth = result!.rssMiB[2000] - result!.rssMiB[500];
    console.log(
      `streaming eval, 2,000 28×28 images: RSS ${result!.rssMiB[500].toFixed(0)} MiB after 500, ${result!.rssMiB[2000].toFixed(0)} MiB after 2,000 (peak ${result!.peakMiB.toFixed(0)} MiB, ${result!.imagesPerSecond.toFixed(0)} images/s)`,
    );
    // Per image only its prediction record is kept (about 200 bytes): 1,500 more images add well under 1 MB.
    assert.ok(growth < 24, `RSS grew by ${growth.toFixed(1)} MiB between 500 and 2,000 images`);
  });

  it('a model with 100 MB of weights in external data opens and answers in a child process, peak RSS under 3× its weights + 250 MB', async () => {
    const { path, weightBytes } = writeBigGemmModel(join(work, 'big'), 100);
    const { code, signal, result, stderr } = await runTsChild<LoadOutcome>(CHILD, ['load', path]);
    assert.equal(signal, null, `the child was killed (${signal}): ${stderr}`);
    assert.equal(code, 0, stderr);
    assert.deepEqual({ ok: result!.ok, classes: result!.classes }, { ok: true, classes: 10 }, result!.message);
    const weightsMiB = weightBytes / 2 ** 20;
    console.log(`100 MB model (${weightsMiB.toFixed(0)} MiB of weights): opened and ran, peak RSS ${result!.peakMiB.toFixed(0)} MiB`);
    assert.ok(result!.peakMiB < 3 * weightsMiB + 250, `peak RSS ${result!.peakMiB.toFixed(0)} MiB`);
  });

  it('a model whose external weights are cut short fails with a message naming the tensor, not a crash', async () => {
    const { path } = writeBigGemmModel(join(work, 'cut'), 20);
    const { truncateSync } = await import('node:fs');
    truncateSync(join(work, 'cut', 'weights.bin'), 1_000_000);
    const { code, result, stderr } = await runTsChild<LoadOutcome>(CHILD, ['load', path]);
    assert.equal(code, 0, stderr);
    assert.equal(result!.ok, false);
    assert.equal(result!.code, 'MODEL_INVALID');
    assert.match(result!.message!, /tensor 'w1' stores its data externally, but/);
  });
});
