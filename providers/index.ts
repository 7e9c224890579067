// The provider registry: every cloud k8sup knows, by name. Each entry is the cloud's light facts (its cloud.ts) and
// a lazy loader of the Provider itself, so that `k8sup version` never loads a cloud SDK. Nothing else in k8sup
// names a cloud (test/unit/cloud-literals.test.ts holds that): adding one is a folder and one line here.

import { InvalidInputError } from '../src/core/errors.js';
import type { CloudFacts, Provider } from '../src/core/provider.js';
import { awsCloud } from './aws/cloud.js';
import { gceCloud } from './gce/cloud.js';
import { metalCloud } from './metal/cloud.js';

interface Registered {
  facts: CloudFacts;
  load(): Promise<{ provider: Provider<unknown> }>;
}

const registry = {
  aws: { facts: awsCloud, load: () => import('./aws/index.js') },
  gce: { facts: gceCloud, load: () => import('./gce/index.js') },
  metal: { facts: metalCloud, load: () => import('./metal/index.js') },
} satisfies Record<string, Registered>;

export type CloudName = keyof typeof registry;

/** Every registered cloud's name, in registration order (help, completion, `--cloud` choices). */
export const CLOUD_NAMES = Object.keys(registry) as CloudName[];

/** The cloud of a spec that names none and whose zones and hosts imply none: the first registered. */
export const DEFAULT_CLOUD: CloudName = CLOUD_NAMES[0];

export function isCloudName(name: unknown): name is CloudName {
  return typeof name === 'string' && Object.hasOwn(registry, name);
}

/** Every registered cloud's facts, in registration order. */
export function allClouds(): CloudFacts[] {
  return CLOUD_NAMES.map((name) => registry[name].facts);
}

/** The facts of a cloud, or undefined for a name no provider registers (the spec rules report it). */
export function cloudFacts(name: string): CloudFacts | undefined {
  return isCloudName(name) ? registry[name].facts : undefined;
}

/** The Provider of a cloud named in a (validated) spec, imported on first use. */
export async function loadProvider(cloud: string): Promise<Provider<unknown>> {
  if (!isCloudName(cloud)) throw new InvalidInputError(`"${cloud}" is not a supported cloud (${CLOUD_NAMES.join(', ')})`, { hint: `set spec.cloud to one of ${CLOUD_NAMES.join(', ')}` });
  return (await registry[cloud].load()).provider;
}
