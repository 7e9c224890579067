// The Cloud DNS A record `api.<cluster>.` → the API's regional static address, in the public managed zone whose
// DNS name is spec.api.dnsZone (found by connect with managedZones.list). Cloud DNS v1 over its REST API:
//  - list(): one resourceRecordSets.list narrowed to name `api.<cluster>.` and type A. Record sets carry neither
//    labels nor a description, so the record's name is what identifies the cluster: whatever A record holds that
//    name is treated as this cluster's (and is corrected or deleted by k8sup);
//  - create/update/delete: changes.create, Cloud DNS's atomic change (deletions then additions, all or nothing).
//    A deletion must repeat the record exactly as it is, so update and delete send what they just read; when the
//    record changed in between (412 conditionNotMet, 404 notFound, 409 alreadyExists) they read again and retry,
//    a bounded number of times. The change is awaited until Cloud DNS reports it `done`.

import type { LiveResource, ResolvedFields, ResourceHandler, TerraformBlock } from '../../../src/core/resource.js';
import { terraformExpression } from '../../../src/core/terraform.js';
import { sleep } from '../../../src/core/sleep.js';
import type { DnsService, GceApi, GceClients, GceDnsZone } from '../clients.js';
import { GceHttpError, isAlreadyExists } from '../errors.js';
import { API_DNS_RECORD } from '../model/ids.js';
import { absoluteDnsName } from '../model/loadbalancer.js';
import { sameSet, tfName, type Ctx } from './common.js';

export interface RecordSet {
  name: string;
  type: string;
  ttl?: number;
  rrdatas?: string[];
}

interface ManagedZone {
  name: string;
  dnsName: string;
  visibility?: string;
}

/** One page of a Cloud DNS list: its items under the collection's key (`rrsets`, `managedZones`). */
interface DnsPage {
  nextPageToken?: string;
  [key: string]: unknown;
}

/** A Cloud DNS change, as far as waiting for it goes. */
interface DnsChange {
  id: string;
  status?: string;
}

/** Bounds: pages of one list, attempts of a change that races with someone else's. */
const MAX_PAGES = 100;
const MAX_ATTEMPTS = 3;

async function listAll<T>(api: GceApi, service: DnsService, path: string, key: string, query: Record<string, string>, signal?: AbortSignal): Promise<T[]> {
  const out: T[] = [];
  let pageToken: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const res = await api.dns<DnsPage>(service, 'list', { path, query: { ...query, pageToken } }, signal);
    out.push(...((res[key] ?? []) as T[]));
    pageToken = res.nextPageToken || undefined;
    if (!pageToken) return out;
  }
  throw new Error(`Cloud DNS ${service}.list returned more than ${MAX_PAGES} pages`);
}

export interface ZoneLookup {
  /** The public managed zone with that DNS name (the first by zone name when there are several). */
  zone?: GceDnsZone;
  /** Private zones with that DNS name: not usable (only the VPCs attached to them can resolve their records). */
  privateZones: string[];
}

/** The project's managed zones whose DNS name is `dnsName` (managedZones.list filters on it server-side). */
export async function findManagedZone(api: GceApi, dnsName: string): Promise<ZoneLookup> {
  const wanted = absoluteDnsName(dnsName);
  const zones = (await listAll<ManagedZone>(api, 'managedZones', 'managedZones', 'managedZones', { dnsName: wanted }))
    .filter((z) => absoluteDnsName(z.dnsName) === wanted)
    .sort((a, b) => (a.name < b.name ? -1 : 1));
  const isPublic = (z: ManagedZone) => (z.visibility ?? 'public').toLowerCase() === 'public';
  const pub = zones.find(isPublic);
  return { zone: pub && { managedZone: pub.name, dnsName: wanted }, privateZones: zones.filter((z) => !isPublic(z)).map((z) => z.name) };
}

const rrsetsPath = (zone: string) => `managedZones/${encodeURIComponent(zone)}/rrsets`;

/** The record sets of exactly `name` and `type` (at most one: Cloud DNS keeps one set per name and type). */
async function recordSets(ctx: Ctx, managedZone: string, name: string, type: string): Promise<RecordSet[]> {
  const sets = await listAll<RecordSet>(ctx.clients.api, 'resourceRecordSets', rrsetsPath(managedZone), 'rrsets', { name, type }, ctx.signal);
  return sets.filter((r) => absoluteDnsName(r.name) === name && r.type === type);
}

/** changes.create, then changes.get until the change is `done` (bounded like a Compute operation). */
async function change(ctx: Ctx, managedZone: string, body: { additions?: RecordSet[]; deletions?: RecordSet[] }): Promise<void> {
  const { api } = ctx.clients;
  const path = `managedZones/${encodeURIComponent(managedZone)}/changes`;
  let res = await api.dns<DnsChange>('changes', 'create', { method: 'POST', path, body }, ctx.signal);
  const deadline = Date.now() + 15 * 60_000;
  for (let round = 1; res.status !== 'done'; round++) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for Cloud DNS change ${res.id} in zone ${managedZone}`);
    await sleep(Math.min(2000, 100 * round), ctx.signal);
    res = await api.dns<DnsChange>('changes', 'get', { path: `${path}/${encodeURIComponent(res.id)}` }, ctx.signal);
  }
}

const toRecord = (f: ResolvedFields): RecordSet => ({ name: String(f.name), type: String(f.type), ttl: Number(f.ttl), rrdatas: (f.rrdatas as unknown[]).map(String) });
const same = (a: RecordSet, b: RecordSet) => a.ttl === b.ttl && sameSet(a.rrdatas ?? [], b.rrdatas ?? []);
const outputsOf = (r: RecordSet, zone: string): LiveResource['outputs'] => ({ fqdn: r.name.replace(/\.$/, ''), managedZone: zone });
const cloudIdOf = (zone: string, r: RecordSet) => `${zone}/${r.name}/${r.type}`;

/** A record another writer changed between our read and our change: read again and retry. */
const isRace = (err: unknown) => err instanceof GceHttpError && [404, 409, 412].includes(err.status);

/** The managed zone connect found, checked against the node's zone (they differ only if the spec changed mid-run). */
function zoneFor(ctx: Ctx, dnsZone: unknown): string {
  const zone = ctx.clients.settings.dnsZone;
  if (!zone || zone.dnsName !== dnsZone) throw new Error(`no Cloud DNS managed zone was looked up for ${String(dnsZone)} (connect with spec.api.dnsZone set)`);
  return zone.managedZone;
}

/** Makes the record exactly `desired`: one atomic change replacing whatever holds the name now. */
async function put(ctx: Ctx, managedZone: string, desired: RecordSet): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const [current] = await recordSets(ctx, managedZone, desired.name, desired.type);
    if (current && same(current, desired)) return;
    try {
      await change(ctx, managedZone, { ...(current ? { deletions: [current] } : {}), additions: [desired] });
      return;
    } catch (err) {
      if (!isRace(err) || attempt >= MAX_ATTEMPTS) throw err;
    }
  }
}

export const dnsRecordHandler: ResourceHandler<GceClients> = {
  kind: 'dns-record',
  service: 'dns',
  // A record set is keyed by zone, name and type; its TTL and data change in place (one atomic change).
  immutable: ['dnsZone', 'name', 'type'],
  async list(ctx) {
    const zone = ctx.clients.settings.dnsZone;
    if (!zone) return [];
    const name = absoluteDnsName(`api.${ctx.cluster}`);
    return (await recordSets(ctx, zone.managedZone, name, 'A')).map((r) => ({
      id: API_DNS_RECORD,
      kind: 'dns-record',
      cloudId: cloudIdOf(zone.managedZone, r),
      fields: { dnsZone: zone.dnsName, name: absoluteDnsName(r.name), type: r.type, ttl: r.ttl, rrdatas: r.rrdatas ?? [] },
      outputs: outputsOf(r, zone.managedZone),
    }));
  },
  async create(_node, fields, ctx) {
    const managedZone = zoneFor(ctx, fields.dnsZone);
    const desired = toRecord(fields);
    try {
      await change(ctx, managedZone, { additions: [desired] });
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      // Someone made the record after we listed (or our first attempt's answer was lost): adopt it only if it is
      // already what we want; the next plan shows (and fixes) every other value.
      const [existing] = await recordSets(ctx, managedZone, desired.name, desired.type);
      if (!existing || !same(existing, desired)) {
        throw new Error(`Cloud DNS record ${desired.name} (A) already exists in managed zone ${managedZone} with ${JSON.stringify(existing?.rrdatas ?? [])}: re-run to plan its update`, { cause: err });
      }
    }
    return { cloudId: cloudIdOf(managedZone, desired), outputs: outputsOf(desired, managedZone) };
  },
  async update(_node, fields, _live, _changes, ctx) {
    const managedZone = zoneFor(ctx, fields.dnsZone);
    const desired = toRecord(fields);
    await put(ctx, managedZone, desired);
    return { cloudId: cloudIdOf(managedZone, desired), outputs: outputsOf(desired, managedZone) };
  },
  async delete(cur, ctx) {
    const [managedZone] = cur.cloudId.split('/');
    const { name, type } = cur.fields as { name: string; type: string };
    for (let attempt = 1; ; attempt++) {
      const [current] = await recordSets(ctx, managedZone, name, type);
      if (!current) return;
      try {
        await change(ctx, managedZone, { deletions: [current] });
        return;
      } catch (err) {
        if (!isRace(err) || attempt >= MAX_ATTEMPTS) throw err;
      }
    }
  },
  equal: (field, desired, live) => field === 'rrdatas' && sameSet(desired, live),
  terraform(node): TerraformBlock[] {
    const f = node.fields;
    const name = tfName(node.id);
    // google_dns_managed_zone (singular) needs the zone's resource name, which the spec does not know: the plural
    // data source lists the project's zones, and the public one with the spec's DNS name is picked, as connect does.
    const zoneName = `one([for z in data.google_dns_managed_zones.${name}.managed_zones : z.name if z.dns_name == ${JSON.stringify(f.dnsZone)} && z.visibility == "public"])`;
    return [
      {
        type: 'google_dns_record_set',
        name,
        body: { managed_zone: terraformExpression(zoneName), name: f.name, type: f.type, ttl: f.ttl, rrdatas: f.rrdatas },
      },
      { type: 'data.google_dns_managed_zones', name, body: {} },
    ];
  },
  terraformOutputs: { fqdn: 'name' },
};
