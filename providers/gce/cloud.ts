// What k8sup knows about GCE before loading the provider (src/core/provider.ts CloudFacts): light and pure, read by
// the spec pipeline, the bootstrap renderer and the CLI. Registered in providers/index.ts.

import type { CloudFacts } from '../../src/core/provider.js';
import { GCE_ADDONS, GCE_VOLUME_SNAPSHOTS, gceClusterAutoscaler } from './addons.js';

/** Known regions → zone letters, so a typo in --zones is caught before anything is written. Keep current. */
const REGIONS: Record<string, string> = {
  'us-central1': 'abcf', 'us-east1': 'bcd', 'us-east4': 'abc', 'us-east5': 'abc', 'us-south1': 'abc',
  'us-west1': 'abc', 'us-west2': 'abc', 'us-west3': 'abc', 'us-west4': 'abc',
  'northamerica-northeast1': 'abc', 'northamerica-northeast2': 'abc', 'northamerica-south1': 'abc',
  'southamerica-east1': 'abc', 'southamerica-west1': 'abc',
  'europe-west1': 'bcd', 'europe-west2': 'abc', 'europe-west3': 'abc', 'europe-west4': 'abc', 'europe-west6': 'abc',
  'europe-west8': 'abc', 'europe-west9': 'abc', 'europe-west10': 'abc', 'europe-west12': 'abc',
  'europe-north1': 'abc', 'europe-north2': 'abc', 'europe-central2': 'abc', 'europe-southwest1': 'abc',
  'asia-east1': 'abc', 'asia-east2': 'abc', 'asia-northeast1': 'abc', 'asia-northeast2': 'abc', 'asia-northeast3': 'abc',
  'asia-south1': 'abc', 'asia-south2': 'abc', 'asia-southeast1': 'abc', 'asia-southeast2': 'abc',
  'australia-southeast1': 'abc', 'australia-southeast2': 'abc',
  'me-west1': 'abc', 'me-central1': 'abc', 'me-central2': 'abc', 'africa-south1': 'abc',
};

/** GCE resource names (RFC 1035 labels). */
const GCE_NAME = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;

const GCE_PROJECT_ID = /^([a-z0-9][-a-z0-9.]*[a-z0-9]:)?[a-z]([-a-z0-9]*[a-z0-9])?$/;

export const gceCloud: CloudFacts = {
  name: 'gce',
  title: 'GCE',
  defaultMachineType: 'e2-standard-2',
  volumeTypes: ['pd-balanced', 'pd-ssd', 'pd-standard', 'pd-extreme', 'hyperdisk-balanced'],
  zones: { shape: /^([a-z]+(?:-[a-z]+)*\d+)-([a-z])$/, regions: REGIONS, example: 'us-central1-b' },
  ownHosts: false,
  specIssues: (c) => (c.spec.project ? [] : [{ path: 'spec.project', message: 'is required on GCE (--project my-project)' }]),
  // A project id is lowercase letters, digits and hyphens (a legacy one has a `domain:` prefix): anything else would
  // only fail at apply, after the spec was stored.
  newInputIssues: (c) =>
    c.spec.project && !GCE_PROJECT_ID.test(c.spec.project) ? [{ path: 'spec.project', message: `"${c.spec.project}" is not a GCE project id (lowercase letters, digits and hyphens, starting with a letter: my-project)` }] : [],
  nodes: { name: 'gce', title: 'GCE', store: { scheme: 'gs', identity: 'their service account' }, ownHosts: false },
  orphanScope: { exampleRegion: 'us-central1', needsProject: true },
  addons: GCE_ADDONS,
  providerId: { addon: 'gcp-cloud-controller-manager', shape: /^gce:\/\/[a-z][-a-z0-9]*\/[a-z]+-[a-z]+\d+-[a-z]\/[a-z]([-a-z0-9]*[a-z0-9])?$/, example: 'gce://my-project/us-central1-b/demo-nodes-abcd' },
  clusterAutoscaler: gceClusterAutoscaler,
  volumeSnapshots: GCE_VOLUME_SNAPSHOTS,
  topology: {
    noBastion: 'is not supported on GCE: reach private GCE nodes through IAP TCP forwarding (gcloud compute ssh --tunnel-through-iap); drop --bastion',
    noNatModes: 'is an AWS setting: GCE Cloud NAT is one regional gateway that spans every zone; drop --nat',
    existingNetworkIssues(c, add) {
      const n = c.spec.networking;
      if (!GCE_NAME.test(n.networkId ?? '')) add('spec.networking.networkId', `"${n.networkId}" is not a GCE network name (lowercase letters, digits and '-')`);
      if (n.subnets === undefined || n.subnets.length !== 1) {
        add('spec.networking.subnets', `needs exactly one existing subnetwork of network ${n.networkId} in region ${c.spec.region} (--subnets my-subnet)`);
      } else if (!GCE_NAME.test(n.subnets[0])) add('spec.networking.subnets[0]', `"${n.subnets[0]}" is not a GCE subnetwork name`);
    },
  },
};
