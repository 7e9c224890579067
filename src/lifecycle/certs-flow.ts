// certs check and certs renew (docs/pki.md, "Certificate expiry"): the cluster's spec → its provider's certificates
// capability where k8sup reaches the control planes (bare metal, over SSH), else the API server's serving certificate
// and the CAs in the state store (check only). Renewing holds the cluster's lock; checking is read-only. The CLI
// (src/cli/certs-check.ts, certs-renew.ts) renders what comes out; nothing here prints.

import type { Cluster } from '../api/types.js';
import { KUBERNETES_RELEASES, parseKubeVersion, releaseOf } from '../api/version.js';
import { InvalidInputError } from '../core/errors.js';
import type { IoHost } from '../core/io.js';
import { expiryOf, type CertificateExpiry } from '../pki/expiry.js';
import type { BlobStore } from '../state/blob.js';
import { ClusterStore } from '../state/cluster-store.js';
import { readClusterInfo } from './cluster-info.js';
import { closeClients, connectProvider, loadProviderFor, type FlowHost } from './deploy.js';
import { mutateCluster, readSpec, type Actor } from './spec-store.js';

export interface CertsFlowInput extends FlowHost {
  store: BlobStore;
  name: string;
}

const warn = (io: IoHost, message: string) => io.emit({ code: 'note', level: 'warn', message });

/**
 * `certs check`: every certificate of the cluster k8sup can read, soonest to expire first, and how to renew them
 * (`certs renew` where k8sup reaches the control planes; elsewhere new control planes get new ones).
 */
export async function checkCertificatesFlow(input: CertsFlowInput): Promise<{ certificates: CertificateExpiry[]; renewal: CertificateRenewal }> {
  const { store, name } = input;
  const cs = new ClusterStore(store, name);
  const { cluster } = await readSpec(cs, name);
  const provider = await loadProviderFor(cluster);
  const found = await clusterCertificates(input, cs, cluster, provider);
  const certificates = found.sort((a, b) => a.daysLeft - b.daysLeft || a.source.localeCompare(b.source) || a.name.localeCompare(b.name));
  return { certificates, renewal: provider.certificates ? { text: 'renew them', command: `certs renew ${name} --yes` } : cloudCertificateRenewal(cluster) };
}

async function clusterCertificates(input: CertsFlowInput, cs: ClusterStore, cluster: Cluster, provider: Awaited<ReturnType<typeof loadProviderFor>>): Promise<CertificateExpiry[]> {
  const { store, io } = input;
  if (provider.certificates) {
    const clients = await connectProvider({ store, cluster, io, env: input.env, home: input.home, signal: input.signal, sshAcceptNew: Boolean(input.sshAcceptNew) }, provider);
    try {
      return await provider.certificates.check(cluster, clients);
    } finally {
      closeClients(clients);
    }
  }
  const name = cluster.metadata.name;
  const found: CertificateExpiry[] = [];
  const { loadClusterPki } = await import('../pki/index.js');
  const pki = await loadClusterPki(store, name);
  if (pki) {
    for (const [file, pem] of [['ca.crt', pki.ca.certPem], ['front-proxy-ca.crt', pki.frontProxyCa.certPem], ['etcd/ca.crt', pki.etcdCa.certPem]] as const) {
      found.push(expiryOf(`pki/${file}`, 'state store', pem));
    }
  }
  const { apiEndpoint } = await readClusterInfo(cs);
  if (apiEndpoint) {
    const { servingCertificate } = await import('../pki/serving-certificate.js');
    try {
      found.push(expiryOf('apiserver (serving)', new URL(apiEndpoint).host, await servingCertificate(apiEndpoint)));
    } catch (e) {
      warn(io, `could not read the API server's certificate at ${apiEndpoint}: ${e instanceof Error ? e.message : e}`);
    }
  } else {
    warn(io, `${name} has no recorded API endpoint (not applied?): only the CAs in the state store were checked`);
  }
  return found;
}

/**
 * Where k8sup does not log in to the control planes, their certificates are renewed by new control planes, which
 * kubeadm gives new ones when they join. rolling-update replaces control planes only when there are at least 3 (a
 * lone one is etcd's only copy); a lone one is renewed by an upgrade, which launches the new one beside it, or by hand.
 */
export function cloudCertificateRenewal(cluster: Cluster): CertificateRenewal {
  const name = cluster.metadata.name;
  if (cluster.spec.controlPlane.count >= 3) {
    return { text: 'replace the control planes, which get new certificates when they join', command: `rolling-update cluster ${name} --instance-group control-plane --force --yes` };
  }
  // Not "on the control plane": by default no one logs in to a cloud instance (no SSH key, port 22 closed; on AWS a key
  // added later reaches only instances launched after it). A privileged debug pod reaches the host through the API.
  const byHand = 'renew by hand through the API, no login needed: `kubectl debug node/<control plane> --profile=sysadmin --image=busybox -- chroot /host kubeadm certs renew all`, then restart its static pods the same way (docs/pki.md, "Renewing a cloud control plane by hand")';
  const current = parseKubeVersion(cluster.spec.kubernetesVersion);
  const release = current && releaseOf(current);
  const nextMinor = current && KUBERNETES_RELEASES[current.minor + 1];
  const next = !current || !release ? undefined : current.patch < release.newestPatch ? `1.${current.minor}.${release.newestPatch}` : nextMinor ? `1.${current.minor + 1}.${nextMinor.newestPatch}` : undefined;
  if (!next) return { text: `rolling-update does not replace a single control plane, and ${cluster.spec.kubernetesVersion} is the newest version k8sup installs: ${byHand}` };
  return { text: 'upgrade (rolling-update does not replace a single control plane; the upgrade launches the new one beside it, with new certificates)', command: `upgrade cluster ${name} --kubernetes-version ${next} --yes`, otherwise: byHand };
}

/** How certificates get renewed: a command (`k8sup …`) with what it does, else (or also) what to do by hand. */
export interface CertificateRenewal {
  text: string;
  command?: string;
  otherwise?: string;
}

/** One line: what to do, the command, and the other way. */
export function renewalAdvice(r: CertificateRenewal, command = r.command && `k8sup ${r.command}`): string {
  return `${r.text}${command ? `: ${command}` : ''}${r.otherwise ? `; or ${r.otherwise}` : ''}`;
}

export interface RenewStep {
  target: string;
  description: string;
}

/**
 * `certs renew`: `show` gets the control planes to renew, in order, before anything changes. With apply (--yes),
 * under the cluster's lock, each is renewed in turn and the certificates are read again: `soonest` is the first leaf
 * certificate to expire afterwards.
 */
export async function renewCertificatesFlow(
  input: CertsFlowInput & { actor: Actor; apply: boolean },
  show: (steps: RenewStep[]) => void,
): Promise<{ stage: 'previewed'; steps: RenewStep[] } | { stage: 'renewed'; soonest?: CertificateExpiry }> {
  const { store, name } = input;
  const { cluster } = await readSpec(new ClusterStore(store, name), name);
  const provider = await loadProviderFor(cluster);
  const capability = provider.certificates;
  if (!capability) {
    const renewal = cloudCertificateRenewal(cluster);
    throw new InvalidInputError(`${name} runs on ${provider.name}, where k8sup does not log in to the control planes to renew certificates`, {
      hint: renewalAdvice(renewal),
    });
  }
  const steps = capability.renewPlan(cluster);
  show(steps);
  if (!input.apply) return { stage: 'previewed', steps };
  return mutateCluster(store, name, input.actor, 'certs renew', async () => {
    const clients = await connectProvider({ store, cluster, io: input.io, env: input.env, home: input.home, signal: input.signal, sshAcceptNew: Boolean(input.sshAcceptNew) }, provider);
    try {
      await capability.renew(cluster, clients, input.io);
      const after = await capability.check(cluster, clients);
      return { stage: 'renewed' as const, soonest: after.filter((c) => !c.isCa).sort((a, b) => a.daysLeft - b.daysLeft)[0] };
    } finally {
      closeClients(clients);
    }
  });
}
