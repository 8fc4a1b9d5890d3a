import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { streamPixelBatches, type PixelBatch } from '../../../src/engine/data/batches';
import { openDataset, type DatasetSample, sampleDataset } from '../../../src/engine/data/dataset';
import type { PixelSpec } from '../../../src/engine/data/pixels';
import { isEngineError } from '../../../src/engine/errors';
import { grayPng, MNIST, SKIP_NO_MNIST, tempDir, writeTree } from './helpers';

const SPEC: PixelSpec = { height: 2, width: 2, channels: 'gray', resize: 'none', filter: 'bilinear' };
const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function sampleFor(dir: string, name: string, label = 0): DatasetSample {
  return { path: join(dir, name), relPath: name, label, className: String(label) };
}

async function collect(gen: AsyncGenerator<PixelBatch>): Promise<PixelBatch[]> {
  const out: PixelBatch[] = [];
  for await (const b of gen) out.push(b);
  return out;
}

test('batches keep input order; a corrupt file in the middle is skipped, listed, and the rest kept', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const names = Array.from({ length: 7 }, (_, i) => `${i}.png`);
    names.forEach((n, i) => writeTree(dir, { [n]: grayPng(2, 2, i * 10) }));
    writeFileSync(join(dir, '3.png'), grayPng(2, 2, 30).subarray(0, 40)); // truncated
    const samples = [...names.map((n) => sampleFor(dir, n)), sampleFor(dir, 'vanished.png')];
    const batches = await collect(streamPixelBatches(samples, SPEC, 3, { concurrency: 3 }));
    assert.equal(batches.length, 3);
    assert.deepEqual(
      batches.map((b) => b.samples.map((s) => s.relPath)),
      [['0.png', '1.png', '2.png'], ['4.png', '5.png'], ['6.png']],
    );
    assert.deepEqual(
      batches.map((b) => b.failed.map((f) => f.sample.relPath)),
      [[], ['3.png'], ['vanished.png']],
    );
    assert.match(batches[1].failed[0].error, /3\.png: truncated PNG/);
    assert.match(batches[2].failed[0].error, /vanished\.png: cannot read file \(it no longer exists\)/);
    // pixels hold only the successful images, N×1×2×2, value = i·10/255
    assert.equal(batches[1].pixels.length, 2 * 4);
    assert.deepEqual(
      Array.from(batches[1].pixels),
      [40, 40, 40, 40, 50, 50, 50, 50].map((v) => Math.fround(v / 255)),
    );
    assert.deepEqual(
      Array.from(batches[2].pixels),
      [60, 60, 60, 60].map((v) => Math.fround(v / 255)),
    );
  } finally {
    cleanup();
  }
});

test('an image of the wrong size under resize "none" fails alone, with its size in the reason', async () => {
  const { dir, cleanup } = tempDir();
  try {
    writeTree(dir, { 'a.png': grayPng(2, 2, 1), 'b.png': grayPng(3, 2, 1) });
    const [batch] = await collect(streamPixelBatches([sampleFor(dir, 'a.png'), sampleFor(dir, 'b.png')], SPEC, 8));
    assert.deepEqual(
      batch.samples.map((s) => s.relPath),
      ['a.png'],
    );
    assert.match(batch.failed[0].error, /b\.png: image is 3×2 .* needs exactly 2×2/);
  } finally {
    cleanup();
  }
});

test('only the current batch and one prefetched batch are read ahead', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const names = Array.from({ length: 6 }, (_, i) => `${i}.png`);
    writeTree(dir, Object.fromEntries(names.slice(0, 4).map((n) => [n, grayPng(2, 2, 1)])));
    const it = streamPixelBatches(
      names.map((n) => sampleFor(dir, n)),
      SPEC,
      2,
      { concurrency: 1 },
    );
    const first = await it.next();
    assert.equal(first.done, false);
    await delay(100); // plenty of time for any eager reading to happen
    rmSync(join(dir, '2.png')); // batch 2 (files 2, 3) was prefetched already: removing it now changes nothing
    writeTree(dir, { '4.png': grayPng(2, 2, 1), '5.png': grayPng(2, 2, 1) }); // batch 3 was not read yet
    const second = await it.next();
    const third = await it.next();
    assert.deepEqual(second.done ? [] : second.value.samples.map((s) => s.relPath), ['2.png', '3.png']);
    assert.deepEqual(third.done ? [] : third.value.samples.map((s) => s.relPath), ['4.png', '5.png']);
    assert.equal((await it.next()).done, true);
  } finally {
    cleanup();
  }
});

test('aborting stops between files with EngineError CANCELLED', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const names = Array.from({ length: 9 }, (_, i) => `${i}.png`);
    writeTree(dir, Object.fromEntries(names.map((n) => [n, grayPng(2, 2, 1)])));
    const samples = names.map((n) => sampleFor(dir, n));
    const isCancelled = (e: unknown): boolean => isEngineError(e) && e.code === 'CANCELLED';

    const pre = new AbortController();
    pre.abort();
    await assert.rejects(collect(streamPixelBatches(samples, SPEC, 3, { signal: pre.signal })), isCancelled);

    const ctl = new AbortController();
    const seen: string[] = [];
    await assert.rejects(
      (async () => {
        for await (const b of streamPixelBatches(samples, SPEC, 3, { signal: ctl.signal, concurrency: 1 })) {
          seen.push(...b.samples.map((s) => s.relPath));
          ctl.abort();
        }
      })(),
      isCancelled,
    );
    assert.deepEqual(seen, ['0.png', '1.png', '2.png']);
  } finally {
    cleanup();
  }
});

test('an empty sample list yields nothing; bad batch sizes and specs are rejected up front', async () => {
  assert.deepEqual(await collect(streamPixelBatches([], SPEC, 4)), []);
  await assert.rejects(collect(streamPixelBatches([], SPEC, 0)), (e) => isEngineError(e) && e.code === 'USAGE');
  await assert.rejects(collect(streamPixelBatches([], { ...SPEC, height: -1 }, 4)), (e) => isEngineError(e) && e.code === 'CONFIG_INVALID');
});

test('shared MNIST images stream as v/255 of their stored bytes', { skip: SKIP_NO_MNIST }, async () => {
  const ds = await openDataset({ root: MNIST });
  const samples = sampleDataset(ds, { limit: 20, seed: 11 });
  const spec: PixelSpec = { height: 28, width: 28, channels: 'gray', resize: 'none', filter: 'bilinear' };
  let n = 0;
  for await (const b of streamPixelBatches(samples, spec, 8)) {
    assert.equal(b.failed.length, 0);
    b.samples.forEach((s, i) => {
      const raw = PNG.sync.read(readFileSync(s.path)).data;
      const expected = Array.from({ length: 784 }, (_, k) => Math.fround(raw[k * 4] / 255));
      assert.deepEqual(Array.from(b.pixels.subarray(i * 784, (i + 1) * 784)), expected, s.relPath);
    });
    n += b.samples.length;
  }
  assert.equal(n, 20);
});
