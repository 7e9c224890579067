// The cluster spec pipeline: parse → shape check → defaults → rules. Returns a complete, valid Cluster or throws
// one InvalidInputError that lists every problem with its field path.

import { parseDocument, stringify } from 'yaml';
import { InvalidInputError, type FieldIssue } from '../core/errors.js';
import { withDefaults } from './defaults.js';
import { clusterIssues, newInputIssues } from './rules.js';
import { checkClusterShape } from './schema.js';
import type { Cluster } from './types.js';

export * from './types.js';

const SPEC_HINT = 'Fix the field named above; `k8sup get cluster NAME -o yaml` shows a valid spec to start from.';

export interface LoadOptions {
  /** A revision read back from the state store: rules added after it was written (newInputIssues) do not apply. */
  stored?: boolean;
}

/** A complete, valid Cluster from a (partial) document, or an InvalidInputError naming the fields. */
export function loadCluster(doc: unknown, hint = SPEC_HINT, opts: LoadOptions = {}): Cluster {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new InvalidInputError('the cluster document must be a mapping with apiVersion, kind, metadata and spec', { hint });
  }
  const shapeIssues = checkClusterShape(doc);
  if (shapeIssues.length) throw InvalidInputError.fromIssues(shapeIssues, hint);
  const cluster = withDefaults(doc as Record<string, unknown>);
  const issues = [...clusterIssues(cluster), ...(opts.stored ? [] : newInputIssues(cluster))];
  if (issues.length) throw InvalidInputError.fromIssues(issues, hint);
  return cluster;
}

/** Parses YAML (or JSON) text; syntax errors name the source and line. */
export function parseClusterText(text: string, source: string, opts: LoadOptions = {}): Cluster {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length) {
    const e = doc.errors[0];
    const where = e.linePos ? `${source}:${e.linePos[0].line}:${e.linePos[0].col}` : source;
    throw new InvalidInputError(`${where}: malformed YAML: ${e.message.split('\n')[0]}`, {
      hint: 'Check indentation and quoting near that line.',
    });
  }
  return loadCluster(doc.toJS(), `Fix ${source} and run the command again.`, opts);
}

/** The canonical YAML of a cluster: what the store keeps and `get cluster -o yaml` prints. */
export function clusterToYaml(cluster: Cluster): string {
  return stringify(cluster, { lineWidth: 0, aliasDuplicateObjects: false });
}

export type { FieldIssue };
