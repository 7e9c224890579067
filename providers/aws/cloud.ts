// What k8sup knows about AWS before loading the provider (src/core/provider.ts CloudFacts): light and pure, read by
// the spec pipeline, the bootstrap renderer and the CLI. Registered in providers/index.ts.

import type { CloudFacts } from '../../src/core/provider.js';

/** Known regions → zone letters, so a typo in --zones is caught before anything is written. Keep current. */
const REGIONS: Record<string, string> = {
  'us-east-1': 'abcdef', 'us-east-2': 'abc', 'us-west-1': 'abc', 'us-west-2': 'abcd',
  'ca-central-1': 'abd', 'ca-west-1': 'abc', 'mx-central-1': 'abc', 'sa-east-1': 'abc',
  'eu-west-1': 'abc', 'eu-west-2': 'abc', 'eu-west-3': 'abc', 'eu-central-1': 'abc', 'eu-central-2': 'abc',
  'eu-north-1': 'abc', 'eu-south-1': 'abc', 'eu-south-2': 'abc',
  'ap-south-1': 'abc', 'ap-south-2': 'abc', 'ap-east-1': 'abc', 'ap-east-2': 'abc',
  'ap-northeast-1': 'acd', 'ap-northeast-2': 'abcd', 'ap-northeast-3': 'abc',
  'ap-southeast-1': 'abc', 'ap-southeast-2': 'abc', 'ap-southeast-3': 'abc', 'ap-southeast-4': 'abc',
  'ap-southeast-5': 'abc', 'ap-southeast-7': 'abc',
  'me-south-1': 'abc', 'me-central-1': 'abc', 'il-central-1': 'abc', 'af-south-1': 'abc',
};

export const awsCloud: CloudFacts = {
  name: 'aws',
  title: 'AWS',
  defaultMachineType: 't3.medium',
  zones: { shape: /^([a-z]{2}(?:-[a-z]+)+-\d+)([a-z])$/, regions: REGIONS, example: 'us-east-2a' },
  ownHosts: false,
  // Nodes sign their S3 requests (SigV4) with the instance role, against the bucket's own region.
  nodes: { name: 'aws', title: 'AWS', store: { scheme: 's3', identity: 'their instance role', regionExample: 'us-east-2' }, ownHosts: false },
  orphanScope: { exampleRegion: 'us-east-2', needsProject: false },
};
