// Quoting for the two languages values are rendered into.

/** A single-quoted shell word: the shell expands nothing inside, and a ' is written as '\''. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * A double-quoted YAML (and TOML basic) string. JSON strings are valid YAML 1.2 flow scalars; we also escape the
 * characters JSON leaves alone but YAML parsers may treat specially.
 */
export function yamlQuote(value: string): string {
  return JSON.stringify(value).replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}
