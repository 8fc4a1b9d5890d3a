/**
 * End-to-end test of the packaged extension in a real VS Code (code-server 4.100.3) driven through
 * headless chromium: package → install the .vsix → open a workspace with a shared model and images →
 * right-click Analyse Robustness → assert on the rendered panel → Quick Attack Check → status bar →
 * the run folder; then the second scenario (flows.ts) in the same server. Prints one line per check, a
 * summary with timings and the artefacts' paths; exits 1 on any failed check.
 *
 * Prerequisite: scripts/e2e/install-code-server.sh. Environment (all optional):
 *   E2E_VSIX              use this .vsix instead of running `npm run package`
 *   E2E_TMP               scratch root outside the repository (default /tmp/rl-e2e)
 *   E2E_ARTIFACTS         artefacts folder (default <repo>/.e2e/artifacts)
 *   E2E_ANALYSE_TIMEOUT_MS, E2E_QUICK_TIMEOUT_MS   waits for the analysis (10 min) and the quick check (5 min)
 *   E2E_KEEP=1            keep the scratch folder (kept anyway when something failed)
 *   E2E_FLOWS=0           skip the second scenario (test/e2e/flows.ts: first-run setup, export, compare,
 *                         quick check on model change, cancel, reopen mid-run, Restricted Mode)
 *   E2E_ONLY              comma-separated step names (or their starts) to run, e.g. "flows: reopen mid-run,stranger: estimate" (the critical set-up
 *                         steps always run; the others are not run and not counted)
 *   CODE_SERVER, CHROMIUM binaries (default <repo>/.e2e/code-server/…/code-server, /usr/bin/chromium)
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Frame, Page } from 'playwright-core';
import { checkReportEnvelope } from '../../src/engine/report/schema';
import { FLOW_STEPS, Flows, type FlowsContext } from './flows';
import { STRANGER_STEPS, StrangerFlow } from './stranger';
import { pickAnalyseChoice } from './harness/analyseChoice';
import { QuickInput } from './harness/quickInput';
import { REPO_ROOT, SKIP_NO_SHARED, sharedManifest, sharedPath } from '../helpers/shared';
import { Artifacts } from './harness/artifacts';
import { closeChromium, launchChromium } from './harness/browser';
import { installExtension, processesMentioning, startCodeServer, type CodeServer } from './harness/codeServer';
import { makeWorkspace, writeUserSettings, type WorkspaceLayout } from './harness/fixtures';
import { inspectPanel, readState, waitForFinalState, waitForPanelWhere } from './harness/panel';
import { Results, ScenarioAborted } from './harness/results';
import { defaultScratchRoot, isInside, makeScratch, type Scratch } from './harness/scratch';
import {
  bodyTheme,
  kindMatches,
  measureReadability,
  switchTheme,
  themeScreenshots,
  THEMES,
  type Readability,
  type ThemeKind,
} from './harness/theme';
import { Workbench } from './harness/workbench';

const env = process.env;
const CODE_SERVER = env.CODE_SERVER ?? join(REPO_ROOT, '.e2e/code-server/node_modules/.bin/code-server');
const CHROMIUM = env.CHROMIUM ?? '/usr/bin/chromium';
const VSIX = join(REPO_ROOT, 'dist/robustness-lens-linux-x64.vsix');
const ANALYSE_TIMEOUT_MS = Number(env.E2E_ANALYSE_TIMEOUT_MS ?? 600_000);
const QUICK_TIMEOUT_MS = Number(env.E2E_QUICK_TIMEOUT_MS ?? 300_000);
/** How long the extension's contributions may take to reach the menus after the workbench is up. */
const CONTRIBUTIONS_TIMEOUT_MS = 90_000;
const MAX_VSIX_BYTES = 20 * 1024 * 1024;

const MENU = {
  analyse: 'Analyse Robustness',
  quickCheck: 'Quick Attack Check',
  certify: 'Certify Robustness (Randomized Smoothing)',
  fourierHeatmap: 'Fourier Heat Map',
  featureInversion: 'Feature Inversion (Robust Features)',
  explainImage: 'Explain Image Frequencies',
};
const CHECKPOINTS_MENU = 'Analyse Training Checkpoints';
const PALETTE_TITLES = [
  'Analyse Robustness',
  'Quick Attack Check',
  'Explain Image Frequencies',
  'Compare Models',
  'Show Robustness Runs',
  'Get Started',
  'Open Model View',
].map((t) => `Robustness Lens: ${t}`);
const QUICK_CHECK_ARIA = 'Robustness Lens Quick Attack Check';
const ROBUST_TEXT = /Robust \d+(\.\d)?%/;
const RUN_FOLDER = /^\d{8}-\d{6}-model$/;

const STEPS = [
  'package',
  'install',
  'vsix contents',
  'workspace',
  'start',
  'context menus',
  'analyse',
  'themes',
  'quick check',
  'runs folder',
  'model view',
  'walkthrough',
  'certify and share',
  'training and inversion',
  ...FLOW_STEPS,
  ...STRANGER_STEPS,
];

interface Session {
  scratch?: Scratch;
  layout?: WorkspaceLayout;
  server?: CodeServer;
  browser?: BrowserContext;
  page?: Page;
  workbench?: Workbench;
  /** The analyse panel's frame, once complete (the themes step reuses it). */
  panel?: Frame;
  consoleLines: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const slug = (s: string) => s.replace(/[^a-z0-9]+/gi, '-').toLowerCase();

async function packageVsix(r: Results, art: Artifacts): Promise<string> {
  if (env.E2E_VSIX) {
    r.log(`E2E_VSIX given: skipping npm run package, using ${env.E2E_VSIX}`);
    if (!existsSync(env.E2E_VSIX)) throw new Error(`E2E_VSIX=${env.E2E_VSIX} does not exist`);
    return env.E2E_VSIX;
  }
  const t0 = Date.now();
  const run = spawnSync('npm', ['run', 'package'], { cwd: REPO_ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  r.time('npm run package', (Date.now() - t0) / 1000);
  const logPath = art.write('package.log', `${run.stdout ?? ''}\n${run.stderr ?? ''}`);
  if (run.status !== 0) {
    const lines = (run.stderr ?? '').trim().split('\n');
    const errors = lines.filter((l) => /error/i.test(l)).slice(0, 3);
    throw new Error(
      `npm run package exited with ${run.status ?? run.signal} (see ${logPath}): ${(errors.length ? errors : lines.slice(-3)).join(' / ')}`,
    );
  }
  if (!existsSync(VSIX)) throw new Error(`npm run package succeeded but wrote no ${VSIX}; see ${logPath}`);
  // a .vsix left from an earlier build would test old code
  r.check('the .vsix was written by this run', statSync(VSIX).mtimeMs >= t0 - 1_000, new Date(statSync(VSIX).mtimeMs).toISOString());
  return VSIX;
}

function extensionId(): string {
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { publisher: string; name: string };
  return `${pkg.publisher}.${pkg.name}`;
}

function checkInstalledFolder(r: Results, folder: string): void {
  r.check('installed extension lies outside the repository (no false pass through its node_modules)', !isInside(folder, REPO_ROOT), folder);
  const ort = join(folder, 'node_modules/onnxruntime-node');
  const binding = join(ort, 'bin/napi-v6/linux/x64/onnxruntime_binding.node');
  r.check(
    'the .vsix carries onnxruntime-node with its linux-x64 binding',
    existsSync(binding),
    existsSync(binding) ? '' : `${existsSync(ort) ? binding : ort} missing`,
  );
  const subdirs = (dir: string) => (existsSync(join(ort, dir)) ? readdirSync(join(ort, dir)) : []);
  const foreign = [
    ...subdirs('bin/napi-v6').filter((os) => os !== 'linux'),
    ...subdirs('bin/napi-v6/linux')
      .filter((arch) => arch !== 'x64')
      .map((arch) => `linux/${arch}`),
  ];
  r.check('no other platform binaries in the linux-x64 .vsix', foreign.length === 0, foreign.join(', '));
}

async function startWorkbench(r: Results, s: Session, art: Artifacts): Promise<void> {
  const scratch = s.scratch!;
  s.server = await startCodeServer(CODE_SERVER, scratch);
  r.time('code-server startup (spawn → /healthz)', s.server.startupSeconds);
  r.log(`code-server on port ${s.server.port}`);
  const t0 = Date.now();
  s.browser = await launchChromium(CHROMIUM, scratch);
  s.page = s.browser.pages()[0] ?? (await s.browser.newPage());
  s.page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') s.consoleLines.push(`[${m.type()}] ${m.text()}`);
  });
  s.page.on('pageerror', (e) => s.consoleLines.push(`[pageerror] ${e.message}`));
  s.workbench = new Workbench(s.page);
  await s.workbench.open(s.server.url, s.layout!.modelName, 120_000);
  r.time('workbench ready (browser launch → explorer shows model.onnx)', (Date.now() - t0) / 1000);
  r.log('workbench screenshot', await art.screenshot(s.page, '01-workbench'));
}

async function contextMenus(r: Results, s: Session, art: Artifacts): Promise<void> {
  const wb = s.workbench!;
  const t0 = Date.now();
  // Only after the entries appear on the model does their absence elsewhere mean anything.
  const modelMenu = await wb.waitForContextEntry(wb.treeItem(s.layout!.modelName), MENU.analyse, CONTRIBUTIONS_TIMEOUT_MS);
  r.time('contributions visible (workbench ready → model menu lists Analyse Robustness)', (Date.now() - t0) / 1000);
  r.check(`model.onnx menu lists "${MENU.analyse}"`, modelMenu.includes(MENU.analyse));
  r.check(`model.onnx menu lists "${MENU.quickCheck}"`, modelMenu.includes(MENU.quickCheck), modelMenu.join(' | '));
  r.check(`model.onnx menu lists "${MENU.certify}"`, modelMenu.includes(MENU.certify), modelMenu.join(' | '));
  r.check(`model.onnx menu lists "${MENU.fourierHeatmap}"`, modelMenu.includes(MENU.fourierHeatmap), modelMenu.join(' | '));
  r.check(`model.onnx menu lists "${MENU.featureInversion}"`, modelMenu.includes(MENU.featureInversion), modelMenu.join(' | '));
  r.check(`model.onnx menu does not list "${MENU.explainImage}"`, !modelMenu.includes(MENU.explainImage));
  await art.screenshot(s.page!, '02-menu-model');
  await wb.closeMenus();

  const notesMenu = await wb.openContextMenu(wb.treeItem('notes.txt'));
  await art.screenshot(s.page!, '03-menu-notes');
  await wb.closeMenus();
  for (const entry of Object.values(MENU))
    r.check(`notes.txt menu does not list "${entry}"`, !notesMenu.includes(entry), notesMenu.join(' | '));

  const image = await wb.reveal(s.layout!.sampleImage);
  // on timeout, reopen the menu for the screenshot and the check's detail
  const imageMenu = await wb.waitForContextEntry(image, MENU.explainImage, 15_000).catch(() => wb.openContextMenu(image));
  r.check(`${s.layout!.sampleImage} menu lists "${MENU.explainImage}"`, imageMenu.includes(MENU.explainImage), imageMenu.join(' | '));
  r.check(`${s.layout!.sampleImage} menu does not list "${MENU.analyse}"`, !imageMenu.includes(MENU.analyse));
  await art.screenshot(s.page!, '04-menu-image');
  await wb.closeMenus();
  const imagesItem = wb.treeItem(s.layout!.imagesDir);
  if ((await imagesItem.getAttribute('aria-expanded')) === 'true') await imagesItem.click();

  const rows = await wb.waitForPaletteTitles('Robustness Lens:', PALETTE_TITLES, 15_000);
  for (const title of PALETTE_TITLES) r.check(`palette lists "${title}"`, rows.includes(title), rows.join(' | '));
}

async function analyse(r: Results, s: Session, art: Artifacts): Promise<void> {
  const wb = s.workbench!;
  const page = s.page!;
  await wb.runContextEntry(wb.treeItem(s.layout!.modelName), MENU.analyse, CONTRIBUTIONS_TIMEOUT_MS);
  // Issue #13: the preset × image count pick with its estimates comes first (fast preselected on a first run).
  await pickAnalyseChoice(r, new QuickInput(page), page, (n) => art.screenshot(page, n), s.layout!.modelName, 'Fast', true);
  const t0 = Date.now();
  let runningShot = false;
  const { frame, state } = await waitForFinalState(
    () => wb.waitForPanel(60_000),
    ANALYSE_TIMEOUT_MS,
    async (st) => {
      r.log(`panel state: ${st} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
      if (st === 'running' && !runningShot) {
        runningShot = true;
        await art.screenshot(page, '05-analyse-running');
      }
    },
  );
  r.time(`analyse (menu click → ${state})`, (Date.now() - t0) / 1000);
  s.panel = frame;
  await sleep(1_000); // let the charts' transitions settle before the screenshots
  await art.screenshot(page, '06-analyse-workbench');
  const webview = page.locator('iframe.webview.ready').last();
  if (await webview.isVisible()) await webview.screenshot({ path: art.path('07-analyse-panel.png') });
  // the charts lie below the fold: element screenshots scroll them into view
  for (const [name, testId] of [
    ['07a-of-chart', 'of-chart'],
    ['07b-rct-heatmap', 'rct-heatmap'],
  ]) {
    const figure = frame.locator('figure.chart', { has: frame.locator(`[data-testid="${testId}"]`) }).first();
    await figure
      .screenshot({ path: art.path(`${name}.png`), timeout: 10_000 })
      .catch((e: Error) => r.log(`no screenshot of ${testId}: ${e.message.split('\n')[0]}`));
  }

  const p = await inspectPanel(frame);
  r.log('panel contents', JSON.stringify(p));
  art.write('analyse-panel.json', JSON.stringify(p, null, 2));
  r.check('summary card', p.hasSummary);
  r.check(
    'the verdict opens the summary card, with robust and clean accuracy',
    p.verdictFirst && /Robust accuracy \d/.test(p.verdictLead) && /Clean accuracy \d/.test(p.verdictLead),
    p.verdictLead,
  );
  r.check('attack table has ≥ 2 attack rows', p.attackRows.length >= 2, `${p.attackRows.length}: ${p.attackRows.join(', ')}`);
  r.check('defence table present', p.defenceTables >= 1, `${p.defenceTables}`);
  r.check('Occluded Frequency chart has ≥ 1 bar', p.ofBars >= 1, `${p.ofBars} bars`);
  r.check('RCT heatmap present', p.heatmaps.length >= 1, `${p.heatmaps.length}`);
  r.check(
    'every RCT heatmap has a non-zero size and painted pixels',
    p.heatmaps.length > 0 && p.heatmaps.every((h) => h.width > 0 && h.height > 0 && h.paintedPixels > 0),
    p.heatmaps.map((h) => `${h.width}×${h.height}, ${h.paintedPixels} painted`).join('; '),
  );
  r.check('one RCT legend per heatmap', p.rctLegends === p.heatmaps.length, `${p.rctLegends} legends, ${p.heatmaps.length} heatmaps`);
  r.check(
    'every chart figure holds a data table for screen readers',
    p.charts > 0 && p.chartsWithoutDataTable === 0,
    `${p.chartsWithoutDataTable} of ${p.charts} without`,
  );
}

/** WCAG 2 AA: normal text 4.5:1; graphical objects (chart bars, lines, points) 3:1. */
const MIN_TEXT_CONTRAST = 4.5;
const MIN_MARK_CONTRAST = 3;

/**
 * Records one theme's readability checks on the open panel (issue #6). `everyKind`: the panel shows every
 * category (the analyse panel: none found means a selector no longer matches); else only the categories the
 * panel has are checked (a checkpoints panel has line charts and no bars or table cells), and at least one.
 */
function checkReadability(r: Results, theme: string, m: Readability, everyKind = true): void {
  const fmt = (c: Readability['text'][number]) =>
    `${c.category} ${c.min} over ${c.count}${c.worst ? ` (worst ${c.worst.what} "${c.worst.text}" ${c.worst.fg} on ${c.worst.bg})` : ''}`;
  if (!everyKind)
    r.check(
      `${theme}: some text is measured`,
      m.text.some((c) => c.count > 0),
      m.text.map(fmt).join('; '),
    );
  for (const c of m.text.filter((x) => everyKind || x.count > 0)) {
    r.check(`${theme}: ${c.category} have contrast ≥ ${MIN_TEXT_CONTRAST}`, c.count > 0 && c.min >= MIN_TEXT_CONTRAST, fmt(c));
  }
  if (m.textFailures.length) r.log(`${theme}: text below ${MIN_TEXT_CONTRAST}:1`, JSON.stringify(m.textFailures));
  for (const c of m.marks.filter((x) => (everyKind && x.category === 'bars') || x.count > 0)) {
    r.check(
      `${theme}: chart ${c.category} have contrast ≥ ${MIN_MARK_CONTRAST} against the background`,
      c.count > 0 && c.min >= MIN_MARK_CONTRAST,
      fmt(c),
    );
  }
  if (m.markFailures.length) r.log(`${theme}: chart marks below ${MIN_MARK_CONTRAST}:1`, JSON.stringify(m.markFailures));
}

/**
 * Issue #6: the finished analyse panel is readable in the initial (light) theme, Dark Modern, High
 * Contrast and High Contrast Light. Switches the theme with Preferences: Color Theme, checks the theme
 * kind on the webview's body, measures contrast in the webview and takes screenshots; restores the
 * initial theme at the end so the later steps see the workbench as before.
 */
async function themes(r: Results, s: Session, art: Artifacts): Promise<void> {
  const frame = s.panel;
  if (!frame) throw new Error('no finished analyse panel to inspect (the analyse step failed)');
  const page = s.page!;
  const wb = s.workbench!;
  const summary: Record<string, { kind: string; minText: number; minMarks: number }> = {};
  const measure = async (label: string, slug: string) => {
    const shots = await themeScreenshots(page, frame, (n) => art.path(n), slug);
    r.log(`${label} screenshots`, shots.join(', '));
    const m = await measureReadability(frame);
    art.write(`09-theme-${slug}.json`, JSON.stringify(m, null, 2));
    checkReadability(r, label, m);
    const body = await bodyTheme(frame);
    summary[label] = {
      kind: body.classes.filter((c) => c.startsWith('vscode-')).join(' '),
      minText: Math.min(...m.text.map((c) => c.min)),
      minMarks: Math.min(...m.marks.filter((c) => c.count > 0).map((c) => c.min)),
    };
  };

  const initial = await bodyTheme(frame);
  const initialKind = themeKindOf(initial.classes);
  r.log(`initial theme: ${initial.themeName ?? '?'} (body ${initial.classes.join(' ')})`);
  await measure(`initial theme (${initial.themeName ?? initialKind ?? '?'})`, 'initial');

  for (const theme of THEMES) {
    const seconds = await switchTheme(wb, frame, theme.label, theme.kind).catch((e: Error) => {
      r.check(`${theme.name}: the panel's body shows ${theme.kind}`, false, e.message);
      return null;
    });
    if (seconds === null) continue;
    r.time(`theme switch to ${theme.name} (palette → panel body class)`, seconds);
    const body = await bodyTheme(frame);
    r.check(
      `${theme.name}: the panel's body shows ${theme.kind}`,
      kindMatches(body.classes, theme.kind),
      `${body.classes.join(' ')}; data-vscode-theme-name ${body.themeName}`,
    );
    await measure(theme.name, theme.slug);
  }
  r.log('contrast per theme', JSON.stringify(summary));
  if (initialKind && initial.themeName) await switchTheme(wb, frame, initial.themeName, initialKind);
  else r.log('initial theme unknown: not restored');
}

async function quickCheck(r: Results, s: Session, art: Artifacts): Promise<void> {
  const wb = s.workbench!;
  const model = wb.treeItem(s.layout!.modelName);
  await model.click(); // open it, so that model.onnx is the active model whichever way "active" is read
  const titleLabels = await wb.waitForEditorTitleEntries([MENU.analyse, MENU.quickCheck], 10_000);
  for (const entry of [MENU.analyse, MENU.quickCheck]) {
    r.check(
      `editor title of model.onnx offers "${entry}"`,
      titleLabels.some((l) => l.startsWith(entry)),
      titleLabels.join(' | '),
    );
  }
  // an item already showing a figure (e.g. set by the analysis) would satisfy the wait below at once: say so
  const before = (await wb.statusBarEntries(QUICK_CHECK_ARIA))[0];
  if (before) r.log(`status bar before the quick check: "${before.text}"`);
  await wb.runContextEntry(model, MENU.quickCheck, CONTRIBUTIONS_TIMEOUT_MS);
  const t0 = Date.now();
  let seen: { text: string; ariaLabel: string; hasShieldIcon: boolean } | undefined;
  while (Date.now() - t0 < QUICK_TIMEOUT_MS) {
    seen = (await wb.statusBarEntries(QUICK_CHECK_ARIA))[0] ?? seen;
    if (seen && ROBUST_TEXT.test(seen.text)) break;
    await sleep(1_000);
  }
  r.time('quick check (menu click → status bar shows robust accuracy)', (Date.now() - t0) / 1000);
  await art.screenshot(s.page!, '08-quick-check-status-bar');
  if (!seen)
    throw new Error(`no status bar item with an accessibility label starting "${QUICK_CHECK_ARIA}" within ${QUICK_TIMEOUT_MS / 1000} s`);
  r.log(`status bar: "${seen.text}" (aria-label "${seen.ariaLabel}")`);
  r.check(`status bar text matches ${ROBUST_TEXT}`, ROBUST_TEXT.test(seen.text), JSON.stringify(seen.text));
  r.check(
    'status bar text starts with the shield icon and "Robust "',
    seen.hasShieldIcon && seen.text.startsWith('Robust '),
    JSON.stringify(seen.text),
  );
}

/**
 * Randomized smoothing from the model's menu (issue #16): the sample-size pick, then a panel with the
 * certification section; the panel offers Export HTML report and Copy Markdown summary (issue #17).
 */
async function certifyAndShare(r: Results, s: Session, art: Artifacts): Promise<void> {
  const wb = s.workbench!;
  const page = s.page!;
  await wb.closeAllEditors();
  await wb.runContextEntry(wb.treeItem(s.layout!.modelName), MENU.certify, CONTRIBUTIONS_TIMEOUT_MS);
  const quick = new QuickInput(page);
  const pick = await quick.waitFor(/^Certify .*randomized smoothing/, 15_000);
  r.check(
    'the certify pick offers the fast and the full sample sizes',
    pick.rows.some((row) => row.label.startsWith('Fast')) && pick.rows.some((row) => row.label.startsWith('Full')),
    pick.rows.map((row) => row.label).join(' | '),
  );
  await art.screenshot(page, '25-certify-pick');
  await quick.pick(pick.rows.find((row) => row.label.startsWith('Fast'))!.label);
  const t0 = Date.now();
  const { frame, state } = await waitForFinalState(
    () => wb.waitForPanel(60_000),
    ANALYSE_TIMEOUT_MS,
    () => undefined,
  );
  r.time(`certify, fast (pick → ${state})`, (Date.now() - t0) / 1000);
  r.check('the certification completes', state === 'complete', state);
  await sleep(1_000);
  const section = await frame.evaluate(() => ({
    summaryRows: document.querySelectorAll('[data-testid="certification-summary"] tbody tr').length,
    params: document.querySelector('[data-testid="certification-params"]')?.textContent?.replace(/\s+/g, ' ').trim() ?? '',
    charts: [...document.querySelectorAll('figure.chart')].filter((f) => /certified/i.test(f.textContent ?? '')).length,
    exportHtml: !!document.querySelector('[data-testid="export-html"]'),
    copyMarkdown: !!document.querySelector('[data-testid="copy-markdown"]'),
  }));
  r.log('certification panel', JSON.stringify(section));
  const webview = page.locator('iframe.webview.ready').last();
  if (await webview.isVisible()) await webview.screenshot({ path: art.path('26-certify-panel.png') });
  r.check('one summary row per σ (0.12, 0.25, 0.5)', section.summaryRows === 3, `${section.summaryRows} rows`);
  r.check(
    'the parameters are stated (n0, n, α, σ in pixel units)',
    /n0/.test(section.params) && /α|alpha/.test(section.params),
    section.params,
  );
  r.check('a certified-accuracy chart is drawn', section.charts >= 1, `${section.charts}`);
  r.check(
    'the panel offers Export HTML report and Copy Markdown summary',
    section.exportHtml && section.copyMarkdown,
    JSON.stringify(section),
  );

  // The Fourier heat map (issue #16), straight from the menu: a panel with the map and its clean error.
  await wb.closeAllEditors();
  await wb.runContextEntry(wb.treeItem(s.layout!.modelName), MENU.fourierHeatmap, CONTRIBUTIONS_TIMEOUT_MS);
  const t1 = Date.now();
  const heat = await waitForFinalState(
    () => wb.waitForPanel(60_000),
    ANALYSE_TIMEOUT_MS,
    () => undefined,
  );
  r.time(`Fourier heat map (menu click → ${heat.state})`, (Date.now() - t1) / 1000);
  r.check('the Fourier heat map completes', heat.state === 'complete', heat.state);
  await sleep(1_000);
  const map = await heat.frame.evaluate(() => ({
    params: document.querySelector('[data-testid="fourier-params"]')?.textContent?.replace(/\s+/g, ' ').trim() ?? '',
    canvases: [...document.querySelectorAll('canvas')].filter((c) => c.width > 0 && c.height > 0).length,
  }));
  r.log('Fourier heat map panel', JSON.stringify(map));
  const mapView = page.locator('iframe.webview.ready').last();
  if (await mapView.isVisible()) await mapView.screenshot({ path: art.path('27-fourier-heatmap-panel.png') });
  r.check('the heat map is drawn, its ε and clean error stated', map.canvases >= 1 && /ε/.test(map.params), JSON.stringify(map));
}

/**
 * Issue #16 items 3 and 4 from the menus: a folder of training checkpoints (the test fixtures' four, with a
 * configuration of their own) → Analyse Training Checkpoints → line charts over the checkpoints; the model's
 * Feature Inversion, alone → the |DCT| map and its band shares.
 */
async function trainingAndInversion(r: Results, s: Session, art: Artifacts): Promise<void> {
  const wb = s.workbench!;
  const page = s.page!;
  const ws = s.scratch!.workspace;
  const fixtures = join(REPO_ROOT, 'test', 'fixtures', 'checkpoints');
  mkdirSync(join(ws, 'ckpts'), { recursive: true });
  for (const f of readdirSync(join(fixtures, 'models'))) cpSync(join(fixtures, 'models', f), join(ws, 'ckpts', f));
  cpSync(join(fixtures, 'images'), join(ws, 'ckpt-images'), { recursive: true });
  const config = { images: '../ckpt-images', seed: 0, input: { name: 'input', layout: 'NCHW', channels: 'gray', pixelScale: 1 } };
  writeFileSync(join(ws, 'ckpts', 'ckpt-1.robustness.json'), JSON.stringify(config, null, 2));
  await wb.closeAllEditors();
  await wb.runContextEntry(wb.treeItem('ckpts'), CHECKPOINTS_MENU, CONTRIBUTIONS_TIMEOUT_MS);
  const t0 = Date.now();
  const run = await waitForFinalState(
    () => wb.waitForPanel(60_000),
    ANALYSE_TIMEOUT_MS,
    () => undefined,
  );
  r.time(`checkpoints (menu click → ${run.state})`, (Date.now() - t0) / 1000);
  r.check('the checkpoints run completes', run.state === 'complete', run.state);
  await sleep(1_000);
  const panel = await run.frame.evaluate(() => ({
    params: document.querySelector('[data-testid="checkpoints-params"]')?.textContent?.replace(/\s+/g, ' ').trim() ?? '',
    charts: [...document.querySelectorAll('#panel-checkpoints svg')].filter((svg) => svg.querySelector('path')).length,
    failed: document.querySelector('[data-testid="checkpoints-failed"]')?.textContent ?? '',
  }));
  r.log('checkpoints panel', JSON.stringify(panel));
  const view = page.locator('iframe.webview.ready').last();
  if (await view.isVisible()) await view.screenshot({ path: art.path('28-checkpoints-panel.png') });
  r.check('line charts over the checkpoints are drawn', panel.charts >= 2, JSON.stringify(panel));
  r.check('no checkpoint failed', panel.failed === '', panel.failed);
  // Both panels in Dark Modern too (readability measured as in the themes step); the initial theme comes back
  // after the inversion panel's dark screenshot.
  const initial = await bodyTheme(run.frame);
  const initialKind = themeKindOf(initial.classes);
  const dark = THEMES.find((t) => t.kind === 'vscode-dark')!;
  const inDark = async (frame: Frame, label: string, shot: string) => {
    const body = await bodyTheme(frame);
    r.check(`${label}: the panel's body shows ${dark.kind}`, kindMatches(body.classes, dark.kind), body.classes.join(' '));
    const v = page.locator('iframe.webview.ready').last();
    if (await v.isVisible()) await v.screenshot({ path: art.path(shot) });
    checkReadability(r, `${label} (${dark.name})`, await measureReadability(frame), false);
  };
  await switchTheme(wb, run.frame, dark.label, dark.kind);
  await inDark(run.frame, 'checkpoints panel', '28-checkpoints-panel-dark.png');

  await wb.closeAllEditors();
  await wb.runContextEntry(wb.treeItem(s.layout!.modelName), MENU.featureInversion, CONTRIBUTIONS_TIMEOUT_MS);
  const quick = new QuickInput(page);
  const pick = await quick.waitFor(/^Feature inversion of /, 15_000);
  r.check(
    'the inversion pick offers the model alone or a comparison',
    pick.rows.some((row) => row.label === 'This model alone') && pick.rows.some((row) => row.label.startsWith('Compare')),
    pick.rows.map((row) => row.label).join(' | '),
  );
  await quick.pick('This model alone');
  const t1 = Date.now();
  const inv = await waitForFinalState(
    () => wb.waitForPanel(60_000),
    ANALYSE_TIMEOUT_MS,
    () => undefined,
  );
  r.time(`feature inversion (pick → ${inv.state})`, (Date.now() - t1) / 1000);
  r.check('the feature inversion completes', inv.state === 'complete', inv.state);
  await sleep(1_000);
  const shares = await inv.frame.evaluate(() => ({
    rows: document.querySelectorAll('[data-testid="inversion-shares"] tbody tr').length,
    params: document.querySelector('[data-testid="inversion-params"]')?.textContent?.replace(/\s+/g, ' ').trim() ?? '',
  }));
  r.log('inversion panel', JSON.stringify(shares));
  r.check('the band shares table is shown', shares.rows >= 1, JSON.stringify(shares));
  await inDark(inv.frame, 'inversion panel', '29-inversion-panel-dark.png');
  if (initialKind && initial.themeName) await switchTheme(wb, inv.frame, initial.themeName, initialKind);
  else r.log('initial theme unknown: not restored');
  const invView = page.locator('iframe.webview.ready').last();
  if (await invView.isVisible()) await invView.screenshot({ path: art.path('29-inversion-panel.png') });
}

/** The theme kind a webview body's classes name, if any. */
function themeKindOf(classes: string[]): ThemeKind | undefined {
  return (['vscode-high-contrast-light', 'vscode-high-contrast', 'vscode-dark', 'vscode-light'] as ThemeKind[]).find((k) =>
    kindMatches(classes, k),
  );
}

/** The frame of the model view (the .onnx file's custom editor) once it has left its "reading the model…" state. */
async function waitForModelView(page: Page, timeoutMs: number): Promise<Frame> {
  const deadline = Date.now() + timeoutMs;
  let seen = 'no model view';
  while (Date.now() < deadline) {
    for (const frame of page.frames().slice().reverse()) {
      if (frame === page.mainFrame()) continue;
      const state = await frame
        .locator('#model-view')
        .getAttribute('data-state', { timeout: 500 })
        .catch(() => null);
      if (state === null) continue;
      seen = `model view in state ${state}`;
      if (state !== 'loading') return frame;
    }
    await sleep(500);
  }
  throw new Error(`the model view did not finish reading the model within ${timeoutMs / 1000} s (${seen})`);
}

/** A plain click on model.onnx opens the model view (not the binary-file warning): signature, diagnostics, recent runs, buttons. */
async function modelView(r: Results, s: Session, art: Artifacts): Promise<void> {
  const wb = s.workbench!;
  const entry = sharedManifest().find((m) => m.name === 'mnist-cnn')!;
  await wb.closeAllEditors();
  const t0 = Date.now();
  await wb.treeItem(s.layout!.modelName).click();
  const frame = await waitForModelView(s.page!, 60_000);
  r.time('model view (click → model described)', (Date.now() - t0) / 1000);
  r.log('screenshot', await art.screenshot(s.page!, '09-model-view'));
  const view = frame.locator('#model-view');
  r.check('the model view describes the model', (await view.getAttribute('data-state')) === 'ready', await view.innerText());
  const io = await frame.locator('section[aria-labelledby="io"] table').innerText();
  const shape = `[${entry.input_shape.join(', ')}]`;
  r.check(`the model view shows input ${entry.input_name} ${shape}`, io.includes(entry.input_name) && io.includes(shape), io);
  r.check('the model view has a Diagnostics heading', (await frame.locator('h2#diagnostics').innerText()).trim() === 'Diagnostics');
  for (const label of [MENU.analyse, MENU.quickCheck]) {
    r.check(`the model view has a "${label}" button`, (await frame.getByRole('button', { name: label, exact: true }).count()) === 1);
  }
  // The analysis and the quick check of the earlier steps, newest first; a click opens the run's panel.
  const runs = frame.locator('ul.runs button[data-action="open-run"]');
  r.check(
    'the model view lists the recent runs',
    (await runs.count()) >= 2,
    await frame.locator('section[aria-labelledby="runs"]').innerText(),
  );
  const runId = await runs.first().getAttribute('data-run-id');
  await runs.first().click();
  // Every editor was closed above: a run panel now is the one the click opened.
  const opened = await waitForPanelWhere(
    s.page!,
    `opened from the model view (run ${runId ?? '?'})`,
    async (f) => ['complete', 'partial'].includes((await readState(f)) ?? ''),
    30_000,
  );
  const summary = await opened.locator('[data-testid="summary"]').innerText();
  r.check(
    `the model view's recent run ${runId ?? '?'} opens its panel (of ${s.layout!.modelName})`,
    summary.includes(s.layout!.modelName),
    summary,
  );
  r.log('screenshot', await art.screenshot(s.page!, '09-model-view-run-opened'));
}

/** Issue #17 item 4: "Robustness Lens: Get Started" opens the four-step walkthrough; each step shows its action and picture. */
async function walkthrough(r: Results, s: Session, art: Artifacts): Promise<void> {
  const wb = s.workbench!;
  const page = s.page!;
  await wb.closeAllEditors();
  await wb.runCommand('Robustness Lens: Get Started');
  const title = page.getByText('Get started with Robustness Lens').first();
  await title.waitFor({ timeout: 30_000 });
  const steps = ['Open a model', 'Choose images, class order and preprocessing', 'Run Analyse Robustness', 'Read the panels'];
  for (const step of steps) r.check(`the walkthrough lists the step "${step}"`, (await page.getByText(step, { exact: true }).count()) > 0);
  // The first step is expanded: its action button and its theme-coloured picture are shown.
  const action = page.getByRole('button', { name: 'Open a Model' });
  await action
    .first()
    .waitFor({ timeout: 10_000 })
    .catch(() => undefined);
  r.check('the first step offers its one action, "Open a Model"', (await action.count()) > 0);
  await sleep(1_000);
  r.log('screenshot', await art.screenshot(page, '16-walkthrough'));
  await page.getByText('Read the panels', { exact: true }).first().click();
  await sleep(1_000);
  r.check('the last step offers "Show Robustness Runs"', (await page.getByRole('button', { name: 'Show Robustness Runs' }).count()) > 0);
  r.log('screenshot', await art.screenshot(page, '16-walkthrough-read-panels'));
}

function runsFolder(r: Results, s: Session, art: Artifacts): void {
  const runs = join(s.scratch!.workspace, '.robustness/runs');
  const names = existsSync(runs) ? readdirSync(runs).sort() : [];
  r.check('.robustness/runs holds at least one run', names.length > 0, runs);
  for (const name of names) {
    const dir = join(runs, name);
    r.check(`run folder ${name} is named <yyyymmdd-hhmmss>-model`, RUN_FOLDER.test(name));
    const reportFile = join(dir, 'report.json');
    if (!r.check(`${name}/report.json exists`, existsSync(reportFile))) continue;
    art.copy(reportFile, `runs/${name}/report.json`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(reportFile, 'utf8'));
    } catch (e) {
      r.check(`${name}/report.json is JSON`, false, (e as Error).message);
      continue;
    }
    const envelope = checkReportEnvelope(parsed);
    r.check(`${name}/report.json is a Robustness Lens report v1`, envelope.ok, envelope.ok ? '' : envelope.reason);
    if (envelope.ok) {
      const kinds = Object.values(envelope.report.sections).map((x) => (x as { kind?: string }).kind);
      r.log(`${name}: status ${envelope.report.status}, command ${envelope.report.command}, sections ${kinds.join(', ')}`);
    }
    const metricsFile = join(dir, 'host-metrics.json');
    if (!r.check(`${name}/host-metrics.json exists`, existsSync(metricsFile))) continue;
    art.copy(metricsFile, `runs/${name}/host-metrics.json`);
    const m = JSON.parse(readFileSync(metricsFile, 'utf8')) as Record<string, unknown>;
    // printed, not asserted: timings depend on the machine
    r.log(
      `${name}: activationMs ${String(m.activationMs)}, eventLoopDelayMaxMs ${String(m.eventLoopDelayMaxMs)}, eventLoopDelayP99Ms ${String(m.eventLoopDelayP99Ms)}, engineExit ${String(m.engineExit)}`,
    );
    for (const key of ['activationMs', 'eventLoopDelayMaxMs', 'eventLoopDelayP99Ms'] as const) {
      if (typeof m[key] === 'number') r.metric(`${name} ${key}`, m[key]);
    }
  }
}

/** Saves logs, closes chromium, stops code-server and ends what the extension left running. */
async function cleanUp(r: Results, s: Session, art: Artifacts): Promise<void> {
  if (s.browser) await closeChromium(s.browser);
  if (s.server) {
    art.write('code-server.log', s.server.output());
    await s.server.stop();
  }
  if (s.consoleLines.length) art.write('browser-console.log', s.consoleLines.join('\n'));
  if (s.scratch) {
    art.copy(join(s.scratch.userData, 'logs'), 'vscode-logs');
    await sleep(500);
    const left = processesMentioning(s.scratch.base);
    for (const p of left) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // exited meanwhile
      }
    }
    r.check(
      'no process of the run outlived code-server',
      left.length === 0,
      left.map((p) => `${p.pid}: ${p.cmdline.slice(0, 160)}`).join('; '),
    );
  }
}

async function main(): Promise<number> {
  if (SKIP_NO_SHARED) {
    console.log(`skip - ${SKIP_NO_SHARED}`);
    return 0;
  }
  const art = new Artifacts(env.E2E_ARTIFACTS ?? join(REPO_ROOT, '.e2e/artifacts'));
  const r = new Results(
    env.E2E_ONLY
      ? env.E2E_ONLY.split(',')
          .map((x) => x.trim())
          .filter((x) => x)
      : null,
  );
  const s: Session = { consoleLines: [] };
  const t0 = Date.now();
  r.onFailure = async (step) => {
    if (!s.page || s.page.isClosed()) return;
    r.log('failure screenshot', await art.screenshot(s.page, `failure-${slug(step)}`));
    for (const m of (await s.workbench?.visibleMessages()) ?? []) r.log(`on screen: ${m}`);
  };
  const interrupted = () => {
    r.log('interrupted: cleaning up');
    void cleanUp(r, s, art).finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);

  try {
    if (!existsSync(CODE_SERVER)) throw new Error(`${CODE_SERVER} not found: run scripts/e2e/install-code-server.sh first`);
    if (!existsSync(CHROMIUM))
      throw new Error(`${CHROMIUM} not found: run scripts/e2e/install-code-server.sh first (it installs chromium)`);
    const vsix = (await r.step('package', () => packageVsix(r, art), { critical: true }))!;
    const installed = (await r.step(
      'install',
      async () => {
        s.scratch = makeScratch(env.E2E_TMP ?? defaultScratchRoot(), REPO_ROOT);
        r.log(`scratch folder ${s.scratch.base}`);
        const t = Date.now();
        const folder = installExtension(CODE_SERVER, s.scratch, vsix, extensionId());
        r.time('code-server --install-extension', (Date.now() - t) / 1000);
        return folder;
      },
      { critical: true },
    ))!;
    await r.step('vsix contents', async () => {
      const mb = statSync(vsix).size / 1024 / 1024;
      r.log(`.vsix: ${vsix}, ${mb.toFixed(1)} MB`);
      r.check('.vsix ≤ 20 MB', mb * 1024 * 1024 <= MAX_VSIX_BYTES, `${mb.toFixed(1)} MB`);
      checkInstalledFolder(r, installed);
    });
    await r.step(
      'workspace',
      async () => {
        const entry = sharedManifest().find((m) => m.name === 'mnist-cnn');
        if (!entry || !entry.dataset) throw new Error('models.json has no mnist-cnn entry with a dataset');
        s.layout = makeWorkspace(s.scratch!.workspace, {
          model: entry,
          modelFile: sharedPath('models', entry.file),
          datasetDir: sharedPath(entry.dataset),
          perClass: 4,
        });
        writeUserSettings(s.scratch!.userData);
        r.check(
          'workspace holds 40 images in 10 class folders',
          s.layout.imageCount === 40 && s.layout.classes.length === 10,
          `${s.layout.imageCount} in ${s.layout.classes.length}`,
        );
      },
      { critical: true },
    );
    await r.step('start', () => startWorkbench(r, s, art), { critical: true });
    await r.step('context menus', () => contextMenus(r, s, art));
    await r.step('analyse', () => analyse(r, s, art));
    await r.step('themes', () => themes(r, s, art));
    await r.step('quick check', () => quickCheck(r, s, art));
    await r.step('runs folder', async () => runsFolder(r, s, art));
    await r.step('model view', () => modelView(r, s, art));
    await r.step('walkthrough', () => walkthrough(r, s, art));
    await r.step('certify and share', () => certifyAndShare(r, s, art));
    await r.step('training and inversion', () => trainingAndInversion(r, s, art));
    // The later scenarios share the first one's code-server, browser and window.
    const later: FlowsContext = {
      codeServerBin: CODE_SERVER,
      scratch: s.scratch!,
      server: s.server!,
      browser: s.browser!,
      page: s.page!,
      workbench: s.workbench!,
      art,
      analyseTimeoutMs: ANALYSE_TIMEOUT_MS,
      quickTimeoutMs: QUICK_TIMEOUT_MS,
    };
    if (env.E2E_FLOWS !== '0') await new Flows(r, later).run();
    if (env.E2E_STRANGER !== '0') await new StrangerFlow(r, later).run();
  } catch (e) {
    if (!(e instanceof ScenarioAborted)) r.harnessError((e as Error).message);
    r.skip(STEPS);
  } finally {
    await r.step('cleanup', () => cleanUp(r, s, art), { always: true });
  }
  r.time('scenario total', (Date.now() - t0) / 1000);
  const passed = r.passed;
  if (s.scratch && passed && env.E2E_KEEP !== '1') rmSync(s.scratch.base, { recursive: true, force: true });
  else if (s.scratch) r.log(`scratch folder kept: ${s.scratch.base}`);
  art.write('e2e.log', r.transcript());
  art.write('summary.json', JSON.stringify({ passed, steps: r.steps, checks: r.checks, timings: r.timings, metrics: r.metrics }, null, 2));
  // the summary last: a CI log that keeps only its tail still shows what failed
  console.log(`artefacts:\n  ${art.list().join('\n  ')}`);
  console.log(r.summary());
  return passed ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
