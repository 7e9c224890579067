// Golden files: compare rendered output with a reviewed copy in test/golden/. Run with UPDATE_GOLDEN=1 to
// (re)write the copies, then review them in the diff like any other change.

import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Resolves a golden path: absolute as is, relative to the repository root otherwise (e.g. `test/golden/x/out.txt`). */
export function goldenPath(path: string): string {
  return isAbsolute(path) ? path : join(repoRoot, path);
}

/** Asserts `actual` equals the golden file at `path`; with UPDATE_GOLDEN=1 writes it instead. */
export async function expectGolden(path: string, actual: string): Promise<void> {
  const file = goldenPath(path);
  if (process.env.UPDATE_GOLDEN === '1') {
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, actual);
    return;
  }
  let expected: string;
  try {
    expected = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') assert.fail(`golden file ${path} is missing: run the test with UPDATE_GOLDEN=1 and review it`);
    throw err;
  }
  assert.equal(actual, expected, `output differs from golden file ${path} (UPDATE_GOLDEN=1 regenerates it)`);
}

/**
 * expectGolden for every file of a rendered set (name → content, names may contain `/`), under directory `dir`.
 * Golden files the render no longer produces fail the check (UPDATE_GOLDEN=1 removes them).
 */
export async function expectGoldenFiles(dir: string, files: Record<string, string>): Promise<void> {
  for (const name of Object.keys(files).sort()) await expectGolden(join(dir, name), files[name]);
  const root = goldenPath(dir);
  const existing = (await readdir(root, { recursive: true, withFileTypes: true }))
    .filter((e) => e.isFile())
    .map((e) => relative(root, join(e.parentPath ?? (e as unknown as { path: string }).path, e.name)).split(sep).join('/'));
  const stale = existing.filter((name) => !(name in files)).sort();
  if (process.env.UPDATE_GOLDEN === '1') {
    for (const name of stale) await rm(join(root, name));
    return;
  }
  assert.deepEqual(stale, [], `golden files in ${dir} that the render no longer produces (UPDATE_GOLDEN=1 removes them)`);
}
