// Paths given in flags. A quoted `~` reaches k8sup unexpanded (`--ssh-public-key="~/.ssh/id_rsa.pub"`, as the kops
// walkthrough writes it), so k8sup expands it as a shell would; relative paths are relative to the working folder.
// `-` for an input file is stdin, for pipelines (`… | k8sup create -f -`).

import { readFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { InvalidInputError } from '../core/errors.js';

/** A leading `~` expanded as a shell would; anything else as given. */
export function expandHome(path: string, where: { home: string }): string {
  if (path === '~') return where.home;
  if (path.startsWith('~/')) return join(where.home, path.slice(2));
  return path;
}

export function expandPath(path: string, where: { home: string; cwd: string }): string {
  const expanded = expandHome(path, where);
  return isAbsolute(expanded) ? expanded : resolve(where.cwd, expanded);
}

async function readStdin(stdin: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** The text of an input file named by `flag` (`-`: stdin). Unreadable → exit 2 naming the flag and the path. */
export async function readInputFile(flag: string, path: string, where: { home: string; cwd: string; stdin?: NodeJS.ReadableStream }): Promise<string> {
  if (path === '-') return readStdin(where.stdin ?? process.stdin);
  const full = expandPath(path, where);
  try {
    return await readFile(full, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? String(e);
    throw new InvalidInputError(`${flag}: cannot read ${path}${full !== path ? ` (${full})` : ''}: ${code}`, { hint: 'check the path' });
  }
}
