// Names k8sup writes on objects it does not own the schema of, once: Kubernetes node labels and the ownership tags on
// cloud objects (AWS tags use them as they are; GCE labels cannot hold '.' or '/', so providers/gce/model/names.ts
// spells its own), and the spec's reserved group name of the control plane.

/** The group of a node: its Kubernetes node label (kubelet --node-labels) and the tag on its cloud instance. */
export const NODE_GROUP_LABEL = 'k8sup.io/node-group';

/** The cluster's name on every object k8sup creates. */
export const CLUSTER_TAG = 'k8sup.io/cluster';
/** The cluster's identity (`metadata.uid`): tells apart clusters of the same name kept in different state stores. */
export const CLUSTER_ID_TAG = 'k8sup.io/cluster-id';
/** The object's id in the resource graph. */
export const RESOURCE_ID_TAG = 'k8sup.io/id';

/** The group name of the control plane (node groups may not use it). */
export const CONTROL_PLANE_GROUP = 'control-plane';
