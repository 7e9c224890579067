import { parseClusterText, type Cluster } from '../api/index.js';
import { InvalidInputError } from '../core/errors.js';
import { readInputFile } from './paths.js';

/** Reads and validates a cluster spec file given with -f (`-` reads it from stdin). */
export async function readSpecFile(path: string | undefined, where: { home: string; cwd: string }): Promise<Cluster> {
  if (!path) throw new InvalidInputError('no spec file given', { hint: 'pass -f cluster.yaml (or -f - for stdin)' });
  const text = await readInputFile('-f', path, where);
  return parseClusterText(text, path === '-' ? 'stdin' : path);
}
