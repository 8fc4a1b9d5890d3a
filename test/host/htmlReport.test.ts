import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PNG } from 'pngjs';
import { buildHtmlReport, readWebviewAssets, reportImagePaths, type WebviewAssets } from '../../src/host/htmlReport';
import { mdCell, reportMarkdown, runsMarkdown } from '../../src/host/reportMarkdown';
import { isHostToWebview, type InitMessage } from '../../src/protocol/webviewMessages';
import { PER_IMAGE_FILES } from '../../src/protocol/perImageFiles';
import { reportVerdict, verdictLines } from '../../src/protocol/verdict';
import { SECTION_KINDS, sectionKind } from '../../src/protocol/sectionKinds';
import type { ReportV1 } from '../../src/engine/report/schema';
import { explainReport, fixtureReport } from '../webview/fixtures';
import { webviewBundleDir } from '../helpers/webviewBundle';

/** A w×h PNG of seeded noise (noise does not compress, so sizes grow with the area). */
function png(w: number, h: number, seed: number): Buffer {
  const p = new PNG({ width: w, height: h });
  let s = seed;
  for (let i = 0; i < p.data.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    p.data[i] = i % 4 === 3 ? 255 : s >>> 24;
  }
  return PNG.sync.write(p);
}

/** A report with every image-bearing section: the gallery, Occluded Frequency pictures and per-image examples. */
function imageReport(): ReportV1 {
  const r = fixtureReport();
  r.sections.occludedFrequency = explainReport().sections.occludedFrequency;
  r.sections.perImage = {
    kind: 'per-image',
    examples: { ...PER_IMAGE_FILES, note: 'every broken image' },
    attacks: [{ saved: { images: [0, 2], amplification: [10, 12] } }],
  };
  return r;
}

function writeImages(dir: string, paths: string[]): Map<string, Buffer> {
  const bytes = new Map<string, Buffer>();
  paths.forEach((rel, k) => {
    const b = png(8 + 4 * k, 8 + 4 * k, k + 1);
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), b);
    bytes.set(rel, b);
  });
  return bytes;
}

/** The init message the file carries, read back as the bootstrap reads it. */
function initOf(html: string): InitMessage {
  const m = /<script type="application\/json" id="rl-report-data">([\s\S]*?)<\/script>/.exec(html);
  assert.ok(m, 'the report data element');
  return JSON.parse(m[1]) as InitMessage;
}

describe('HTML report', () => {
  let dir: string;
  let assets: WebviewAssets;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rl-html-'));
    assets = readWebviewAssets([await webviewBundleDir()]);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('lists the images of every section that has some: gallery and Occluded Frequency first, then the per-image examples', () => {
    assert.deepEqual(reportImagePaths(imageReport()), [
      'gallery/attack-1/00-t-shirt-clean.png',
      'gallery/attack-1/00-t-shirt-adversarial.png',
      'gallery/attack-1/00-t-shirt-perturbation-x15.9.png',
      'occluded-frequency/image-0-original.png',
      'occluded-frequency/image-0-band-0.png',
      'occluded-frequency/image-0-band-1.png',
      'occluded-frequency/image-0-band-2.png',
      'per-image/clean/0.png',
      'per-image/attack-1/0-adversarial.png',
      'per-image/attack-1/0-perturbation.png',
      'per-image/clean/2.png',
      'per-image/attack-1/2-adversarial.png',
      'per-image/attack-1/2-perturbation.png',
    ]);
  });

  it('is self-contained: the bundle inlined, a CSP that forbids any request, no http(s) src or href, the report whole', () => {
    const run = join(dir, 'whole');
    const report = imageReport();
    const bytes = writeImages(run, reportImagePaths(report));
    const { html, embedded, leftOut } = buildHtmlReport({
      title: 'Robustness: fashion-resnet.onnx',
      run: { runId: 'r1', report, dir: run },
      assets,
    });
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1] ?? '';
    const directives = new Map(
      csp
        .split(';')
        .map((d) => d.trim().split(/\s+/))
        .map(([k, ...v]) => [k, v]),
    );
    assert.deepEqual(directives.get('default-src'), ["'none'"]);
    assert.deepEqual(directives.get('img-src'), ['data:']);
    assert.deepEqual(directives.get('connect-src'), ["'none'"]);
    const nonce = /^'nonce-(.+)'$/.exec(directives.get('script-src')?.[0] ?? '')?.[1];
    assert.ok(nonce && directives.get('script-src')!.length === 1, 'scripts only by nonce');
    // The page's own markup (outside the inlined code) has no element that loads something, and nothing in the
    // whole file, code included, sets a src or href to a network URL.
    const markup = html.replace(/<(script|style)\b[^>]*>[\s\S]*?<\/\1>/g, '');
    assert.deepEqual(markup.match(/<(link|iframe|object|embed|base|img|script|style)\b/gi), null);
    assert.deepEqual(html.match(/\b(src|href)\s*=\s*["'`]?\s*(https?:|\/\/)[^\s"'`]*/gi), null);
    const scripts = [...html.matchAll(/<script\b([^>]*)>/g)].map((m) => m[1].trim());
    assert.deepEqual(scripts, ['type="application/json" id="rl-report-data"', `nonce="${nonce}"`, `nonce="${nonce}"`]);
    assert.ok(
      html.includes(
        assets.js
          .trim()
          .slice(0, 2000)
          .replace(/\/\/# sourceMappingURL=.*/, ''),
      ),
      'the bundle is inlined',
    );
    assert.doesNotMatch(html, /sourceMappingURL/);
    assert.match(html, /@media \(prefers-color-scheme: light\)/);
    assert.match(html, /@media print/);

    const init = initOf(html);
    assert.ok(isHostToWebview(init), 'an init message the panel accepts');
    assert.equal(init.standalone, true);
    assert.deepEqual(init.report, report, 'the report, every section as it is');
    const kinds = new Set(Object.values(init.report.sections).map(sectionKind));
    for (const kind of ['attacks', 'defences', 'sweeps', 'occluded-frequency', 'rct', 'spectra', 'per-image', 'clean'])
      assert.ok(kinds.has(kind) && SECTION_KINDS.includes(kind as never), kind);
    assert.equal(embedded, bytes.size);
    assert.deepEqual(leftOut, []);
    assert.equal(init.imagesLeftOut, 0);
    assert.deepEqual(Object.keys(init.embeddedImages!.a).sort(), [...bytes.keys()].sort());
    for (const [rel, b] of bytes) {
      const url = init.embeddedImages!.a[rel];
      assert.ok(url.startsWith('data:image/png;base64,'), rel);
      assert.deepEqual(Buffer.from(url.slice(url.indexOf(',') + 1), 'base64'), b, `${rel} embedded byte for byte`);
    }
  });

  it('embeds images in order while the budget lasts and counts the rest; paths leaving the run folder are never read', () => {
    const run = join(dir, 'capped');
    const report = imageReport();
    const paths = reportImagePaths(report);
    writeImages(run, paths);
    writeFileSync(join(dir, 'secret.png'), png(4, 4, 99));
    const attacks = report.sections.attacks as { runs: { gallery: { files: { clean: string } }[] }[] };
    attacks.runs[0].gallery[0].files.clean = '../secret.png';
    const sizes = paths.slice(1).map((p) => statSync(join(run, p)).size);
    const budget = sizes[0] + sizes[1] + sizes[2] + 1;
    const { html, embedded, leftOut } = buildHtmlReport({
      title: 't',
      run: { runId: 'r', report, dir: run },
      assets,
      imageBudgetBytes: budget,
    });
    const init = initOf(html);
    // Independent of the builder's loop: which files fit, in order, greedily (smaller later ones may still fit).
    let left = budget;
    const expected = paths.slice(1).filter((_, k) => (sizes[k] <= left ? ((left -= sizes[k]), true) : false));
    assert.deepEqual(Object.keys(init.embeddedImages!.a), expected);
    assert.equal(embedded, expected.length);
    assert.ok(leftOut.includes('../secret.png'));
    assert.equal(leftOut.length, paths.length - expected.length);
    assert.equal(init.imagesLeftOut, leftOut.length);
    assert.ok(!html.includes(png(4, 4, 99).toString('base64')), 'the file outside the run folder is not in the page');
  });

  it('text in the report cannot end the script element: a class named </script> stays data', () => {
    const report = fixtureReport();
    report.dataset!.classNames[0] = '</script><script>alert(1)</script><!--';
    const { html } = buildHtmlReport({ title: '<b>t</b>', run: { runId: 'r', report, dir: null }, assets });
    assert.equal(html.match(/<\/script>/g)!.length, 3, 'only the three script elements end');
    assert.match(html, /<title>&#60;b&#62;t&#60;\/b&#62;<\/title>/);
    assert.deepEqual(initOf(html).report, report);
  });

  it('a missing bundle is a clear error that says to build', () => {
    assert.throws(() => readWebviewAssets([join(dir, 'nowhere')]), /webview\.js, webview\.css\) was not found in .*nowhere/);
  });
});

describe('Markdown summary', () => {
  it("opens with the verdict's lines, then a row per attack run and per defence × attack", () => {
    const report = fixtureReport();
    const md = reportMarkdown(report);
    const lines = md.split('\n');
    const verdict = verdictLines(reportVerdict(report)).map((l) => `- ${l.text}`);
    const at = lines.indexOf('## Verdict');
    assert.deepEqual(lines.slice(at + 2, at + 2 + verdict.length), verdict);
    const attacks = report.sections.attacks as { runs: { label: string }[] };
    const attackRows = lines
      .slice(lines.indexOf('## Attacks') + 4)
      .filter((l, i, a) => l.startsWith('| ') && a.slice(0, i).every((x) => x.startsWith('| ')));
    assert.deepEqual(
      attackRows.map((r) => r.split(' | ')[0].slice(2)),
      attacks.runs.map((r) => r.label),
    );
    const defences = report.sections.defences as { results: { rows: unknown[] }[] };
    const defenceRows = lines
      .slice(lines.indexOf('## Defences') + 4)
      .filter((l, i, a) => l.startsWith('| ') && a.slice(0, i).every((x) => x.startsWith('| ')));
    assert.equal(
      defenceRows.length,
      defences.results.reduce((n, d) => n + d.rows.length, 0),
    );
    assert.match(md, /- \*\*Defence rate\*\*: /);
    assert.match(md, /- \*\*Query-limited\*\*: /, 'the SimBA run brings its mode');
  });

  it('table cells keep their columns whatever the labels hold; two runs are one document with a heading each', () => {
    assert.equal(mdCell('a|b\nc\\'), 'a\\|b c\\\\');
    const a = fixtureReport();
    const b = fixtureReport();
    b.model.path = '/m/other.onnx';
    const md = runsMarkdown([a, b]);
    assert.match(md, /^# Robustness comparison: fashion-resnet\.onnx vs other\.onnx/);
    assert.deepEqual(md.match(/^## Robustness report: .*$/gm), [
      '## Robustness report: fashion-resnet.onnx',
      '## Robustness report: other.onnx',
    ]);
  });
});
