// Addons as a managed set (like kops' addon channels): which addons a cluster runs (the catalogue's defaults for its
// provider, changed by spec.addons), their manifests rendered from templates/addons/, and the spec rules for them.
// The bootstrap carries the manifests to the control planes, which apply them with server-side apply.

import type { Cluster } from '../api/types.js';
import type { FieldIssue } from '../core/errors.js';
import { loadTemplate, renderTemplate } from '../bootstrap/template.js';
import { yamlQuote } from '../bootstrap/quote.js';
import { allClouds, cloudFacts } from '../../providers/facts.js';
import { ADDONS, imageReference, type AddonContext, type AddonDefinition } from './catalogue.js';

export { ADDONS, imageReference, type AddonContext, type AddonDefinition, type AddonImage, type AddonWorkload } from './catalogue.js';

/** The cluster a manifest is rendered for outside a cluster (tests, docs, `get assets`). */
export const EXAMPLE_ADDON_CONTEXT: AddonContext = { clusterName: 'demo.k8s.local' };

export interface ResolvedAddon {
  definition: AddonDefinition;
  enabled: boolean;
  /** Why it is on or off: the catalogue's default or spec.addons. */
  from: 'default' | 'spec';
}

/** The addons a cluster on this cloud can run: the catalogue's, then the cloud's own (CloudFacts.addons). */
export function addonsOf(cloud: string): AddonDefinition[] {
  return [...ADDONS, ...(cloudFacts(cloud)?.addons ?? [])];
}

/** Every addon of every cloud (tests, docs). */
export function everyAddon(): AddonDefinition[] {
  return [...ADDONS, ...allClouds().flatMap((c) => c.addons ?? [])];
}

/** Every addon of the cluster's cloud, on or off. */
export function resolveAddons(cluster: Cluster): ResolvedAddon[] {
  const requested = new Map(Object.entries(cluster.spec.addons ?? {}));
  return addonsOf(cluster.spec.cloud).map((definition) => {
    const r = requested.get(definition.name);
    return r?.enabled === undefined ? { definition, enabled: definition.defaultEnabled, from: 'default' } : { definition, enabled: r.enabled, from: 'spec' };
  });
}

export function enabledAddons(cluster: Cluster): AddonDefinition[] {
  return resolveAddons(cluster).filter((a) => a.enabled).map((a) => a.definition);
}

/**
 * The addon's manifest (multi-document YAML) with its pinned image; `pullFrom` maps the image to where nodes pull it
 * (spec.assets.containerRegistry, docs/airgap.md); `context` is the cluster it is for.
 */
export function renderAddonManifest(addon: AddonDefinition, pullFrom: (image: string) => string = (image) => image, context: AddonContext = EXAMPLE_ADDON_CONTEXT): string {
  const images = Object.fromEntries(Object.entries(addon.images).map(([name, image]) => [name, pullFrom(imageReference(image))]));
  return renderTemplate(loadTemplate(`addons/${addon.name}.yaml`), { version: addon.version, ...images, ...addon.variables?.(context) }, yamlQuote, `addons/${addon.name}.yaml`);
}

/** spec.addons: known names, for this provider, at the pinned version. */
export function addonIssues(cluster: Cluster): FieldIssue[] {
  const issues: FieldIssue[] = [];
  for (const [name, a] of Object.entries(cluster.spec.addons ?? {})) {
    const path = `spec.addons.${name}`;
    const available = addonsOf(cluster.spec.cloud);
    const def = available.find((d) => d.name === name);
    if (!def) {
      const elsewhere = allClouds().filter((c) => c.addons?.some((d) => d.name === name)).map((c) => c.name);
      issues.push({ path, message: elsewhere.length > 0 ? `"${name}" is not available on ${cluster.spec.cloud} (only ${elsewhere.join(', ')})` : `unknown addon "${name}" (known: ${available.map((d) => d.name).join(', ')})` });
      continue;
    }
    if (a.version !== undefined && a.version !== def.version) {
      issues.push({ path: `${path}.version`, message: `k8sup pins ${name} ${def.version}, not ${a.version} (drop the field, or use ${def.version})` });
    }
  }
  return issues;
}
