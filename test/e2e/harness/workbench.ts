/**
 * Driving the VS Code workbench in the page: explorer tree, context menus, command palette, webview
 * panels and the status bar.
 *
 * The race that shapes this module: the workbench renders before the remote extension host has read the
 * installed extension, so its menu entries and palette commands appear some seconds later, and an open
 * menu or palette never refreshes. Every lookup of a contributed entry therefore closes and reopens until
 * the entry shows up or a deadline passes.
 */
import type { Frame, Locator, Page } from 'playwright-core';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface StatusBarEntry {
  text: string;
  ariaLabel: string;
  /** Rendered `$(shield)` codicon. */
  hasShieldIcon: boolean;
}

export class Workbench {
  constructor(readonly page: Page) {}

  async open(url: string, firstFile: string, timeoutMs: number): Promise<void> {
    await this.page.goto(url);
    await this.page.locator('.monaco-workbench').waitFor({ timeout: timeoutMs });
    await this.treeItem(firstFile).waitFor({ timeout: timeoutMs });
  }

  treeItem(name: string): Locator {
    return this.page.locator('.explorer-folders-view').getByRole('treeitem', { name, exact: true });
  }

  /** Expands the folders of `path` (relative to the workspace, '/'-separated) and returns the last item. */
  async reveal(path: string): Promise<Locator> {
    const parts = path.split('/');
    for (const folder of parts.slice(0, -1)) {
      const item = this.treeItem(folder);
      await item.waitFor();
      if ((await item.getAttribute('aria-expanded')) !== 'true') await item.click();
    }
    const leaf = this.treeItem(parts[parts.length - 1]);
    await leaf.scrollIntoViewIfNeeded();
    return leaf;
  }

  private get menu(): Locator {
    return this.page.locator('.context-view .monaco-menu');
  }

  /** Right-clicks `item` and returns the entry labels of its context menu, which stays open. */
  async openContextMenu(item: Locator): Promise<string[]> {
    await item.click({ button: 'right' });
    await this.menu.waitFor();
    const labels = await this.menu.locator('.action-menu-item .action-label').allTextContents();
    return labels.map((l) => l.trim()).filter((l) => l !== '');
  }

  async closeMenus(): Promise<void> {
    await this.page.keyboard.press('Escape');
    await this.menu.waitFor({ state: 'hidden', timeout: 5_000 }).catch(() => undefined);
  }

  /**
   * Reopens `item`'s context menu until it lists `label` (the extension's contributions arrive late);
   * leaves the menu open and returns its labels. Throws, naming what the menu held, after `timeoutMs`.
   */
  async waitForContextEntry(item: Locator, label: string, timeoutMs: number): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    let labels: string[] = [];
    for (;;) {
      labels = await this.openContextMenu(item);
      if (labels.includes(label)) return labels;
      await this.closeMenus();
      if (Date.now() > deadline) {
        throw new Error(`context menu never listed "${label}" within ${timeoutMs / 1000} s; it held: ${labels.join(' | ')}`);
      }
      await sleep(1_000);
    }
  }

  /**
   * Runs a context-menu entry by hovering it (which focuses it) and pressing Enter: a mouse click on a
   * freshly opened menu is sometimes swallowed, leaving the menu open and the command unrun.
   */
  async runContextEntry(item: Locator, label: string, timeoutMs: number): Promise<void> {
    await this.waitForContextEntry(item, label, timeoutMs);
    await this.menu.getByRole('menuitem', { name: label }).hover();
    await this.page.keyboard.press('Enter');
    await this.menu.waitFor({ state: 'hidden', timeout: 5_000 }).catch(() => {
      throw new Error(`the context menu stayed open after choosing "${label}": the command did not run`);
    });
  }

  /**
   * Labels of the active editor's title actions, re-read until they include every one of `entries` (the
   * title bar fills in some moments after the editor opens) or `timeoutMs` passes.
   */
  async waitForEditorTitleEntries(entries: string[], timeoutMs: number): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const labels = await this.editorTitleLabels();
      if (entries.every((e) => labels.some((l) => l.startsWith(e))) || Date.now() > deadline) return labels;
      await sleep(1_000);
    }
  }

  /**
   * Labels of the active editor's title actions: the buttons (group "navigation") and the entries of the
   * "More Actions..." overflow menu, which is opened and closed again.
   */
  async editorTitleLabels(): Promise<string[]> {
    const bar = this.page.locator('.editor-group-container.active .editor-actions');
    await bar.waitFor();
    const buttons = bar.locator('.action-label');
    const labels = (await buttons.evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? e.textContent ?? ''))).map((l) =>
      l.trim(),
    );
    const more = bar.locator('.action-label[aria-label^="More Actions"]');
    if ((await more.count()) > 0) {
      await more.first().click();
      await this.menu.waitFor();
      labels.push(...(await this.menu.locator('.action-menu-item .action-label').allTextContents()).map((l) => l.trim()));
      await this.closeMenus();
    }
    return labels.filter((l) => l !== '');
  }

  /** Palette rows matching `query` (typed after '>'); leaves the palette open. */
  async paletteRows(query: string): Promise<string[]> {
    const input = this.page.locator('.quick-input-widget input');
    if (!(await input.isVisible())) await this.page.keyboard.press('F1');
    await input.waitFor();
    await input.fill(`>${query}`);
    // the list filters asynchronously: give it a moment before reading
    await sleep(300);
    const labels = await this.page.locator('.quick-input-list .monaco-list-row .label-name').allTextContents();
    return labels.map((l) => l.trim());
  }

  /**
   * Reopens the palette until every one of `titles` is listed for `query` (an open palette does not
   * refresh when commands register late), then closes it. Returns the rows of the last attempt.
   */
  async waitForPaletteTitles(query: string, titles: string[], timeoutMs: number): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const rows = await this.paletteRows(query);
      await this.page.keyboard.press('Escape');
      if (titles.every((t) => rows.includes(t)) || Date.now() > deadline) return rows;
      await sleep(1_000);
    }
  }

  /**
   * Runs a palette command by its full title, reopening the palette until the command is listed (it
   * registers late) or `timeoutMs` passes.
   */
  async runCommand(title: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const rows = await this.paletteRows(title);
      if (rows.includes(title)) break;
      await this.page.keyboard.press('Escape');
      if (Date.now() > deadline)
        throw new Error(`the palette never listed "${title}" within ${timeoutMs / 1000} s; it held: ${rows.join(' | ')}`);
      await sleep(1_000);
    }
    // The whole label: "View: Close Editor" must not pick "View: Close Editor Group".
    const exact = new RegExp(`^\\s*${title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`);
    const row = this.page.locator('.quick-input-list .monaco-list-row', { has: this.page.locator('.label-name', { hasText: exact }) });
    await row.first().click();
  }

  /** Closes every editor and panel, so that the next webview found is the next run's. */
  async closeAllEditors(): Promise<void> {
    await this.runCommand('View: Close All Editors');
    await this.page
      .locator('.quick-input-widget')
      .waitFor({ state: 'hidden', timeout: 5_000 })
      .catch(() => undefined);
    await sleep(500);
  }

  /** Waits for a notification toast whose message matches `text`; returns its message and button labels. */
  async waitForNotification(text: RegExp, timeoutMs: number): Promise<{ message: string; buttons: string[] }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (const toast of await this.page.locator('.notification-toast').all()) {
        const message = (
          (await toast
            .locator('.notification-list-item-message')
            .innerText()
            .catch(() => '')) ?? ''
        ).trim();
        if (!text.test(message)) continue;
        const buttons = (
          await toast
            .locator('.notification-list-item-buttons-container .monaco-button')
            .allInnerTexts()
            .catch(() => [])
        ).map((b) => b.trim());
        return { message, buttons };
      }
      if (Date.now() > deadline)
        throw new Error(
          `no notification matching ${text} within ${timeoutMs / 1000} s; on screen: ${(await this.visibleMessages()).join(' / ') || 'nothing'}`,
        );
      await sleep(500);
    }
  }

  /**
   * The webview frame that holds `#app` (a panel is two nested iframes: VS Code's host frame and the
   * inner "active-frame" with the extension's HTML). Polls: the panel appears when the command runs.
   */
  async waitForPanel(timeoutMs: number): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      for (const frame of this.page.frames().slice().reverse()) {
        if (frame === this.page.mainFrame()) continue;
        const found = await frame
          .locator('#app')
          .count()
          .catch(() => 0);
        if (found > 0) return frame;
      }
      await sleep(500);
    }
    throw new Error(
      `no webview with #app appeared within ${timeoutMs / 1000} s (frames: ${this.page
        .frames()
        .map((f) => f.url().slice(0, 80))
        .join(', ')})`,
    );
  }

  /** Texts of visible notification toasts and of an open quick pick: what the user would be looking at. */
  async visibleMessages(): Promise<string[]> {
    const toasts = await this.page
      .locator('.notification-toast .notification-list-item-message')
      .allInnerTexts()
      .catch(() => []);
    const quickInput = this.page.locator('.quick-input-widget');
    const pick = (await quickInput.isVisible().catch(() => false))
      ? [`quick pick: ${(await quickInput.innerText().catch(() => '')).replace(/\s+/g, ' ').slice(0, 300)}`]
      : [];
    return [...toasts.map((t) => `notification: ${t.trim()}`), ...pick];
  }

  /** The status bar entries whose accessibility label starts with `ariaPrefix`. */
  async statusBarEntries(ariaPrefix: string): Promise<StatusBarEntry[]> {
    const items = this.page.locator('.statusbar-item-label');
    const entries: StatusBarEntry[] = [];
    for (const item of await items.all()) {
      const ariaLabel = (await item.getAttribute('aria-label').catch(() => null)) ?? '';
      if (!ariaLabel.startsWith(ariaPrefix)) continue;
      entries.push({
        ariaLabel,
        text: ((await item.textContent().catch(() => null)) ?? '').trim(),
        hasShieldIcon:
          (await item
            .locator('.codicon-shield')
            .count()
            .catch(() => 0)) > 0,
      });
    }
    return entries;
  }
}
