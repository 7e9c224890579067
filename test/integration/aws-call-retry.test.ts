// The AWS clients' own retry budget, through the real SDK against moto behind the fault proxy. Calls made outside an
// engine task (connect-time identity and zone lookups, the image lookup) have nothing above them that retries: the
// fault soak lost creates when five attempts ran out under 20% throttling. The budget is the engine's and the state
// store's (DEFAULTS.maxAttempts); mutating calls are repeated only when the service refused them.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createAwsClients } from '../../providers/aws/clients.js';
import { DEFAULTS } from '../../src/core/executor.js';
import { startMoto, type Moto } from '../helpers/moto.js';
import { startThrottleProxy, type ThrottleProxy } from '../helpers/throttle-proxy.js';

let moto: Moto;
let proxy: ThrottleProxy;
before(async () => {
  moto = await startMoto();
  proxy = await startThrottleProxy(moto.endpoint, { throttleRate: 0, resetRate: 0 });
});
after(async () => {
  await proxy?.stop();
  await moto?.stop();
});

const clients = () =>
  createAwsClients({ cluster: 'retry.k8s.local', region: 'us-east-2', dnsZone: null, imageLookup: false }, { env: { ...moto.env, AWS_ENDPOINT_URL: proxy.endpoint }, baseDelayMs: 1 });

test('a read throttled for all but the last attempt of the budget still succeeds', async () => {
  proxy.resetStats();
  proxy.throttleNext(DEFAULTS.maxAttempts - 1, 'ec2:DescribeAvailabilityZones');
  const out = await clients().ec2.call('DescribeAvailabilityZones', { AllAvailabilityZones: false });
  assert.ok((out.AvailabilityZones ?? []).some((z: { ZoneName?: string }) => z.ZoneName === 'us-east-2a'));
  assert.equal(proxy.stats.calls.get('ec2:DescribeAvailabilityZones'), DEFAULTS.maxAttempts);
});

test('the budget is bounded: throttled on every attempt, the call fails as throttled after maxAttempts', async () => {
  proxy.resetStats();
  proxy.throttleNext(DEFAULTS.maxAttempts, 'ec2:DescribeAvailabilityZones');
  await assert.rejects(clients().ec2.call('DescribeAvailabilityZones', {}), /Request limit exceeded/);
  assert.equal(proxy.stats.calls.get('ec2:DescribeAvailabilityZones'), DEFAULTS.maxAttempts);
});
