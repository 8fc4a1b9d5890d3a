/**
 * One scratch folder per run, outside the repository, holding the workspace, VS Code's user data and
 * extensions, and the HOME-like folders code-server and chromium would otherwise write into.
 *
 * Outside the repository because of the false-pass trap: an extension installed under /work/main would
 * resolve require('onnxruntime-node') by walking up into the repository's node_modules, so a .vsix that
 * lacks its runtime would still pass. Short because VS Code puts unix sockets in TMPDIR (≈107 chars max).
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve, isAbsolute } from 'node:path';

export interface Scratch {
  base: string;
  workspace: string;
  userData: string;
  extensions: string;
  /** Environment for code-server and chromium: config, data and temp files confined to `base`. */
  env: NodeJS.ProcessEnv;
}

/** Longest base path that leaves room for VS Code's `tmp/vscode-ipc-<uuid>.sock` under the socket limit. */
const MAX_BASE_LENGTH = 48;

export function isInside(child: string, parent: string): boolean {
  const rel = relative(resolve(parent), resolve(child));
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

export function makeScratch(root: string, repoRoot: string): Scratch {
  const parent = resolve(root);
  if (isInside(parent, repoRoot)) {
    throw new Error(
      `E2E_TMP=${parent} lies inside the repository ${repoRoot}: the installed extension would resolve the repository's node_modules (false pass); use a folder outside it`,
    );
  }
  mkdirSync(parent, { recursive: true });
  const base = mkdtempSync(join(parent, 'r-'));
  if (base.length > MAX_BASE_LENGTH) {
    throw new Error(
      `scratch folder ${base} is ${base.length} characters long (at most ${MAX_BASE_LENGTH}): VS Code's unix sockets under it would exceed the path limit; set E2E_TMP to a shorter folder`,
    );
  }
  const dirs = {
    workspace: join(base, 'ws'),
    userData: join(base, 'user'),
    extensions: join(base, 'ext'),
    tmp: join(base, 'tmp'),
    xdgConfig: join(base, 'xdg-config'),
    xdgData: join(base, 'xdg-data'),
  };
  for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true });
  return {
    base,
    workspace: dirs.workspace,
    userData: dirs.userData,
    extensions: dirs.extensions,
    env: {
      ...process.env,
      CODE_SERVER_CONFIG: join(base, 'code-server.yaml'),
      XDG_CONFIG_HOME: dirs.xdgConfig,
      XDG_DATA_HOME: dirs.xdgData,
      TMPDIR: dirs.tmp,
    },
  };
}

export function defaultScratchRoot(): string {
  return join(tmpdir(), 'rl-e2e');
}
