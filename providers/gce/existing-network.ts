// An existing network and subnetwork (spec.networking.networkId / subnets): checked at connect, before any change,
// so a typo or a mismatch is bad input (exit 2) rather than a half-built cluster. k8sup never writes to either: the
// graph has no resource for them (model/network.ts refers to them by self link), so no plan updates or deletes them.

import type { Cluster } from '../../src/api/types.js';
import { cidrContains, parseCidr } from '../../src/api/cidr.js';
import { InvalidInputError } from '../../src/core/errors.js';
import type { GceClients } from './clients.js';
import { classifyGceError } from './errors.js';
import { lastSegment } from './model/names.js';

/** The fields of a network or subnetwork checked here. */
interface NetworkObject {
  name?: string | null;
  selfLink?: string | null;
  autoCreateSubnetworks?: boolean | null;
  network?: string | null;
  purpose?: string | null;
  role?: string | null;
  ipCidrRange?: string | null;
  description?: string | null;
}

async function getOrNull(clients: GceClients, service: 'networks' | 'subnetworks', request: Record<string, unknown>): Promise<NetworkObject | null> {
  try {
    return await clients.api.call<NetworkObject>(service, 'get', { project: clients.settings.project, ...request });
  } catch (err) {
    if (classifyGceError(err) === 'not-found') return null;
    throw err;
  }
}

export async function checkExistingNetwork(cluster: Cluster, clients: GceClients): Promise<void> {
  const s = cluster.spec;
  const networkName = s.networking.networkId;
  const subnetName = s.networking.subnets?.[0];
  if (networkName === undefined || subnetName === undefined) return;
  const refuse = (path: string, message: string, hint: string): never => {
    throw InvalidInputError.fromIssues([{ path, message }], hint);
  };
  const network = await getOrNull(clients, 'networks', { network: networkName });
  if (!network) refuse('spec.networking.networkId', `network ${networkName} does not exist in project ${s.project}`, `List the networks with \`gcloud compute networks list --project ${s.project}\` and pass one with --network-id.`);
  if (network!.autoCreateSubnetworks) {
    refuse('spec.networking.networkId', `network ${networkName} is an auto-mode network`, 'Use a custom-mode network (gcloud compute networks create NAME --subnet-mode custom), or convert it: gcloud compute networks update NAME --switch-to-custom-subnet-mode.');
  }
  const subnet = await getOrNull(clients, 'subnetworks', { region: s.region, subnetwork: subnetName });
  if (!subnet) refuse('spec.networking.subnets[0]', `subnetwork ${subnetName} does not exist in region ${s.region} of project ${s.project}`, `List them with \`gcloud compute networks subnets list --network ${networkName} --regions ${s.region}\`.`);
  if (subnet!.network !== network!.selfLink) refuse('spec.networking.subnets[0]', `subnetwork ${subnetName} is in network ${lastSegment(subnet!.network)}, not ${networkName}`, 'Pass a subnetwork of the --network-id network.');
  if (subnet!.purpose && subnet!.purpose !== 'PRIVATE') refuse('spec.networking.subnets[0]', `subnetwork ${subnetName} has purpose ${subnet!.purpose}: instances cannot be placed in it`, 'Pass a regular (PRIVATE purpose) subnetwork.');
  // The internal firewall rule and the API's VPC-side rules use networkCIDR as "the cluster's addresses".
  const range = parseCidr(String(subnet!.ipCidrRange));
  const declared = parseCidr(s.networking.networkCIDR);
  if (!range || !declared || !cidrContains(declared, range)) {
    refuse('spec.networking.networkCIDR', `${s.networking.networkCIDR} does not contain ${subnetName}'s range ${subnet!.ipCidrRange}`, `Set spec.networking.networkCIDR to ${subnet!.ipCidrRange} before the first apply: networkCIDR in the cluster file (create -f), or \`k8sup edit cluster ${cluster.metadata.name}\` once the spec is stored (\`create cluster\` without --yes stores it).`);
  }
  // The internal API load balancer's proxies need a proxy-only subnetwork of their own in the region and network.
  const proxies = await clients.api.list<NetworkObject>('subnetworks', { region: s.region, filter: 'purpose = "REGIONAL_MANAGED_PROXY"' });
  const active = proxies.find((x) => x.network === network!.selfLink && x.role === 'ACTIVE' && !String(x.description ?? '').includes(`[k8sup-cluster=${cluster.metadata.name} `));
  if (active) {
    refuse('spec.networking.networkId', `network ${networkName} already has an active proxy-only subnetwork in ${s.region} (${active.name}), and k8sup's internal API load balancer brings its own`, 'Use a network without one (k8sup cannot share it yet), or let k8sup make its own network (drop --network-id/--subnets).');
  }
}
