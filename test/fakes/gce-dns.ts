// A small fake of the Cloud DNS REST API (v1), mounted on FakeCompute's server under `/dns/v1/projects/<project>/`
// (K8SUP_GCE_ENDPOINT serves both APIs): managedZones.list (with the `dnsName` filter), resourceRecordSets.list (with
// `name` and `type`), changes.create and changes.get. Changes are atomic like the real thing: every deletion must
// match the current record set exactly (404 notFound when there is none, 412 conditionNotMet when its TTL or data
// differ), then every addition must not exist (409 alreadyExists); on any error nothing changes. New zones hold
// their SOA and NS record sets, as Cloud DNS creates them.

type Obj = Record<string, any>;

export class DnsHttpError extends Error {
  constructor(readonly status: number, readonly reason: string, message: string) {
    super(message);
  }
}

export interface FakeRecordSet {
  name: string;
  type: string;
  ttl: number;
  rrdatas: string[];
}

interface Zone {
  name: string;
  dnsName: string;
  visibility: 'public' | 'private';
  id: string;
  records: FakeRecordSet[];
  changes: Map<string, Obj>;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
const key = (r: { name: string; type: string }) => `${r.name.toLowerCase()} ${r.type}`;

export class FakeCloudDns {
  private readonly zones = new Map<string, Zone>();
  private nextId = 5000;

  constructor(
    readonly project: string,
    /** Changes start `pending` and are `done` once read back with changes.get, so clients must wait. */
    private readonly pendingChanges = false,
  ) {}

  /** Creates a managed zone (as `gcloud dns managed-zones create` would), with its SOA and NS record sets. */
  createZone(dnsName: string, name: string, visibility: 'public' | 'private' = 'public'): void {
    const apex = dnsName.endsWith('.') ? dnsName : `${dnsName}.`;
    this.zones.set(name, {
      name,
      dnsName: apex,
      visibility,
      id: String(++this.nextId),
      changes: new Map(),
      records: [
        { name: apex, type: 'NS', ttl: 21600, rrdatas: ['ns-cloud-a1.googledomains.com.', 'ns-cloud-a2.googledomains.com.'] },
        { name: apex, type: 'SOA', ttl: 21600, rrdatas: ['ns-cloud-a1.googledomains.com. cloud-dns-hostmaster.google.com. 1 21600 3600 259200 300'] },
      ],
    });
  }

  /** The record sets of a zone, for assertions. */
  records(zone: string): FakeRecordSet[] {
    return structuredClone(this.zone(zone).records);
  }

  /** Adds a record set directly (someone else's record, a stale one). */
  seedRecord(zone: string, record: FakeRecordSet): void {
    this.zone(zone).records.push(structuredClone(record));
  }

  /** Serves `rest`: the path segments after `/dns/v1/projects/<project>/`. */
  route(method: string, project: string, rest: string[], query: URLSearchParams, body: Obj): Obj {
    if (project !== this.project) throw new DnsHttpError(404, 'notFound', `The 'parameters.project' resource named '${project}' does not exist.`);
    const [collection, zoneName, sub, id] = rest;
    if (collection !== 'managedZones') throw new DnsHttpError(404, 'notFound', `no route ${method} ${rest.join('/')}`);
    if (zoneName === undefined && method === 'GET') return this.listZones(query);
    const zone = this.zone(zoneName);
    if (sub === 'rrsets' && id === undefined && method === 'GET') return this.listRecords(zone, query);
    if (sub === 'changes' && id === undefined && method === 'POST') return this.change(zone, body);
    if (sub === 'changes' && id !== undefined && method === 'GET') {
      const c = zone.changes.get(id);
      if (!c) throw new DnsHttpError(404, 'notFound', `The 'parameters.changeId' resource named '${id}' does not exist.`);
      c.status = 'done';
      return structuredClone(c);
    }
    throw new DnsHttpError(405, 'badRequest', `unsupported ${method} managedZones/${rest.slice(1).join('/')}`);
  }

  private zone(name: string): Zone {
    const z = this.zones.get(name);
    if (!z) throw new DnsHttpError(404, 'notFound', `The 'parameters.managedZone' resource named '${name}' does not exist.`);
    return z;
  }

  private listZones(query: URLSearchParams): Obj {
    const dnsName = query.get('dnsName');
    const items = [...this.zones.values()]
      .filter((z) => !dnsName || z.dnsName === dnsName)
      .map((z) => ({ kind: 'dns#managedZone', name: z.name, dnsName: z.dnsName, id: z.id, visibility: z.visibility, nameServers: ['ns-cloud-a1.googledomains.com.'] }));
    return page(items, query, 'managedZones', 'dns#managedZonesListResponse');
  }

  private listRecords(zone: Zone, query: URLSearchParams): Obj {
    const name = query.get('name');
    const type = query.get('type');
    if (type && !name) throw new DnsHttpError(400, 'invalid', "Invalid value for 'parameters.type': type requires name");
    const items = zone.records
      .filter((r) => (!name || r.name === name) && (!type || r.type === type))
      .map((r) => ({ kind: 'dns#resourceRecordSet', ...structuredClone(r) }));
    return page(items, query, 'rrsets', 'dns#resourceRecordSetsListResponse');
  }

  private change(zone: Zone, body: Obj): Obj {
    const additions = (body.additions ?? []) as FakeRecordSet[];
    const deletions = (body.deletions ?? []) as FakeRecordSet[];
    if (!additions.length && !deletions.length) throw new DnsHttpError(400, 'required', 'The change must have additions or deletions');
    const next = new Map(zone.records.map((r) => [key(r), r]));
    deletions.forEach((d, i) => {
      const where = `entity.change.deletions[${i}]`;
      const cur = next.get(key(d));
      if (!cur) throw new DnsHttpError(404, 'notFound', `The resource '${where}' named '${d.name} (${d.type})' does not exist.`);
      if (Number(d.ttl) !== cur.ttl || !sameData(d.rrdatas, cur.rrdatas)) throw new DnsHttpError(412, 'conditionNotMet', `Precondition not met for '${where}'`);
      next.delete(key(d));
    });
    additions.forEach((a, i) => {
      const where = `entity.change.additions[${i}]`;
      this.check(zone, a, where);
      if (next.has(key(a))) throw new DnsHttpError(409, 'alreadyExists', `The resource '${where}' named '${a.name} (${a.type})' already exists`);
      next.set(key(a), { name: a.name, type: a.type, ttl: Number(a.ttl), rrdatas: [...a.rrdatas] });
    });
    zone.records = [...next.values()];
    const id = String(zone.changes.size + 1);
    const change = { kind: 'dns#change', id, status: this.pendingChanges ? 'pending' : 'done', startTime: new Date().toISOString(), additions, deletions };
    zone.changes.set(id, change);
    return structuredClone(change);
  }

  private check(zone: Zone, r: FakeRecordSet, where: string): void {
    if (typeof r.name !== 'string' || !r.name.endsWith('.')) throw new DnsHttpError(400, 'invalid', `Invalid value for '${where}.name': '${r.name}'`);
    if (r.name !== zone.dnsName && !r.name.endsWith(`.${zone.dnsName}`)) throw new DnsHttpError(400, 'invalid', `The resource '${where}' named '${r.name} (${r.type})' is not within the zone ${zone.dnsName}`);
    if (!r.type) throw new DnsHttpError(400, 'required', `Required field '${where}.type' not specified`);
    if (!Number.isInteger(Number(r.ttl)) || Number(r.ttl) < 0) throw new DnsHttpError(400, 'invalid', `Invalid value for '${where}.ttl': '${r.ttl}'`);
    if (!Array.isArray(r.rrdatas) || !r.rrdatas.length) throw new DnsHttpError(400, 'required', `Required field '${where}.rrdata' not specified`);
    if (r.type === 'A' && !r.rrdatas.every((d) => IPV4.test(d))) throw new DnsHttpError(400, 'invalid', `Invalid value for '${where}.rrdata': '${r.rrdatas.join(',')}'`);
  }
}

function sameData(a: string[] | undefined, b: string[]): boolean {
  return !!a && a.length === b.length && [...a].sort().every((x, i) => x === [...b].sort()[i]);
}

/** Pages of 2 unless maxResults says otherwise (the real default is larger): clients must follow nextPageToken. */
function page(items: Obj[], query: URLSearchParams, key: string, kind: string): Obj {
  const max = Math.min(Number(query.get('maxResults') ?? 2) || 2, 1000);
  const start = Number(query.get('pageToken') ?? 0);
  const next = start + max < items.length ? String(start + max) : undefined;
  return { kind, [key]: items.slice(start, start + max), ...(next ? { nextPageToken: next } : {}) };
}
