import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openDataset } from '../../../src/engine/data/dataset';
import { isEngineError, type EngineErrorCode } from '../../../src/engine/errors';
import { grayPng, MNIST, SKIP_NO_MNIST, tempDir, writeTree } from './helpers';

const png = grayPng(2, 2, 9);

async function rejectsWith(p: Promise<unknown>, code: EngineErrorCode, pattern: RegExp): Promise<void> {
  await assert.rejects(p, (e) => {
    assert.ok(isEngineError(e), `expected an EngineError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    assert.match(e.message, pattern);
    return true;
  });
}

test('ImageFolder: classes are the code-point-sorted folder names ("10" < "2"), samples sorted by class then path', async () => {
  const { dir, cleanup } = tempDir();
  try {
    writeTree(dir, {
      '2/b.png': png,
      '2/a.JPG': png,
      '10/x.jpeg': png,
      'cat/deep/er/z.png': png,
      'cat/y.png': png,
      'Dog/w.png': png,
      'cat/notes.txt': 'hi',
      'cat/.hidden.png': png,
      'stray.png': png,
      'README.md': '#',
    });
    const ds = await openDataset({ root: dir });
    assert.equal(ds.kind, 'image-folder');
    assert.equal(ds.root, dir);
    assert.deepEqual(ds.classNames, ['10', '2', 'Dog', 'cat']);
    assert.deepEqual(
      ds.samples.map((s) => [s.label, s.className, s.relPath]),
      [
        [0, '10', '10/x.jpeg'],
        [1, '2', '2/a.JPG'],
        [1, '2', '2/b.png'],
        [2, 'Dog', 'Dog/w.png'],
        [3, 'cat', 'cat/deep/er/z.png'],
        [3, 'cat', 'cat/y.png'],
      ],
    );
    assert.equal(ds.samples[0].path, join(dir, '10', 'x.jpeg'));
    const reasons = Object.fromEntries(ds.ignored.map((i) => [i.path.slice(dir.length + 1), i.reason]));
    assert.match(reasons['cat/notes.txt'], /not an image/);
    assert.match(reasons['cat/.hidden.png'], /hidden/);
    assert.match(reasons['stray.png'], /outside any class folder/);
    assert.match(reasons['README.md'], /not an image/);
    assert.match(ds.fingerprint, /^[0-9a-f]{64}$/);
  } finally {
    cleanup();
  }
});

test('ImageFolder with configured class names: index = position in the names; unknown folders are a LABELS_MISMATCH', async () => {
  const { dir, cleanup } = tempDir();
  try {
    writeTree(dir, { 'dog/a.png': png, 'cat/b.png': png });
    const ds = await openDataset({ root: dir, classNames: ['airplane', 'dog', 'cat'] });
    assert.deepEqual(ds.classNames, ['airplane', 'dog', 'cat']);
    assert.deepEqual(
      ds.samples.map((s) => [s.relPath, s.label]),
      [
        ['dog/a.png', 1],
        ['cat/b.png', 2],
      ],
    );

    writeTree(dir, { 'Cat/c.png': png, 'horse/d.png': png });
    await rejectsWith(
      openDataset({ root: dir, classNames: ['airplane', 'dog', 'cat'] }),
      'LABELS_MISMATCH',
      /class folders "Cat", "horse" match no configured class name; configured names: "airplane", "dog", "cat"/,
    );
  } finally {
    cleanup();
  }
});

test('more class folders than model outputs is a LABELS_MISMATCH naming both numbers', async () => {
  const { dir, cleanup } = tempDir();
  try {
    writeTree(dir, { 'a/1.png': png, 'b/1.png': png, 'c/1.png': png });
    await rejectsWith(openDataset({ root: dir, numClasses: 2 }), 'LABELS_MISMATCH', /3 class folders but the model has 2 outputs/);
    assert.equal((await openDataset({ root: dir, numClasses: 3 })).samples.length, 3);
  } finally {
    cleanup();
  }
});

test('missing root, empty folder and images without labels fail clearly', async () => {
  const { dir, cleanup } = tempDir();
  try {
    await rejectsWith(openDataset({ root: join(dir, 'nope') }), 'FILE_NOT_FOUND', /nope: image folder not found/);
    mkdirSync(join(dir, 'empty'));
    await rejectsWith(
      openDataset({ root: join(dir, 'empty') }),
      'DATASET_INVALID',
      /empty: no images found \(expected one subfolder per class/,
    );
    writeTree(dir, { 'flat/a.png': png, 'flat/b.png': png });
    await rejectsWith(
      openDataset({ root: join(dir, 'flat') }),
      'DATASET_INVALID',
      /no images found \(2 images lie directly in the folder but there is no labels file/,
    );
    writeTree(dir, { 'onlytext/a/readme.txt': 'x' });
    await rejectsWith(openDataset({ root: join(dir, 'onlytext') }), 'DATASET_INVALID', /no images found/);
    writeFileSync(join(dir, 'file.png'), png);
    await rejectsWith(openDataset({ root: join(dir, 'file.png') }), 'DATASET_INVALID', /not a folder/);
  } finally {
    cleanup();
  }
});

test('flat folder + CSV labels (header, class names, quotes): unlabelled images and missing files are reported', async () => {
  const { dir, cleanup } = tempDir();
  try {
    writeTree(dir, {
      'a.png': png,
      'b.jpg': png,
      'sub/c.png': png,
      'd, odd.png': png,
      'unlabelled.png': png,
      'labels.csv': 'file,label\r\na.png,dog\r\nb.jpg,cat\r\n./sub/c.png,dog\r\n"d, odd.png",cat\r\ngone.png,cat\r\n\r\n',
    });
    const ds = await openDataset({ root: dir }); // labels.csv is found automatically
    assert.equal(ds.kind, 'flat-with-labels');
    assert.deepEqual(ds.classNames, ['cat', 'dog']);
    assert.deepEqual(
      ds.samples.map((s) => [s.relPath, s.label, s.className]),
      [
        ['b.jpg', 0, 'cat'],
        ['d, odd.png', 0, 'cat'],
        ['a.png', 1, 'dog'],
        ['sub/c.png', 1, 'dog'],
      ],
    );
    const reasons = Object.fromEntries(ds.ignored.map((i) => [i.path.slice(dir.length + 1), i.reason]));
    assert.equal(reasons['unlabelled.png'], 'image has no label in labels.csv');
    assert.equal(reasons['gone.png'], 'listed in labels.csv (line 6) but the file does not exist');
    assert.equal(reasons['labels.csv'], undefined, 'the labels file itself is not reported');
  } finally {
    cleanup();
  }
});

test('CSV with class indices and no header; configured names and model size apply', async () => {
  const { dir, cleanup } = tempDir();
  try {
    writeTree(dir, { 'x.png': png, 'y.png': png, 'z.png': png, 'lab.txt': 'x.png,2\ny.png, 0\nz.png,2\n' });
    const ds = await openDataset({ root: dir, labelsFile: 'lab.txt' });
    assert.deepEqual(ds.classNames, ['0', '1', '2']);
    assert.deepEqual(
      ds.samples.map((s) => [s.relPath, s.label]),
      [
        ['y.png', 0],
        ['x.png', 2],
        ['z.png', 2],
      ],
    );
    const named = await openDataset({ root: dir, labelsFile: 'lab.txt', classNames: ['a', 'b', 'c', 'd'] });
    assert.deepEqual(
      named.samples.map((s) => s.className),
      ['a', 'c', 'c'],
    );
    assert.equal((await openDataset({ root: dir, labelsFile: 'lab.txt', numClasses: 10 })).classNames.length, 10);
    await rejectsWith(
      openDataset({ root: dir, labelsFile: 'lab.txt', numClasses: 2 }),
      'LABELS_MISMATCH',
      /line 1: class index 2 but the model has 2 outputs/,
    );
    await rejectsWith(
      openDataset({ root: dir, labelsFile: 'lab.txt', classNames: ['a', 'b'] }),
      'LABELS_MISMATCH',
      /class index 2 but only 2 class names/,
    );
    await rejectsWith(openDataset({ root: dir, labelsFile: 'nothere.csv' }), 'FILE_NOT_FOUND', /nothere\.csv: labels file not found/);
  } finally {
    cleanup();
  }
});

test('JSON labels, as an object or as an array of {file, label}', async () => {
  const { dir, cleanup } = tempDir();
  try {
    writeTree(dir, { 'p.png': png, 'q.png': png, 'r.png': png });
    writeFileSync(join(dir, 'obj.json'), JSON.stringify({ 'p.png': 1, 'q.png': 0, 'r.png': '1' }));
    writeFileSync(
      join(dir, 'arr.json'),
      JSON.stringify([
        { file: 'p.png', label: 'ship' },
        { file: 'q.png', label: 'car' },
        { file: 'missing.png', label: 'car' },
      ]),
    );
    const obj = await openDataset({ root: dir, labelsFile: 'obj.json' });
    assert.deepEqual(
      obj.samples.map((s) => [s.relPath, s.label]),
      [
        ['q.png', 0],
        ['p.png', 1],
        ['r.png', 1],
      ],
    );
    const arr = await openDataset({ root: dir, labelsFile: join(dir, 'arr.json'), classNames: ['car', 'ship'] });
    assert.deepEqual(
      arr.samples.map((s) => [s.relPath, s.className]),
      [
        ['q.png', 'car'],
        ['p.png', 'ship'],
      ],
    );
    assert.ok(arr.ignored.some((i) => i.path.endsWith('missing.png') && /does not exist/.test(i.reason)));
    assert.ok(arr.ignored.some((i) => i.path.endsWith('r.png') && /no label in arr\.json/.test(i.reason)));
    await rejectsWith(
      openDataset({ root: dir, labelsFile: 'arr.json', classNames: ['car', 'plane'] }),
      'LABELS_MISMATCH',
      /label "ship" matches no configured class name; configured names: "car", "plane"/,
    );
    writeFileSync(join(dir, 'mixed.json'), JSON.stringify({ 'p.png': 1, 'q.png': 'car' }));
    await rejectsWith(openDataset({ root: dir, labelsFile: 'mixed.json' }), 'DATASET_INVALID', /mix class indices .* and class names/);
    writeFileSync(
      join(dir, 'dup.json'),
      JSON.stringify([
        { file: 'p.png', label: 1 },
        { file: './p.png', label: 0 },
      ]),
    );
    await rejectsWith(
      openDataset({ root: dir, labelsFile: 'dup.json' }),
      'DATASET_INVALID',
      /"p\.png" is listed twice with different labels/,
    );
    writeFileSync(join(dir, 'bad.json'), '{ nope');
    await rejectsWith(openDataset({ root: dir, labelsFile: 'bad.json' }), 'DATASET_INVALID', /bad\.json: not valid JSON/);
  } finally {
    cleanup();
  }
});

test('symlinks are followed, loops detected, and the walk terminates', async () => {
  const { dir, cleanup } = tempDir();
  try {
    writeTree(dir, { 'data/a/1.png': png, 'elsewhere/b/2.png': png });
    symlinkSync(join(dir, 'elsewhere', 'b'), join(dir, 'data', 'b')); // a class folder that is a symlink
    symlinkSync(join(dir, 'data', 'a'), join(dir, 'data', 'a', 'loop')); // a loop back to its own folder
    symlinkSync(join(dir, 'data'), join(dir, 'data', 'a', 'up')); // and up to the root
    symlinkSync(join(dir, 'nowhere.png'), join(dir, 'data', 'a', 'broken.png'));
    const ds = await openDataset({ root: join(dir, 'data') });
    assert.deepEqual(
      ds.samples.map((s) => s.relPath),
      ['a/1.png', 'b/2.png'],
    );
    const reasons = ds.ignored.map((i) => `${i.path.slice(dir.length + 1)}: ${i.reason}`);
    assert.ok(
      reasons.some((r) => /^data\/a\/loop: symlink to a folder already walked/.test(r)),
      reasons.join('\n'),
    );
    assert.ok(
      reasons.some((r) => /^data\/a\/up: symlink to a folder already walked/.test(r)),
      reasons.join('\n'),
    );
    assert.ok(
      reasons.some((r) => /^data\/a\/broken\.png: broken symlink/.test(r)),
      reasons.join('\n'),
    );
  } finally {
    cleanup();
  }
});

test(
  'unreadable subfolders are listed in ignored',
  { skip: process.getuid?.() === 0 ? 'running as root: permissions do not stop reads' : false },
  async () => {
    const { dir, cleanup } = tempDir();
    try {
      writeTree(dir, { 'a/1.png': png, 'a/locked/2.png': png });
      chmodSync(join(dir, 'a', 'locked'), 0o000);
      const ds = await openDataset({ root: dir });
      assert.deepEqual(
        ds.samples.map((s) => s.relPath),
        ['a/1.png'],
      );
      assert.ok(ds.ignored.some((i) => i.path.endsWith('locked') && /not readable/.test(i.reason)));
    } finally {
      chmodSync(join(dir, 'a', 'locked'), 0o755);
      cleanup();
    }
  },
);

test('fingerprint is stable for the same content and changes with files, sizes and labels', async () => {
  const { dir, cleanup } = tempDir();
  try {
    writeTree(dir, { 'a/1.png': png, 'b/2.png': png });
    const f1 = (await openDataset({ root: dir })).fingerprint;
    assert.equal((await openDataset({ root: dir })).fingerprint, f1);
    assert.notEqual((await openDataset({ root: dir, classNames: ['b', 'a'] })).fingerprint, f1, 'relabelled');
    writeTree(dir, { 'b/2.png': grayPng(3, 3, 1) });
    const f2 = (await openDataset({ root: dir })).fingerprint;
    assert.notEqual(f2, f1, 'size changed');
    writeTree(dir, { 'b/3.png': png });
    assert.notEqual((await openDataset({ root: dir })).fingerprint, f2, 'file added');
  } finally {
    cleanup();
  }
});

test('the shared MNIST test set opens as 10 classes of 50', { skip: SKIP_NO_MNIST }, async () => {
  const ds = await openDataset({ root: MNIST, numClasses: 10 });
  assert.deepEqual(ds.classNames, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  assert.equal(ds.samples.length, 500);
  for (let c = 0; c < 10; c++) assert.equal(ds.samples.filter((s) => s.label === c).length, 50);
  assert.equal(ds.samples[0].relPath, '0/0002.png');
});
