import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  doneMessage,
  parseEngineToHost,
  parseHostToEngine,
  reassembleReport,
  type EngineDoneMessage,
} from '../../src/protocol/engineMessages';
import { REPORT_SCHEMA_ID } from '../../src/engine/report/schema';
import { JOB_KINDS } from '../../src/protocol/jobKinds';
import { ATTACK_NAMES } from '../../src/engine/attacks/catalog';

const request = {
  modelPath: '/w/model.onnx',
  workspaceRoot: '/w',
  overrides: { limit: 40, seed: 1, runtime: { executionProvider: 'cpu', threads: 2 } },
};
const attackOptions = {
  attacks: [
    { name: 'fgsm', params: {} },
    { name: 'pgd', params: { norm: 'linf', steps: 10 } },
  ],
  criterion: 'top1',
  target: null,
  gradient: 'analytic',
  gallery: 4,
  outDir: '/w/run',
};
const analyseOptions = {
  preset: 'fast',
  attacks: null,
  K: 15,
  radius: null,
  directions: 'random',
  cutoff: null,
  epsilons: [8 / 255],
  outDir: null,
};
const explainOptions = { imagePath: '/w/a.png', compareModelPath: null, baseline: 'zero', outDir: '/w/run' };
const report = {
  schema: REPORT_SCHEMA_ID,
  schemaVersion: 1,
  id: 'x',
  createdAt: '2025-01-01T00:00:00Z',
  status: 'complete',
  model: {},
  config: {},
  sections: {},
};

function reason(r: { ok: boolean; reason?: string }): string | undefined {
  assert.equal(r.ok, false);
  return r.reason;
}

describe('host → engine messages', () => {
  it('accept a start of every kind with its options, cancel and shutdown', () => {
    for (const [kind, options] of [
      ['eval', {}],
      ['attack', attackOptions],
      ['analyse', analyseOptions],
      ['explain', explainOptions],
    ] as const) {
      const msg = { type: 'start', id: 'r1', kind, request, options };
      assert.deepEqual(parseHostToEngine(msg), { ok: true, message: msg });
    }
    assert.deepEqual(parseHostToEngine({ type: 'cancel', id: 'r1' }), { ok: true, message: { type: 'cancel', id: 'r1' } });
    assert.deepEqual(parseHostToEngine({ type: 'shutdown' }), { ok: true, message: { type: 'shutdown' } });
  });

  it('reject unknown types, non-objects and extra fields with a reason', () => {
    assert.equal(reason(parseHostToEngine({ type: 'rm -rf' })), 'rm -rf: unknown message type "rm -rf"');
    assert.equal(reason(parseHostToEngine(null)), '(no type): message must be an object');
    assert.equal(reason(parseHostToEngine([1])), '(no type): message must be an object');
    assert.equal(reason(parseHostToEngine({ type: 'cancel', id: 'a', extra: 1 })), 'cancel: cancel has unexpected field(s) extra');
    assert.equal(reason(parseHostToEngine({ type: 'shutdown', now: true })), 'shutdown: shutdown has unexpected field(s) now');
  });

  it('reject malformed starts: kind, request, overrides and options of the wrong shape', () => {
    const start = (patch: Record<string, unknown>) =>
      parseHostToEngine({ type: 'start', id: 'r1', kind: 'attack', request, options: attackOptions, ...patch });
    assert.equal(reason(start({ kind: 'shell' })), `start: kind must be one of ${JOB_KINDS.join(', ')} (got "shell")`);
    assert.equal(reason(start({ id: '' })), 'start: id must be a non-empty string of at most 100 characters');
    assert.equal(
      reason(start({ request: { modelPath: 3 } })),
      'start: request.modelPath must be a non-empty string of at most 4096 characters',
    );
    assert.equal(
      reason(start({ request: { modelPath: '/m', overrides: { limit: 0 } } })),
      'start: request.overrides.limit must be a whole number in [1, 9007199254740991]',
    );
    assert.equal(
      reason(start({ request: { modelPath: '/m', overrides: { runtime: { executionProvider: 'tpu' } } } })),
      'start: request.overrides.runtime.executionProvider must be one of auto, cpu, cuda, dml, coreml, webgpu (got "tpu")',
    );
    assert.equal(
      reason(start({ request: { modelPath: '/m', overrides: { input: { mean: [0.5, 'x'] } } } })),
      'start: request.overrides.input.mean[1] must be a finite number in range',
    );
    assert.equal(reason(start({ options: { ...attackOptions, attacks: [] } })), 'start: options.attacks must be a list of 1–64 attacks');
    assert.equal(
      reason(start({ options: { ...attackOptions, attacks: [{ name: 'pgd', params: { eps: {} } }] } })),
      'start: options.attacks[0].params.eps must be a number, string, boolean or null',
    );
    // Names and parameters are checked against the attack catalog's records before the engine sees them.
    assert.equal(
      reason(start({ options: { ...attackOptions, attacks: [{ name: 'autoattack', params: {} }] } })),
      `start: options.attacks[0].name must be one of ${ATTACK_NAMES.join(', ')} (got "autoattack")`,
    );
    assert.match(
      reason(start({ options: { ...attackOptions, attacks: [{ name: 'pgd', params: { norm: 'l3' } }] } })) ?? '',
      /^start: options\.attacks\[0\] is not a valid attack \(pgd: norm "l3": expected one of linf, l2/,
    );
    assert.match(
      reason(start({ options: { ...attackOptions, attacks: [{ name: 'fgsm', params: { steps: 10 } }] } })) ?? '',
      /^start: options\.attacks\[0\] is not a valid attack \(fgsm.*steps/,
    );
    assert.equal(
      reason(start({ options: { ...attackOptions, criterion: 'top3' } })),
      'start: options.criterion must be one of top1, top5 (got "top3")',
    );
    assert.equal(
      reason(start({ options: { ...attackOptions, target: { kind: 'class' } } })),
      'start: options.target.class must be a whole number in [-1, 9007199254740991]',
    );
    assert.equal(reason(start({ kind: 'eval', options: { limit: 3 } })), 'start: options has unexpected field(s) limit');
    assert.equal(
      reason(start({ kind: 'analyse', options: { ...analyseOptions, epsilons: [0] } })),
      'start: options.epsilons[0] must be a finite number in range',
    );
    assert.equal(
      reason(start({ kind: 'explain', options: { ...explainOptions, baseline: 'blur' } })),
      'start: options.baseline must be one of zero, noise (got "blur")',
    );
  });
});

describe('engine → host messages', () => {
  it('accept every message type', () => {
    for (const msg of [
      { type: 'ready', pid: 42, versions: { node: '20.20.2' } },
      { type: 'progress', id: 'r', stage: 'clean evaluation', done: 3, total: 10 },
      { type: 'log', id: 'r', line: '' },
      { type: 'section', id: 'r', name: 'attacks', section: { kind: 'attacks', runs: [] } },
      { type: 'done', id: 'r', report },
      {
        type: 'failed',
        id: 'r',
        error: { code: 'FILE_NOT_FOUND', message: 'x.onnx: no such file', hint: 'check the path', file: 'x.onnx' },
      },
    ])
      assert.deepEqual(parseEngineToHost(msg), { ok: true, message: msg });
  });

  it('reject malformed ones with a reason', () => {
    assert.equal(
      reason(parseEngineToHost({ type: 'progress', id: 'r', stage: 's', done: -1, total: 10 })),
      'progress: done must be a finite number in range',
    );
    assert.equal(
      reason(parseEngineToHost({ type: 'progress', id: 'r', stage: 's', done: 1, total: Infinity })),
      'progress: total must be a finite number in range',
    );
    assert.equal(
      reason(parseEngineToHost({ type: 'section', id: 'r', name: 'x', section: { runs: [] } })),
      'section: section.kind must be a non-empty string of at most 100 characters',
    );
    assert.equal(
      reason(parseEngineToHost({ type: 'done', id: 'r', report: { ...report, schemaVersion: 2 } })),
      'done: report: report schema version 2 is not supported (this build reads version 1)',
    );
    assert.equal(
      reason(parseEngineToHost({ type: 'failed', id: 'r', error: { message: 'x' } })),
      'failed: error.code must be a non-empty string of at most 100 characters',
    );
    assert.equal(
      reason(parseEngineToHost({ type: 'ready', pid: 0, versions: {} })),
      'ready: pid must be a whole number in [1, 9007199254740991]',
    );
    assert.equal(
      reason(parseEngineToHost({ type: 'log', id: 'r', line: 'x'.repeat(65537) })),
      'log: line must be a string of at most 65536 characters',
    );
    assert.equal(reason(parseEngineToHost({ type: 'start', id: 'r' })), 'start: unknown message type "start"');
  });
});

describe('the done message leaves streamed sections behind', () => {
  const full = {
    ...report,
    sections: { clean: { evaluated: 3 }, attacks: { runs: [1, 2] }, defences: { results: ['final'] }, sweeps: { sweeps: [] } },
  };

  it('sends as null exactly the sections streamed unchanged, and the host rebuilds the same report in the same order', () => {
    // defences was streamed once and changed afterwards (pass 2 adds its adaptive rows); sweeps never streamed
    const lastStreamed = new Map([
      ['clean', '{"evaluated":3}'],
      ['attacks', '{"runs":[1,2]}'],
      ['defences', '{"results":["pass 1"]}'],
    ]);
    const m = doneMessage('r', full as never, lastStreamed);
    assert.deepEqual(m.streamed, ['clean', 'attacks']);
    assert.deepEqual(m.report.sections, { clean: null, attacks: null, defences: { results: ['final'] }, sweeps: { sweeps: [] } });
    const parsed = parseEngineToHost(JSON.parse(JSON.stringify(m)));
    assert.ok(parsed.ok);
    const received = { clean: { evaluated: 3 }, attacks: { runs: [1, 2] }, defences: { results: ['pass 1'] } };
    const rebuilt = reassembleReport(parsed.message as EngineDoneMessage, received);
    assert.equal(JSON.stringify(rebuilt), JSON.stringify(full), 'same content, same key order');
  });

  it('nothing streamed: the report goes whole; a named section that never arrived is an error, not a gap', () => {
    assert.deepEqual(doneMessage('r', full as never, new Map()), { type: 'done', id: 'r', report: full });
    const m = doneMessage('r', full as never, new Map([['clean', '{"evaluated":3}']]));
    assert.throws(() => reassembleReport(m, {}), /streamed section clean that never arrived/);
    assert.equal(
      reason(parseEngineToHost({ ...m, report: full })),
      'done: streamed[0]: report.sections.clean should be null (it was streamed)',
    );
    assert.equal(reason(parseEngineToHost({ ...m, streamed: 'clean' })), 'done: streamed: expected an array of section names');
  });
});
