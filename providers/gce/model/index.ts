// The GCE model: a pure function of the spec (and public build inputs) to resource nodes. No I/O, no clients.

import type { Cluster } from '../../../src/api/types.js';
import type { BuildInputs } from '../../../src/core/provider.js';
import type { ResourceNode } from '../../../src/core/resource.js';
import { computeNodes } from './compute.js';
import { identityNodes } from './identity.js';
import { loadBalancerNodes } from './loadbalancer.js';
import { clusterIdLabel, description, LABEL_CLUSTER, LABEL_CLUSTER_ID } from './names.js';
import { networkNodes } from './network.js';

export function buildGceGraph(cluster: Cluster, inputs: BuildInputs): ResourceNode[] {
  const nodes = [...networkNodes(cluster), ...identityNodes(cluster, inputs), ...computeNodes(cluster, inputs), ...loadBalancerNodes(cluster)];
  // The description marker is how list() recognises the cluster's objects (most GCE kinds have no labels). Cloud DNS
  // record sets have no description either: their name (`api.<cluster>.`) is what identifies them; a bucket IAM
  // binding carries the marker in its condition's description (identity.ts).
  // The cluster id goes into the marker and onto every labelled object, in this one place.
  const uid = cluster.metadata.uid;
  const withId = (labels: unknown) => (uid && labels && typeof labels === 'object' && LABEL_CLUSTER in labels ? { ...labels, [LABEL_CLUSTER_ID]: clusterIdLabel(uid) } : labels);
  return nodes.map((n): ResourceNode => {
    if (n.kind === 'dns-record' || n.kind === 'bucket-iam-member') return n;
    const fields: ResourceNode['fields'] = { ...n.fields, description: description(cluster.metadata.name, n.id, uid) };
    if ('labels' in n.fields) fields.labels = withId(n.fields.labels) as ResourceNode['fields'][string];
    return { ...n, fields };
  });
}
