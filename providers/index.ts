// The provider registry: each cloud's Provider behind a lazy loader, so that `k8sup version` never loads a cloud
// SDK. The light facts of each cloud are in providers/facts.ts (re-exported here), which imports no Provider.

import { InvalidInputError } from '../src/core/errors.js';
import type { Provider } from '../src/core/provider.js';
import { CLOUD_NAMES, isCloudName, type CloudName } from './facts.js';

export { allClouds, cloudFacts, CLOUD_NAMES, DEFAULT_CLOUD, isCloudName, type CloudName } from './facts.js';

const loaders = {
  aws: () => import('./aws/index.js'),
  gce: () => import('./gce/index.js'),
  metal: () => import('./metal/index.js'),
} satisfies Record<CloudName, () => Promise<{ provider: Provider<unknown> }>>;

/** The Provider of a cloud named in a (validated) spec, imported on first use. */
export async function loadProvider(cloud: string): Promise<Provider<unknown>> {
  if (!isCloudName(cloud)) throw new InvalidInputError(`"${cloud}" is not a supported cloud (${CLOUD_NAMES.join(', ')})`, { hint: `set spec.cloud to one of ${CLOUD_NAMES.join(', ')}` });
  return (await loaders[cloud]()).provider;
}
