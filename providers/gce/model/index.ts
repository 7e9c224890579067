// The GCE model: a pure function of the spec (and public build inputs) to resource nodes. No I/O, no clients.

import type { Cluster } from '../../../src/api/types.js';
import type { BuildInputs } from '../../../src/core/provider.js';
import type { ResourceNode } from '../../../src/core/resource.js';
import { computeNodes } from './compute.js';
import { identityNodes } from './identity.js';
import { loadBalancerNodes } from './loadbalancer.js';
import { description } from './names.js';
import { networkNodes } from './network.js';

export function buildGceGraph(cluster: Cluster, inputs: BuildInputs): ResourceNode[] {
  const nodes = [...networkNodes(cluster), ...identityNodes(cluster, inputs), ...computeNodes(cluster, inputs), ...loadBalancerNodes(cluster)];
  // The description marker is how list() recognises the cluster's objects (most GCE kinds have no labels). Cloud DNS
  // record sets have no description either: their name (`api.<cluster>.`) is what identifies them; a bucket IAM
  // binding carries the marker in its condition's description (identity.ts).
  const marked = (n: ResourceNode) => n.kind !== 'dns-record' && n.kind !== 'bucket-iam-member';
  return nodes.map((n) => (marked(n) ? { ...n, fields: { ...n.fields, description: description(cluster.metadata.name, n.id) } } : n));
}
