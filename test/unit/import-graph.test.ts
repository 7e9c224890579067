// No import circles among k8sup's own modules (src/, providers/): static, dynamic and type-only imports all count,
// because a circle of any kind means two modules that cannot be understood (or moved, or tested) one without the
// other. Imports are read with TypeScript's own pre-processor, so comments and strings are never mistaken for them.

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

function importGraph(): Map<string, string[]> {
  const files = [...sources(join(REPO, 'src')), ...sources(join(REPO, 'providers'))];
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const targets = importedFiles
      .map((i) => i.fileName)
      .filter((spec) => spec.startsWith('.'))
      .map((spec) => resolve(dirname(file), spec.replace(/\.js$/, '.ts')))
      .filter((target) => known.has(target));
    graph.set(file, targets);
  }
  return graph;
}

/** Every circle, each as the list of modules on it (depth-first search; a back edge closes a circle). */
function circles(graph: Map<string, string[]>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (file: string) => {
    state.set(file, 'open');
    path.push(file);
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === 'open') found.push([...path.slice(path.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    path.pop();
    state.set(file, 'done');
  };
  for (const file of graph.keys()) if (!state.has(file)) visit(file);
  return found;
}

test('the import graph of src/ and providers/ has no circles', () => {
  const graph = importGraph();
  assert.ok(graph.size > 100, `read ${graph.size} modules`);
  // The reader does see imports, including lazy ones: main.ts loads its commands with import().
  assert.ok(graph.get(join(REPO, 'src/cli/main.ts'))?.includes(join(REPO, 'src/cli/completion.ts')));
  const found = circles(graph).map((c) => c.map((f) => relative(REPO, f)).join(' → '));
  assert.deepEqual(found, []);
});

test('the state store implements the journal contract without depending on the engine', () => {
  const graph = importGraph();
  const state = [...graph].filter(([file]) => file.startsWith(join(REPO, 'src/state/')));
  for (const [file, targets] of state) assert.ok(!targets.includes(join(REPO, 'src/core/engine.ts')), `${relative(REPO, file)} imports core/engine.ts`);
});
