// Issue 12: no `any` in providers/. Every .ts file under providers/ is parsed with the TypeScript compiler and
// walked for the `any` keyword in a type position (annotations, `as any`, `Record<string, any>`, `any[]` …); the
// word in comments and strings does not count, because the parser never sees it as a keyword there.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
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

/** `file:line:col` of every `any` keyword in the source text. */
export function anyUses(fileName: string, text: string): string[] {
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const out: string[] = [];
  const visit = (node: ts.Node): void => {
    if (node.kind === ts.SyntaxKind.AnyKeyword) {
      const { line, character } = sf.getLineAndCharacterOfPosition(node.getStart(sf));
      out.push(`${fileName}:${line + 1}:${character + 1}: ${node.parent.getText(sf)}`);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

test('the detector finds `any` in type positions and ignores the word elsewhere', () => {
  const text = [
    '// any comment mentioning any',
    "const s = 'any';",
    'let a: any;',
    'const b = 1 as any;',
    'type O = Record<string, any>;',
    'function f(x: any[]): Promise<any> { return x as never; }',
  ].join('\n');
  assert.equal(anyUses('x.ts', text).length, 5);
  assert.deepEqual(anyUses('y.ts', 'const x: unknown = 1; // any\n'), []);
});

test('no .ts file under providers/ uses `any` as a type', () => {
  const files = sources(join(REPO, 'providers'));
  assert.ok(files.length > 10, 'providers/ sources found');
  const uses = files.flatMap((file) => anyUses(relative(REPO, file), readFileSync(file, 'utf8')));
  assert.deepEqual(uses, [], `replace these with real types or unknown + narrowing:\n${uses.join('\n')}`);
});
