// The addon catalogue: every addon k8sup can install, with the one version it pins (the only table of addon versions
// and images). spec.addons turns addons on or off; a version other than the pinned one is refused, since k8sup only
// ships the manifest it has reviewed for it. Images are pinned by tag, and by digest only where the upstream project
// publishes one (none of the addons here does: see docs/addons.md). Manifests are templates/addons/<name>.yaml.
// Addons that only make sense on one cloud (its cloud-controller-manager, its CSI driver) are declared by that cloud,
// in providers/<cloud>/addons.ts through CloudFacts.addons, so that nothing here names a cloud.


export interface AddonImage {
  repository: string;
  tag: string;
  /** sha256:… only when upstream publishes it; never computed or copied from a third party. */
  digest?: string;
}

/** An object whose readiness says the addon runs (validate, `get addons`). */
export interface AddonWorkload {
  kind: 'Deployment' | 'DaemonSet';
  namespace: string;
  name: string;
}

/** What an addon's manifest may say about its cluster (beside its images). */
export interface AddonContext {
  clusterName: string;
}

export interface AddonDefinition {
  name: string;
  version: string;
  description: string;
  /** On unless spec.addons turns it off. */
  defaultEnabled: boolean;
  /** Its images, by the name its template uses for each ({{image}} for the one image of a single-image addon). */
  images: Record<string, AddonImage>;
  /** What it may do in the cluster (docs/addons.md lists the same). */
  permissions: string;
  workloads: AddonWorkload[];
  /** Where the version and manifest come from. */
  source: string;
  /** Template variables from the cluster (e.g. the tag its volumes carry), each a whole YAML value. */
  variables?(context: AddonContext): Record<string, string>;
}

/** The addons of every cloud. */
export const ADDONS: readonly AddonDefinition[] = [
  {
    name: 'metrics-server',
    version: 'v0.7.2',
    description: 'resource metrics (metrics.k8s.io) for kubectl top and HorizontalPodAutoscalers',
    defaultEnabled: true,
    images: { image: { repository: 'registry.k8s.io/metrics-server/metrics-server', tag: 'v0.7.2' } },
    permissions: 'reads pods and nodes, nodes/metrics (kubelet), the extension-apiserver-authentication ConfigMap; auth-delegator (token and access reviews); serves metrics.k8s.io/v1beta1',
    workloads: [{ kind: 'Deployment', namespace: 'kube-system', name: 'metrics-server' }],
    source: 'kubernetes-sigs/metrics-server release v0.7.2 (manifests/base, release image registry.k8s.io/metrics-server/metrics-server:v0.7.2)',
  },
];

export function imageReference(image: AddonImage): string {
  return `${image.repository}:${image.tag}${image.digest ? `@${image.digest}` : ''}`;
}
