// The terraform target: the same resource graph rendered as Terraform JSON syntax (`main.tf.json`) plus
// `data/<file>` for large values. Pure: no cloud calls, no state writes.

import { OperationError } from './errors.js';
import { buildGraph } from './graph.js';
import { handlerFor, handlerMap } from './diff.js';
import { isRef, type ResourceHandler, type ResourceNode, type TerraformBlock } from './resource.js';

/** A body value that stands for the contents of `data/<name>` (one of the block's `files`). */
export interface TerraformFileRef {
  readonly $tfFile: string;
}

export function terraformFile(name: string): TerraformFileRef {
  return { $tfFile: name };
}

function isFileRef(v: unknown): v is TerraformFileRef {
  return typeof v === 'object' && v !== null && typeof (v as TerraformFileRef).$tfFile === 'string';
}

/**
 * A raw Terraform expression (written without `${}`), for values a Ref alone cannot express, e.g.
 * `base64gzip(replace(file(...), "placeholder", aws_lb.api.dns_name))`. Rendered as `${expr}`, unescaped.
 */
export interface TerraformExpression {
  readonly $tfExpr: string;
}

export function terraformExpression(expr: string): TerraformExpression {
  return { $tfExpr: expr };
}

function isExpression(v: unknown): v is TerraformExpression {
  return typeof v === 'object' && v !== null && typeof (v as TerraformExpression).$tfExpr === 'string';
}

/** The expression Terraform evaluates to the contents of `data/<name>`. */
export function fileExpression(name: string): string {
  return `\${file("\${path.module}/data/${name}")}`;
}

/** A Terraform resource name from a graph id (`subnet/us-east-2a` → `subnet_us_east_2a`). */
export function terraformName(id: string): string {
  return id.replace(/[^A-Za-z0-9_]/g, '_').replace(/^(\d)/, '_$1');
}

/** Literal strings in Terraform JSON are templates: `${` and `%{` must be doubled to stay literal. */
export function escapeTemplate(s: string): string {
  return s.replace(/\$\{/g, () => '$${').replace(/%\{/g, () => '%%{');
}

const SAFE_FILE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export function renderTerraform(nodes: readonly ResourceNode[], handlers: readonly ResourceHandler<any>[], preamble: Record<string, unknown>): Record<string, string> {
  const graph = buildGraph(nodes);
  const byKind = handlerMap(handlers);

  const unsupported = new Set<string>();
  const blocksById = new Map<string, TerraformBlock[]>();
  for (const id of graph.order) {
    const node = graph.nodes.get(id)!;
    const handler = handlerFor(byKind, node.kind, id);
    if (!handler.terraform) {
      unsupported.add(node.kind);
      continue;
    }
    const rendered = handler.terraform(node);
    const blocks = Array.isArray(rendered) ? rendered : [rendered];
    if (blocks.length === 0) throw new OperationError(`terraform: ${node.kind} handler rendered no block for ${id}`, { code: 'TerraformRender' });
    blocksById.set(id, blocks);
  }
  if (unsupported.size) {
    throw new OperationError(`the terraform target does not support resource kind(s): ${[...unsupported].sort().join(', ')}`, {
      code: 'TerraformUnsupported',
      hint: 'use --target direct for this provider',
    });
  }

  // A Ref points at the node's first block: `${type.name.attr}`, attr mapped through terraformOutputs.
  const refExpression = (targetId: string, attr: string) => {
    const target = blocksById.get(targetId)![0];
    const mapped = handlerFor(byKind, graph.nodes.get(targetId)!.kind, targetId).terraformOutputs?.[attr] ?? attr;
    return `\${${target.type}.${target.name}.${mapped}}`;
  };

  const files = new Map<string, string>();
  const resource: Record<string, Record<string, unknown>> = {};
  const data: Record<string, Record<string, unknown>> = {};
  for (const id of graph.order) {
    const node = graph.nodes.get(id)!;
    blocksById.get(id)!.forEach((block, index) => {
      const where = `${id} (${block.type}.${block.name})`;
      if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(block.name)) throw new OperationError(`terraform: invalid resource name "${block.name}" for ${id}`, { code: 'TerraformRender' });
      for (const [name, content] of Object.entries(block.files ?? {})) {
        if (!SAFE_FILE.test(name)) throw new OperationError(`terraform: invalid data file name "${name}" in ${where}`, { code: 'TerraformRender' });
        if (files.has(name) && files.get(name) !== content) throw new OperationError(`terraform: two different contents for data/${name}`, { code: 'TerraformRender' });
        files.set(name, content);
      }
      const own = new Set(Object.keys(block.files ?? {}));
      const body = renderValue(block.body, where, own, refExpression) as Record<string, unknown>;
      // Ref edges are implicit in Terraform; explicit ordering edges must be spelled out. A node may render as
      // several resources (an IAM role and its policy): depending on the node means depending on all of them.
      if (index === 0 && node.dependsOn?.length) {
        const extra = [...new Set(node.dependsOn)].sort().flatMap((d) =>
          blocksById.get(d)!.filter((t) => !t.type.startsWith('data.')).map((t) => `${t.type}.${t.name}`),
        );
        const existing = Array.isArray(body.depends_on) ? (body.depends_on as string[]) : [];
        body.depends_on = [...new Set([...existing, ...extra])];
      }
      // A block type `data.<type>` is a data source (e.g. `data.aws_ami`): it goes under "data".
      const isData = block.type.startsWith('data.');
      const ofType = ((isData ? data : resource)[block.type.replace(/^data\./, '')] ??= {});
      if (ofType[block.name]) throw new OperationError(`terraform: duplicate resource ${block.type}.${block.name}`, { code: 'TerraformRender' });
      ofType[block.name] = body;
    });
  }

  const main = { ...preamble, ...(Object.keys(data).length ? { data: sortKeys(data, 2) } : {}), resource: sortKeys(resource, 2) };
  const out: Record<string, string> = { 'main.tf.json': JSON.stringify(main, null, 2) + '\n' };
  for (const name of [...files.keys()].sort()) out[`data/${name}`] = files.get(name)!;
  return out;
}

function renderValue(value: unknown, where: string, files: Set<string>, refExpression: (id: string, attr: string) => string): unknown {
  if (isRef(value)) return refExpression(value.$ref, value.attr);
  if (isExpression(value)) return `\${${value.$tfExpr}}`;
  if (isFileRef(value)) {
    if (!files.has(value.$tfFile)) throw new OperationError(`terraform: ${where} references data/${value.$tfFile}, which is not in its files`, { code: 'TerraformRender' });
    return fileExpression(value.$tfFile);
  }
  if (typeof value === 'string') {
    // A handler may also write the file() expression itself for one of its own files: keep it as an expression.
    for (const f of files) if (value === fileExpression(f)) return value;
    return escapeTemplate(value);
  }
  if (Array.isArray(value)) return value.map((v) => renderValue(v, where, files, refExpression));
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = renderValue(v, where, files, refExpression);
    return out;
  }
  return value;
}

/** Sorts object keys down to `depth` levels so the output is stable whatever order the graph came in. */
function sortKeys(obj: Record<string, unknown>, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(obj).sort()) {
    const v = obj[k];
    out[k] = depth > 1 && typeof v === 'object' && v !== null && !Array.isArray(v) ? sortKeys(v as Record<string, unknown>, depth - 1) : v;
  }
  return out;
}
