// The bootstrap bundle of a GCE group (the instance metadata `startup-script` is its loader: src/bootstrap/loader.ts). The API addresses are only known once the static addresses exist, and the
// same script must work from Terraform (which cannot substitute into a file it reads), so the bootstrap script is
// rendered with placeholder hosts and wrapped: at boot the wrapper reads the real addresses from the instance
// metadata items `k8sup-api-address` (the internal load balancer: kubeadm's controlPlaneEndpoint, what every node
// and joiner uses) and `k8sup-api-public-address` (the admins' endpoint, a name in the serving certificate), set
// from Refs to the addresses, substitutes them, and runs the bootstrap.
// Only public values go in (CA hash, endpoint, store URL): nodes fetch secrets from the state bucket with their
// service account, never from metadata.
//
// GCE has no metadata hop limit (AWS' IMDS hop limit 1 keeps pods from the instance role): the wrapper, which runs
// at every boot, adds a policy-routing rule that refuses to route packets from the pod range to the metadata
// server, so pods (not host-network ones) cannot ask it for the instance's service-account token. A routing rule,
// not a firewall rule: CNIs put their own iptables chains first and accept workload traffic there, and routing
// happens before the CNI's source NAT. See docs/gce.md for what this does and does not cover.

import type { Cluster } from '../../../src/api/types.js';
import type { BuildInputs } from '../../../src/core/provider.js';
import { gceCloud } from '../cloud.js';
import { bootstrapBundle, renderBootstrapInstaller, renderBootstrapScript, renderLoader, type BootstrapBundle, type BootstrapInput, type NodeRole } from '../../../src/bootstrap/index.js';

export const API_ADDRESS_METADATA_KEY = 'k8sup-api-address';
export const API_PUBLIC_ADDRESS_METADATA_KEY = 'k8sup-api-public-address';
/** Syntactically valid host names (the bootstrap renderer validates hosts) that cannot occur by accident. */
export const API_ADDRESS_PLACEHOLDER = 'k8sup-var-api-address.invalid';
export const API_PUBLIC_ADDRESS_PLACEHOLDER = 'k8sup-var-api-public-address.invalid';

/** The metadata server's address (metadata.google.internal). */
export const METADATA_SERVER_IP = '169.254.169.254';
/** Before the main table (32766) and Cilium's own rules (9, 100+ only for its marks): pods never reach the server. */
export const METADATA_RULE_PRIORITY = 50;

export function wrapStartupScript(bootstrap: string, podCIDR: string): string {
  const url = (key: string) => `http://metadata.google.internal/computeMetadata/v1/instance/attributes/${key}`;
  const read = (variable: string, key: string) => [
    `${variable}="$(curl -fsS --retry 10 --retry-connrefused --connect-timeout 5 -H 'Metadata-Flavor: Google' '${url(key)}')"`,
    `[[ "\${${variable}}" =~ ^[0-9.]+$ ]] || { echo "k8sup: bad ${key} '\${${variable}}'" >&2; exit 1; }`,
  ];
  const sedEscape = (s: string) => s.replace(/\./g, '\\.');
  const rule = `from ${podCIDR} to ${METADATA_SERVER_IP}/32 prohibit priority ${METADATA_RULE_PRIORITY}`;
  // The startup script runs at every boot: it keeps pods from the metadata server, then installs
  // k8sup-bootstrap.service (which runs the bootstrap until it succeeds) with the API addresses filled in.
  return renderBootstrapInstaller(bootstrap, {
    prelude: [
      `ip rule del ${rule} 2>/dev/null || true`,
      `ip rule add ${rule}`,
      ...read('api_address', API_ADDRESS_METADATA_KEY),
      ...read('api_public_address', API_PUBLIC_ADDRESS_METADATA_KEY),
    ],
    filter: `sed -e "s/${sedEscape(API_ADDRESS_PLACEHOLDER)}/\${api_address}/g" -e "s/${sedEscape(API_PUBLIC_ADDRESS_PLACEHOLDER)}/\${api_public_address}/g"`,
  });
}

function bootstrapInputFor(cluster: Cluster, inputs: BuildInputs, role: NodeRole, nodeGroup: string): BootstrapInput {
  const name = cluster.metadata.name;
  const dnsName = cluster.spec.api.dnsZone ? `api.${name}` : null;
  return {
    cluster,
    role,
    nodeGroup,
    provider: gceCloud.nodes,
    // Never the public address: a restricted `api.adminAccess` would drop the nodes (they come from public IPs).
    apiEndpoint: `${API_ADDRESS_PLACEHOLDER}:6443`,
    apiCertSANs: [...(dnsName ? [dnsName] : []), API_PUBLIC_ADDRESS_PLACEHOLDER],
    caCertHash: inputs.caCertHash,
    stateStoreUrl: inputs.stateStore,
    ...(inputs.upgradeFrom ? { upgradeFrom: inputs.upgradeFrom } : {}),
  };
}

/** The bootstrap bundle of one group, as stored in the state store: what the startup script used to be. */
export function bundleFor(cluster: Cluster, inputs: BuildInputs, role: NodeRole, nodeGroup: string): BootstrapBundle {
  return bootstrapBundle(wrapStartupScript(renderBootstrapScript(bootstrapInputFor(cluster, inputs, role, nodeGroup)), cluster.spec.networking.podCIDR));
}


/**
 * The instance metadata `startup-script`: the loader of the group's bundle (docs/bootstrap.md, "The loader"). It runs
 * at every boot, fetches the bundle with the service account's token and runs it.
 */
export function startupScriptFor(cluster: Cluster, inputs: BuildInputs, role: NodeRole, nodeGroup: string): string {
  return renderLoader(bootstrapInputFor(cluster, inputs, role, nodeGroup), bundleFor(cluster, inputs, role, nodeGroup));
}
