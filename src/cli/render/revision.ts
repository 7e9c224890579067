// What a command that writes a spec revision (replace -f, edit, rollback) prints with -o json|yaml: the revision,
// whether it changed the spec and each change. People (-o table) read the same in the note on stderr; stdout
// stays empty then, as before.

import type { SpecChange } from '../../api/spec-diff.js';
import { printData, type DataSink } from './output.js';

export interface RevisionDocument {
  cluster: string;
  /** The revision written, the one that would be (written: false), or the current one when nothing changed. */
  revision: number;
  changed: boolean;
  /** False for a preview (rollback without --yes). */
  written: boolean;
  changes: SpecChange[];
}

export function printRevision(ctx: DataSink, doc: RevisionDocument): void {
  printData(ctx, doc, { table: () => '' });
}
