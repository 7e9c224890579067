// OpenSSH known_hosts: parse, look up, fingerprint, append — and the one decision that matters:
// a host key we have never seen is refused unless the user asked to accept new keys, and a key that CHANGED is
// always refused. Other SSH installers (k3sup, KubeOne) skip this check; we do it before authentication.

import { createHash, createHmac, randomBytes } from 'node:crypto';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { OperationError } from '../../src/core/errors.js';

export interface KnownHostEntry {
  /** 1-based line number, for messages. */
  line: number;
  marker?: 'revoked' | 'cert-authority';
  /** Comma-separated patterns (plain), or undefined when the entry is hashed. */
  patterns?: string[];
  /** `|1|salt|hash` entries: HMAC-SHA1(salt, hostname). */
  hashed?: { salt: Buffer; hash: Buffer };
  keyType: string;
  /** The key in SSH wire format (the base64 field decoded). */
  key: Buffer;
}

/** Parses a known_hosts file. Malformed lines are skipped, as OpenSSH does, rather than failing the whole file. */
export function parseKnownHosts(text: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const trimmed = lines[i].trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const fields = trimmed.split(/\s+/);
    let marker: KnownHostEntry['marker'];
    if (fields[0].startsWith('@')) {
      const m = fields.shift()!;
      if (m === '@revoked') marker = 'revoked';
      else if (m === '@cert-authority') marker = 'cert-authority';
      else continue; // unknown marker: never treat it as a plain trust entry
    }
    if (fields.length < 3) continue;
    const [hostField, keyType, keyB64] = fields;
    const key = decodeBase64Strict(keyB64);
    if (!key || sshKeyType(key) !== keyType) continue;
    const entry: KnownHostEntry = { line: i + 1, keyType, key };
    if (marker) entry.marker = marker;
    if (hostField.startsWith('|1|')) {
      const [, , salt, hash] = hostField.split('|');
      const saltBuf = decodeBase64Strict(salt ?? '');
      const hashBuf = decodeBase64Strict(hash ?? '');
      if (!saltBuf || !hashBuf) continue;
      entry.hashed = { salt: saltBuf, hash: hashBuf };
    } else {
      entry.patterns = hostField.split(',').filter((p) => p !== '');
    }
    entries.push(entry);
  }
  return entries;
}

function decodeBase64Strict(s: string): Buffer | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(s)) return undefined;
  const buf = Buffer.from(s, 'base64');
  return buf.length > 0 ? buf : undefined;
}

/** The key type named inside an SSH wire-format public key (its first length-prefixed string). */
export function sshKeyType(key: Buffer): string | undefined {
  if (key.length < 4) return undefined;
  const len = key.readUInt32BE(0);
  if (len === 0 || len > 64 || 4 + len > key.length) return undefined;
  return key.subarray(4, 4 + len).toString('latin1');
}

/** `SHA256:<base64 without padding>`, exactly as `ssh-keygen -lf` and the OpenSSH client print it. */
export function fingerprintSha256(key: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(key).digest('base64').replace(/=+$/, '');
}

/** The name OpenSSH stores for a host: `host` on port 22, `[host]:port` otherwise. */
export function knownHostsName(host: string, port: number): string {
  const h = host.toLowerCase();
  return port === 22 ? h : `[${h}]:${port}`;
}

function globToRegExp(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`, 'i');
}

/** Does this entry name the host? Negated patterns (`!pat`) veto a match, as in OpenSSH's match_hostname. */
export function entryMatches(entry: KnownHostEntry, name: string): boolean {
  if (entry.hashed) {
    const digest = createHmac('sha1', entry.hashed.salt).update(name).digest();
    return digest.length === entry.hashed.hash.length && digest.equals(entry.hashed.hash);
  }
  let matched = false;
  for (const p of entry.patterns ?? []) {
    const negated = p.startsWith('!');
    const re = globToRegExp(negated ? p.slice(1) : p);
    if (re.test(name)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

export type HostKeyStatus =
  | { status: 'match' }
  | { status: 'unknown' }
  | { status: 'revoked' }
  /** Known, but with other key(s): `expected` lists their fingerprints. */
  | { status: 'changed'; expected: string[] };

/** The pure decision for one presented key. `@cert-authority` lines are ignored: we do not accept host certificates. */
export function checkHostKey(entries: KnownHostEntry[], host: string, port: number, presented: Buffer): HostKeyStatus {
  const name = knownHostsName(host, port);
  const forHost = entries.filter((e) => entryMatches(e, name));
  if (forHost.some((e) => e.marker === 'revoked' && e.key.equals(presented))) return { status: 'revoked' };
  const trusted = forHost.filter((e) => e.marker === undefined);
  if (trusted.length === 0) return { status: 'unknown' };
  if (trusted.some((e) => e.key.equals(presented))) return { status: 'match' };
  // OpenSSH compares against keys of the same type; we ask the server for a known type first (see
  // preferredHostKeyAlgorithms), so a mismatch here is a changed key — refuse rather than guess.
  return { status: 'changed', expected: [...new Set(trusted.map((e) => `${e.keyType} ${fingerprintSha256(e.key)}`))] };
}

/** Key types we already trust for this host, so the client can ask the server for one of them. */
export function knownKeyTypes(entries: KnownHostEntry[], host: string, port: number): string[] {
  const name = knownHostsName(host, port);
  return [...new Set(entries.filter((e) => e.marker === undefined && entryMatches(e, name)).map((e) => e.keyType))];
}

const DEFAULT_HOST_KEY_ALGORITHMS = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
] as const;
export type HostKeyAlgorithm = (typeof DEFAULT_HOST_KEY_ALGORITHMS)[number];

/** Host key algorithms in preference order: those matching a key we already know first (as OpenSSH does). */
export function preferredHostKeyAlgorithms(knownTypes: string[]): HostKeyAlgorithm[] {
  const algosFor = (t: string): HostKeyAlgorithm[] =>
    t === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : DEFAULT_HOST_KEY_ALGORITHMS.filter((a) => a === t);
  const first = knownTypes.flatMap(algosFor);
  return [...new Set([...first, ...DEFAULT_HOST_KEY_ALGORITHMS])];
}

/** One known_hosts line for a new key; hashed like OpenSSH's HashKnownHosts when `hash` is set. */
export function formatKnownHostsLine(host: string, port: number, key: Buffer, opts: { hash?: boolean; salt?: Buffer } = {}): string {
  const name = knownHostsName(host, port);
  let hostField = name;
  if (opts.hash) {
    const salt = opts.salt ?? randomBytes(20);
    const hash = createHmac('sha1', salt).update(name).digest();
    hostField = `|1|${salt.toString('base64')}|${hash.toString('base64')}`;
  }
  return `${hostField} ${sshKeyType(key)} ${key.toString('base64')}`;
}

export async function readKnownHosts(path: string): Promise<KnownHostEntry[]> {
  try {
    return parseKnownHosts(await readFile(path, 'utf8'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new OperationError(`cannot read known_hosts file ${path}: ${(e as Error).message}`, { cause: e });
  }
}

/** Appends an entry, creating ~/.ssh (0700) and the file (0600) if needed, on a line of its own. */
export async function appendKnownHost(path: string, line: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  let prefix = '';
  try {
    const existing = await readFile(path, 'utf8');
    if (existing.length > 0 && !existing.endsWith('\n')) prefix = '\n';
  } catch {
    // missing: created below
  }
  await appendFile(path, `${prefix}${line}\n`, { mode: 0o600 });
}

export interface HostKeyPolicy {
  knownHostsPath: string;
  /** `--ssh-accept-new`: record unknown keys instead of refusing them. Never applies to changed keys. */
  acceptNew: boolean;
  /** Write new entries hashed (OpenSSH HashKnownHosts). Default false: readable entries. */
  hashNew?: boolean;
}

/**
 * Decides whether to trust `presented` for host:port. Returns normally when trusted (recording it first when it
 * is new and acceptNew is set), throws OperationError (exit 1) otherwise. `label` names the host in messages.
 */
export async function verifyHostKey(policy: HostKeyPolicy, host: string, port: number, presented: Buffer, label = knownHostsName(host, port)): Promise<'known' | 'recorded'> {
  const entries = await readKnownHosts(policy.knownHostsPath);
  const result = checkHostKey(entries, host, port, presented);
  const fp = `${sshKeyType(presented)} ${fingerprintSha256(presented)}`;
  switch (result.status) {
    case 'match':
      return 'known';
    case 'revoked':
      throw new OperationError(`SSH host key for ${label} is marked @revoked in ${policy.knownHostsPath} (presented ${fp}); refusing to connect`, {
        code: 'SshHostKeyRevoked',
        hint: 'the host presents a revoked key: re-key the host and update known_hosts',
      });
    case 'changed':
      throw new OperationError(
        `SSH host key for ${label} has CHANGED: expected ${result.expected.join(' or ')}, but the host presented ${fp}; refusing to connect`,
        {
          code: 'SshHostKeyChanged',
          hint: `if the host was really reinstalled, remove the old entry with: ssh-keygen -R '${knownHostsName(host, port)}' -f ${policy.knownHostsPath}`,
        },
      );
    case 'unknown':
      if (!policy.acceptNew) {
        throw new OperationError(`SSH host key for ${label} is not in ${policy.knownHostsPath} (presented ${fp}); refusing to connect`, {
          code: 'SshHostKeyUnknown',
          hint: 'check the fingerprint out of band, then re-run with --ssh-accept-new to record it (or add it to known_hosts yourself)',
        });
      }
      await appendKnownHost(policy.knownHostsPath, formatKnownHostsLine(host, port, presented, { hash: policy.hashNew }));
      return 'recorded';
  }
}
