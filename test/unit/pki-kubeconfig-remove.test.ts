// delete cluster removes the kubeconfig entries k8sup wrote for the cluster, identified by its CA — and nothing
// else: another cluster's entries with the same names (a cluster re-created under the name, a hand-written entry)
// and every other entry stay. Checked with real kubectl reading the result.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { buildAdminKubeconfig, createCertificateAuthority, mergeKubeconfig, removeKubeconfigEntries } from '../../src/pki/index.js';

const NAME = 'demo.k8s.local';
const caOf = (cn: string) => createCertificateAuthority({ commonName: cn, validityYears: 1 });
const admin = (ca: ReturnType<typeof caOf>, name: string) => buildAdminKubeconfig(ca, { clusterName: name, server: 'https://127.0.0.1:6443', ttlMs: 3_600_000 }).yaml;

function kubectlContexts(yaml: string): string[] {
  const file = join(mkdtempSync(join(tmpdir(), 'k8sup-kc-')), 'config');
  writeFileSync(file, yaml);
  return execFileSync('kubectl', ['config', 'get-contexts', '-o', 'name'], { env: { ...process.env, KUBECONFIG: file }, encoding: 'utf8' }).trim().split('\n').filter(Boolean).sort();
}

test('removes the context, cluster and user k8sup wrote for this CA, and clears current-context', () => {
  const ca = caOf('kubernetes');
  const other = caOf('kubernetes');
  let yaml = mergeKubeconfig(null, admin(other, 'other.k8s.local'));
  yaml = mergeKubeconfig(yaml, admin(ca, NAME));
  assert.deepEqual(kubectlContexts(yaml), [NAME, 'other.k8s.local']);
  const { yaml: after, removed } = removeKubeconfigEntries(yaml, { name: NAME, caCertPem: ca.certPem });
  assert.deepEqual(removed, [`context ${NAME}`, `cluster ${NAME}`, `user ${NAME}`]);
  assert.deepEqual(kubectlContexts(after), ['other.k8s.local']);
  const doc = parse(after);
  assert.equal(doc['current-context'], '');
  assert.deepEqual([doc.clusters.map((c: any) => c.name), doc.users.map((u: any) => u.name)], [['other.k8s.local'], ['other.k8s.local']]);
});

test('entries of the same name that another CA stands behind are kept', () => {
  const old = caOf('kubernetes');
  const current = caOf('kubernetes');
  // The kubeconfig holds the entries of an earlier cluster of the same name (another CA).
  const yaml = mergeKubeconfig(null, admin(old, NAME));
  const { yaml: after, removed } = removeKubeconfigEntries(yaml, { name: NAME, caCertPem: current.certPem });
  assert.deepEqual(removed, []);
  assert.deepEqual(kubectlContexts(after), [NAME]);
  // A hand-written context with the name but a token user and another server CA: kept as well.
  const hand = `apiVersion: v1\nkind: Config\nclusters:\n- name: ${NAME}\n  cluster: {server: "https://x:6443", insecure-skip-tls-verify: true}\nusers:\n- name: ${NAME}\n  user: {token: abc}\ncontexts:\n- name: ${NAME}\n  context: {cluster: ${NAME}, user: ${NAME}}\ncurrent-context: ${NAME}\n`;
  assert.deepEqual(removeKubeconfigEntries(hand, { name: NAME, caCertPem: current.certPem }).removed, []);
});
