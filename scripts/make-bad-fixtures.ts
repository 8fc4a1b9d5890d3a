/**
 * Writes the bad-input corpus of issue #7 (test/fixtures/bad/) to a folder, to look at or to point the
 * extension at by hand. The tests generate the same files into a temp folder themselves, so nothing
 * generated is committed (the corpus holds a 10000×10000 PNG and 10,000 tiny images).
 *
 *   npx tsx scripts/make-bad-fixtures.ts [OUT_DIR]      (default: a new folder under the OS temp dir)
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { writeCorpus } from '../test/fixtures/bad/corpus';

const out = process.argv[2] ? resolve(process.argv[2]) : mkdtempSync(join(tmpdir(), 'rl-bad-corpus-'));
const written = writeCorpus(out);
for (const c of written) process.stdout.write(`${c.id.padEnd(24)} ${c.what}\n${' '.repeat(25)}${c.path}\n`);
process.stdout.write(`${written.length} cases in ${out}\n`);
