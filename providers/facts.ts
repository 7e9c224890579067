// The clouds k8sup knows, by name, and their light facts (each cloud's cloud.ts): what the spec rules, the bootstrap
// and the addons ask of a cloud without loading it. Nothing here imports a Provider, so any module may import this
// one without a circle; providers/index.ts adds the lazy loaders. Nothing else in k8sup names a cloud
// (test/unit/cloud-literals.test.ts holds that): adding one is a folder, one line here and one in providers/index.ts.

import type { CloudFacts } from '../src/core/provider.js';
import { awsCloud } from './aws/cloud.js';
import { gceCloud } from './gce/cloud.js';
import { metalCloud } from './metal/cloud.js';

const facts = { aws: awsCloud, gce: gceCloud, metal: metalCloud } satisfies Record<string, CloudFacts>;

export type CloudName = keyof typeof facts;

/** Every registered cloud's name, in registration order (help, completion, `--cloud` choices). */
export const CLOUD_NAMES = Object.keys(facts) as CloudName[];

/** The cloud of a spec that names none and whose zones and hosts imply none: the first registered. */
export const DEFAULT_CLOUD: CloudName = CLOUD_NAMES[0];

export function isCloudName(name: unknown): name is CloudName {
  return typeof name === 'string' && Object.hasOwn(facts, name);
}

/** Every registered cloud's facts, in registration order. */
export function allClouds(): CloudFacts[] {
  return CLOUD_NAMES.map((name) => facts[name]);
}

/** The facts of a cloud, or undefined for a name no provider registers (the spec rules report it). */
export function cloudFacts(name: string): CloudFacts | undefined {
  return isCloudName(name) ? facts[name] : undefined;
}
