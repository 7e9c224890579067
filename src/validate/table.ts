// Human output of `validate cluster`: nodes, then failures, then a verdict line. A pure function; the CLI prints it.

import type { ValidationReport } from './types.js';

function columns(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]))).join('   ')).join('\n');
}

export function renderValidationTable(report: ValidationReport): string {
  const parts: string[] = [];
  if (report.nodes.length > 0) {
    parts.push(
      columns([
        ['NODE', 'ROLE', 'GROUP', 'ZONE', 'READY'],
        ...report.nodes.map((n) => [n.name, n.role, n.group || '-', n.zone || '-', n.ready ? 'True' : 'False']),
      ]),
    );
  }
  if (report.failures.length > 0) {
    parts.push(columns([['TYPE', 'NAME', 'MESSAGE'], ...report.failures.map((f) => [f.type, f.name, f.message])]));
  }
  parts.push(
    report.valid
      ? `Your cluster ${report.cluster} is ready`
      : `Validation failed: cluster ${report.cluster} is not valid (${report.failures.length} failure${report.failures.length === 1 ? '' : 's'})`,
  );
  return parts.join('\n\n') + '\n';
}
