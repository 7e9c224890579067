// The part of ~/.ssh/config that matters for reaching a host: HostName, User, Port, IdentityFile, ProxyJump, looked
// up like OpenSSH does (Host blocks in file order, the first value obtained for an option wins; `Match` blocks and
// `Include` are not evaluated and are skipped safely).

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidInputError } from '../../src/core/errors.js';

interface Block {
  patterns: string[];
  options: [string, string][];
}

export interface SshConfigEntry {
  hostName?: string;
  user?: string;
  port?: number;
  identityFile?: string;
  /** `user@host:port` or an alias; 'none' is reported as undefined. */
  proxyJump?: string;
}

export function parseSshConfig(text: string): Block[] {
  const blocks: Block[] = [{ patterns: ['*'], options: [] }]; // options before the first Host apply to every host
  let current: Block | undefined = blocks[0];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^(\S+?)\s*(?:=\s*|\s+)(.*)$/.exec(line);
    if (!m) continue;
    const key = m[1].toLowerCase();
    const value = m[2].trim().replace(/^"(.*)"$/, '$1');
    if (key === 'host') {
      current = { patterns: value.split(/\s+/), options: [] };
      blocks.push(current);
    } else if (key === 'match') {
      current = undefined; // not evaluated: its options must not leak into other hosts
    } else if (current) {
      current.options.push([key, value]);
    }
  }
  return blocks;
}

function patternMatches(pattern: string, name: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
  return re.test(name);
}

function blockMatches(b: Block, name: string): boolean {
  let matched = false;
  for (const p of b.patterns) {
    const negated = p.startsWith('!');
    if (patternMatches(negated ? p.slice(1) : p, name)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

/** Options for `alias`, first value wins; `~` and `%d` expand to homeDir, `%h` to the host name. */
export function lookupSshConfig(blocks: Block[], alias: string, homeDir: string): SshConfigEntry {
  const found = new Map<string, string>();
  for (const b of blocks) {
    if (!blockMatches(b, alias)) continue;
    for (const [k, v] of b.options) if (!found.has(k)) found.set(k, v);
  }
  const entry: SshConfigEntry = {};
  const hostName = found.get('hostname')?.replace(/%h/g, alias);
  if (hostName) entry.hostName = hostName;
  if (found.has('user')) entry.user = found.get('user');
  const port = Number(found.get('port'));
  if (Number.isInteger(port) && port > 0 && port < 65536) entry.port = port;
  const id = found.get('identityfile');
  if (id) {
    entry.identityFile = id
      .replace(/%d/g, homeDir)
      .replace(/%h/g, hostName ?? alias)
      .replace(/^~(?=\/|$)/, homeDir);
  }
  const jump = found.get('proxyjump');
  if (jump && jump.toLowerCase() !== 'none') {
    if (jump.includes(',')) {
      throw new InvalidInputError(`~/.ssh/config: ProxyJump ${jump} for ${alias} has more than one hop; k8sup supports one bastion`, {
        hint: 'use a single ProxyJump host, or set bastion in the hosts file',
      });
    }
    entry.proxyJump = jump;
  }
  return entry;
}

/** Reads `<homeDir>/.ssh/config`; a missing file is an empty config. */
export async function loadSshConfig(homeDir: string): Promise<Block[]> {
  try {
    return parseSshConfig(await readFile(join(homeDir, '.ssh', 'config'), 'utf8'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}

/** `ProxyJump` value → `user@host:port`, filling user/port from the jump host's own config entry. */
export function jumpSpec(blocks: Block[], jump: string, homeDir: string, defaultUser: string): string {
  const m = /^(?:([^@]+)@)?(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(jump);
  if (!m) throw new InvalidInputError(`~/.ssh/config: cannot read ProxyJump ${jump}`);
  const alias = m[2].replace(/^\[|\]$/g, '');
  const cfg = lookupSshConfig(blocks, alias, homeDir);
  const host = cfg.hostName ?? alias;
  const user = m[1] ?? cfg.user ?? defaultUser;
  const port = m[3] ? Number(m[3]) : (cfg.port ?? 22);
  return `${user}@${host.includes(':') ? `[${host}]` : host}:${port}`;
}
