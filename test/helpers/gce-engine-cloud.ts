// The GCE fakes for engine-level tests (plan/apply through the provider, no CLI): Compute with strict IAM and a GCS
// state bucket whose IAM knows the service accounts Compute created. Started before the file's tests, stopped after.

import { after, before } from 'node:test';
import { createGceProvider } from '../../providers/gce/index.js';
import { FakeCompute } from '../fakes/gce-compute.js';
import { FakeGcs } from '../fakes/gcs.js';

export const GCE_TEST_PROJECT = 'k8sup-test';
/** Bootstrap inputs of the graph: the state store and a placeholder CA (no node runs them here). */
export const GCE_TEST_INPUTS = { stateStore: 'gs://k8sup-state/prod', caCertPem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n', caCertHash: `sha256:${'ab'.repeat(32)}` };

export function useGceEngineCloud() {
  const fake = new FakeCompute({ project: GCE_TEST_PROJECT });
  const gcs = new FakeGcs();
  gcs.createBucket('k8sup-state', { uniformBucketLevelAccess: true, project: GCE_TEST_PROJECT });
  gcs.knownPrincipal = (member) => fake.iam.has(member.replace(/^serviceAccount:/, ''));
  before(async () => {
    await fake.start();
    await gcs.start();
  });
  after(async () => {
    await fake.stop();
    await gcs.stop();
  });
  return { fake, gcs, provider: createGceProvider() };
}
