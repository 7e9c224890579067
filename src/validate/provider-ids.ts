// Nodes the cloud-controller-manager has initialised carry the cloud's provider ID (CloudFacts.providerId): it is how
// the CCM finds a node's instance (addresses, zone, removal once the instance is gone) and how load balancers and
// volume attachments name it. A node without one was never initialised: validate counts it as a failure.

import type { V1Node } from '@kubernetes/client-node';
import { enabledAddons } from '../addons/index.js';
import type { Cluster } from '../api/types.js';
import { cloudFacts } from '../../providers/facts.js';
import { FailureType, type ValidationFailure } from './types.js';

export function evaluateProviderIds(cluster: Cluster, nodes: V1Node[]): ValidationFailure[] {
  const expected = cloudFacts(cluster.spec.cloud)?.providerId;
  if (!expected || !enabledAddons(cluster).some((a) => a.name === expected.addon)) return [];
  return nodes.flatMap((node) => {
    const name = node.metadata?.name ?? '';
    const id = node.spec?.providerID;
    if (!id) return [{ type: FailureType.NODE, name, message: `node ${name} has no providerID: ${expected.addon} has not initialised it (expected ${expected.example})` }];
    if (!expected.shape.test(id)) return [{ type: FailureType.NODE, name, message: `node ${name} has providerID ${id}, not one of this cloud's instances (expected ${expected.example})` }];
    return [];
  });
}
