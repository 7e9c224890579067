// A cluster's side of the GCE fake as a test reads it, straight from the fake's store (never through the provider
// under test): its instances, and the bootstrap bundle each one runs — read the way the instance reads it: its
// startup-script (the loader) → the bundle's sha256 → the bundle in the state store.

import assert from 'node:assert/strict';
import type { BlobStore } from '../../src/state/blob.js';
import type { FakeCompute } from '../fakes/gce-compute.js';
import type { BootedInstance } from './kubelet-player.js';
import { pinnedSha256 } from './loader.js';

export interface GceInstance {
  id: string;
  name: string;
  group: string;
  status: string;
  machineType: string;
  /** The instance template it was created from (its name). */
  template: string;
  /** Its startup-script: the loader of its bundle. */
  loader: string;
}

const lastSegment = (url: string) => url.slice(url.lastIndexOf('/') + 1);
const metadata = (i: Record<string, any>, key: string): string => i.metadata.items.find((m: { key: string }) => m.key === key)?.value ?? '';

/** The cluster's instances, by name. */
export function gceInstances(compute: FakeCompute, cluster: string): GceInstance[] {
  return compute
    .list('instances')
    .filter((i) => i.labels['k8sup-cluster'] === cluster.replaceAll('.', '-'))
    .map((i) => ({
      id: i.id,
      name: i.name,
      group: i.labels['k8sup-node-group'],
      status: i.status,
      machineType: lastSegment(i.machineType),
      template: lastSegment(metadata(i, 'instance-template')),
      loader: metadata(i, 'startup-script'),
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** An instance as the kubelet player sees it: registered under its name (what kubeadm on GCE does), once RUNNING. */
export const gceBooted = <I extends GceInstance>(i: I): I & BootedInstance => ({ ...i, key: i.id, node: i.name, running: i.status === 'RUNNING' });

/** The bootstrap bundle a loader fetches from the state store. */
export async function gceBundleOf(store: BlobStore, cluster: string, loader: string): Promise<string> {
  const sha = pinnedSha256(loader);
  const blob = await store.get(`${cluster}/bootstrap/bundles/${sha}.sh`);
  assert.ok(blob, `bundle ${sha} is in the state store`);
  return blob.data.toString('utf8');
}
