// A deliberately tiny template language for the files under templates/ (no template library):
//   {{name}}      the value, escaped by the caller's escape function (shell or YAML quoting)
//   {{{name}}}    the value as is: only for text k8sup itself produced (rendered files, validated tokens)
//   {{#if name}} … {{else}} … {{/if}}, {{#unless name}} … {{/unless}}   sections on a truthy / falsy value
//   {{#each name}} … {{/each}}   repeat for each list item; inside, {{.}} is the item and {{.field}} its field
// A tag alone on its line takes the whole line with it, so sections do not leave blank lines behind.
// Unknown names throw: a typo in a template is a bug, never an empty string in a node's script.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type TemplateValue = string | number | boolean | null | undefined | TemplateVars | TemplateValue[];
export interface TemplateVars {
  [name: string]: TemplateValue;
}
export type Escape = (value: string) => string;

type Node =
  | { kind: 'text'; text: string }
  | { kind: 'var'; name: string; raw: boolean }
  | { kind: 'section'; type: 'if' | 'unless' | 'each'; name: string; body: Node[]; otherwise: Node[] };

const TAG = /\{\{\{\s*([^}]+?)\s*\}\}\}|\{\{\s*([^}]+?)\s*\}\}/g;
const STANDALONE_TAG = /^[ \t]*(\{\{(?:#(?:if|unless|each)\s+[^}]+|else|\/(?:if|unless|each))\}\})[ \t]*\r?\n/gm;

export function renderTemplate(source: string, vars: TemplateVars, escape: Escape, templateName = 'template'): string {
  const nodes = parse(source.replace(STANDALONE_TAG, '$1'), templateName);
  return renderNodes(nodes, [vars], escape, templateName);
}

function parse(source: string, templateName: string): Node[] {
  const root: Node[] = [];
  const stack: { node: Extract<Node, { kind: 'section' }>; inElse: boolean }[] = [];
  const target = () => {
    const top = stack[stack.length - 1];
    return top ? (top.inElse ? top.node.otherwise : top.node.body) : root;
  };
  let last = 0;
  for (const m of source.matchAll(TAG)) {
    if (m.index > last) target().push({ kind: 'text', text: source.slice(last, m.index) });
    last = m.index + m[0].length;
    if (m[1] !== undefined) {
      target().push({ kind: 'var', name: m[1], raw: true });
      continue;
    }
    const tag = m[2];
    const open = /^#(if|unless|each)\s+(\S+)$/.exec(tag);
    if (open) {
      const node = { kind: 'section' as const, type: open[1] as 'if' | 'unless' | 'each', name: open[2], body: [], otherwise: [] };
      target().push(node);
      stack.push({ node, inElse: false });
    } else if (tag === 'else') {
      const top = stack[stack.length - 1];
      if (!top || top.node.type === 'each' || top.inElse) throw new Error(`${templateName}: misplaced {{else}}`);
      top.inElse = true;
    } else if (tag.startsWith('/')) {
      const top = stack.pop();
      if (!top || top.node.type !== tag.slice(1)) throw new Error(`${templateName}: unbalanced {{${tag}}}`);
    } else {
      target().push({ kind: 'var', name: tag, raw: false });
    }
  }
  if (stack.length > 0) throw new Error(`${templateName}: {{#${stack[0].node.type} ${stack[0].node.name}}} is never closed`);
  if (last < source.length) root.push({ kind: 'text', text: source.slice(last) });
  return root;
}

function lookup(name: string, scopes: TemplateValue[], templateName: string): TemplateValue {
  if (name === '.') return scopes[scopes.length - 1];
  if (name.startsWith('.')) {
    const item = scopes[scopes.length - 1];
    const field = name.slice(1);
    if (item && typeof item === 'object' && !Array.isArray(item) && field in item) return item[field];
    throw new Error(`${templateName}: the current item has no field ${field}`);
  }
  const vars = scopes[0] as TemplateVars;
  if (!(name in vars)) throw new Error(`${templateName}: no value for ${name}`);
  return vars[name];
}

function truthy(value: TemplateValue): boolean {
  return Array.isArray(value) ? value.length > 0 : Boolean(value);
}

function renderNodes(nodes: Node[], scopes: TemplateValue[], escape: Escape, templateName: string): string {
  let out = '';
  for (const node of nodes) {
    if (node.kind === 'text') {
      out += node.text;
    } else if (node.kind === 'var') {
      const value = lookup(node.name, scopes, templateName);
      if (value === null || value === undefined || typeof value === 'object') {
        throw new Error(`${templateName}: ${node.name} is not a printable value`);
      }
      out += node.raw ? String(value) : escape(String(value));
    } else {
      const value = lookup(node.name, scopes, templateName);
      if (node.type === 'each') {
        if (!Array.isArray(value)) throw new Error(`${templateName}: ${node.name} is not a list`);
        for (const item of value) out += renderNodes(node.body, [...scopes, item], escape, templateName);
      } else {
        const show = node.type === 'if' ? truthy(value) : !truthy(value);
        out += renderNodes(show ? node.body : node.otherwise, scopes, escape, templateName);
      }
    }
  }
  return out;
}

let templatesRoot: string | undefined;

/**
 * The templates/ folder of this package, found by walking up from this module: from a bundle in dist/ the build's own
 * copy (dist/templates, scripts/build.mjs), from src/bootstrap (tests, tsx) the checkout's templates/.
 */
export function templatesDir(): string {
  if (templatesRoot) return templatesRoot;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'templates');
    if (existsSync(join(candidate, 'bootstrap', 'header.sh'))) return (templatesRoot = candidate);
    dir = dirname(dir);
  }
  throw new Error('cannot find the templates/ folder next to the k8sup code');
}

const cache = new Map<string, string>();

/** Reads templates/<relativePath> (cached: templates are data shipped with the code). */
export function loadTemplate(relativePath: string): string {
  let text = cache.get(relativePath);
  if (text === undefined) {
    text = readFileSync(join(templatesDir(), relativePath), 'utf8');
    cache.set(relativePath, text);
  }
  return text;
}
