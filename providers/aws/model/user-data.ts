// Launch-template user data as a template plus variables. The API load balancer's DNS name is only known after it
// exists, so the bootstrap script is rendered with a placeholder host name and `vars` holds a Ref to the real one;
// the engine resolves Refs nested in fields and the launch-template handler substitutes them before base64-encoding.
// The Ref also orders every launch template after the load balancer.

import type { Cluster } from '../../../src/api/types.js';
import type { BuildInputs } from '../../../src/core/provider.js';
import { ref, type FieldValue } from '../../../src/core/resource.js';
import { renderBootstrapInstaller, renderBootstrapScript, type NodeRole } from '../../../src/bootstrap/index.js';
import { LOAD_BALANCER } from './ids.js';

export interface UserDataTemplate {
  template: string;
  vars: Record<string, FieldValue>;
}

/** A syntactically valid host name (the bootstrap renderer validates hosts) that cannot occur by accident. */
export const placeholder = (name: string) => `k8sup-var-${name.toLowerCase().replace(/_/g, '-')}.invalid`;

/** Substitutes every var's placeholder with its resolved value. */
export function renderUserData(t: { template: string; vars: Record<string, unknown> }): string {
  let out = t.template;
  for (const [k, v] of Object.entries(t.vars ?? {})) out = out.split(placeholder(k)).join(String(v));
  return out;
}

export function userDataFor(cluster: Cluster, inputs: BuildInputs, role: NodeRole, nodeGroup: string): UserDataTemplate {
  const name = cluster.metadata.name;
  const lbHost = placeholder('API_LB_DNS');
  const dnsName = cluster.spec.api.dnsZone ? `api.${name}` : null;
  // The user data installs the script as k8sup-bootstrap.service, which runs it until it succeeds.
  const template = renderBootstrapInstaller(renderBootstrapScript({
    cluster,
    role,
    nodeGroup,
    provider: 'aws',
    apiEndpoint: `${dnsName ?? lbHost}:6443`,
    // The certificate must be valid for both names: clients may use either.
    apiCertSANs: dnsName ? [lbHost] : [],
    caCertHash: inputs.caCertHash,
    stateStoreUrl: inputs.stateStore,
    // Looked up once at create (spec.stateStore.region): nodes address and sign for the bucket's own region.
    stateStoreRegion: cluster.spec.stateStore?.region,
  }));
  return { template, vars: { API_LB_DNS: ref(LOAD_BALANCER, 'dns_name') } };
}
