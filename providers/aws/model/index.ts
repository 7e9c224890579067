// The AWS model: a pure function of the spec (and public build inputs) to resource nodes. No I/O, no clients.

import type { Cluster } from '../../../src/api/types.js';
import type { BuildInputs } from '../../../src/core/provider.js';
import type { ResourceNode } from '../../../src/core/resource.js';
import { computeNodes } from './compute.js';
import { iamNodes } from './iam.js';
import { loadBalancerNodes } from './loadbalancer.js';
import { networkNodes } from './network.js';
import { securityNodes } from './security.js';
import { withClusterId } from './names.js';

export function buildAwsGraph(cluster: Cluster, inputs: BuildInputs): ResourceNode[] {
  const nodes = [...networkNodes(cluster), ...securityNodes(cluster), ...iamNodes(cluster, inputs), ...loadBalancerNodes(cluster), ...computeNodes(cluster, inputs)];
  return withClusterId(nodes, cluster.metadata.uid);
}
