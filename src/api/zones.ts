// Known regions and zones per cloud, so that a typo in --zones is caught before anything is written, and so that
// the cloud can be inferred from the zone's shape. Providers still confirm zones with the cloud API at apply time
// (a zone can exist but be unavailable to an account). Keep this list current when clouds add regions.

import type { CloudName, Cluster } from './types.js';

const AWS_REGIONS: Record<string, string> = {
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

const GCE_REGIONS: Record<string, string> = {
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

export interface ZoneInfo {
  cloud: 'aws' | 'gce';
  region: string;
}

const AWS_ZONE = /^([a-z]{2}(?:-[a-z]+)+-\d+)([a-z])$/;
const GCE_ZONE = /^([a-z]+(?:-[a-z]+)*\d+)-([a-z])$/;

/** The cloud and region a zone name belongs to, judged by its shape; null if it looks like neither. */
export function zoneShape(zone: string): ZoneInfo | null {
  let m = AWS_ZONE.exec(zone);
  if (m) return { cloud: 'aws', region: m[1] };
  m = GCE_ZONE.exec(zone);
  if (m) return { cloud: 'gce', region: m[1] };
  return null;
}

/** True when the zone is one we know for that cloud. */
export function isKnownZone(cloud: CloudName, zone: string): boolean {
  const shape = zoneShape(zone);
  if (!shape || shape.cloud !== cloud) return false;
  const letters = (cloud === 'aws' ? AWS_REGIONS : GCE_REGIONS)[shape.region];
  return letters !== undefined && letters.includes(zone.slice(-1));
}

/** Every zone the cluster uses, spec.zones first, then control-plane and node-group zones, each once. */
export function clusterZones(cluster: Cluster): string[] {
  const s = cluster.spec;
  return [...new Set([...s.zones, ...s.controlPlane.zones, ...s.nodeGroups.flatMap((g) => g.zones)])];
}
