// Addons as a managed set (like kops' addon channels): which addons a cluster runs (the catalogue's defaults for its
// provider, changed by spec.addons), their manifests rendered from templates/addons/, and the spec rules for them.
// The bootstrap carries the manifests to the control planes, which apply them with server-side apply.

import type { Cluster } from '../api/types.js';
import type { FieldIssue } from '../core/errors.js';
import { loadTemplate, renderTemplate } from '../bootstrap/template.js';
import { yamlQuote } from '../bootstrap/quote.js';
import { ADDONS, imageReference, type AddonDefinition } from './catalogue.js';

export { ADDONS, imageReference, type AddonDefinition, type AddonImage, type AddonWorkload } from './catalogue.js';

export interface ResolvedAddon {
  definition: AddonDefinition;
  enabled: boolean;
  /** Why it is on or off: the catalogue's default or spec.addons. */
  from: 'default' | 'spec';
}

/** Every catalogue addon of the cluster's provider, on or off. */
export function resolveAddons(cluster: Cluster): ResolvedAddon[] {
  const requested = new Map(Object.entries(cluster.spec.addons ?? {}));
  return ADDONS.filter((d) => (d.providers?.some((p) => p === cluster.spec.cloud) ?? true)).map((definition) => {
    const r = requested.get(definition.name);
    return r?.enabled === undefined ? { definition, enabled: definition.defaultEnabled, from: 'default' } : { definition, enabled: r.enabled, from: 'spec' };
  });
}

export function enabledAddons(cluster: Cluster): AddonDefinition[] {
  return resolveAddons(cluster).filter((a) => a.enabled).map((a) => a.definition);
}

/**
 * The addon's manifest (multi-document YAML) with its pinned image; `pullFrom` maps the image to where nodes pull it
 * (spec.assets.containerRegistry, docs/airgap.md).
 */
export function renderAddonManifest(addon: AddonDefinition, pullFrom: (image: string) => string = (image) => image): string {
  return renderTemplate(loadTemplate(`addons/${addon.name}.yaml`), { version: addon.version, image: pullFrom(imageReference(addon.image)) }, yamlQuote, `addons/${addon.name}.yaml`);
}

/** spec.addons: known names, for this provider, at the pinned version. */
export function addonIssues(cluster: Cluster): FieldIssue[] {
  const issues: FieldIssue[] = [];
  for (const [name, a] of Object.entries(cluster.spec.addons ?? {})) {
    const path = `spec.addons.${name}`;
    const def = ADDONS.find((d) => d.name === name);
    if (!def) {
      issues.push({ path, message: `unknown addon "${name}" (known: ${ADDONS.map((d) => d.name).join(', ')})` });
      continue;
    }
    if (def.providers && !def.providers.some((p) => p === cluster.spec.cloud)) issues.push({ path, message: `"${name}" is not available on ${cluster.spec.cloud} (only ${def.providers.join(', ')})` });
    if (a.version !== undefined && a.version !== def.version) {
      issues.push({ path: `${path}.version`, message: `k8sup pins ${name} ${def.version}, not ${a.version} (drop the field, or use ${def.version})` });
    }
  }
  return issues;
}
