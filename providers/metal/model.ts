// Pure: cluster spec → the per-host steps of a bare-metal install, as ResourceNodes with ordering edges.
//
//   host/<h>/prepared        every host, in parallel: reachable, facts checked, control planes get the PKI
//   host/<cp0>/kubeadm-init  the first control plane: the full bootstrap script, kubeadm init
//   host/<cpN>/joined        further control planes, one at a time (etcd membership changes are serialised)
//   host/<w>/joined          workers, in parallel once the first control plane is up

import type { Cluster, HostSpec } from '../../src/api/types.js';
import { InvalidInputError } from '../../src/core/errors.js';
import type { BuildInputs } from '../../src/core/provider.js';
import type { Fields, ResourceNode } from '../../src/core/resource.js';
import { apiFrontEnd, controlPlaneEndpoint } from './front-end.js';
import { registryAuthEntries } from '../../src/bootstrap/registries.js';

export { controlPlaneEndpoint };
import { hostName } from './hosts-file.js';

export const KIND_HOST = 'metal-host';
export const KIND_INIT = 'metal-kubeadm-init';
export const KIND_JOIN = 'metal-kubeadm-join';

export const stepId = (host: string, step: 'prepared' | 'kubeadm-init' | 'joined') => `host/${host}/${step}`;

export function workerGroup(cluster: Cluster): string {
  return cluster.spec.nodeGroups[0]?.name ?? 'nodes';
}

/**
 * The `registryCredentials` field of the kubeadm steps (`host=secret`; empty without credentials). Always present, so
 * the marker of an installed host records it and adding credentials later is a change (the diff skips fields a
 * marker lacks).
 */
export function registryCredentialsField(cluster: Cluster): { registryCredentials: string[] } {
  return { registryCredentials: registryAuthEntries(cluster.spec.assets?.registries ?? []).map((e) => `${e.host}=${e.secret}`) };
}

export function buildMetalGraph(cluster: Cluster, inputs: BuildInputs): ResourceNode[] {
  const hosts: HostSpec[] = cluster.spec.hosts ?? [];
  const controlPlanes = hosts.filter((h) => h.role === 'control-plane');
  if (controlPlanes.length === 0) {
    throw new InvalidInputError('spec.hosts: bare metal needs at least one host with role control-plane', { hint: 'pass --hosts FILE listing your machines' });
  }
  const first = hostName(controlPlanes[0]);
  const common = {
    kubernetesVersion: cluster.spec.kubernetesVersion,
    apiEndpoint: controlPlaneEndpoint(cluster),
    caCertHash: inputs.caCertHash,
    // Which registries pull with which secret (names only, never a credential): a change re-runs the bootstrap
    // script on installed hosts (kubeadm.ts), which copies the credentials and rewrites containerd's drop-in.
    ...registryCredentialsField(cluster),
  };
  // Recorded in the first control plane's marker, so a later run can tell the front end changed (connect refuses).
  const frontEnd = apiFrontEnd(cluster);
  // With HAProxy on the control planes, each one's configuration lists every API server: a control plane added
  // later changes this field on the others, whose update then rewrites their HAProxy and keepalived files.
  const frontEndFields: Fields = frontEnd === 'haproxy-keepalived' ? { apiServers: controlPlanes.map((h) => h.address) } : {};
  const nodes: ResourceNode[] = hosts.map((h) => ({
    kind: KIND_HOST,
    id: stepId(hostName(h), 'prepared'),
    fields: { host: hostName(h), address: h.address, port: h.port, user: h.user, role: h.role },
  }));
  nodes.push({
    kind: KIND_INIT,
    id: stepId(first, 'kubeadm-init'),
    fields: { host: first, address: controlPlanes[0].address, role: 'control-plane', cni: cluster.spec.networking.cni, ...common, ...(frontEnd === 'kube-vip' ? {} : { frontEnd }), ...frontEndFields },
    dependsOn: [stepId(first, 'prepared')],
  });
  let previousControlPlane = stepId(first, 'kubeadm-init');
  for (const cp of controlPlanes.slice(1)) {
    const id = stepId(hostName(cp), 'joined');
    nodes.push({
      kind: KIND_JOIN,
      id,
      fields: { host: hostName(cp), address: cp.address, role: 'control-plane', nodeGroup: 'control-plane', initHost: first, ...common, ...frontEndFields },
      dependsOn: [stepId(hostName(cp), 'prepared'), previousControlPlane],
    });
    previousControlPlane = id;
  }
  for (const w of hosts.filter((h) => h.role === 'worker')) {
    nodes.push({
      kind: KIND_JOIN,
      id: stepId(hostName(w), 'joined'),
      fields: { host: hostName(w), address: w.address, role: 'worker', nodeGroup: workerGroup(cluster), initHost: first, ...common },
      dependsOn: [stepId(hostName(w), 'prepared'), stepId(first, 'kubeadm-init')],
    });
  }
  return nodes;
}
