import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveInsideFolder } from '../../src/host/pathGuards';

describe('resolveInsideFolder', () => {
  let root: string, run: string;
  beforeEach(() => {
    root = realpathSync(mkdtempSync(join(tmpdir(), 'rl-guard-')));
    run = join(root, 'run');
    mkdirSync(join(run, 'gallery'), { recursive: true });
    writeFileSync(join(run, 'gallery', 'a.png'), 'png');
    writeFileSync(join(root, 'secret.txt'), 'secret');
    symlinkSync(join(root, 'secret.txt'), join(run, 'gallery', 'link.png'));
    symlinkSync(root, join(run, 'up'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('resolves a plain relative path to an existing file inside the folder', () => {
    assert.deepEqual(resolveInsideFolder(run, 'gallery/a.png'), { ok: true, path: join(run, 'gallery', 'a.png') });
  });

  it('refuses traversal, absolute paths, schemes, backslashes and empty segments', () => {
    for (const p of [
      '../secret.txt',
      'gallery/../../secret.txt',
      '/etc/passwd',
      'file:///etc/passwd',
      'C:/x',
      'gallery\\a.png',
      'gallery//a.png',
      '',
    ]) {
      const r = resolveInsideFolder(run, p);
      assert.equal(r.ok, false, p);
      assert.equal((r as { reason: string }).reason, `${JSON.stringify(p)} is not a plain relative path inside the run folder`);
    }
  });

  it('refuses symlinks that lead out of the folder, and files that do not exist', () => {
    assert.deepEqual(resolveInsideFolder(run, 'gallery/link.png'), {
      ok: false,
      reason: `gallery/link.png leads outside the run folder (to ${join(root, 'secret.txt')})`,
    });
    assert.deepEqual(resolveInsideFolder(run, 'up/secret.txt'), {
      ok: false,
      reason: `up/secret.txt leads outside the run folder (to ${join(root, 'secret.txt')})`,
    });
    assert.deepEqual(resolveInsideFolder(run, 'gallery/missing.png'), {
      ok: false,
      reason: 'gallery/missing.png does not exist in the run folder',
    });
    assert.deepEqual(resolveInsideFolder(join(root, 'gone'), 'a.png'), {
      ok: false,
      reason: `the run folder ${join(root, 'gone')} does not exist`,
    });
  });
});
