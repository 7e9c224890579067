// The AWS clients' own retry budget, through the real SDK against moto behind the fault proxy. Calls made outside an
// engine task (connect-time identity and zone lookups, the image lookup) have nothing above them that retries: the
// fault soak lost creates when five attempts ran out under 20% throttling. The budget is the engine's and the state
// store's (DEFAULTS.maxAttempts); mutating calls are repeated only when the service refused them.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createAwsClients } from '../../providers/aws/clients.js';
import { DEFAULTS } from '../../src/core/executor.js';
import { InvalidInputError } from '../../src/core/errors.js';
import { openBlobStore } from '../../src/state/open.js';
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

// AWS_MAX_ATTEMPTS is the AWS SDKs' standard setting; k8sup retries itself (the SDK's retries are off), so its own
// loops must read it: the provider's calls and the S3 state store's. Tests against an unreachable endpoint rely on it.
test('AWS_MAX_ATTEMPTS sets the per-call budget of the AWS clients', async () => {
  proxy.resetStats();
  proxy.throttleNext(2, 'ec2:DescribeAvailabilityZones');
  const env = { ...moto.env, AWS_ENDPOINT_URL: proxy.endpoint, AWS_MAX_ATTEMPTS: '2' };
  const two = createAwsClients({ cluster: 'retry.k8s.local', region: 'us-east-2', dnsZone: null, imageLookup: false }, { env, baseDelayMs: 1 });
  await assert.rejects(two.ec2.call('DescribeAvailabilityZones', {}), /Request limit exceeded/);
  assert.equal(proxy.stats.calls.get('ec2:DescribeAvailabilityZones'), 2);
  assert.throws(
    () => createAwsClients({ cluster: 'retry.k8s.local', region: 'us-east-2', dnsZone: null, imageLookup: false }, { env: { ...env, AWS_MAX_ATTEMPTS: 'many' } }),
    (e: unknown) => e instanceof InvalidInputError && /AWS_MAX_ATTEMPTS=many/.test(e.message),
  );
});

test('AWS_MAX_ATTEMPTS sets the per-call budget of the S3 state store', async () => {
  const env = { ...moto.env, AWS_ENDPOINT_URL: proxy.endpoint, AWS_MAX_ATTEMPTS: '1' };
  const store = await openBlobStore('s3://k8sup-max-attempts', env, '/nonexistent');
  // The first list finds the key the proxy counts S3 lists under (a missing bucket is not retried).
  proxy.resetStats();
  await assert.rejects(store.list('clusters/'));
  const [key] = [...proxy.stats.calls.keys()].filter((k) => k.startsWith('s3:'));
  assert.ok(key, `no S3 call seen: ${[...proxy.stats.calls.keys()].join(', ')}`);
  proxy.resetStats();
  proxy.throttleNext(1, key);
  await assert.rejects(store.list('clusters/'), /SlowDown|reduce your request rate/i);
  assert.equal(proxy.stats.calls.get(key), 1, 'one attempt, no retry');
  await assert.rejects(openBlobStore('s3://k8sup-max-attempts', { ...env, AWS_MAX_ATTEMPTS: '0' }, '/nonexistent'), InvalidInputError);
});
