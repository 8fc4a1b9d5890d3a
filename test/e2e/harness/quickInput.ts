/**
 * VS Code's quick input (quick picks, input boxes, and in code-server the "simple" file dialogs, which are
 * a quick input holding a path): waiting for a particular one, reading its rows, choosing a row, typing.
 */
import type { Locator, Page } from 'playwright-core';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface QuickInputView {
  title: string;
  placeholder: string;
  value: string;
  /** Each row's label, description and whole visible text (label, description and detail line). */
  rows: { label: string; description: string; text: string }[];
}

export class QuickInput {
  constructor(private readonly page: Page) {}

  private get widget(): Locator {
    return this.page.locator('.quick-input-widget');
  }

  private get input(): Locator {
    return this.widget.locator('.quick-input-box input');
  }

  async read(): Promise<QuickInputView | null> {
    if (!(await this.widget.isVisible().catch(() => false))) return null;
    const rows = this.widget.locator('.quick-input-list .monaco-list-row');
    return {
      title: (
        (await this.widget
          .locator('.quick-input-title')
          .textContent()
          .catch(() => '')) ?? ''
      ).trim(),
      placeholder: (await this.input.getAttribute('placeholder').catch(() => '')) ?? '',
      value: await this.input.inputValue().catch(() => ''),
      rows: await rows.evaluateAll((els) =>
        els.map((el) => ({
          label: (el.querySelector('.label-name')?.textContent ?? '').trim(),
          description: (el.querySelector('.label-description')?.textContent ?? '').trim(),
          // innerText: recycled rows keep a hidden detail line from an earlier pick in their textContent
          text: (el as HTMLElement).innerText.replace(/\s+/g, ' ').trim(),
        })),
      ),
    };
  }

  /**
   * Waits until a quick input is open whose title or placeholder matches `what` (or which `what` accepts)
   * and which has rows (or, with `rows: false`, is just open); throws naming what was on screen instead.
   */
  async waitFor(
    what: RegExp | ((view: QuickInputView) => boolean),
    timeoutMs: number,
    options: { rows?: boolean } = {},
  ): Promise<QuickInputView> {
    const deadline = Date.now() + timeoutMs;
    const matches = (v: QuickInputView) => (typeof what === 'function' ? what(v) : what.test(v.title) || what.test(v.placeholder));
    let last: QuickInputView | null = null;
    while (Date.now() < deadline) {
      last = await this.read();
      if (last && matches(last) && (options.rows === false || last.rows.length > 0)) return last;
      await sleep(250);
    }
    throw new Error(
      `no quick input matching ${String(what)} within ${timeoutMs / 1000} s; on screen: ${last ? JSON.stringify(last) : 'none'}`,
    );
  }

  /** Chooses the row whose label is exactly `label` (codicons are not part of the text). */
  async pick(label: string): Promise<void> {
    const row = this.widget.locator('.quick-input-list .monaco-list-row', {
      has: this.page.locator('.label-name', { hasText: new RegExp(`^\\s*${escape(label)}\\s*$`) }),
    });
    await row.first().click();
  }

  /** Replaces the input's text and accepts it (Enter). */
  async accept(value: string): Promise<void> {
    await this.input.fill(value);
    await sleep(300); // the simple file dialog validates the path asynchronously
    await this.input.press('Enter');
  }

  async waitClosed(timeoutMs: number): Promise<void> {
    await this.widget.waitFor({ state: 'hidden', timeout: timeoutMs });
  }
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
