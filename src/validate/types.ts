// Public shapes of `validate cluster` (CONTRACT "validate cluster -o json"). Field names are fixed.

export interface ValidationFailure {
  /** What kind of thing failed; one of FailureType. */
  type: string;
  /** Which one, e.g. a node name, `kube-system/coredns`, a readyz check name, or the API server URL. */
  name: string;
  message: string;
}

export interface NodeStatus {
  name: string;
  role: 'control-plane' | 'node';
  /** Value of the `k8sup.io/node-group` label ('' when the node has none). */
  group: string;
  /** Value of `topology.kubernetes.io/zone` ('' when unset). */
  zone: string;
  /** Ready=True and NetworkUnavailable not True. */
  ready: boolean;
}

export interface ValidationReport {
  cluster: string;
  valid: boolean;
  failures: ValidationFailure[];
  nodes: NodeStatus[];
}

/** Where to reach the cluster: a kubeconfig document (from the state store or --kubeconfig) and an optional context. */
export interface KubeTarget {
  kubeconfigYaml: string;
  context?: string;
}

/** Failure types; stable strings that CI scripts may match on. */
export const FailureType = {
  /** The API server could not be reached or answered with an unexpected error. */
  API: 'api',
  /** One failing `/readyz` check (name: the check, e.g. `etcd`). */
  READYZ: 'readyz',
  /** A node group has fewer Ready nodes than the spec expects (name: the group). */
  NODE_GROUP: 'nodegroup',
  /** A node is not Ready or its network is unavailable (name: the node). */
  NODE: 'node',
  /** A control-plane static pod or a critical pod is missing or not Ready (name: `namespace/pod`). */
  POD: 'pod',
  /** kube-proxy or the CNI DaemonSet is missing or not fully rolled out (name: `namespace/name`). */
  DAEMONSET: 'daemonset',
  /** CoreDNS is missing or not ready (name: `namespace/name`). */
  DEPLOYMENT: 'deployment',
  /** A node reported that its bootstrap is failing (name: the instance; from the state store, docs/bootstrap.md). */
  BOOTSTRAP: 'bootstrap',
  /** --wait expired after some passes, but fewer than --count consecutive ones (name: the cluster). */
  WAIT: 'wait',
} as const;
