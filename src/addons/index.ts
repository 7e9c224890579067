// Addons as a managed set (like kops' addon channels): which addons a cluster runs (the catalogue's defaults for its
// provider, changed by spec.addons), their manifests rendered from templates/addons/, and the spec rules for them.
// The bootstrap carries the manifests to the control planes, which apply them with server-side apply.

import type { Cluster } from '../api/types.js';
import type { FieldIssue } from '../core/errors.js';
import { loadTemplate, renderTemplate } from '../bootstrap/template.js';
import { yamlQuote } from '../bootstrap/quote.js';
import { allClouds, cloudFacts } from '../../providers/facts.js';
import { parseKubeVersion } from '../api/version.js';
import { ADDONS, SNAPSHOT_CONTROLLER, imageReference, type AddonDefinition } from './catalogue.js';

export { ADDONS, SNAPSHOT_CONTROLLER, imageReference, type AddonDefinition, type AddonImage, type AddonWorkload } from './catalogue.js';

export interface ResolvedAddon {
  /** As it applies to this cluster: `images` are those of the cluster's Kubernetes minor. */
  definition: AddonDefinition;
  enabled: boolean;
  /** Why it is on or off: the catalogue's default or spec.addons. */
  from: 'default' | 'spec';
  /** Why it cannot run on this cluster (it is then off: a default-on addon is dropped with this as the reason). */
  unavailable?: string;
}

/** Why the addon cannot run on this cluster, or undefined: no image for its minor, or the addon's own reason. */
export function addonUnavailable(definition: AddonDefinition, cluster: Cluster): string | undefined {
  const minor = parseKubeVersion(cluster.spec.kubernetesVersion)?.minor;
  if (definition.imagesByMinor && (minor === undefined || !definition.imagesByMinor[minor])) {
    return `upstream publishes no ${definition.name} image for Kubernetes 1.${minor} that k8sup could find (it pins ${Object.keys(definition.imagesByMinor).map((m) => `1.${m}`).join(', ')}: docs/addons.md)`;
  }
  const cloud = cloudFacts(cluster.spec.cloud);
  const own = definition.unavailable?.(cluster, cloud);
  if (own) return own;
  const needed = definition.requires?.(cloud);
  if (needed && !addonOn(cluster, needed)) return `it needs ${needed}, which is off on this cluster`;
  return undefined;
}

/** Whether the named addon of the cluster's cloud is on (its default or spec.addons) and can run. */
function addonOn(cluster: Cluster, name: string): boolean {
  const definition = addonsOf(cluster.spec.cloud).find((d) => d.name === name);
  if (!definition) return false;
  return (cluster.spec.addons?.[name]?.enabled ?? definition.defaultEnabled) && !addonUnavailable(definition, cluster);
}

/** The definition with the images of the cluster's Kubernetes minor (imagesByMinor), when it has per-minor images. */
function forCluster(definition: AddonDefinition, cluster: Cluster): AddonDefinition {
  const minor = parseKubeVersion(cluster.spec.kubernetesVersion)?.minor;
  const images = minor === undefined ? undefined : definition.imagesByMinor?.[minor];
  // A per-minor addon's version is its main (first) image's tag for that minor.
  return images ? { ...definition, images, version: Object.values(images)[0].tag } : definition;
}

/** The addons a cluster on this cloud can run: the catalogue's, then the cloud's own (CloudFacts.addons). */
export function addonsOf(cloud: string): AddonDefinition[] {
  return [...ADDONS, ...(cloudFacts(cloud)?.addons ?? [])];
}

/**
 * Whether the cluster runs its cloud's cloud-controller-manager (the addon named by CloudFacts.providerId): then its
 * kubelets start with `--cloud-provider=external` (they register tainted `node.cloudprovider.kubernetes.io/uninitialized`
 * until the CCM has set the node's provider ID, addresses and zone labels) and kube-controller-manager runs no cloud
 * loops. Without one (bare metal; the CCM off, or no pinned image for the cluster's minor) nodes start untainted.
 */
export function runsCloudControllerManager(cluster: Cluster): boolean {
  const ccm = cloudFacts(cluster.spec.cloud)?.providerId?.addon;
  return ccm !== undefined && enabledAddons(cluster).some((a) => a.name === ccm);
}

/**
 * Whether the cluster runs the VolumeSnapshot API (the snapshot-controller addon): the cloud's CSI driver template
 * then adds its csi-snapshotter sidecar and the snapshotter's RBAC ({{volumeSnapshots}}).
 */
export function runsVolumeSnapshots(cluster: Cluster): boolean {
  return enabledAddons(cluster).some((a) => a.name === SNAPSHOT_CONTROLLER);
}

/** Every addon of every cloud (tests, docs). */
export function everyAddon(): AddonDefinition[] {
  return [...ADDONS, ...allClouds().flatMap((c) => c.addons ?? [])];
}

/** Every addon of the cluster's cloud, on or off. */
export function resolveAddons(cluster: Cluster): ResolvedAddon[] {
  const requested = new Map(Object.entries(cluster.spec.addons ?? {}));
  return addonsOf(cluster.spec.cloud).map((generic) => {
    const definition = forCluster(generic, cluster);
    const r = requested.get(definition.name);
    const unavailable = addonUnavailable(generic, cluster);
    const from = r?.enabled === undefined ? 'default' : 'spec';
    const wanted = r?.enabled ?? definition.defaultEnabled;
    // Explicitly asking for an unavailable addon is refused by addonIssues; a default one is just off.
    return { definition, enabled: wanted && !unavailable, from, ...(unavailable ? { unavailable } : {}) };
  });
}

export function enabledAddons(cluster: Cluster): AddonDefinition[] {
  return resolveAddons(cluster).filter((a) => a.enabled).map((a) => a.definition);
}

/**
 * The addon's manifest (multi-document YAML) with its pinned image; `pullFrom` maps the image to where nodes pull it
 * (spec.assets.containerRegistry, docs/airgap.md); `cluster` is the cluster it is for (needed by addons with `values`).
 */
export function renderAddonManifest(addon: AddonDefinition, pullFrom: (image: string) => string = (image) => image, cluster?: Cluster): string {
  const own = cluster ? forCluster(addon, cluster) : addon;
  const images = Object.fromEntries(Object.entries(own.images).map(([name, image]) => [name, pullFrom(imageReference(image))]));
  if (addon.values && !cluster) throw new Error(`addons/${addon.name}.yaml depends on the cluster: render it with one`);
  const values = cluster ? addon.values?.(cluster, cloudFacts(cluster.spec.cloud)) : undefined;
  // volumeSnapshots: every addon template may add what it needs for snapshots (a CSI driver's snapshotter sidecar).
  const volumeSnapshots = cluster ? runsVolumeSnapshots(cluster) : false;
  return renderTemplate(loadTemplate(`addons/${addon.name}.yaml`), { version: own.version, volumeSnapshots, ...values, ...images }, yamlQuote, `addons/${addon.name}.yaml`);
}

/** spec.addons: known names, for this provider, at the pinned version. */
export function addonIssues(cluster: Cluster): FieldIssue[] {
  const issues: FieldIssue[] = [];
  for (const [name, a] of Object.entries(cluster.spec.addons ?? {})) {
    const path = `spec.addons.${name}`;
    const available = addonsOf(cluster.spec.cloud);
    const generic = available.find((d) => d.name === name);
    const def = generic && forCluster(generic, cluster);
    if (!def) {
      const elsewhere = allClouds().filter((c) => c.addons?.some((d) => d.name === name)).map((c) => c.name);
      issues.push({ path, message: elsewhere.length > 0 ? `"${name}" is not available on ${cluster.spec.cloud} (only ${elsewhere.join(', ')})` : `unknown addon "${name}" (known: ${available.map((d) => d.name).join(', ')})` });
      continue;
    }
    const unavailable = a.enabled === true ? addonUnavailable(generic!, cluster) : undefined;
    if (unavailable) issues.push({ path: `${path}.enabled`, message: `${name} cannot run here: ${unavailable} (drop spec.addons.${name}, or set enabled: false)` });
    if (a.version !== undefined && a.version !== def.version) {
      issues.push({ path: `${path}.version`, message: `k8sup pins ${name} ${def.version}, not ${a.version} (drop the field, or use ${def.version})` });
    }
  }
  return issues;
}
