import { it } from 'node:test';
import assert from 'node:assert/strict';
import { isHostToWebview } from '../../src/protocol/webviewMessages';
import { packNumericArrays } from '../../src/protocol/packedArrays';
import { initMessage } from '../webview/fixtures';

it('the webview takes the host messages the panel sends, packed or not, and ignores other shapes', () => {
  const init = initMessage();
  for (const m of [
    init,
    packNumericArrays(init),
    { ...init, report: null, compareWith: null, compareResourceBase: null },
    { type: 'section', name: 'rct', section: { kind: 'rct', maps: [] } },
    { type: 'progress', stage: 'attacking', done: 3, total: 10, etaSeconds: null },
    { type: 'state', state: 'failed', message: 'x'.repeat(100_000) },
  ])
    assert.equal(isHostToWebview(m), true, JSON.stringify(m).slice(0, 80));
  for (const m of [
    { ...init, state: 'exploded' },
    { ...init, report: [] },
    { ...init, extra: 1 },
    { type: 'init', runId: 'r', state: 'running', resourceBase: '' },
    { type: 'section', name: 'rct', section: null },
    { type: 'progress', stage: 's', done: '3', total: 10, etaSeconds: null },
    { type: 'state', state: 'complete' },
    { type: 'eval' },
    Object.create({ type: 'state', state: 'complete', message: null }),
  ])
    assert.equal(isHostToWebview(m), false, JSON.stringify(m).slice(0, 80));
});
