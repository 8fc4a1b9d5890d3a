import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/shared';

interface Manifest {
  activationEvents: string[];
  contributes: {
    customEditors: { viewType: string; selector: { filenamePattern: string }[]; priority: string }[];
    menus: { 'explorer/context': { command: string; group: string }[] };
  };
}
const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as Manifest;

describe('package.json', () => {
  it('opens .onnx files in the model view by default (instead of the binary-file warning)', () => {
    const editor = manifest.contributes.customEditors.find((e) => e.viewType === 'robustnessLens.modelView');
    assert.ok(editor);
    assert.deepEqual(editor.selector, [{ filenamePattern: '*.onnx' }]);
    assert.equal(editor.priority, 'default');
    assert.ok(manifest.activationEvents.includes('onCustomEditor:robustnessLens.modelView'));
  });

  it("puts the explorer's context-menu entries in their own group, not among VS Code's navigation entries", () => {
    const entries = manifest.contributes.menus['explorer/context'].filter((m) => m.command.startsWith('robustnessLens.'));
    assert.ok(entries.length >= 4);
    for (const m of entries) assert.match(m.group, /^7_robustness@\d+$/, m.command);
  });
});
