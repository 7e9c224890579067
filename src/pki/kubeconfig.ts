// kubeconfig (clientcmd v1 Config) building, merging into an existing file, and writing it safely: the file holds a
// cluster-admin key, so it is 0600 and replaced atomically (a half-written ~/.kube/config breaks every kubectl call).

import { randomBytes, X509Certificate } from 'node:crypto';
import { chmod, mkdir, open, realpath, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { parse, stringify } from 'yaml';
import { InvalidInputError } from '../core/errors.js';

export interface KubeconfigInput {
  clusterName: string;
  /** `https://host:port` of the API server. */
  server: string;
  caCertPem: string;
  user: string;
  clientCertPem: string;
  clientKeyPem: string;
  /** Defaults to the cluster name, as kops does. */
  contextName?: string;
}

interface Named {
  name: string;
  [k: string]: unknown;
}

interface KubeconfigDoc {
  apiVersion?: string;
  kind?: string;
  clusters?: Named[] | null;
  users?: Named[] | null;
  contexts?: Named[] | null;
  'current-context'?: string;
  [k: string]: unknown;
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

export function buildKubeconfig(input: KubeconfigInput): string {
  const contextName = input.contextName ?? input.clusterName;
  const doc: KubeconfigDoc = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: input.clusterName, cluster: { server: input.server, 'certificate-authority-data': b64(input.caCertPem) } }],
    users: [{ name: input.user, user: { 'client-certificate-data': b64(input.clientCertPem), 'client-key-data': b64(input.clientKeyPem) } }],
    contexts: [{ name: contextName, context: { cluster: input.clusterName, user: input.user } }],
    'current-context': contextName,
    preferences: {},
  };
  return stringify(doc, { lineWidth: 0 });
}

function parseKubeconfig(text: string, what: string): KubeconfigDoc {
  let value: unknown;
  try {
    value = parse(text);
  } catch (e) {
    throw new InvalidInputError(`${what} is not valid YAML: ${(e as Error).message.split('\n')[0]}`, {
      cause: e,
      hint: 'Fix or move the file, or write to another one with --kubeconfig PATH.',
    });
  }
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidInputError(`${what} is not a kubeconfig (expected a mapping at the top level)`, {
      hint: 'Fix or move the file, or write to another one with --kubeconfig PATH.',
    });
  }
  const doc = value as KubeconfigDoc;
  for (const list of ['clusters', 'users', 'contexts'] as const) {
    const entries = doc[list];
    if (entries === undefined || entries === null) continue;
    if (!Array.isArray(entries) || entries.some((e) => typeof e !== 'object' || e === null || typeof e.name !== 'string')) {
      throw new InvalidInputError(`${what}: "${list}" must be a list of entries with a name`, {
        hint: 'Fix or move the file, or write to another one with --kubeconfig PATH.',
      });
    }
  }
  return doc;
}

/** Replaces same-named entries in place, appends new ones, keeps everything else in its order. */
function mergeNamed(existing: Named[] | null | undefined, additions: Named[] | null | undefined): Named[] {
  const result = [...(existing ?? [])];
  for (const add of additions ?? []) {
    const i = result.findIndex((e) => e.name === add.name);
    if (i >= 0) result[i] = add;
    else result.push(add);
  }
  return result;
}

/**
 * Merges `addition` (one cluster/user/context, as from buildKubeconfig) into an existing kubeconfig: entries with the
 * same names are replaced, all others kept, and current-context switches to the added context.
 */
export function mergeKubeconfig(existingYaml: string | null, addition: string): string {
  const base = existingYaml === null ? {} : parseKubeconfig(existingYaml, 'the existing kubeconfig');
  const add = parseKubeconfig(addition, 'the kubeconfig to merge');
  const merged: KubeconfigDoc = {
    ...base,
    apiVersion: base.apiVersion ?? 'v1',
    kind: base.kind ?? 'Config',
    clusters: mergeNamed(base.clusters, add.clusters),
    users: mergeNamed(base.users, add.users),
    contexts: mergeNamed(base.contexts, add.contexts),
  };
  if (add['current-context']) merged['current-context'] = add['current-context'];
  if (merged.preferences === undefined) merged.preferences = {};
  return stringify(merged, { lineWidth: 0 });
}

/** A PEM (or base64 of a PEM) as a certificate, or null when it is not one. */
function certOf(data: unknown): X509Certificate | null {
  if (typeof data !== 'string') return null;
  try {
    return new X509Certificate(data.includes('-----BEGIN') ? data : Buffer.from(data, 'base64'));
  } catch {
    return null;
  }
}

/**
 * Removes what k8sup wrote for a cluster (as `delete cluster` does, like kops): the cluster entry named `name` that
 * trusts this cluster's CA, the user entry named `name` whose client certificate this CA issued, and the context
 * named `name` that joins them. Entries with the same names for anything else, and every other entry, are kept.
 * current-context is cleared when it was the removed context.
 */
export function removeKubeconfigEntries(existingYaml: string, target: { name: string; caCertPem: string }): { yaml: string; removed: string[] } {
  const doc = parseKubeconfig(existingYaml, 'the kubeconfig');
  const ca = new X509Certificate(target.caCertPem);
  const cluster = (doc.clusters ?? []).find((c) => c.name === target.name && certOf((c.cluster as Record<string, unknown> | undefined)?.['certificate-authority-data'])?.raw.equals(ca.raw));
  const user = (doc.users ?? []).find((u) => {
    const cert = u.name === target.name ? certOf((u.user as Record<string, unknown> | undefined)?.['client-certificate-data']) : null;
    return cert !== null && cert.checkIssued(ca) && cert.verify(ca.publicKey);
  });
  const context = (doc.contexts ?? []).find((c) => {
    const ctx = c.context as Record<string, unknown> | undefined;
    return c.name === target.name && ctx?.cluster === target.name && ctx?.user === target.name;
  });
  const removed: string[] = [];
  if (context && (cluster || user)) {
    doc.contexts = doc.contexts!.filter((c) => c !== context);
    removed.push(`context ${target.name}`);
    if (doc['current-context'] === target.name) doc['current-context'] = '';
  }
  if (cluster) {
    doc.clusters = doc.clusters!.filter((c) => c !== cluster);
    removed.push(`cluster ${target.name}`);
  }
  if (user) {
    doc.users = doc.users!.filter((u) => u !== user);
    removed.push(`user ${target.name}`);
  }
  return { yaml: stringify(doc, { lineWidth: 0 }), removed };
}

/**
 * Writes a kubeconfig with mode 0600, creating its folder (0700) when missing. The new content goes to a temp file in
 * the same folder and is renamed over the target, so readers never see a partial file and an old, too-open mode is
 * replaced too. A symlinked kubeconfig is followed, so the link itself survives.
 */
export async function writeKubeconfigFile(path: string, yamlText: string): Promise<void> {
  let target = path;
  try {
    target = await realpath(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const dir = dirname(target);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const tmp = join(dir, `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  const fh = await open(tmp, 'wx', 0o600);
  try {
    await fh.writeFile(yamlText, 'utf8');
    await fh.sync();
  } catch (e) {
    await fh.close();
    await rm(tmp, { force: true });
    throw e;
  }
  await fh.close();
  try {
    // The umask can only narrow the mode given to open(); set it explicitly anyway so it is exactly 0600.
    await chmod(tmp, 0o600);
    await rename(tmp, target);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  // Paranoia for odd filesystems where rename keeps the old inode's mode.
  if (((await stat(target)).mode & 0o777) !== 0o600) await chmod(target, 0o600);
}
