/** Test artefacts of one e2e run (screenshots, logs, the run's reports) in one folder, listed at the end. */
import { cpSync, existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';

export class Artifacts {
  private readonly written: string[] = [];

  /** Empties `dir` first: artefacts of an earlier run would be mistaken for this run's. */
  constructor(readonly dir: string) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
  }

  path(name: string): string {
    const p = join(this.dir, name);
    this.written.push(p);
    return p;
  }

  write(name: string, text: string): string {
    const p = this.path(name);
    writeFileSync(p, text);
    return p;
  }

  async screenshot(page: Page, name: string): Promise<string> {
    const p = this.path(`${name}.png`);
    await page.screenshot({ path: p });
    return p;
  }

  /** Copies a file or folder (e.g. VS Code's logs) under `name`. */
  copy(from: string, name: string): void {
    if (!existsSync(from)) return;
    const to = join(this.dir, name);
    cpSync(from, to, { recursive: true });
    this.written.push(to);
  }

  list(): string[] {
    return [...new Set(this.written)].filter((p) => existsSync(p)).map((p) => (statSync(p).isDirectory() ? `${p}/` : p));
  }
}
