import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseClusterText, type Cluster } from '../api/index.js';
import { InvalidInputError } from '../core/errors.js';

/** Reads and validates a cluster spec file given with -f (`-` for stdin is not supported: pipelines pass a path). */
export async function readSpecFile(path: string | undefined, cwd: string): Promise<Cluster> {
  if (!path) throw new InvalidInputError('no spec file given', { hint: 'pass -f cluster.yaml' });
  let text: string;
  try {
    text = await readFile(resolve(cwd, path), 'utf8');
  } catch (e) {
    throw new InvalidInputError(`cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? e})`, { hint: 'check the path given with -f' });
  }
  return parseClusterText(text, path);
}
