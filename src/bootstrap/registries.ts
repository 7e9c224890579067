// containerd's per-registry TLS settings (spec.assets.registries) as /etc/containerd/certs.d/<host>/hosts.toml.

import type { RegistrySpec } from '../api/types.js';
import { yamlQuote } from './quote.js';
import { loadTemplate, renderTemplate } from './template.js';

export const CERTS_D = '/etc/containerd/certs.d';

export function registryHostFiles(registries: RegistrySpec[]): { registry: string; hostsToml: string }[] {
  return registries.map((reg) => ({
    registry: reg.host,
    hostsToml: renderTemplate(
      loadTemplate('node/registry-host-ca.toml'),
      {
        registry: reg.host,
        server: `https://${reg.host}`,
        caFile: reg.caCert ? `${CERTS_D}/${reg.host}/ca.crt` : '',
        skipVerify: reg.insecureSkipVerify === true,
      },
      yamlQuote,
      'node/registry-host-ca.toml',
    ),
  }));
}

// ---- pull credentials (spec.assets.registries[].credentials.secretRef) ----
//
// A credential is a secret of the state store, written by `k8sup create secret registry` (src/lifecycle/registry-secrets.ts)
// as the body of containerd's CRI auth table: `username = "…"` / `password = "…"`, or `auth`, or `identitytoken`.
// It never enters a bootstrap script: cloud nodes fetch it with their own identity at boot, k8sup copies it to metal
// hosts over SSH (0600), and the script assembles containerd's drop-in from it (templates/bootstrap/containerd.sh).

/** Where registry credentials live under `<prefix>/<cluster>/`: below `bootstrap/`, which every node may read. */
export const REGISTRY_CREDENTIALS_FOLDER = 'bootstrap/registry-credentials/';

/** A credential's key relative to the cluster's folder. */
export function registryCredentialKey(secret: string): string {
  return `${REGISTRY_CREDENTIALS_FOLDER}${secret}.toml`;
}

/**
 * The root-only containerd drop-in the credentials end up in. config.toml imports it by name (only when credentials
 * are configured), and containerd 2.x merges imported plugin sections key by key.
 */
export const CONTAINERD_AUTH_DROP_IN = '/etc/containerd/conf.d/k8sup-registry-auth.toml';

/** What `docker login` stores for a registry (docker config.json `auths` entries), in containerd's field names. */
export type RegistryCredential = { username: string; password: string } | { auth: string } | { identitytoken: string };

/**
 * A TOML basic string. JSON string escapes are TOML escapes, as long as the text has no character JSON leaves raw
 * but TOML forbids (DEL) and no lone surrogate: credentialIssue refuses those.
 */
function tomlString(value: string): string {
  return JSON.stringify(value);
}

/** Why `value` cannot be a credential field, or null. */
export function credentialIssue(value: string): string | null {
  if (value.length === 0) return 'is empty';
  if (/[\u0000-\u001f\u007f]/.test(value)) return 'contains a control character (a pasted newline?)';
  if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(value)) return 'is not valid Unicode (a lone surrogate)';
  return null;
}

/** The stored form of a credential: the key/value lines of containerd's `[…registry.configs."<host>".auth]` table. */
export function renderRegistryCredential(cred: RegistryCredential): string {
  const lines = Object.entries(cred).map(([k, v]: [string, string]) => {
    const issue = credentialIssue(v);
    if (issue) throw new Error(`registry credential ${k} ${issue}`);
    return `${k} = ${tomlString(v)}`;
  });
  return `${lines.join('\n')}\n`;
}

/** The registries whose pulls carry a credential, with the secret each one uses. */
export function registryAuthEntries(registries: RegistrySpec[]): { host: string; secret: string }[] {
  return registries.filter((r) => r.credentials).map((r) => ({ host: r.host, secret: r.credentials!.secretRef }));
}
