// The --hosts inventory (YAML) → spec.hosts and spec.api.vip. Parse, normalise, then rules; every problem is
// reported with its field path (`hosts[1].role`) in one InvalidInputError (exit 2), before anything is written.

import { isIP } from 'node:net';
import { posix } from 'node:path';
import { parseDocument } from 'yaml';
import { InvalidInputError, type FieldIssue } from '../../src/core/errors.js';
import { parseHostPort } from '../../src/api/endpoint.js';
import { API_FRONT_ENDS, type ApiFrontEnd, type HostSpec } from '../../src/api/types.js';
import { parseBastion } from './ssh.js';

export interface HostsFile {
  hosts: HostSpec[];
  api?: { vip?: string; frontEnd?: ApiFrontEnd; endpoint?: string };
}

const API_FIELDS = ['vip', 'frontEnd', 'endpoint'];

const HOST_FIELDS = new Set(['address', 'port', 'user', 'role', 'sshKey', 'bastion', 'name']);
const ROLES = ['control-plane', 'worker'] as const;
const DNS_LABELS = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const USER = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** The node name a host gets when the file does not set one: its address, lowercased, dots and colons as dashes. */
export function defaultNodeName(address: string): string {
  return address.toLowerCase().replace(/[.:]/g, '-').replace(/^-+|-+$/g, '');
}

export function hostName(h: HostSpec): string {
  return h.name ?? defaultNodeName(h.address);
}

function isHostAddress(s: string): boolean {
  return isIP(s) !== 0 || (s.length <= 253 && DNS_LABELS.test(s.toLowerCase()));
}

/**
 * Parses the hosts file text. `source` is its path (or `-`): relative `sshKey` paths are taken relative to the
 * file's folder; `~/` is kept and expanded with the user's home at connect time.
 */
export function parseHostsFile(text: string, source = 'hosts file'): HostsFile {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const where = e.linePos?.[0] ? ` (line ${e.linePos[0].line}, column ${e.linePos[0].col})` : '';
    throw new InvalidInputError(`${source} is not valid YAML${where}: ${e.message.split('\n')[0]}`, {
      hint: 'hosts files look like: hosts: [{address: 10.0.0.10, user: ubuntu, role: control-plane}]',
    });
  }
  return validateHostsDocument(doc.toJS(), source);
}

/** Rules on the already-parsed document (also used for spec.hosts given in a cluster file). */
export function validateHostsDocument(raw: unknown, source = 'hosts file'): HostsFile {
  const issues: FieldIssue[] = [];
  const issue = (path: string, message: string) => issues.push({ path, message });
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw InvalidInputError.fromIssues([{ path: 'hosts', message: 'the file must be a mapping with a "hosts" list' }], hintFor(source));
  }
  const doc = raw as Record<string, unknown>;
  for (const k of Object.keys(doc)) if (k !== 'hosts' && k !== 'api') issue(k, 'unknown field (expected hosts, api)');

  const indexed: { host: HostSpec; index: number }[] = [];
  if (!Array.isArray(doc.hosts) || doc.hosts.length === 0) {
    issue('hosts', 'must be a non-empty list of hosts');
  } else {
    doc.hosts.forEach((h, index) => {
      const host = validateHost(h, `hosts[${index}]`, source, issue);
      if (host) indexed.push({ host, index });
    });
    crossHostRules(indexed, doc.hosts.length === indexed.length, issue);
  }
  const hosts = indexed.map((x) => x.host);

  let api: HostsFile['api'];
  if (doc.api !== undefined && doc.api !== null) {
    if (typeof doc.api !== 'object' || Array.isArray(doc.api)) issue('api', 'must be a mapping, e.g. {vip: 10.0.0.100}');
    else api = validateApi(doc.api as Record<string, unknown>, hosts, issue);
  }
  if (issues.length > 0) throw InvalidInputError.fromIssues(issues, hintFor(source));
  return api ? { hosts, api } : { hosts };
}

/** `api:` of the hosts file: vip, frontEnd (kube-vip | haproxy-keepalived | external), endpoint (host[:port]). */
function validateApi(a: Record<string, unknown>, hosts: HostSpec[], issue: (p: string, m: string) => void): HostsFile['api'] {
  const api: NonNullable<HostsFile['api']> = {};
  for (const k of Object.keys(a)) if (!API_FIELDS.includes(k)) issue(`api.${k}`, `unknown field (expected ${API_FIELDS.join(', ')})`);
  if (a.vip !== undefined && a.vip !== null) {
    if (typeof a.vip !== 'string' || isIP(a.vip) === 0) issue('api.vip', `must be an IP address, got ${JSON.stringify(a.vip)}`);
    else if (hosts.some((h) => h.address === a.vip)) issue('api.vip', `${a.vip} is also a host's address; the VIP must be a free address`);
    else api.vip = a.vip;
  }
  if (a.frontEnd !== undefined && a.frontEnd !== null) {
    if (typeof a.frontEnd !== 'string' || !API_FRONT_ENDS.includes(a.frontEnd as ApiFrontEnd)) issue('api.frontEnd', `must be one of ${API_FRONT_ENDS.join(', ')}, got ${JSON.stringify(a.frontEnd)}`);
    else api.frontEnd = a.frontEnd as ApiFrontEnd;
  }
  if (a.endpoint !== undefined && a.endpoint !== null) {
    if (typeof a.endpoint !== 'string' || parseHostPort(a.endpoint) === null) issue('api.endpoint', `must be host[:port] of your load balancer, got ${JSON.stringify(a.endpoint)}`);
    else api.endpoint = a.endpoint.trim();
  }
  return Object.keys(api).length > 0 ? api : undefined;
}

function hintFor(source: string): string {
  return `fix ${source}; each host needs address and role (control-plane|worker), optional port, user, sshKey, bastion (user@host:port)`;
}

function validateHost(h: unknown, path: string, source: string, issue: (p: string, m: string) => void): HostSpec | undefined {
  if (typeof h !== 'object' || h === null || Array.isArray(h)) {
    issue(path, 'must be a mapping with address and role');
    return undefined;
  }
  const r = h as Record<string, unknown>;
  let bad = 0;
  const count = (p: string, m: string) => {
    bad++;
    issue(p, m);
  };
  for (const k of Object.keys(r)) if (!HOST_FIELDS.has(k)) count(`${path}.${k}`, `unknown field (expected one of ${[...HOST_FIELDS].join(', ')})`);

  const address = typeof r.address === 'string' ? r.address.trim() : undefined;
  if (address === undefined || address === '') count(`${path}.address`, 'is required (an IP address or DNS name)');
  else if (!isHostAddress(address)) count(`${path}.address`, `${JSON.stringify(address)} is not an IP address or DNS name`);

  let port = 22;
  if (r.port !== undefined && r.port !== null) {
    if (typeof r.port !== 'number' || !Number.isInteger(r.port) || r.port < 1 || r.port > 65535) count(`${path}.port`, `must be a TCP port 1-65535, got ${JSON.stringify(r.port)}`);
    else port = r.port;
  }

  let user = 'root';
  if (r.user !== undefined && r.user !== null) {
    if (typeof r.user !== 'string' || !USER.test(r.user)) count(`${path}.user`, `must be a login name, got ${JSON.stringify(r.user)}`);
    else user = r.user;
  }

  if (r.role === undefined || r.role === null) count(`${path}.role`, 'is required: control-plane or worker');
  else if (!ROLES.includes(r.role as (typeof ROLES)[number])) count(`${path}.role`, `must be control-plane or worker, got ${JSON.stringify(r.role)}`);

  let sshKey: string | undefined;
  if (r.sshKey !== undefined && r.sshKey !== null) {
    if (typeof r.sshKey !== 'string' || r.sshKey.trim() === '') count(`${path}.sshKey`, 'must be the path of a private key file');
    else sshKey = resolveKeyPath(r.sshKey.trim(), source);
  }

  let bastion: string | undefined;
  if (r.bastion !== undefined && r.bastion !== null) {
    if (typeof r.bastion !== 'string') count(`${path}.bastion`, 'must be user@host:port');
    else {
      try {
        const b = parseBastion(r.bastion);
        bastion = `${b.user}@${b.host.includes(':') ? `[${b.host}]` : b.host}:${b.port}`;
      } catch (e) {
        count(`${path}.bastion`, (e as Error).message);
      }
    }
  }

  let name: string | undefined;
  if (r.name !== undefined && r.name !== null) {
    if (typeof r.name !== 'string' || r.name.length > 63 || !DNS_LABELS.test(r.name)) count(`${path}.name`, `must be a lowercase DNS name (node name), got ${JSON.stringify(r.name)}`);
    else name = r.name;
  }

  if (bad > 0) return undefined;
  const host: HostSpec = { address: address!, port, user, role: r.role as HostSpec['role'] };
  if (sshKey) host.sshKey = sshKey;
  if (bastion) host.bastion = bastion;
  if (name) host.name = name;
  return host;
}
function resolveKeyPath(p: string, source: string): string {
  if (p.startsWith('/') || p === '~' || p.startsWith('~/') || source === '-' || source === 'hosts file') return p;
  return posix.join(posix.dirname(source), p);
}

function crossHostRules(hosts: { host: HostSpec; index: number }[], allValid: boolean, issue: (p: string, m: string) => void): void {
  const seenEndpoint = new Map<string, number>();
  const seenName = new Map<string, number>();
  hosts.forEach(({ host: h, index: i }) => {
    const endpoint = `${h.address.toLowerCase()}:${h.port}`;
    const path = `hosts[${i}]`;
    if (seenEndpoint.has(endpoint)) issue(`${path}.address`, `${h.address}:${h.port} is listed twice (also hosts[${seenEndpoint.get(endpoint)}])`);
    else seenEndpoint.set(endpoint, i);
    const name = hostName(h);
    if (seenName.has(name)) issue(`${path}.name`, `node name ${name} is used twice (also hosts[${seenName.get(name)}]); set distinct names`);
    else seenName.set(name, i);
  });
  // Only meaningful when every host parsed (a host with a bad role may have been meant as the control plane).
  if (allValid && hosts.length > 0 && !hosts.some((x) => x.host.role === 'control-plane')) {
    issue('hosts', 'needs at least one host with role: control-plane');
  }
}
