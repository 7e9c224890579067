// Launch-template user data as a template plus variables. The user data is the loader (src/bootstrap/loader.ts): it
// fetches the group's bootstrap bundle from the state store and passes it the load balancers' names. The API load balancers' DNS names are only known after
// they exist, so the bootstrap script is rendered with placeholder host names and `vars` holds Refs to the real ones;
// the engine resolves Refs nested in fields and the launch-template handler substitutes them before base64-encoding.
// The Refs also order every launch template after the load balancers.
//
// Nodes and joiners use the internal load balancer (the kubeadm controlPlaneEndpoint, so it is also what kubelet.conf
// and kube-proxy point at); the serving certificate also names the public endpoint, which admins use.

import type { Cluster } from '../../../src/api/types.js';
import type { BuildInputs } from '../../../src/core/provider.js';
import { ref, type FieldValue } from '../../../src/core/resource.js';
import { awsCloud } from '../cloud.js';
import { bootstrapBundle, renderBootstrapInstaller, renderBootstrapScript, renderLoader, type BootstrapBundle, type BootstrapInput, type NodeRole } from '../../../src/bootstrap/index.js';
import { INTERNAL_LOAD_BALANCER, LOAD_BALANCER } from './ids.js';
import { apiLoadBalancerTypeOf } from '../../../src/api/topology.js';

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

/** The environment variables the loader hands the bundle: the (internal) load balancer's DNS name (docs/bootstrap.md). */
const LB_ENV = { API_LB_DNS: 'K8SUP_LB', API_INTERNAL_LB_DNS: 'K8SUP_ILB' } as const;

function bootstrapInputFor(cluster: Cluster, inputs: BuildInputs, role: NodeRole, nodeGroup: string): BootstrapInput {
  const name = cluster.metadata.name;
  const lbHost = placeholder('API_LB_DNS');
  const internalHost = placeholder('API_INTERNAL_LB_DNS');
  const dnsName = cluster.spec.api.dnsZone ? `api.${name}` : null;
  // loadBalancerType internal: there is no public load balancer; admins use the internal one (from the VPC, a VPN…).
  const hasPublic = apiLoadBalancerTypeOf(cluster) === 'public';
  return {
    cluster,
    role,
    nodeGroup,
    provider: awsCloud.nodes,
    apiEndpoint: `${internalHost}:6443`,
    // The certificate must be valid for every name: admins use the public ones.
    apiCertSANs: [...(dnsName ? [dnsName] : []), hasPublic ? lbHost : internalHost],
    caCertHash: inputs.caCertHash,
    stateStoreUrl: inputs.stateStore,
    // Looked up once at create (spec.stateStore.region): nodes address and sign for the bucket's own region.
    stateStoreRegion: cluster.spec.stateStore?.region,
    ...(inputs.upgradeFrom ? { upgradeFrom: inputs.upgradeFrom } : {}),
  };
}

/**
 * The bootstrap bundle of one group, as stored in the state store: the installer of k8sup-bootstrap.service with
 * the whole script, which fills in the load balancers' names the loader passes it.
 */
export function bundleFor(cluster: Cluster, inputs: BuildInputs, role: NodeRole, nodeGroup: string): BootstrapBundle {
  const names = Object.entries(LB_ENV);
  const installer = renderBootstrapInstaller(renderBootstrapScript(bootstrapInputFor(cluster, inputs, role, nodeGroup)), {
    prelude: [
      `for v in ${names.map(([, env]) => env).join(' ')}; do [[ "\${!v:-}" =~ ^[a-z0-9.-]+$ ]] || { echo "k8sup: bad \${v} from the loader" >&2; exit 1; }; done`,
    ],
    filter: `sed ${names.map(([k, env]) => `-e "s/${placeholder(k).replace(/\./g, '\\.')}/\${${env}}/g"`).join(' ')}`,
  });
  return bootstrapBundle(installer);
}


/** The launch template's user data: the loader of the group's bundle (docs/bootstrap.md, "The loader"). */
export function userDataFor(cluster: Cluster, inputs: BuildInputs, role: NodeRole, nodeGroup: string): UserDataTemplate {
  const bundle = bundleFor(cluster, inputs, role, nodeGroup);
  const env = Object.fromEntries(Object.entries(LB_ENV).map(([k, env]) => [env, placeholder(k)]));
  const template = renderLoader(bootstrapInputFor(cluster, inputs, role, nodeGroup), bundle, { env });
  const hasPublic = apiLoadBalancerTypeOf(cluster) === 'public';
  return { template, vars: { ...(hasPublic ? { API_LB_DNS: ref(LOAD_BALANCER, 'dns_name') } : {}), API_INTERNAL_LB_DNS: ref(INTERNAL_LOAD_BALANCER, 'dns_name') } };
}
