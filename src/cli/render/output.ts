// The one output layer: every command that prints data hands its document and a view of it here, and `-o` picks
// the form. `json` and `yaml` print the same document; `table` is for people (`--no-headers` drops the header row);
// `name` prints one name a line, and only lists have names.

import { stringify } from 'yaml';
import { InvalidInputError } from '../../core/errors.js';
import { renderTable } from './table.js';

export const OUTPUT_FORMATS = ['table', 'json', 'yaml', 'name'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** Commands whose document is a list of named things (or one named thing): the only ones `-o name` fits. */
const NAMED = new Set(['get clusters', 'get cluster', 'history cluster']);

/** A table: header row and cells; `empty` is what people see instead of a table with no rows. */
export interface TableView {
  headers: string[];
  rows: (string | number)[][];
  empty?: string;
}

export interface DataView {
  /** `-o table`: rows and columns, or free text for documents that are not tabular (a plan, a validation report). */
  table: TableView | (() => string);
  /** `-o name`: the names of the listed things. */
  names?: () => string[];
}

/** Commands that print no document at all (a shell script): -o json|yaml cannot mean anything there. */
const NO_DOCUMENT = new Set(['completion']);

/** Refuses a format the command cannot print before the command does anything (exit 2, nothing written). */
export function checkOutputFormat(commandPath: string, format: string | undefined): void {
  if ((format === 'json' || format === 'yaml') && NO_DOCUMENT.has(commandPath)) {
    throw new InvalidInputError(`-o ${format}: \`k8sup ${commandPath}\` prints a shell script, not a document`, { hint: `drop -o ${format}` });
  }
  if (format === 'name' && !NAMED.has(commandPath)) {
    throw new InvalidInputError(`-o name: \`k8sup ${commandPath}\` does not print a list of names`, {
      hint: `use -o table, json or yaml; -o name works on ${[...NAMED].map((c) => `\`${c}\``).join(', ')}`,
    });
  }
}

/**
 * The document as YAML; the same document as `toJson` for every YAML reader. Written with YAML 1.1's rules for plain
 * scalars, as kubectl does: a string that a 1.1 reader (PyYAML, Ruby's Psych) would take for something else —
 * a timestamp (`createdAt`, `notAfter`), `yes`/`no`/`on`/`off`, `1:20` — is quoted; 1.2 readers read it the same.
 */
export function toYaml(value: unknown): string {
  return stringify(value, { lineWidth: 0, aliasDuplicateObjects: false, version: '1.1' });
}

export function toJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** What printing needs of a run's context (a structural type: the context module imports this one). */
export interface DataSink {
  globals: { output: OutputFormat; noHeaders?: boolean };
  out(text: string): void;
}

export function printData(ctx: DataSink, value: unknown, view: DataView): void {
  const format = ctx.globals.output;
  switch (format) {
    case 'json':
      return ctx.out(toJson(value));
    case 'yaml':
      return ctx.out(toYaml(value));
    case 'name': {
      if (!view.names) throw new InvalidInputError('-o name: this command does not print a list of names', { hint: 'use -o table, json or yaml' });
      const names = view.names();
      return ctx.out(names.length ? `${names.join('\n')}\n` : '');
    }
    default: {
      const t = view.table;
      if (typeof t === 'function') return ctx.out(t());
      if (t.rows.length === 0 && t.empty !== undefined) return ctx.out(ctx.globals.noHeaders ? '' : `${t.empty}\n`);
      return ctx.out(renderTable(t.headers, t.rows, { headers: !ctx.globals.noHeaders }));
    }
  }
}
