// Which layer may import which, beyond "no circles" (import-graph.test.ts): src/ reaches a provider only through the
// registry, and a provider's model/ stays pure (no clients or SDKs), so model builders are golden-testable functions of
// the spec. The model builds nodes with each kind's constructor, which lives with its handler in resources/<kind>.ts
// (one file per kind, docs/contributing.md); handlers load their SDK lazily, so that import runs no cloud code. Imports are read with TypeScript's own pre-processor, lazy import() included.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** Every import of `file`: relative ones resolved to a repo path, packages as they are named. */
function importsOf(file: string): string[] {
  return ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles.map((i) =>
    i.fileName.startsWith('.') ? relative(REPO, resolve(dirname(file), i.fileName.replace(/\.js$/, '.ts'))) : i.fileName,
  );
}

test('src/ reaches a provider only through the registry (providers/index.ts, providers/facts.ts)', () => {
  const leaks = sources(join(REPO, 'src')).flatMap((file) =>
    importsOf(file)
      .filter((target) => target.startsWith('providers/') && target !== 'providers/index.ts' && target !== 'providers/facts.ts')
      .map((target) => `${relative(REPO, file)} imports ${target}`),
  );
  assert.deepEqual(leaks, []);
});

test('the providers\' model builders import no clients or SDK', () => {
  const models = readdirSync(join(REPO, 'providers'))
    .map((p) => join(REPO, 'providers', p, 'model'))
    .filter((dir) => statSync(dirname(dir)).isDirectory() && readdirSync(dirname(dir)).includes('model'));
  assert.ok(models.length >= 2, `found ${models.length} model folders`);
  const impure = models.flatMap(sources).flatMap((file) =>
    importsOf(file)
      .filter((target) => /\/(clients|rolling-update)\.ts$/.test(target) || /^(@aws-sdk|@google-cloud|@smithy|ssh2)\b/.test(target))
      .map((target) => `${relative(REPO, file)} imports ${target}`),
  );
  assert.deepEqual(impure, []);
});
