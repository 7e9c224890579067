// How many AWS calls k8sup keeps in flight, per API family: AWS throttles each account and region per family of
// actions with token buckets, so each family gets its own adaptive limit (src/core/adaptive-limit.ts) that starts
// at `initial`, grows while calls succeed and halves on a throttling answer. `max` keeps the first burst inside the
// bucket sizes AWS documents:
//  - EC2 (docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html): request-rate buckets per API; a
//    non-mutating action such as DescribeHosts has 100 tokens refilled at 20 a second; mutating actions have their own
//    (larger, more slowly refilled) buckets. Describes and writes are separate families here for that reason.
//  - Elastic Load Balancing (docs.aws.amazon.com/elasticloadbalancing/latest/userguide/elb-api-throttling.html):
//    non-mutating actions 40 tokens; ELBv2 has buckets of its own.
//  - Route 53 allows five requests a second per account; IAM's control plane is global, slow and strict: both stay
//    small.
//  - Auto Scaling and STS publish no bucket sizes: moderate limits, left to the adaptation.
// The engine's task limits for AWS are above these (providers/aws/index.ts): the calls, not the tasks, are what AWS
// counts, and one task makes several calls of different families.

import { AdaptiveLimit, type AdaptiveLimitOptions } from '../../src/core/adaptive-limit.js';

export type CallFamily = 'ec2-mutating' | 'ec2-describe' | 'autoscaling' | 'elbv2' | 'iam' | 'route53' | 'sts';

// `initial` is about a third to a half of the burst a bucket documents (the buckets are per account and region, and
// other tools of the account draw from them too); below that, a 50-group cluster's launch templates would wait
// several round trips for the slow start. The SDK's socket pool (50 per service client) is a bound of its own.
// `min` is what the engine ran before these limits (4 tasks per service): a throttling answer that is chance rather
// than an empty bucket (the fault soak throttles a fifth of all calls at random) does not make k8sup slower than that;
// the retry budget and its backoff handle what is left.
export const CALL_LIMITS: Record<CallFamily, AdaptiveLimitOptions> = {
  'ec2-mutating': { initial: 32, max: 64, min: 4 },
  'ec2-describe': { initial: 32, max: 50, min: 4 },
  autoscaling: { initial: 32, max: 64, min: 4 },
  elbv2: { initial: 10, max: 20, min: 4 },
  iam: { initial: 4, max: 8, min: 2 },
  route53: { initial: 2, max: 5, min: 1 },
  sts: { initial: 4, max: 8, min: 2 },
};

const READ_ONLY = /^(Describe|List|Get)/;

/** The family an operation's calls count against; `service` is one of clients.ts' services (named here, not imported: clients.ts imports this file). */
export function callFamily(service: Exclude<CallFamily, 'ec2-mutating' | 'ec2-describe'> | 'ec2', operation: string): CallFamily {
  if (service === 'ec2') return READ_ONLY.test(operation) ? 'ec2-describe' : 'ec2-mutating';
  return service;
}

/** One adaptive limit per family, shared by every client of one connection. */
export function callLimiters(limits: Partial<Record<CallFamily, AdaptiveLimitOptions>> = {}): Record<CallFamily, AdaptiveLimit> {
  const out = {} as Record<CallFamily, AdaptiveLimit>;
  for (const family of Object.keys(CALL_LIMITS) as CallFamily[]) out[family] = new AdaptiveLimit(limits[family] ?? CALL_LIMITS[family]);
  return out;
}
