// A cluster's side of moto as a test reads it, straight from EC2 and the state store (never through the provider
// under test): its running instances, the bootstrap bundle each one runs — read the way the instance reads it: the
// launch template's user data (the loader) → the bundle's sha256 → the bundle in the state store — and a fingerprint
// of everything a preview must leave alone.

import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import type { BlobStore } from '../../src/state/blob.js';
import { pointClusterApiAt } from './cluster-api.js';
import type { BootedInstance } from './kubelet-player.js';
import { pinnedSha256 } from './loader.js';

export interface AwsInstance {
  id: string;
  group: string;
  dns: string;
  zone: string;
  ltId: string;
  ltVersion: string;
}

export interface AwsClusterWorld {
  /** Every running or pending instance of the cluster. */
  instances(): Promise<AwsInstance[]>;
  /** The bootstrap bundle an instance of that launch template version runs. */
  bundleOf(i: Pick<AwsInstance, 'ltId' | 'ltVersion'>): Promise<string>;
  /** Every state-store object of the cluster (with its content) and every instance: to assert "nothing changed". */
  fingerprint(): Promise<string>;
  /** The cluster's recorded API endpoint → url (an apply step records the load balancer's again). */
  pointApiAt(url: string): Promise<void>;
}

/**
 * The bootstrap script a bundle installs as k8sup-bootstrap.service (src/bootstrap/unit.ts), with the load balancers'
 * names the loader passes it filled in as the installer's filter does: what the instance then runs.
 */
export function installedBootstrap(bundle: string, loadBalancer = 'k8sup-lb-0123456789abcdef.elb.us-east-2.amazonaws.com'): string {
  const m = /<<'(K8SUP_BOOTSTRAP_[0-9a-f]+)'\n([\s\S]*?)\n\1\n/.exec(bundle);
  assert.ok(m, 'the bundle installs a bootstrap script');
  return `${m[2].replace(/k8sup-var-[a-z-]+\.invalid/g, loadBalancer)}\n`;
}


const ec2Of = async (motoEndpoint: string) => {
  const { EC2Client } = await import('@aws-sdk/client-ec2');
  return new EC2Client({ endpoint: motoEndpoint, region: 'us-east-2', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
};

/** Every running or pending instance of the cluster. */
export async function awsInstances(motoEndpoint: string, cluster: string): Promise<AwsInstance[]> {
  const { DescribeInstancesCommand } = await import('@aws-sdk/client-ec2');
  const res = await (await ec2Of(motoEndpoint)).send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag:k8sup.io/cluster', Values: [cluster] }, { Name: 'instance-state-name', Values: ['running', 'pending'] }] }));
  const tag = (i: any, k: string) => i.Tags?.find((t: any) => t.Key === k)?.Value ?? '';
  return (res.Reservations ?? []).flatMap((r) => r.Instances ?? []).map((i) => ({
    id: i.InstanceId!,
    group: tag(i, 'k8sup.io/node-group'),
    dns: i.PrivateDnsName!,
    zone: i.Placement?.AvailabilityZone ?? '',
    ltId: tag(i, 'aws:ec2launchtemplate:id'),
    ltVersion: tag(i, 'aws:ec2launchtemplate:version'),
  }));
}

/** An instance as the kubelet player sees it: registered under its private DNS name (what kubeadm on AWS does). */
export const awsBooted = <I extends AwsInstance>(i: I): I & BootedInstance => ({ ...i, key: i.id, node: i.dns });

export function awsClusterWorld(motoEndpoint: string, store: BlobStore, cluster: string): AwsClusterWorld {
  const ec2 = () => ec2Of(motoEndpoint);
  const instances = () => awsInstances(motoEndpoint, cluster);
  const bundles = new Map<string, string>();
  return {
    instances,
    async bundleOf({ ltId, ltVersion }) {
      const key = `${ltId}:${ltVersion}`;
      if (bundles.has(key)) return bundles.get(key)!;
      const { DescribeLaunchTemplateVersionsCommand } = await import('@aws-sdk/client-ec2');
      const res = await (await ec2()).send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: ltId, Versions: [ltVersion] }));
      const raw = Buffer.from(res.LaunchTemplateVersions![0].LaunchTemplateData!.UserData!, 'base64');
      // cloud-init takes gzip-compressed user data as it is; k8sup compresses the loader.
      const loader = (raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw).toString('utf8');
      const sha = pinnedSha256(loader);
      const blob = await store.get(`${cluster}/bootstrap/bundles/${sha}.sh`);
      assert.ok(blob, `bundle ${sha} is in the state store`);
      bundles.set(key, blob.data.toString('utf8'));
      return bundles.get(key)!;
    },
    async fingerprint() {
      // The cluster's lock object records who held it last: taking and releasing it is not a change.
      const keys = (await store.list(`${cluster}/`)).filter((k) => !/\/lock(\.json)?$/.test(k)).sort();
      const objects = await Promise.all(keys.map(async (k) => `${k}=${(await store.get(k))?.data.toString('base64')}`));
      return JSON.stringify({ objects, instances: (await instances()).map((i) => `${i.id}:${i.ltVersion}`).sort() });
    },
    pointApiAt: (url) => pointClusterApiAt(store, cluster, url),
  };
}
