// The provider registry: cloud name → lazily imported Provider. Nothing else in k8sup switches on the cloud.

import type { CloudName } from '../src/api/types.js';
import type { Provider } from '../src/core/provider.js';

const loaders: Record<CloudName, () => Promise<{ provider: Provider<unknown> }>> = {
  aws: () => import('./aws/index.js'),
  gce: () => import('./gce/index.js'),
  metal: () => import('./metal/index.js'),
};

export async function loadProvider(cloud: CloudName): Promise<Provider<unknown>> {
  return (await loaders[cloud]()).provider;
}
