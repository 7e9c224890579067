// Plain aligned tables for `-o table`; `headers: false` (from --no-headers) aligns the rows among themselves.

export function renderTable(headers: string[], rows: (string | number)[][], opts: { headers?: boolean } = {}): string {
  const body = rows.map((r) => r.map(String));
  const shown = opts.headers === false ? body : [headers, ...body];
  if (shown.length === 0) return '';
  const widths = headers.map((_, i) => Math.max(...shown.map((r) => (r[i] ?? '').length)));
  return shown.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('   ').trimEnd()).join('\n') + '\n';
}
