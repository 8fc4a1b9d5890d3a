import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { modelViewAction } from '../../src/host/modelViewActions';
import { parseModelViewMessage } from '../../src/protocol/modelViewMessages';

const SHOWN = ['20250101-120000-net'];
const refused = (raw: unknown, shown = SHOWN) => {
  const d = modelViewAction(raw, shown);
  assert.equal(d.ok, false, JSON.stringify(raw));
  return d.ok ? '' : d.reason;
};

describe('model view messages', () => {
  it('map the buttons to the existing commands, and a listed run to its panel', () => {
    assert.deepEqual(modelViewAction({ type: 'analyse' }, SHOWN), {
      ok: true,
      action: { kind: 'command', command: 'robustnessLens.analyse' },
    });
    assert.deepEqual(modelViewAction({ type: 'quick-check' }, SHOWN), {
      ok: true,
      action: { kind: 'command', command: 'robustnessLens.quickCheck' },
    });
    assert.deepEqual(modelViewAction({ type: 'open-run', runId: SHOWN[0] }, SHOWN), {
      ok: true,
      action: { kind: 'open-run', runId: SHOWN[0] },
    });
    assert.deepEqual(modelViewAction({ type: 'reload' }, []), { ok: true, action: { kind: 'reload' } });
    assert.deepEqual(modelViewAction({ type: 'ready' }, []), { ok: true, action: { kind: 'ready' } });
  });

  it('refuse unknown types, extra fields and anything that is not a plain object', () => {
    assert.equal(refused({ type: 'run-shell', command: 'rm -rf /' }), 'unknown message type "run-shell"');
    assert.equal(refused({ type: '__proto__' }), 'unknown message type "__proto__"');
    assert.equal(refused({ type: 'analyse', model: '/etc/passwd' }), 'analyse: unexpected field(s) model');
    assert.match(refused('analyse'), /^not /);
    assert.match(refused(null), /^not /);
    assert.match(refused([{ type: 'analyse' }]), /^not /);
  });

  it('open only a run the view listed, named by its folder name, never a path', () => {
    assert.equal(
      refused({ type: 'open-run', runId: '20250102-120000-other' }),
      'open-run: "20250102-120000-other" is not a run this view lists',
    );
    for (const runId of ['../../etc', '/abs/path', 'a/b', '', 'x'.repeat(201)]) {
      assert.match(refused({ type: 'open-run', runId }, [runId]), /^open-run: runId must be a run folder name/, runId);
    }
    assert.match(refused({ type: 'open-run', runId: 7 }), /^open-run: runId must be a run folder name/);
    assert.match(refused({ type: 'open-run' }), /^open-run: runId/);
  });

  it('are declared once: the parser accepts exactly the declared shapes', () => {
    assert.deepEqual(parseModelViewMessage({ type: 'quick-check' }), { ok: true, message: { type: 'quick-check' } });
    assert.equal(parseModelViewMessage({ type: 'quick-check', extra: 1 }).ok, false);
  });
});
