import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ModelInfoSection } from '../../src/engine/jobs/infoJob';
import { escapeHtml, recentRunsOf, renderModelView, RECENT_RUNS, type ModelViewPage } from '../../src/host/modelViewHtml';
import type { RunListing } from '../../src/host/runsStore';

const HOSTILE = `<img src=x onerror="alert(1)">&'`;

function section(patch: Partial<ModelInfoSection> = {}): ModelInfoSection {
  return {
    kind: 'model-info',
    info: {
      file: '/w/net.onnx',
      sizeBytes: 2 * 1024 * 1024,
      sha256: 'ab'.repeat(32),
      irVersion: 8,
      producer: 'pytorch 2.1',
      opsets: [{ domain: '', version: 17 }],
      inputs: [{ name: 'pixels', elemType: 'float32', shape: ['batch', 3, 224, 224] }],
      outputs: [{ name: 'logits', elemType: 'float32', shape: ['batch', 1000] }],
      opHistogram: { Conv: 20, Relu: 17, Gemm: 1 },
      nodeCount: 38,
      parameterCount: 11_689_512,
      parameterBytes: 46_758_048,
      metadata: { [HOSTILE]: `<script>alert(2)</script>` },
      externalDataFiles: [],
      customDomainOps: [],
      imageInputs: [
        {
          name: 'pixels',
          layout: 'NCHW',
          channels: 3,
          height: 224,
          width: 224,
          batch: 'dynamic',
          elemType: 'float32',
          reason: 'dim 1 is 3 channels',
        },
      ],
      output: { name: 'logits', numClasses: 1000, kind: 'unknown', reason: 'produced by Gemm, not Softmax' },
      warnings: [],
    },
    diagnostics: [
      {
        code: 'NO_GRADIENT',
        node: 'mix',
        op: 'Einsum',
        message: 'no gradient for Einsum (1 node: "mix")',
        hint: 'use SimBA or --gradient estimated',
      },
    ],
    configFile: '/w/robustness.json',
    imagesDir: '/w/data',
    problems: ['the image folder cannot be checked: /w/data: no images found'],
    ...patch,
  };
}

function page(patch: Partial<ModelViewPage> = {}): ModelViewPage {
  return {
    modelName: 'net.onnx',
    modelPath: '/w/net.onnx',
    state: { kind: 'ready', section: section() },
    runs: [],
    nonce: 'n0nce',
    ...patch,
  };
}

const run = (id: string, modelPath: string, patch: Partial<RunListing> = {}): RunListing =>
  ({
    id,
    dir: `/w/.robustness/runs/${id}`,
    readable: true,
    model: 'net',
    modelPath,
    command: 'analyse',
    createdAt: new Date(2025, 0, 1),
    status: 'complete',
    headline: 'robust 12.0% (PGD-10)',
    ...patch,
  }) as RunListing;

describe('the model view page', () => {
  it('escapes every text from the model and the disk', () => {
    assert.equal(escapeHtml(HOSTILE), '&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;&#39;');
    const html = renderModelView(
      page({
        modelName: HOSTILE,
        modelPath: `/w/${HOSTILE}`,
        runs: [{ id: `x"><script>`, command: HOSTILE, createdAt: new Date(0), status: 'complete', headline: HOSTILE }],
      }),
    );
    assert.ok(!html.includes('<img'), 'no markup from the model name');
    assert.ok(!/<[^>]*\son[a-z]+=/.test(html), 'no event handler attribute from any text');
    assert.ok(!html.includes('<script>alert'), 'no markup from metadata');
    assert.ok(!html.includes(`x"><script>`), 'no markup from a run id');
    assert.ok(html.includes('&lt;script&gt;alert(2)&lt;/script&gt;'), 'metadata shown as text');
    // One script: the page's own, with the nonce.
    assert.equal(html.match(/<script/g)?.length, 1);
    assert.match(html, /<script nonce="n0nce">/);
  });

  it('has a strict CSP: nonce-only style and script, no remote content', () => {
    const html = renderModelView(page());
    const csp = /http-equiv="Content-Security-Policy" content="([^"]*)"/.exec(html)?.[1];
    assert.equal(csp, "default-src 'none'; style-src 'nonce-n0nce'; script-src 'nonce-n0nce'");
    assert.ok(!/https?:\/\//.test(html), 'nothing remote');
    assert.ok(!/style="/.test(html), 'no inline style attributes (the CSP refuses them)');
    assert.ok(!/<[^>]*\son[a-z]+=/.test(html), 'no inline event handlers');
    assert.match(html, /var\(--vscode-foreground\)/);
  });

  it('shows the signature, the detected input and output, and the model facts', () => {
    const html = renderModelView(page());
    assert.match(html, /<td>pixels<\/td><td>float32<\/td><td>\[batch, 3, 224, 224\]<\/td>/);
    assert.match(html, /<td>logits<\/td><td>float32<\/td><td>\[batch, 1000\]<\/td>/);
    assert.match(
      html,
      /<dt>Layout<\/dt><dd>NCHW<\/dd><dt>Channels<\/dt><dd>3<\/dd><dt>Size<\/dt><dd>224×224<\/dd><dt>Batch<\/dt><dd>dynamic<\/dd>/,
    );
    assert.match(
      html,
      /<dt>Kind<\/dt><dd>unknown<\/dd><dt>Classes<\/dt><dd>1000<\/dd><dt>Why<\/dt><dd>produced by Gemm, not Softmax<\/dd>/,
    );
    assert.match(html, /<dt>Parameters<\/dt><dd>11,689,512 \(44\.6 MiB\)<\/dd>/);
    assert.match(html, /<dt>File size<\/dt><dd>2\.0 MiB<\/dd>/);
    assert.match(html, /<dt>Opsets<\/dt><dd>ai\.onnx 17<\/dd>/);
    assert.match(html, /<td>Conv<\/td><td>20<\/td>/);
  });

  it('lists the diagnostics under their heading, each with its hint, and the problems', () => {
    const html = renderModelView(page());
    assert.match(html, /<h2 id="diagnostics">Diagnostics<\/h2>/);
    assert.match(
      html,
      /data-code="NO_GRADIENT"><span class="code">NO_GRADIENT<\/span> no gradient for Einsum \(1 node: &quot;mix&quot;\)<div class="hint">Hint: use SimBA or --gradient estimated<\/div>/,
    );
    assert.match(html, /the image folder cannot be checked: \/w\/data: no images found/);
    assert.ok(!html.includes('has a gradient'), 'no all-clear while an op has no gradient');
    const clean = renderModelView(page({ state: { kind: 'ready', section: section({ diagnostics: [], problems: [] }) } }));
    assert.match(clean, /Nothing found that would stop a run/);
    assert.match(clean, /Every op on the path from the image input to the scores has a gradient/);
  });

  it('has the Analyse Robustness and Quick Attack Check buttons in every state', () => {
    for (const state of [
      { kind: 'loading', behind: 0 },
      { kind: 'error', message: 'x', hint: null },
      { kind: 'ready', section: section() },
    ] as const) {
      const html = renderModelView(page({ state }));
      // The state, for the e2e suite to wait on.
      assert.match(html, new RegExp(`<main id="model-view" data-state="${state.kind}">`));
      assert.match(html, /<button type="button" data-action="analyse">Analyse Robustness<\/button>/, state.kind);
      assert.match(html, /<button type="button" data-action="quick-check">Quick Attack Check<\/button>/, state.kind);
    }
  });

  it('is never blank: "reading the model…" while the engine works, the engine\'s message when the file is not a model', () => {
    assert.match(
      renderModelView(page({ state: { kind: 'loading', behind: 0 } })),
      /role="status" aria-busy="true">Reading the model…<\/p>/,
    );
    assert.match(renderModelView(page({ state: { kind: 'loading', behind: 1 } })), /Reading the model… \(after the run in progress/);
    const error = renderModelView(
      page({ state: { kind: 'error', message: '/w/net.onnx: not a valid ONNX model (<truncated>)', hint: 'export it again' } }),
    );
    assert.match(
      error,
      /role="alert"><h2>This file could not be read as an ONNX model<\/h2><p>\/w\/net\.onnx: not a valid ONNX model \(&lt;truncated&gt;\)<\/p><p>Hint: export it again<\/p>/,
    );
    assert.match(error, /data-action="reload"/);
  });

  it('lists the recent runs, each a button that opens it, or says there are none', () => {
    const html = renderModelView(
      page({
        runs: [{ id: '20250101-120000-net', command: 'analyse', createdAt: new Date(0), status: 'partial', headline: 'clean 90.0%' }],
      }),
    );
    assert.match(html, /<h2 id="runs">Recent runs<\/h2>/);
    assert.match(html, /<button type="button" data-action="open-run" data-run-id="20250101-120000-net">analyse · /);
    assert.match(html, /<span class="status-partial">partial<\/span> · clean 90\.0%/);
    assert.match(renderModelView(page()), /No runs of this model yet/);
  });

  it("recent runs: this model's readable runs, newest first, a few", () => {
    const listings: RunListing[] = [
      run('20250101-100000-net', '/w/net.onnx'),
      run('20250103-100000-net', '/w/net.onnx'),
      run('20250102-100000-other', '/w/other.onnx'),
      { id: '20250104-100000-net', dir: '/d', readable: false, model: 'net', createdAt: null, reason: 'broken' },
      run('20250102-100000-net', '/w/net.onnx', { command: 'attack', status: 'failed', headline: 'boom' }),
    ];
    const runs = recentRunsOf(listings, '/w/net.onnx');
    assert.deepEqual(
      runs.map((r) => [r.id, r.command, r.status]),
      [
        ['20250103-100000-net', 'analyse', 'complete'],
        ['20250102-100000-net', 'attack', 'failed'],
        ['20250101-100000-net', 'analyse', 'complete'],
      ],
    );
    const many = Array.from({ length: 9 }, (_, i) => run(`2025010${i + 1}-100000-net`, '/w/net.onnx'));
    assert.equal(recentRunsOf(many, '/w/net.onnx').length, RECENT_RUNS);
    assert.equal(recentRunsOf(many, '/w/net.onnx')[0].id, '20250109-100000-net');
  });
});
