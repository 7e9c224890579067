// Registry pull credentials in the state store: what `k8sup create secret registry` writes and what applies check.
//
// One secret object per name, `<cluster>/bootstrap/registry-credentials/<name>.toml`, written like the PKI and the
// Secrets encryption key (`secret: true`: 0600 in 0700 folders on file stores; S3 and GCS encrypt every object). It sits
// under `bootstrap/` rather than `pki/` on purpose: every node pulls images (workers too), and `bootstrap/` is the part
// of the cluster's state a node's own identity may read (AWS instance role, GCE service account; `pki/` is for control
// planes only). So it is readable by whoever may read the state store and by this cluster's instances — never by
// someone who can only read user data / instance metadata, nor by another cluster's nodes. Metal hosts get it over SSH.
// No command prints it: `get cluster` shows only the secret's name (spec.assets.registries[].credentials.secretRef).

import { isSecretName } from '../api/component-rules.js';
import type { Cluster, RegistrySpec } from '../api/types.js';
import { InvalidInputError } from '../core/errors.js';
import type { ProviderState } from '../core/provider.js';
import { credentialIssue, registryAuthEntries, registryCredentialKey, type RegistryCredential } from '../bootstrap/registries.js';
import type { BlobStore } from '../state/blob.js';
import type { ClusterStore } from '../state/cluster-store.js';

/** The registry of spec.assets.registries a secret is for, with its index (field paths name it). */
export function registryEntry(cluster: Cluster, host: string): { index: number; registry: RegistrySpec } | null {
  const registries = cluster.spec.assets?.registries ?? [];
  const index = registries.findIndex((r) => r.host === host);
  return index < 0 ? null : { index, registry: registries[index] };
}

/**
 * Refuses a secret that the spec cannot use: a bad name or a registry the spec does not list. Pure: it runs before
 * anything is read from stdin or written.
 */
export function checkSecretTarget(cluster: Cluster, secret: string, host: string | undefined): { index: number; registry: RegistrySpec } {
  const name = cluster.metadata.name;
  if (!isSecretName(secret)) {
    throw new InvalidInputError(`secret name "${secret}" is not valid`, { hint: 'use lower-case letters, digits and "-" (at most 63), e.g. corp-registry' });
  }
  const listed = (cluster.spec.assets?.registries ?? []).map((r) => r.host);
  if (!host) {
    throw new InvalidInputError('--registry is required: which registry of spec.assets.registries the credential is for', {
      hint: listed.length ? `one of: ${listed.join(', ')}` : `add the registry to spec.assets.registries first (k8sup edit cluster ${name})`,
    });
  }
  const entry = registryEntry(cluster, host);
  if (!entry) {
    throw new InvalidInputError(`--registry: ${host} is not in spec.assets.registries of ${name}`, {
      hint: listed.length
        ? `use one of ${listed.join(', ')}, or add {host: ${host}, credentials: {secretRef: ${secret}}} to spec.assets.registries (k8sup edit cluster ${name})`
        : `add {host: ${host}, credentials: {secretRef: ${secret}}} to spec.assets.registries (k8sup edit cluster ${name})`,
    });
  }
  // A registry whose secretRef names another secret is fine: storing the new one first is how credentials rotate.
  return entry;
}

/** username/password as given on the command line and stdin; each must be a usable TOML string. */
export function passwordCredential(username: string, password: string): RegistryCredential {
  for (const [flag, value] of [['--username', username], ['--password-stdin', password]] as const) {
    const issue = credentialIssue(value);
    if (issue) throw new InvalidInputError(`${flag}: the value ${issue}`, { hint: flag === '--username' ? 'give the registry user name' : 'pipe the password alone, e.g. `printf %s "$PASSWORD" | k8sup create secret registry …`' });
  }
  return { username, password };
}

/** The registry a docker config.json `auths` key names: `https://host/v1/` and `host` both mean `host`. */
function authsHost(key: string): string {
  return key.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '').toLowerCase();
}

/**
 * The credential of `host` in a docker config.json (what `docker login` writes): its `auths` entry's `auth`
 * (base64 of user:password), `username`/`password`, or `identitytoken`. Credentials kept by a credential helper
 * (credsStore / credHelpers) are not in the file, and are refused with a hint.
 */
export function dockerConfigCredential(text: string, host: string, source: string): RegistryCredential {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new InvalidInputError(`--docker-config ${source}: not JSON (${(e as Error).message})`, { hint: 'give a docker config.json, e.g. ~/.docker/config.json after `docker login`' });
  }
  const auths = (doc as { auths?: Record<string, Record<string, unknown>> } | null)?.auths;
  const entry = auths && typeof auths === 'object' ? Object.entries(auths).find(([k]) => authsHost(k) === host)?.[1] : undefined;
  if (!entry || typeof entry !== 'object') {
    const helper = (doc as { credsStore?: string; credHelpers?: Record<string, string> } | null);
    const inHelper = helper?.credHelpers?.[host] ?? helper?.credsStore;
    throw new InvalidInputError(`--docker-config ${source}: auths has no credential for ${host}`, {
      hint: inHelper ? `docker keeps it in the credential helper docker-credential-${inHelper}: use --username and --password-stdin instead` : `run \`docker login ${host}\` first, or use --username and --password-stdin`,
    });
  }
  const field = (k: string) => (typeof entry[k] === 'string' && entry[k] !== '' ? (entry[k] as string) : undefined);
  let cred: RegistryCredential | null = null;
  if (field('identitytoken')) cred = { identitytoken: field('identitytoken')! };
  else if (field('username') && field('password')) cred = { username: field('username')!, password: field('password')! };
  else if (field('auth')) {
    const decoded = Buffer.from(field('auth')!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) cred = { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  if (!cred) throw new InvalidInputError(`--docker-config ${source}: the entry for ${host} has no usable auth, username/password or identitytoken`, { hint: `run \`docker login ${host}\` again, or use --username and --password-stdin` });
  for (const [k, v] of Object.entries(cred)) {
    const issue = credentialIssue(v);
    if (issue) throw new InvalidInputError(`--docker-config ${source}: the ${k} of ${host} ${issue}`, { hint: 'fix the entry, or use --username and --password-stdin' });
  }
  return cred;
}

/**
 * Stores a secret under the caller's lock. Create-only unless `replace`: a stored secret with the same bytes is
 * success (a retry), one with other bytes is refused without --force.
 */
export async function storeRegistrySecret(cs: ClusterStore, secret: string, content: string, replace: boolean): Promise<'created' | 'unchanged' | 'replaced'> {
  const key = registryCredentialKey(secret);
  const current = await cs.getObject(key);
  if (current && current.data.toString('utf8') === content) return 'unchanged';
  if (current && !replace) {
    throw new InvalidInputError(`secret ${secret} of ${cs.cluster} exists with another credential`, {
      hint: `add --force to replace it (running nodes keep the old one until replaced), or store it as ${secret}-2 and point the secretRef at it (docs/airgap.md, "Rotating")`,
    });
  }
  await cs.putObject(key, content, current ? { ifMatch: current.version, secret: true } : { ifNoneMatch: true, secret: true });
  return current ? 'replaced' : 'created';
}

/**
 * The error for the first secret the spec names that the store does not have, or null. An apply throws it before
 * anything changes (exit 2) instead of starting nodes that cannot pull their images; a plan shows it as a warning.
 */
export async function missingRegistrySecret(store: BlobStore, cluster: Cluster): Promise<InvalidInputError | null> {
  const name = cluster.metadata.name;
  const registries = cluster.spec.assets?.registries ?? [];
  for (const { host, secret } of registryAuthEntries(registries)) {
    if (await store.get(`${name}/${registryCredentialKey(secret)}`)) continue;
    const index = registries.findIndex((r) => r.host === host);
    return new InvalidInputError(`spec.assets.registries[${index}].credentials.secretRef: the state store has no secret ${secret} for ${name}`, {
      hint: `store it with \`k8sup create secret registry ${secret} --name ${name} --registry ${host} --username USER --password-stdin\``,
    });
  }
  return null;
}

/** The credentials a metal host gets over SSH before its bootstrap script runs: file name → content (0600). */
export async function registrySecretFiles(state: ProviderState | undefined, cluster: Cluster): Promise<{ secret: string; content: string }[]> {
  const entries = registryAuthEntries(cluster.spec.assets?.registries ?? []);
  if (entries.length === 0) return [];
  const files: { secret: string; content: string }[] = [];
  for (const secret of new Set(entries.map((e) => e.secret))) {
    const data = state ? await state.getObject(registryCredentialKey(secret)) : null;
    if (!data) {
      throw new InvalidInputError(`the state store has no registry secret ${secret} for ${cluster.metadata.name}`, {
        hint: `store it with \`k8sup create secret registry ${secret} --name ${cluster.metadata.name} --registry HOST --username USER --password-stdin\``,
      });
    }
    files.push({ secret, content: data.toString('utf8') });
  }
  return files;
}
