/**
 * The HTML report in a real browser: `analyse --html` on the bundled sample writes the file, `report` writes it
 * again with the Markdown summary, and headless Chromium (Debian's, as the e2e suite uses) opens it from disk
 * in a light and a dark colour scheme and for print. Asserted: no console error or warning, no request but the
 * file itself and data:/blob: URLs, every section the report holds rendered with its element, its gallery
 * images loaded. Screenshots are kept in .test-artifacts/html-report/.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { REPO_ROOT } from '../helpers/shared';
import { webviewBundleDir } from '../helpers/webviewBundle';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const SAMPLE = resolve(REPO_ROOT, 'samples', 'fashion-resnet.onnx');
const ARTEFACTS = resolve(REPO_ROOT, '.test-artifacts', 'html-report');

/** The element each section kind renders (webview/README.md's DOM contract). */
const SECTION_ELEMENTS: Record<string, string> = {
  clean: '[data-testid="summary"] .summary-clean',
  attacks: 'table[data-testid="attack-table"] tr[data-attack]',
  defences: 'table[data-testid="defence-table"]',
  sweeps: 'svg[data-testid^="sweep-"]',
  'occluded-frequency': 'svg[data-testid="of-chart"] rect.bar',
  rct: 'canvas[data-testid="rct-heatmap"] + svg[data-testid="rct-legend"]',
  spectra: '#panel-spectra canvas',
  'per-image': '[data-testid="per-image"] table',
  // Findings show as a banner above the summary; a run without any has nothing to show.
  sanity: '#app',
  'robustness-curves': 'svg[data-testid^="robustness-curve-"]',
  flags: '[data-testid="flags"], [data-testid="flags-none"]',
  certification: 'table[data-testid="certification-summary"]',
  'fourier-heatmap': '[data-testid="fourier-params"]',
  inversion: 'canvas[data-testid="inversion-heatmap"] + svg[data-testid="inversion-legend"]',
  'run-plan': '[data-testid="run-plan"]',
  checkpoints: '#panel-checkpoints svg',
};

function cli(args: string[], env: Record<string, string>) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', resolve(REPO_ROOT, 'src/cli/main.ts'), ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    timeout: 300_000,
    env: { ...process.env, ...env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test(
  'the HTML report opens offline in Chromium with every section, no console error and no network request',
  {
    skip: existsSync(CHROMIUM)
      ? false
      : `${CHROMIUM} not found: install Debian's chromium (scripts/e2e/install-code-server.sh does) or set CHROMIUM`,
  },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rl-html-browser-'));
    const env = { ROBUSTNESS_LENS_WEBVIEW_DIST: await webviewBundleDir() };
    try {
      const run = join(dir, 'run');
      const first = join(dir, 'analyse.html');
      const r = cli(['analyse', SAMPLE, '--preset', 'fast', '--limit', '8', '--out', run, '--quiet', '--html', first], env);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^html {7}.*analyse\.html \(\d+ images embedded\)$/m);
      const file = join(dir, 'report.html');
      const md = join(dir, 'report.md');
      const again = cli(['report', run, '--html', file, '--markdown', md], env);
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stdout, /^markdown {3}.*report\.md$/m);
      const report = JSON.parse(readFileSync(join(run, 'report.json'), 'utf8'));
      const kinds = Object.values(report.sections).map((s) => (s as { kind: string }).kind);
      assert.match(readFileSync(md, 'utf8'), /^## Verdict\n\n- Clean accuracy /m);

      mkdirSync(ARTEFACTS, { recursive: true });
      const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
      try {
        for (const scheme of ['light', 'dark'] as const) {
          const page = await browser.newPage({ viewport: { width: 1400, height: 1000 }, colorScheme: scheme });
          const problems: string[] = [];
          const requests: string[] = [];
          page.on('console', (m) => {
            if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
          });
          page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
          page.on('request', (q) => requests.push(q.url()));
          await page.goto(pathToFileURL(file).href);
          await page.waitForSelector('#app[data-state="complete"] [data-testid="summary"] [data-testid="verdict"]');
          for (const kind of kinds) {
            const selector = SECTION_ELEMENTS[kind];
            assert.ok(selector, `the test knows how section kind ${kind} shows`);
            assert.ok(await page.locator(selector).first().count(), `${kind}: ${selector} is in the page`);
          }
          // Every image of the gallery decodes from its embedded data: URL (they load lazily, tab by tab).
          const images = await page.$$eval('[data-testid="gallery"] img', (els) =>
            Promise.all(
              els.map(async (e) => {
                const src = (e as HTMLImageElement).src;
                const probe = new Image();
                probe.src = src;
                const ok = await probe.decode().then(
                  () => probe.naturalWidth > 0,
                  () => false,
                );
                return { src: src.slice(0, 22), ok };
              }),
            ),
          );
          assert.ok(images.length > 0, 'the gallery has images');
          for (const i of images) assert.deepEqual(i, { src: 'data:image/png;base64,', ok: true });
          assert.ok(await page.locator('a[data-testid="definitions-link"]').count(), 'the definitions one click away');
          const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
          assert.equal(background, scheme === 'light' ? 'rgb(255, 255, 255)' : 'rgb(31, 31, 31)', 'the palette follows the colour scheme');
          await page.screenshot({ path: join(ARTEFACTS, `report-${scheme}.png`), fullPage: true });
          if (scheme === 'light') {
            // Printed: every gallery tab's images, no controls.
            await page.emulateMedia({ media: 'print' });
            assert.equal(await page.locator('.chart-export').first().isVisible(), false, 'no export buttons on paper');
            const hidden = await page.$$eval('vscode-tab-panel', (els) => els.filter((e) => getComputedStyle(e).display === 'none').length);
            assert.equal(hidden, 0, 'every gallery tab is printed');
            await page.pdf({ path: join(ARTEFACTS, 'report-print.pdf') });
          }
          assert.deepEqual(problems, []);
          assert.deepEqual(
            requests.filter((u) => !/^(data|blob):/.test(u)),
            [pathToFileURL(file).href],
            'the file itself is the only request',
          );
          await page.close();
        }
      } finally {
        await browser.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
