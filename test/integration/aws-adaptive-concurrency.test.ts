// The AWS clients' adaptive call limits (providers/aws/call-limits.ts) against a service that throttles past a number
// of calls at once: the proxy in front of moto answers EC2's RequestLimitExceeded to every call that arrives while 6
// EC2 calls are already in flight (above the families' floor of 4, below where they start). A burst of calls larger than any limit must all succeed within the retry budget,
// and the concurrency the proxy observes must come down to what the service takes: the assertions are on the calls in
// flight as the proxy saw them arrive, never on time.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createAwsClients } from '../../providers/aws/clients.js';
import { CALL_LIMITS } from '../../providers/aws/call-limits.js';
import { startMoto, type Moto } from '../helpers/moto.js';
import { startThrottleProxy, type ThrottleProxy } from '../helpers/throttle-proxy.js';

const SERVICE_CAPACITY = 6;
const BURST = 120;

let moto: Moto;
let proxy: ThrottleProxy;
before(async () => {
  moto = await startMoto();
  // 20 ms each way keeps calls in flight together, so the burst really overlaps.
  proxy = await startThrottleProxy(moto.endpoint, { throttleRate: 0, resetRate: 0, latencyMs: 20, concurrencyLimitFor: (service) => (service === 'ec2' ? SERVICE_CAPACITY : undefined) });
});
after(async () => {
  await proxy?.stop();
  await moto?.stop();
});

const clients = () =>
  createAwsClients({ cluster: 'aimd.k8s.local', region: 'us-east-2', dnsZone: null, imageLookup: false }, { env: { ...moto.env, AWS_ENDPOINT_URL: proxy.endpoint }, baseDelayMs: 5 });

/** The second half of the EC2 calls the proxy saw: after the limit had time to find the service's capacity. */
function settled(): { inFlight: number; throttled: boolean }[] {
  const seen = proxy.stats.arrivals.get('ec2') ?? [];
  return seen.slice(Math.floor(seen.length / 2));
}

test('a burst of reads larger than the service takes: all succeed, and the calls in flight come down to its capacity', async () => {
  assert.ok(CALL_LIMITS['ec2-describe'].initial > SERVICE_CAPACITY, 'the limit must start above what this service takes');
  proxy.resetStats();
  const aws = clients();
  const out = await Promise.all(Array.from({ length: BURST }, () => aws.ec2.call('DescribeAvailabilityZones', {})));
  assert.equal(out.length, BURST);
  for (const o of out) assert.ok((o.AvailabilityZones ?? []).length > 0);

  // It started above the capacity (the service throttled) and backed off.
  assert.ok(proxy.stats.throttled > 0, 'the first calls went past the capacity');
  assert.ok((proxy.stats.peakInFlight.get('ec2') ?? 0) <= CALL_LIMITS['ec2-describe'].initial + 1, `never more in flight than the starting limit (saw ${proxy.stats.peakInFlight.get('ec2')})`);
  const late = settled();
  const peakLate = Math.max(...late.map((a) => a.inFlight));
  const throttledLate = late.filter((a) => a.throttled).length / late.length;
  // AIMD oscillates around the capacity: one slot over it, then halved (not below the floor). Without adaptation the
  // retries of 120 calls keep arriving in crowds far above 6 and most are throttled again.
  assert.ok(peakLate <= SERVICE_CAPACITY + 2, `late calls in flight at most ${SERVICE_CAPACITY + 2}, saw ${peakLate}`);
  assert.ok(throttledLate <= 0.2, `late throttled share ${throttledLate.toFixed(2)} (at most 0.2)`);
  assert.ok(aws.limiters['ec2-describe'].state.decreases >= 1);
  assert.ok(aws.limiters['ec2-describe'].state.limit <= SERVICE_CAPACITY + 1);
  assert.ok(aws.limiters['ec2-describe'].state.limit >= CALL_LIMITS['ec2-describe'].min!, 'never below the floor');
});

test('mutating calls back off the same way (each refused call is repeated, none is lost or doubled)', async () => {
  const aws = clients();
  // Three VPCs with 40 tags each (moto takes 50 a resource): a burst of 120 writes.
  const vpcIds = await Promise.all([0, 1, 2].map(async (i) => (await aws.ec2.call('CreateVpc', { CidrBlock: `10.7${i}.0.0/16` })).Vpc!.VpcId!));
  proxy.resetStats();
  const keys = Array.from({ length: 40 }, (_, i) => `k8sup.io/aimd-${i}`);
  await Promise.all(vpcIds.flatMap((vpcId) => keys.map((Key) => aws.ec2.call('CreateTags', { Resources: [vpcId], Tags: [{ Key, Value: 'x' }] }))));
  assert.ok(proxy.stats.throttled > 0);
  const late = settled();
  const peakLate = Math.max(...late.map((a) => a.inFlight));
  assert.ok(peakLate <= SERVICE_CAPACITY + 2, `late calls in flight at most ${SERVICE_CAPACITY + 2}, saw ${peakLate}`);
  for (const vpc of (await aws.ec2.call('DescribeVpcs', { VpcIds: vpcIds })).Vpcs ?? []) {
    assert.deepEqual((vpc.Tags ?? []).map((t) => t.Key!).filter((k) => k.startsWith('k8sup.io/aimd-')).sort(), [...keys].sort());
  }
  await Promise.all(vpcIds.map((VpcId) => aws.ec2.call('DeleteVpc', { VpcId })));
});
