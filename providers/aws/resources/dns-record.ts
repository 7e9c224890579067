// Route53 `api.<cluster>` alias to the API load balancer. Record sets carry no tags, so ownership is marked with a
// TXT record of the same name (`"k8sup.io/cluster=<name>"`, as external-dns does) and list() only reports records
// with that marker: delete never touches a record someone else made. A cluster with an identity adds a second TXT
// value `"k8sup.io/cluster-id=<uid>"`, so a same-named cluster of another state store is refused, never adopted.

import type { ResourceHandler } from '../../../src/core/resource.js';
import { terraformExpression } from '../../../src/core/terraform.js';
import type { AwsClients } from '../clients.js';
import { DNS_RECORD } from '../model/ids.js';
import { isOwnObject } from '../../../src/core/ownership.js';
import { live, tfName, type Ctx } from './common.js';

const fqdn = (n: string) => (n.endsWith('.') ? n : `${n}.`);
const ownerValue = (cluster: string) => `"k8sup.io/cluster=${cluster}"`;
const ID_VALUE = /^"k8sup\.io\/cluster-id=(.*)"$/;
/** The TXT values that mark the record as the cluster's. */
const ownerValues = (ctx: Ctx) => [ownerValue(ctx.cluster), ...(ctx.clusterId ? [`"k8sup.io/cluster-id=${ctx.clusterId}"`] : [])];

async function findZone(ctx: Ctx, zoneName: string): Promise<string | undefined> {
  const res = await ctx.clients.route53.call('ListHostedZonesByName', { DNSName: fqdn(zoneName), MaxItems: 10 });
  const zone = (res.HostedZones ?? []).find((z: any) => z.Name === fqdn(zoneName) && !z.Config?.PrivateZone) ?? (res.HostedZones ?? []).find((z: any) => z.Name === fqdn(zoneName));
  return zone ? String(zone.Id).replace(/^\/hostedzone\//, '') : undefined;
}

async function recordsNamed(ctx: Ctx, zoneId: string, name: string) {
  const res = await ctx.clients.route53.call('ListResourceRecordSets', { HostedZoneId: zoneId, StartRecordName: fqdn(name), MaxItems: 10 });
  return (res.ResourceRecordSets ?? []).filter((r: any) => r.Name === fqdn(name));
}

function changes(action: 'UPSERT' | 'DELETE', owner: string[], name: string, target: { dnsName: string; hostedZoneId: string }) {
  return [
    { Action: action, ResourceRecordSet: { Name: fqdn(name), Type: 'A', AliasTarget: { DNSName: fqdn(target.dnsName), HostedZoneId: target.hostedZoneId, EvaluateTargetHealth: false } } },
    { Action: action, ResourceRecordSet: { Name: fqdn(name), Type: 'TXT', TTL: 300, ResourceRecords: owner.map((Value) => ({ Value })) } },
  ];
}

async function upsert(ctx: Ctx, f: Record<string, any>) {
  const zoneId = await findZone(ctx, f.zoneName);
  if (!zoneId) throw Object.assign(new Error(`Route53 hosted zone ${f.zoneName} not found (route53:ListHostedZonesByName)`), { name: 'NoSuchHostedZone' });
  await ctx.clients.route53.call('ChangeResourceRecordSets', { HostedZoneId: zoneId, ChangeBatch: { Comment: `k8sup ${ctx.cluster}`, Changes: changes('UPSERT', ownerValues(ctx), f.name, f.target) } });
  return { cloudId: `${zoneId}/${f.name}`, outputs: { fqdn: f.name, zone_id: zoneId, owner: JSON.stringify(ownerValues(ctx)) } };
}

export const dnsRecordHandler: ResourceHandler<AwsClients> = {
  kind: 'dns-record',
  service: 'route53',
  immutable: ['zoneName', 'name'],
  async list(ctx) {
    const zoneName = ctx.clients.settings.dnsZone;
    if (!zoneName) return [];
    const zoneId = await findZone(ctx, zoneName);
    if (!zoneId) return [];
    const name = `api.${ctx.cluster}`;
    const records = await recordsNamed(ctx, zoneId, name);
    const txt = records.find((r: any) => r.Type === 'TXT' && (r.ResourceRecords ?? []).some((v: any) => v.Value === ownerValue(ctx.cluster)));
    const alias = records.find((r: any) => r.Type === 'A' && r.AliasTarget);
    if (!txt || !alias) return [];
    const owner: string[] = (txt.ResourceRecords ?? []).map((v: any) => String(v.Value));
    const clusterId = owner.map((v) => ID_VALUE.exec(v)?.[1]).find(Boolean);
    if (!isOwnObject(ctx, clusterId, `Route53 record ${name}`)) return [];
    const target = { dnsName: String(alias.AliasTarget.DNSName).replace(/\.$/, ''), hostedZoneId: alias.AliasTarget.HostedZoneId };
    return [{ ...live('dns-record', DNS_RECORD, `${zoneId}/${name}`, { zoneName: zoneName.replace(/\.$/, ''), name, target }, { fqdn: name, zone_id: zoneId, owner: JSON.stringify(owner) }), ...(clusterId ? { clusterId } : {}) }];
  },
  create: (_node, f, ctx) => upsert(ctx, f),
  update: (_node, f, _cur, _changes, ctx) => upsert(ctx, f),
  async delete(cur, ctx) {
    const [zoneId] = cur.cloudId.split('/');
    const f = cur.fields as any;
    await ctx.clients.route53.call('ChangeResourceRecordSets', { HostedZoneId: zoneId, ChangeBatch: { Changes: changes('DELETE', JSON.parse(String(cur.outputs.owner)), f.name, f.target) } });
  },
  equal(field, d: any, l: any) {
    if (field !== 'target') return false;
    return String(d?.dnsName).replace(/\.$/, '').toLowerCase() === String(l?.dnsName).toLowerCase() && d?.hostedZoneId === l?.hostedZoneId;
  },
  terraform(node) {
    const f = node.fields as Record<string, any>;
    const name = tfName(node.id);
    return [
      { type: 'data.aws_route53_zone', name, body: { name: f.zoneName, private_zone: false } },
      { type: 'aws_route53_record', name, body: { zone_id: terraformExpression(`data.aws_route53_zone.${name}.zone_id`), name: f.name, type: 'A', alias: [{ name: f.target.dnsName, zone_id: f.target.hostedZoneId, evaluate_target_health: false }] } },
      { type: 'aws_route53_record', name: `${name}_owner`, body: { zone_id: terraformExpression(`data.aws_route53_zone.${name}.zone_id`), name: f.name, type: 'TXT', ttl: 300, records: [`k8sup.io/cluster=${String(f.name).replace(/^api\./, '')}`] } },
    ];
  },
};

import { defineKind } from './define.js';
export const dnsRecordKind = defineKind<Record<string, unknown>, Record<string, string>>('dns-record', 'aws_route53_record');
