// Route53 `api.<cluster>` alias to the API load balancer. Record sets carry no tags, so ownership is marked with a
// TXT record of the same name (`"k8sup.io/cluster=<name>"`, as external-dns does) and list() only reports records
// with that marker: delete never touches a record someone else made. A cluster with an identity adds a second TXT
// value `"k8sup.io/cluster-id=<uid>"`, so a same-named cluster of another state store is refused, never adopted.

import type { Change, ResourceRecordSet } from '@aws-sdk/client-route-53';
import { terraformExpression } from '../../../src/core/terraform.js';
import { DNS_RECORD } from '../model/ids.js';
import { TAG_CLUSTER, TAG_CLUSTER_ID, TAG_ID } from '../model/names.js';
import type { Ctx, Tags } from './common.js';
import { defineHandler, defineKind } from './define.js';

export interface AliasTarget {
  dnsName: string;
  hostedZoneId: string;
}
export interface DnsRecordFields {
  zoneName: string;
  name: string;
  target: AliasTarget;
}
export type DnsRecordOutputs = { fqdn: string; zone_id: string; owner: string };
export const dnsRecord = defineKind<DnsRecordFields, DnsRecordOutputs>('dns-record', 'aws_route53_record');

const fqdn = (n: string) => (n.endsWith('.') ? n : `${n}.`);
const ownerValue = (cluster: string) => `"k8sup.io/cluster=${cluster}"`;
const ID_VALUE = /^"k8sup\.io\/cluster-id=(.*)"$/;
/** The TXT values that mark the record as the cluster's. */
const ownerValues = (ctx: Ctx) => [ownerValue(ctx.cluster), ...(ctx.clusterId ? [`"k8sup.io/cluster-id=${ctx.clusterId}"`] : [])];

/** The alias and its owner marker, as found in the zone. */
interface LiveRecord {
  zoneId: string;
  zoneName: string;
  name: string;
  owner: string[];
  target: AliasTarget;
  /** The marker read as ownership tags (the cluster, its id, the graph id). */
  tags: Tags;
}

async function findZone(ctx: Ctx, zoneName: string): Promise<string | undefined> {
  const res = await ctx.clients.route53.call('ListHostedZonesByName', { DNSName: fqdn(zoneName), MaxItems: 10 });
  const zones = res.HostedZones ?? [];
  const zone = zones.find((z) => z.Name === fqdn(zoneName) && !z.Config?.PrivateZone) ?? zones.find((z) => z.Name === fqdn(zoneName));
  return zone?.Id ? zone.Id.replace(/^\/hostedzone\//, '') : undefined;
}

async function recordsNamed(ctx: Ctx, zoneId: string, name: string): Promise<ResourceRecordSet[]> {
  const res = await ctx.clients.route53.call('ListResourceRecordSets', { HostedZoneId: zoneId, StartRecordName: fqdn(name), MaxItems: 10 });
  return (res.ResourceRecordSets ?? []).filter((r) => r.Name === fqdn(name));
}

function changes(action: 'UPSERT' | 'DELETE', owner: string[], name: string, target: AliasTarget): Change[] {
  return [
    { Action: action, ResourceRecordSet: { Name: fqdn(name), Type: 'A', AliasTarget: { DNSName: fqdn(target.dnsName), HostedZoneId: target.hostedZoneId, EvaluateTargetHealth: false } } },
    { Action: action, ResourceRecordSet: { Name: fqdn(name), Type: 'TXT', TTL: 300, ResourceRecords: owner.map((Value) => ({ Value })) } },
  ];
}

async function upsert(ctx: Ctx, f: DnsRecordFields): Promise<LiveRecord> {
  const zoneId = await findZone(ctx, f.zoneName);
  if (!zoneId) throw Object.assign(new Error(`Route53 hosted zone ${f.zoneName} not found (route53:ListHostedZonesByName)`), { name: 'NoSuchHostedZone' });
  const owner = ownerValues(ctx);
  await ctx.clients.route53.call('ChangeResourceRecordSets', { HostedZoneId: zoneId, ChangeBatch: { Comment: `k8sup ${ctx.cluster}`, Changes: changes('UPSERT', owner, f.name, f.target) } });
  return { zoneId, zoneName: f.zoneName, name: f.name, owner, target: f.target, tags: {} };
}

export const dnsRecordHandler = defineHandler({
  kind: dnsRecord,
  service: 'route53',
  immutable: ['zoneName', 'name'],
  async describe(ctx): Promise<LiveRecord[]> {
    const zoneName = ctx.clients.settings.dnsZone;
    if (!zoneName) return [];
    const zoneId = await findZone(ctx, zoneName);
    if (!zoneId) return [];
    const name = `api.${ctx.cluster}`;
    const records = await recordsNamed(ctx, zoneId, name);
    const txt = records.find((r) => r.Type === 'TXT' && (r.ResourceRecords ?? []).some((v) => v.Value === ownerValue(ctx.cluster)));
    const alias = records.find((r) => r.Type === 'A' && r.AliasTarget)?.AliasTarget;
    if (!txt || !alias) return [];
    const owner = (txt.ResourceRecords ?? []).map((v) => String(v.Value));
    const clusterId = owner.map((v) => ID_VALUE.exec(v)?.[1]).find(Boolean);
    const tags: Tags = { [TAG_CLUSTER]: ctx.cluster, [TAG_ID]: DNS_RECORD, ...(clusterId ? { [TAG_CLUSTER_ID]: clusterId } : {}) };
    const target = { dnsName: String(alias.DNSName).replace(/\.$/, ''), hostedZoneId: alias.HostedZoneId ?? '' };
    return [{ zoneId, zoneName: zoneName.replace(/\.$/, ''), name, owner, target, tags }];
  },
  tags: (r) => r.tags,
  cloudId: (r) => `${r.zoneId}/${r.name}`,
  fields: (r) => ({ zoneName: r.zoneName, name: r.name, target: r.target }),
  outputs: (r) => ({ fqdn: r.name, zone_id: r.zoneId, owner: JSON.stringify(r.owner) }),
  // UPSERT is idempotent: a retried create writes the same record.
  adopt: {},
  create: (f, ctx) => upsert(ctx, f),
  async update(_cur, f, _changed, ctx) {
    const r = await upsert(ctx, f);
    return { fqdn: r.name, zone_id: r.zoneId, owner: JSON.stringify(r.owner) };
  },
  async delete(cur, ctx) {
    const [zoneId] = cur.cloudId.split('/');
    const owner = JSON.parse(String(cur.outputs.owner)) as string[];
    const name = String(cur.fields.name);
    const target = cur.fields.target as AliasTarget;
    await ctx.clients.route53.call('ChangeResourceRecordSets', { HostedZoneId: zoneId, ChangeBatch: { Changes: changes('DELETE', owner, name, target) } });
  },
  equal(field, d, l) {
    if (field !== 'target') return false;
    const [a, b] = [d as Partial<AliasTarget> | undefined, l as Partial<AliasTarget> | undefined];
    return String(a?.dnsName).replace(/\.$/, '').toLowerCase() === String(b?.dnsName).toLowerCase() && a?.hostedZoneId === b?.hostedZoneId;
  },
  terraform(f, name) {
    const zoneId = terraformExpression(`data.aws_route53_zone.${name}.zone_id`);
    // The zone data source comes first, as it always did (nothing references the record in Terraform).
    return [
      { type: 'data.aws_route53_zone', name, body: { name: f.zoneName, private_zone: false } },
      { type: dnsRecord.terraformType, name, body: { zone_id: zoneId, name: f.name, type: 'A', alias: [{ name: f.target.dnsName, zone_id: f.target.hostedZoneId, evaluate_target_health: false }] } },
      { type: dnsRecord.terraformType, name: `${name}_owner`, body: { zone_id: zoneId, name: f.name, type: 'TXT', ttl: 300, records: [`k8sup.io/cluster=${String(f.name).replace(/^api\./, '')}`] } },
    ];
  },
});
