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

// src/cli is flags, confirmations and rendering; what a command does with a cluster is src/lifecycle's (the flows:
// create-flow.ts, update-flow.ts, apply-flow.ts, delete-flow.ts, rolling-update-flow.ts, backup-flow.ts, certs-flow.ts,
// revision-flow.ts for edit/replace/rollback …). So a file
// of src/cli
//   - loads no provider: no `loadProvider` from the registry (cloud names and facts — allClouds, cloudFacts — are
//     fine: flags and help list them), and nothing of src/lifecycle/deploy.ts (loadProviderFor, connectProvider, the
//     graph, plan and destroy steps);
//   - runs no engine: no value from src/core's engine modules (types are fine: the CLI renders what they return);
//   - takes no lock and opens no store itself: no mutateCluster, no Lease or src/state/lease.ts, and src/state/open.ts
//     only from context.ts (ctx.openStore(), the one place that turns --state and the environment into a store) and
//     complete.ts (shell completion, which runs without a context).
// Reading through ClusterStore (get, history, lock status) is allowed: it is the store's read API, not a step.
const ENGINE = new Set(['engine', 'engine-deps', 'apply', 'destroy', 'discover', 'plan', 'schedule', 'scheduler', 'executor', 'retry-runner', 'journal-writer', 'group-wait', 'upgrade'].map((m) => `src/core/${m}.ts`));
/** Shell completion runs before any command context exists, so it opens the store itself to list cluster names. */
const STORE_OPENERS = new Set(['src/cli/context.ts', 'src/cli/complete.ts']);

/** Every import of `file` with the names it binds (`*` for a whole-module or dynamic import) and whether it is type-only. */
function namedImportsOf(file: string): { target: string; names: string[]; typeOnly: boolean }[] {
  const text = readFileSync(file, 'utf8');
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const resolveTarget = (spec: string) => (spec.startsWith('.') ? relative(REPO, resolve(dirname(file), spec.replace(/\.js$/, '.ts'))) : spec);
  const found: { target: string; names: string[]; typeOnly: boolean }[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const bindings = clause?.namedBindings;
      const named = bindings && ts.isNamedImports(bindings) ? bindings.elements : undefined;
      const values = named ? named.filter((e) => !e.isTypeOnly).map((e) => (e.propertyName ?? e.name).text) : [];
      const whole = !clause || clause.name !== undefined || (bindings !== undefined && ts.isNamespaceImport(bindings));
      found.push({ target: resolveTarget(node.moduleSpecifier.text), names: whole ? ['*', ...values] : values, typeOnly: Boolean(clause?.isTypeOnly) || (!whole && values.length === 0) });
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0] && ts.isStringLiteral(node.arguments[0])) {
      found.push({ target: resolveTarget(node.arguments[0].text), names: ['*'], typeOnly: false });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

test('src/cli parses flags and renders: it loads no provider, runs no engine, takes no lock and opens no store itself', () => {
  const cliFiles = sources(join(REPO, 'src', 'cli'));
  assert.ok(cliFiles.length > 20, `found ${cliFiles.length} files in src/cli`);
  const leaks: string[] = [];
  for (const path of cliFiles) {
    const file = relative(REPO, path);
    for (const { target, names, typeOnly } of namedImportsOf(path)) {
      const say = (why: string) => leaks.push(`${file} imports ${names.join(', ') || 'types'} from ${target}: ${why}`);
      if (target === 'providers/index.ts' && names.some((n) => n === '*' || n === 'loadProvider')) say('providers are loaded in src/lifecycle');
      else if (target === 'src/lifecycle/deploy.ts') say('loading and connecting providers, graph, plan and destroy are src/lifecycle\'s');
      else if (ENGINE.has(target) && !typeOnly) say('the engine runs under src/lifecycle');
      else if (target === 'src/lifecycle/spec-store.ts' && names.some((n) => n === '*' || n === 'mutateCluster')) say('the cluster\'s lock is taken by the flows in src/lifecycle');
      else if (target === 'src/state/lease.ts' || (target === 'src/state/cluster-store.ts' && names.includes('Lease'))) say('the cluster\'s lock is taken by the flows in src/lifecycle');
      else if (target === 'src/state/open.ts' && !STORE_OPENERS.has(file)) say('the store is opened by ctx.openStore() (context.ts)');
    }
  }
  assert.deepEqual(leaks, []);
});
