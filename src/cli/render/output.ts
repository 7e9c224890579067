// Prints a data value in the format chosen with -o: JSON and YAML for machines, a table for people.

import type { CliContext } from '../context.js';

export async function printData(ctx: CliContext, value: unknown, table: () => string): Promise<void> {
  switch (ctx.globals.output) {
    case 'json':
      ctx.out(`${JSON.stringify(value, null, 2)}\n`);
      return;
    case 'yaml': {
      const { stringify } = await import('yaml');
      ctx.out(stringify(value, { lineWidth: 0, aliasDuplicateObjects: false }));
      return;
    }
    default:
      ctx.out(table());
  }
}
