// The registry's promise (providers/index.ts): nothing in src/ names a cloud. Cloud facts live in
// providers/<name>/cloud.ts and reach the spec pipeline, the bootstrap renderer and the CLI through the registry, so
// adding a cloud is one folder and one line there. This reads every module of src/ with TypeScript's parser and fails
// on any string literal, template text or property name that is a registered cloud's name (comments and prose in
// messages are not code and are left alone). The names come from the registry itself, so a new cloud is covered too.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { CLOUD_NAMES } from '../../providers/index.js';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * What may still name a cloud inside src/, as `file: literal`. Registry wiring: none. The one exception is the public
 * NDJSON event catalogue (CONTRACT.md): bare metal's step and SSH events carry the provider's namespace in their
 * fixed codes, which cannot be renamed without breaking consumers.
 */
const ALLOWED = new Set(['metal.step', 'metal.script.log', 'metal.ssh.retry', 'metal.host.forgotten'].map((code) => `src/core/events.ts: ${code}`));

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** `file:line: text` for every place in the source that names one of `names` in code. */
export function cloudNamesIn(file: string, text: string, names: readonly string[]): string[] {
  const found: string[] = [];
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const named = (value: string) => names.includes(value);
  const report = (node: ts.Node, value: string) => {
    const line = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
    const text = ts.isStringLiteralLike(node) ? node.text : node.getText(source);
    if (!ALLOWED.has(`${file}: ${text}`)) found.push(`${file}:${line}: ${JSON.stringify(value)} in ${node.getText(source).slice(0, 80)}`);
  };
  const isModuleName = (node: ts.Node) =>
    (ts.isImportDeclaration(node.parent) || ts.isExportDeclaration(node.parent) || ts.isExternalModuleReference(node.parent)) ||
    (ts.isCallExpression(node.parent) && node.parent.expression.kind === ts.SyntaxKind.ImportKeyword) ||
    ts.isLiteralTypeNode(node.parent) && ts.isImportTypeNode(node.parent.parent);
  const visit = (node: ts.Node) => {
    // Module paths are structure, not cloud facts: the import rules below judge them.
    if (ts.isStringLiteral(node) && isModuleName(node)) return;
    if ((ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) && named(node.text)) report(node, node.text);
    // Template pieces: `store-aws.sh` or `${x}-gce` name a cloud as much as 'aws' does.
    if (ts.isNoSubstitutionTemplateLiteral(node) || ts.isTemplateHead(node) || ts.isTemplateMiddle(node) || ts.isTemplateTail(node) || ts.isStringLiteral(node)) {
      const word = node.text.split(/[^A-Za-z0-9]+/).find((w) => named(w) && w !== node.text);
      if (word && /^[a-z0-9./_-]*$/.test(node.text)) report(node, word);
    }
    // Keys ({ aws: … }, x.gce, case labels are string literals above).
    if ((ts.isPropertyAssignment(node) || ts.isPropertySignature(node) || ts.isPropertyAccessExpression(node)) && ts.isIdentifier(node.name) && named(node.name.text)) {
      report(node, node.name.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

test('src/ names no cloud outside the registry wiring', () => {
  assert.deepEqual([...CLOUD_NAMES].sort(), ['aws', 'gce', 'metal'], 'the names come from providers/index.ts');
  const files = sources(join(REPO, 'src'));
  assert.ok(files.length > 100, `read ${files.length} modules`);
  const found = files.flatMap((f) => cloudNamesIn(relative(REPO, f), readFileSync(f, 'utf8'), CLOUD_NAMES));
  assert.deepEqual(found, []);
});

test('the reader finds every way code names a cloud (and leaves comments and prose alone)', () => {
  const code = [
    "// a comment about aws is fine",
    "const a = 'aws';",
    'const b = x === "gce";',
    'const c = `store-metal.sh`;',
    "const d = { aws: 't3.medium' };",
    'const e = facts.gce;',
    "switch (cloud) { case 'metal': break; }",
    "const f = 'bare-metal clusters publish no DNS records';",
    "const g = `${name} nodes on AWS`;",
    "import { x } from '../../providers/aws/errors.js';",
    "const h = 'metal';",
  ].join('\n');
  const found = cloudNamesIn('x.ts', code, CLOUD_NAMES).map((l) => l.split(':')[1]);
  assert.deepEqual(found, ['2', '3', '4', '5', '6', '7', '11']);
});

