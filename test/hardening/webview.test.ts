/**
 * Webview and message hardening: a run panel's webview cannot make the host read a file outside the run
 * folder or run anything, and malformed messages are rejected in every direction the host validates
 * (webview → host, host → engine, engine → host) — wrong types, extra fields, huge strings, non-objects,
 * prototype tricks — without side effects.
 */
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { handlePanelMessage, type PanelEffects } from '../../src/host/panelMessages';
import { resolveInsideFolder } from '../../src/host/pathGuards';
import { MAX_EXPORT_CHARS, parseWebviewMessage } from '../../src/protocol/webviewMessages';
import { parseEngineToHost, parseHostToEngine } from '../../src/protocol/engineMessages';
import { Rng } from '../../src/engine/util/random';

/** Effects that record what the host would do. */
function recorder(exportTarget: string | null = '/chosen/by/user.svg') {
  const calls: string[] = [];
  const written: { target: string; bytes: Uint8Array }[] = [];
  const fx: PanelEffects<string> = {
    replay: () => calls.push('replay'),
    cancel: () => calls.push('cancel'),
    chooseExportTarget: async (name, format) => {
      calls.push(`choose ${name} ${format}`);
      return exportTarget;
    },
    writeExport: async (target, bytes) => {
      calls.push(`write ${target}`);
      written.push({ target, bytes });
    },
    openFile: async (path) => {
      calls.push(`open ${path}`);
    },
    applyClassOrder: async (reportId) => {
      calls.push(`apply-class-order ${reportId}`);
    },
    exportReport: async () => {
      calls.push('export-report');
    },
    copyMarkdown: async () => {
      calls.push('copy-markdown');
    },
    refused: (reason, tellUser) => {
      calls.push(`refused${tellUser ? ' (told)' : ''}: ${reason}`);
    },
  };
  return { fx, calls, written };
}

describe('open-artefact: only files inside the run folder', () => {
  let root: string, run: string, other: string;
  beforeEach(() => {
    root = realpathSync(mkdtempSync(join(tmpdir(), 'rl-webview-')));
    run = join(root, 'runs', 'run-a');
    other = join(root, 'runs', 'run-b');
    mkdirSync(join(run, 'gallery', 'attack-1'), { recursive: true });
    mkdirSync(other, { recursive: true });
    writeFileSync(join(run, 'gallery', 'attack-1', 'adv.png'), 'png');
    writeFileSync(join(root, 'secret.txt'), 'secret');
    writeFileSync(join(other, 'report.json'), '{}');
    symlinkSync(join(root, 'secret.txt'), join(run, 'gallery', 'leak.png'));
    symlinkSync(root, join(run, 'gallery', 'up'));
    symlinkSync(other, join(run, 'sibling'));
    symlinkSync(join(run, 'gallery', 'attack-1', 'adv.png'), join(run, 'inside.png'));
    symlinkSync(join(run, 'loop'), join(run, 'loop'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const textual = [
    '../secret.txt',
    '..',
    'gallery/../../secret.txt',
    'gallery/attack-1/../../../secret.txt',
    '/etc/passwd',
    '//server/share/x.png',
    'C:/Windows/win.ini',
    'c:\\Windows\\win.ini',
    'gallery\\..\\..\\secret.txt',
    '\\\\server\\share',
    'file:///etc/passwd',
    'vscode://file/etc/passwd',
    'command:workbench.action.terminal.new',
    'https://example.invalid/x.png',
    'javascript:alert(1)',
    'data:text/html,<script>',
    'gallery/attack-1/adv.png\u0000.txt',
    '\u0000',
    'gallery//attack-1/adv.png',
    'gallery/',
    '',
    'x'.repeat(1001),
  ];

  it('textual escapes are rejected by the message parser itself', () => {
    for (const relPath of textual) {
      const r = parseWebviewMessage({ type: 'open-artefact', relPath });
      assert.equal(r.ok, false, JSON.stringify(relPath));
    }
  });

  it("and by the host's resolver, whatever the parser let through", () => {
    for (const relPath of textual) assert.equal(resolveInsideFolder(run, relPath).ok, false, JSON.stringify(relPath));
  });

  it('symlinks inside the run folder that lead outside it are refused after realpath; ones that stay inside resolve', () => {
    const refused = (p: string) => {
      const r = resolveInsideFolder(run, p);
      return r.ok ? null : r.reason;
    };
    assert.equal(refused('gallery/leak.png'), `gallery/leak.png leads outside the run folder (to ${join(root, 'secret.txt')})`);
    assert.equal(refused('gallery/up/secret.txt'), `gallery/up/secret.txt leads outside the run folder (to ${join(root, 'secret.txt')})`);
    assert.equal(refused('sibling/report.json'), `sibling/report.json leads outside the run folder (to ${join(other, 'report.json')})`);
    assert.equal(refused('loop'), 'loop does not exist in the run folder');
    assert.equal(refused('%2e%2e/secret.txt'), '%2e%2e/secret.txt does not exist in the run folder');
    assert.deepEqual(resolveInsideFolder(run, 'inside.png'), { ok: true, path: join(run, 'gallery', 'attack-1', 'adv.png') });
    // A run folder reached through a symlink still confines to its real self.
    symlinkSync(run, join(root, 'alias'));
    assert.deepEqual(resolveInsideFolder(join(root, 'alias'), 'gallery/attack-1/adv.png'), {
      ok: true,
      path: join(run, 'gallery', 'attack-1', 'adv.png'),
    });
    assert.equal(resolveInsideFolder(join(root, 'alias'), 'gallery/leak.png').ok, false);
  });

  it('the panel handler opens only resolved files inside its run folders and tells the user otherwise', async () => {
    const { fx, calls } = recorder();
    await handlePanelMessage({ type: 'open-artefact', relPath: 'gallery/attack-1/adv.png' }, [run], fx);
    await handlePanelMessage({ type: 'open-artefact', relPath: 'report.json' }, [run, other], fx);
    await handlePanelMessage({ type: 'open-artefact', relPath: 'gallery/leak.png' }, [run, other], fx);
    await handlePanelMessage({ type: 'open-artefact', relPath: '../run-b/report.json' }, [run], fx);
    assert.deepEqual(calls, [
      `open ${join(run, 'gallery', 'attack-1', 'adv.png')}`,
      `open ${join(other, 'report.json')}`,
      `refused (told): refused to open "gallery/leak.png": gallery/leak.png leads outside the run folder (to ${join(root, 'secret.txt')}); gallery/leak.png does not exist in the run folder`,
      'refused: message rejected: open-artefact: relPath "../run-b/report.json" leaves the run folder',
    ]);
  });
});

describe('no message executes anything; exports go only where the user chose', () => {
  it('each valid message has exactly its one effect', async () => {
    const { fx, calls, written } = recorder();
    await handlePanelMessage({ type: 'ready' }, ['/r'], fx);
    await handlePanelMessage({ type: 'cancel' }, ['/r'], fx);
    await handlePanelMessage(
      { type: 'export', chartId: 'of-bars', format: 'csv', suggestedName: 'bands', data: 'band,score\n1,0.5\n' },
      ['/r'],
      fx,
    );
    await handlePanelMessage(
      { type: 'export', chartId: 'rct', format: 'png', suggestedName: 'rct.PNG', data: 'data:image/png;base64,iVBORw0KGgo=' },
      ['/r'],
      fx,
    );
    await handlePanelMessage({ type: 'export-report' }, ['/r'], fx);
    await handlePanelMessage({ type: 'copy-markdown' }, ['/r'], fx);
    assert.deepEqual(calls, [
      'replay',
      'cancel',
      'choose bands.csv csv',
      'write /chosen/by/user.svg',
      'choose rct.PNG png',
      'write /chosen/by/user.svg',
      'export-report',
      'copy-markdown',
    ]);
    assert.equal(Buffer.from(written[0].bytes).toString('utf8'), 'band,score\n1,0.5\n');
    assert.deepEqual([...written[1].bytes], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  });

  it('a dismissed save dialog writes nothing', async () => {
    const { fx, calls, written } = recorder(null);
    await handlePanelMessage({ type: 'export', chartId: 'c', format: 'svg', suggestedName: 'chart', data: '<svg/>' }, ['/r'], fx);
    assert.deepEqual(calls, ['choose chart.svg svg']);
    assert.deepEqual(written, []);
  });

  it('an export cannot name where it is written: paths and control characters in the name are refused', () => {
    for (const suggestedName of [
      '../../.bashrc',
      '/etc/cron.d/x',
      'a/b.svg',
      'a\\b.svg',
      '..',
      '.',
      'a\u0000.svg',
      'line\nbreak.csv',
      'x'.repeat(201),
    ]) {
      assert.equal(
        parseWebviewMessage({ type: 'export', chartId: 'c', format: 'svg', suggestedName, data: '<svg/>' }).ok,
        false,
        JSON.stringify(suggestedName),
      );
    }
    assert.equal(
      parseWebviewMessage({ type: 'export', chartId: 'c', format: 'png', suggestedName: 'x', data: '<svg/>' }).ok,
      false,
      'png must be a PNG data URL',
    );
    assert.equal(parseWebviewMessage({ type: 'export', chartId: 'c', format: 'exe', suggestedName: 'x', data: 'MZ' }).ok, false);
  });

  it('command-like and unknown message types are rejected, and 2,000 random messages cause no effect but a refusal', async () => {
    const { fx, calls } = recorder();
    for (const type of [
      'run',
      'exec',
      'command',
      'open',
      'openExternal',
      'save',
      'write',
      'delete',
      'start',
      'shutdown',
      'READY',
      ' ready',
      'export-html',
      'copy',
    ]) {
      await handlePanelMessage({ type }, ['/r'], fx);
    }
    const rng = new Rng(7);
    const values = (): unknown[] => [
      null,
      0,
      -1,
      1e308,
      NaN,
      '',
      'x',
      'ready',
      'export',
      'open-artefact',
      '../x',
      [],
      {},
      true,
      'csv',
      'png',
    ];
    const keys = ['type', 'relPath', 'chartId', 'format', 'suggestedName', 'data', 'command', 'args', '__proto__'];
    for (let n = 0; n < 2000; n++) {
      const o: Record<string, unknown> = {};
      for (let k = 0, m = rng.int(4); k <= m; k++) o[keys[rng.int(keys.length)]] = values()[rng.int(values().length)];
      // Never well-formed by construction: at least one value of a wrong type.
      o.chartId = 42;
      if (['ready', 'cancel', 'open-artefact', 'export-report', 'copy-markdown'].includes(o.type as string)) o.extra = 1;
      await handlePanelMessage(o, ['/r'], fx);
    }
    assert.ok(
      calls.every((c) => c.startsWith('refused: message rejected: ')),
      calls.find((c) => !c.startsWith('refused: ')),
    );
    // The report exports take no fields: one naming a file or carrying content is refused.
    await handlePanelMessage({ type: 'export-report', path: '/tmp/x.html' }, ['/r'], fx);
    await handlePanelMessage({ type: 'copy-markdown', text: '# mine' }, ['/r'], fx);
    assert.ok(
      calls.every((c) => c.startsWith('refused: message rejected: ')),
      calls.find((c) => !c.startsWith('refused: ')),
    );
    assert.equal(calls.length, 14 + 2000 + 2);
  });
});

describe('malformed webview messages', () => {
  const reject = (v: unknown, reason: string) => assert.deepEqual(parseWebviewMessage(v), { ok: false, reason });

  it('non-objects, wrong field types and extra fields', () => {
    for (const v of [null, undefined, 0, 'ready', true, ['ready'], () => 'ready']) reject(v, 'not an object');
    reject({ type: 'ready', extra: 1 }, 'ready: unexpected field(s) extra');
    reject({ type: 'cancel', runId: 'x' }, 'cancel: unexpected field(s) runId');
    reject({ type: 'open-artefact', relPath: 42 }, 'open-artefact: relPath must be a non-empty string');
    reject({ type: 'open-artefact', relPath: ['a.png'] }, 'open-artefact: relPath must be a non-empty string');
    reject(
      { type: 'export', chartId: 'c', format: 'svg', suggestedName: 'x', data: { svg: '' } },
      `export: data must be a non-empty string of at most ${MAX_EXPORT_CHARS} characters`,
    );
    reject({ type: 7 }, 'unknown message type 7');
  });

  it('huge strings', () => {
    reject(
      { type: 'export', chartId: 'c', format: 'csv', suggestedName: 'x', data: 'a'.repeat(MAX_EXPORT_CHARS + 1) },
      `export: data must be a non-empty string of at most ${MAX_EXPORT_CHARS} characters`,
    );
    reject(
      { type: 'export', chartId: 'c'.repeat(201), format: 'csv', suggestedName: 'x', data: 'a' },
      'export: chartId must be a non-empty string',
    );
    assert.equal(parseWebviewMessage({ type: 'open-artefact', relPath: 'a/'.repeat(600) + 'x.png' }).ok, false);
  });

  it('prototype tricks: __proto__ keys are extra fields, inherited fields do not count, nothing is polluted', () => {
    reject(JSON.parse('{"type": "ready", "__proto__": {"polluted": true}}'), 'ready: unexpected field(s) __proto__');
    reject(
      JSON.parse('{"type": "open-artefact", "relPath": "a.png", "constructor": {"prototype": {"polluted": true}}}'),
      'open-artefact: unexpected field(s) constructor',
    );
    reject(Object.create({ type: 'cancel' }), 'not a plain object');
    reject(Object.assign(Object.create({ relPath: '../../etc/passwd' }), { type: 'open-artefact' }), 'not a plain object');
    reject(
      new (class Message {
        type = 'ready';
      })(),
      'not a plain object',
    );
    assert.equal(
      parseWebviewMessage(Object.assign(Object.create(null), { type: 'ready' })).ok,
      true,
      'a null-prototype object is plain data',
    );
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
});

describe('malformed engine messages, both directions', () => {
  const request = { modelPath: '/w/m.onnx' };
  const attack = {
    attacks: [{ name: 'fgsm', params: {} }],
    criterion: 'top1',
    target: null,
    gradient: 'analytic',
    gallery: 0,
    outDir: null,
  };
  const toEngine = (v: unknown) => {
    const r = parseHostToEngine(v);
    return r.ok ? 'accepted' : r.reason;
  };
  const toHost = (v: unknown) => {
    const r = parseEngineToHost(v);
    return r.ok ? 'accepted' : r.reason;
  };

  it('host → engine: prototype tricks and odd parameter names', () => {
    assert.equal(
      toEngine(JSON.parse('{"type": "cancel", "id": "a", "__proto__": {"id": "b"}}')),
      'cancel: cancel has unexpected field(s) __proto__',
    );
    assert.equal(
      toEngine({
        type: 'start',
        id: 'r',
        kind: 'eval',
        request: JSON.parse('{"modelPath": "/m", "overrides": {"__proto__": {"limit": 1}}}'),
        options: {},
      }),
      'start: request.overrides has unexpected field(s) __proto__',
    );
    for (const name of ['__proto__', 'constructor', 'toString', 'eps-1', 'e ps', '']) {
      const params = JSON.parse(`{${JSON.stringify(name)}: 1}`) as Record<string, unknown>;
      assert.equal(
        toEngine({ type: 'start', id: 'r', kind: 'attack', request, options: { ...attack, attacks: [{ name: 'pgd', params }] } }),
        `start: options.attacks[0].params has a parameter name that is not an identifier: ${JSON.stringify(name)}`,
      );
    }
    assert.equal(toEngine(Object.create({ type: 'shutdown' })), '(no type): message must be a plain object');
    assert.equal(
      toEngine({ type: 'start', id: 'r', kind: 'eval', request: Object.create({ modelPath: '/m' }), options: {} }),
      'start: request must be a plain object',
    );
    assert.equal(({} as Record<string, unknown>).limit, undefined);
  });

  it('host → engine: huge strings and non-finite numbers', () => {
    assert.equal(toEngine({ type: 'cancel', id: 'x'.repeat(101) }), 'cancel: id must be a non-empty string of at most 100 characters');
    assert.equal(
      toEngine({ type: 'start', id: 'r', kind: 'eval', request: { modelPath: '/'.repeat(4097) }, options: {} }),
      'start: request.modelPath must be a non-empty string of at most 4096 characters',
    );
    assert.equal(
      toEngine({
        type: 'start',
        id: 'r',
        kind: 'attack',
        request,
        options: { ...attack, attacks: [{ name: 'pgd', params: { eps: Infinity } }] },
      }),
      'start: options.attacks[0].params.eps must be a finite number in range',
    );
    assert.equal(
      toEngine({ type: 'start', id: 'r', kind: 'attack', request, options: { ...attack, gallery: NaN } }),
      'start: options.gallery must be a whole number in [0, 10000]',
    );
  });

  it('engine → host: prototype tricks, huge strings, wrong types', () => {
    assert.equal(
      toHost(JSON.parse('{"type": "log", "id": "r", "line": "x", "__proto__": {}}')),
      'log: log has unexpected field(s) __proto__',
    );
    assert.equal(
      toHost(Object.assign(Object.create({ id: 'r', line: 'x' }), { type: 'log' })),
      '(no type): message must be a plain object',
    );
    assert.equal(
      toHost({ type: 'failed', id: 'r', error: { code: 'X', message: 'm', details: 'd'.repeat(256 * 1024 + 1) } }),
      'failed: error.details must be a non-empty string of at most 262144 characters',
    );
    assert.equal(
      toHost({ type: 'failed', id: 'r', error: { code: 'X', message: 'm', stack: 'extra' } }),
      'failed: error has unexpected field(s) stack',
    );
    assert.equal(
      toHost({ type: 'progress', id: 'r', stage: 's', done: '3', total: 10 }),
      'progress: done must be a finite number in range',
    );
    assert.equal(toHost({ type: 'section', id: 'r', name: 'clean', section: [] }), 'section: section must be an object');
    assert.equal(
      toHost({ type: 'ready', pid: 1, versions: { node: 20 } }),
      'ready: versions.node must be a non-empty string of at most 200 characters',
    );
    assert.equal(toHost('done'), '(no type): message must be an object');
  });
});
