// The `kubernetes.io/cluster/<name>=shared` tag on a VPC or subnet the user brings (spec.networking.networkId /
// subnets; CONTRACT "Cloud resources"). This kind owns the tag, never the object: create adds it, delete removes
// exactly it (DeleteTags with the value, so a tag someone changed in between stays), so the object's tags are as
// they were before the cluster. The object carries no k8sup.io/* tags (those would make it look like the cluster's
// own VPC); the ownership marker list() needs is synthesised from the shared tag itself.

import type { Subnet, Vpc } from '@aws-sdk/client-ec2';
import { TAG_CLUSTER, TAG_ID, kubernetesClusterTag } from '../model/names.js';
import { sharedTagId } from '../model/ids.js';
import { ec2Retag, paginate, tagList, tagMap, type Ctx, type Tags } from './common.js';
import { defineHandler, defineKind } from './define.js';

export interface SharedTagFields {
  /** vpc-… or subnet-…: the object the tag is on. */
  resourceId: string;
  tags: Tags;
}
export type SharedTagOutputs = { id: string };
export const sharedTag = defineKind<SharedTagFields, SharedTagOutputs>('shared-tag', 'aws_ec2_tag');

interface TaggedObject {
  resourceId: string;
  graphId: string;
  cluster: string;
  tags: Tags;
}

async function describeShared(ctx: Ctx, id?: string): Promise<TaggedObject[]> {
  const key = kubernetesClusterTag(ctx.cluster);
  const Filters = [{ Name: `tag:${key}`, Values: ['shared'] }];
  const vpcs: Vpc[] = await paginate(ctx.clients.ec2, 'DescribeVpcs', { Filters }, 'Vpcs');
  const subnets: Subnet[] = await paginate(ctx.clients.ec2, 'DescribeSubnets', { Filters }, 'Subnets');
  const mark = (resourceId: string, graphId: string, tags: Tags): TaggedObject => ({ resourceId, graphId, cluster: ctx.cluster, tags: { [key]: tags[key] } });
  const out = [
    ...vpcs.map((v) => mark(v.VpcId!, sharedTagId('vpc'), tagMap(v.Tags))),
    ...subnets.map((s) => mark(s.SubnetId!, sharedTagId(`subnet/${s.AvailabilityZone}`), tagMap(s.Tags))),
  ];
  return id ? out.filter((o) => o.graphId === id) : out;
}

export const sharedTagHandler = defineHandler({
  kind: sharedTag,
  service: 'ec2',
  immutable: ['resourceId'],
  describe: describeShared,
  // The marker defineHandler's ownership check reads: the cluster the shared tag names, and the object's graph id.
  tags: (o) => ({ ...o.tags, [TAG_CLUSTER]: o.cluster, [TAG_ID]: o.graphId }),
  cloudId: (o) => o.resourceId,
  fields: (o) => ({ resourceId: o.resourceId, tags: o.tags }),
  outputs: (o) => ({ id: o.resourceId }),
  // CreateTags is idempotent: a retried create simply tags again.
  adopt: {},
  async create(f, ctx, node) {
    await ctx.clients.ec2.call('CreateTags', { Resources: [f.resourceId], Tags: tagList(f.tags) });
    return { resourceId: f.resourceId, graphId: node.id, cluster: ctx.cluster, tags: f.tags };
  },
  retag: ec2Retag,
  async delete(cur, ctx) {
    await ctx.clients.ec2.call('DeleteTags', { Resources: [cur.cloudId], Tags: tagList(cur.fields.tags as Tags) });
  },
  terraform: (f, name) =>
    Object.entries(f.tags as Tags).map(([key, value], i) => ({ type: 'aws_ec2_tag', name: i === 0 ? name : `${name}_${i}`, body: { resource_id: f.resourceId, key, value } })),
});
