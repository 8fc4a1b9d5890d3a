/** Headless Debian chromium driven by playwright-core (no Playwright-downloaded browser: offline). */
import { chromium, type BrowserContext } from 'playwright-core';
import { join } from 'node:path';
import type { Scratch } from './scratch';

export const VIEWPORT = { width: 1600, height: 1000 };

/**
 * A persistent context because Playwright rejects `--user-data-dir` in `args`: the profile then lives in
 * the scratch folder, and XDG_CONFIG_HOME keeps crashpad out of ~/.config/chromium.
 */
export async function launchChromium(executablePath: string, scratch: Scratch): Promise<BrowserContext> {
  return chromium.launchPersistentContext(join(scratch.base, 'chromium'), {
    executablePath,
    headless: true,
    viewport: VIEWPORT,
    env: scratch.env as Record<string, string>,
    args: [
      '--no-sandbox', // root in CI
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Closes the browser, giving up after `timeoutMs` (Playwright's own exit hook then kills its process group). */
export async function closeChromium(context: BrowserContext, timeoutMs = 15_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([context.close().catch(() => undefined), new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
  clearTimeout(timer);
}
