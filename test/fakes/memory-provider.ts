// An in-memory fake cloud with ResourceHandlers that follow the engine's contract, for engine tests and the
// bench. It can be told to be slow (per-call latency), flaky (a share of calls throttled), and it refuses to
// delete an object that another object still references (like EC2's DependencyViolation). It counts writes so
// tests can assert that planning never writes.

import type { EngineDeps, Journal, JournalEntry } from '../../src/core/engine.js';
import { silentIo } from '../../src/core/io.js';
import { buildGraph } from '../../src/core/graph.js';
import { terraformFile } from '../../src/core/terraform.js';
import { ref, type ErrorClass, type Fields, type LiveResource, type ResourceHandler, type ResourceNode, type ResolvedFields } from '../../src/core/resource.js';

export type MemoryOp = 'list' | 'create' | 'update' | 'delete';

export class MemoryCloudError extends Error {
  constructor(
    readonly code: 'Throttling' | 'NotFound' | 'DependencyViolation' | 'Transient' | 'InvalidParameter',
    message: string,
  ) {
    super(message);
    this.name = code;
  }
}

export interface StoredObject {
  cloudId: string;
  kind: string;
  id: string;
  cluster: string;
  fields: ResolvedFields;
  outputs: Record<string, string | number | boolean>;
}

export interface MemoryCloudOptions {
  /** Milliseconds a call takes (default 0). */
  latencyMs?: (op: MemoryOp, kind: string, id: string) => number;
  /** Share of calls (0..1) that fail with Throttling before doing anything. */
  throttleRate?: number;
  /** Seed for the throttling dice, so a flaky run is reproducible. */
  seed?: number;
}

export interface CallRecord {
  op: MemoryOp;
  kind: string;
  id: string;
  start: number;
  end: number;
  outcome: 'ok' | 'throttled' | 'error';
}

/** Deterministic PRNG (mulberry32). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class MemoryCloud {
  readonly objects = new Map<string, StoredObject>();
  /** Every create/update/delete call, successful or not. */
  writes = 0;
  throttled = 0;
  /** Successful creates per graph id: a value above 1 means something was created twice. */
  readonly creates = new Map<string, number>();
  readonly calls: CallRecord[] = [];
  /** Called after each successful write; tests use it to abort mid-apply. */
  onWrite?: (op: MemoryOp, id: string) => void;
  private counter = 0;
  private readonly dice: () => number;
  private readonly t0 = performance.now();

  constructor(readonly options: MemoryCloudOptions = {}) {
    this.dice = seededRandom(options.seed ?? 1);
  }

  /** Runs one simulated API call: throttling dice, latency, then the effect. */
  async call<T>(op: MemoryOp, kind: string, id: string, effect: () => T): Promise<T> {
    if (op !== 'list') this.writes++;
    const start = performance.now() - this.t0;
    const latency = this.options.latencyMs?.(op, kind, id) ?? 0;
    if (this.dice() < (this.options.throttleRate ?? 0)) {
      this.throttled++;
      if (latency) await delay(Math.min(latency, 5));
      this.calls.push({ op, kind, id, start, end: performance.now() - this.t0, outcome: 'throttled' });
      throw new MemoryCloudError('Throttling', `Rate exceeded (${op} ${kind} ${id})`);
    }
    if (latency) await delay(latency);
    try {
      const result = effect();
      this.calls.push({ op, kind, id, start, end: performance.now() - this.t0, outcome: 'ok' });
      if (op !== 'list') this.onWrite?.(op, id);
      return result;
    } catch (err) {
      this.calls.push({ op, kind, id, start, end: performance.now() - this.t0, outcome: 'error' });
      throw err;
    }
  }

  newCloudId(prefix: string): string {
    this.counter++;
    return `${prefix}-${this.counter.toString(16).padStart(6, '0')}`;
  }

  /** Objects that reference `cloudId` anywhere in their fields. */
  referrers(cloudId: string): StoredObject[] {
    return [...this.objects.values()].filter((o) => o.cloudId !== cloudId && mentions(o.fields, cloudId));
  }

  ofKind(kind: string, cluster?: string): StoredObject[] {
    return [...this.objects.values()].filter((o) => o.kind === kind && (cluster === undefined || o.cluster === cluster));
  }

  find(id: string): StoredObject | undefined {
    return [...this.objects.values()].find((o) => o.id === id);
  }
}

function mentions(value: unknown, needle: string): boolean {
  if (value === needle) return true;
  if (Array.isArray(value)) return value.some((v) => mentions(v, needle));
  if (typeof value === 'object' && value !== null) return Object.values(value).some((v) => mentions(v, needle));
  return false;
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export interface MemoryClients {
  cloud: MemoryCloud;
}

/** How one fake kind behaves. */
export interface MemoryKind {
  kind: string;
  service: string;
  cloudIdPrefix: string;
  immutable?: string[];
  writeOnly?: string[];
  /** Without update every change is a replace. */
  updatable?: boolean;
  outputs(cloudId: string, fields: ResolvedFields): Record<string, string | number | boolean>;
  terraformType: string;
  terraformOutputs?: Record<string, string>;
}

export function memoryHandler(spec: MemoryKind): ResourceHandler<MemoryClients> {
  const reported = (o: StoredObject): LiveResource => {
    const fields = { ...o.fields };
    for (const f of spec.writeOnly ?? []) delete fields[f];
    return { id: o.id, kind: o.kind, cloudId: o.cloudId, fields: structuredClone(fields), outputs: { ...o.outputs } };
  };
  const handler: ResourceHandler<MemoryClients> = {
    kind: spec.kind,
    service: spec.service,
    immutable: spec.immutable,
    writeOnly: spec.writeOnly,
    terraformOutputs: spec.terraformOutputs,
    list: ({ clients, cluster }) => clients.cloud.call('list', spec.kind, '*', () => clients.cloud.ofKind(spec.kind, cluster).map(reported)),
    create: (node, fields, { clients, cluster, signal }) => {
      if (signal.aborted) return Promise.reject(signal.reason);
      return clients.cloud.call('create', spec.kind, node.id, () => {
        const cloudId = clients.cloud.newCloudId(spec.cloudIdPrefix);
        const stored: StoredObject = { cloudId, kind: spec.kind, id: node.id, cluster, fields: structuredClone(fields), outputs: spec.outputs(cloudId, fields) };
        clients.cloud.objects.set(cloudId, stored);
        clients.cloud.creates.set(node.id, (clients.cloud.creates.get(node.id) ?? 0) + 1);
        return { cloudId, outputs: { ...stored.outputs } };
      });
    },
    delete: (live, { clients, signal }) => {
      if (signal.aborted) return Promise.reject(signal.reason);
      return clients.cloud.call('delete', spec.kind, live.id, () => {
        if (!clients.cloud.objects.has(live.cloudId)) throw new MemoryCloudError('NotFound', `${live.cloudId} does not exist`);
        const users = clients.cloud.referrers(live.cloudId);
        if (users.length) throw new MemoryCloudError('DependencyViolation', `${live.cloudId} has dependent object(s): ${users.map((u) => u.cloudId).join(', ')}`);
        clients.cloud.objects.delete(live.cloudId);
      });
    },
    terraform: (node: ResourceNode) => {
      const name = node.id.replace(/[^A-Za-z0-9_]/g, '_');
      const body: Record<string, unknown> = {};
      const files: Record<string, string> = {};
      for (const [k, v] of Object.entries(node.fields)) {
        // Large values (scripts) go to data/ files rather than inline.
        if (typeof v === 'string' && v.length > 200) {
          const file = `${name}.${k}.txt`;
          files[file] = v;
          body[k] = terraformFile(file);
        } else body[k] = v;
      }
      return { type: spec.terraformType, name, body, files };
    },
  };
  if (spec.updatable !== false) {
    handler.update = (node, fields, live, _changes, { clients, signal }) => {
      if (signal.aborted) return Promise.reject(signal.reason);
      return clients.cloud.call('update', spec.kind, node.id, () => {
        const stored = clients.cloud.objects.get(live.cloudId);
        if (!stored) throw new MemoryCloudError('NotFound', `${live.cloudId} does not exist`);
        for (const f of spec.immutable ?? []) {
          if (JSON.stringify(stored.fields[f]) !== JSON.stringify(fields[f])) throw new MemoryCloudError('InvalidParameter', `${f} cannot be changed in place`);
        }
        stored.fields = structuredClone(fields);
        stored.outputs = spec.outputs(stored.cloudId, fields);
        return { cloudId: stored.cloudId, outputs: { ...stored.outputs } };
      });
    };
  }
  return handler;
}

export function classifyMemoryError(err: unknown): ErrorClass {
  if (!(err instanceof MemoryCloudError)) return 'fatal';
  switch (err.code) {
    case 'Throttling':
      return 'throttled';
    case 'Transient':
      return 'transient';
    case 'DependencyViolation':
      return 'dependency';
    case 'NotFound':
      return 'not-found';
    default:
      return 'fatal';
  }
}

/** The fake cloud's kinds: a small network-shaped world with refs nested in arrays and objects. */
export const MEMORY_KINDS: MemoryKind[] = [
  {
    kind: 'network',
    service: 'net',
    cloudIdPrefix: 'net',
    immutable: ['cidr'],
    outputs: (id, f) => ({ networkId: id, cidr: String(f.cidr) }),
    terraformType: 'memory_network',
    terraformOutputs: { networkId: 'id' },
  },
  {
    kind: 'subnet',
    service: 'net',
    cloudIdPrefix: 'subnet',
    immutable: ['networkId', 'cidr', 'zone'],
    outputs: (id) => ({ subnetId: id }),
    terraformType: 'memory_subnet',
    terraformOutputs: { subnetId: 'id' },
  },
  {
    kind: 'firewall',
    service: 'net',
    cloudIdPrefix: 'fw',
    immutable: ['networkId'],
    outputs: (id) => ({ firewallId: id }),
    terraformType: 'memory_firewall',
    terraformOutputs: { firewallId: 'id' },
  },
  {
    kind: 'instance',
    service: 'compute',
    cloudIdPrefix: 'i',
    immutable: ['subnetId', 'image'],
    writeOnly: ['userData'],
    outputs: (id, f) => ({ instanceId: id, privateIp: `10.0.0.${(parseInt(id.slice(2), 16) % 250) + 2}`, size: String(f.size) }),
    terraformType: 'memory_instance',
    terraformOutputs: { instanceId: 'id', privateIp: 'private_ip' },
  },
  {
    kind: 'loadBalancer',
    service: 'lb',
    cloudIdPrefix: 'lb',
    immutable: ['subnetIds'],
    outputs: (id) => ({ lbId: id, dnsName: `${id}.lb.example.test` }),
    terraformType: 'memory_load_balancer',
    terraformOutputs: { lbId: 'id', dnsName: 'dns_name' },
  },
  {
    kind: 'dnsRecord',
    service: 'dns',
    cloudIdPrefix: 'rr',
    updatable: false,
    outputs: (id, f) => ({ recordId: id, fqdn: String(f.name) }),
    terraformType: 'memory_dns_record',
    terraformOutputs: { recordId: 'id' },
  },
  {
    // Bench/scheduling kind: no fields of interest, just something that takes time.
    kind: 'task',
    service: 'work',
    cloudIdPrefix: 't',
    outputs: (id) => ({ taskId: id }),
    terraformType: 'memory_task',
    terraformOutputs: { taskId: 'id' },
  },
];

export function memoryHandlers(): ResourceHandler<MemoryClients>[] {
  return MEMORY_KINDS.map(memoryHandler);
}

export interface ExampleOptions {
  zones?: string[];
  workers?: number;
  size?: string;
  networkCidr?: string;
  /** Leave the DNS record out (to test deletes). */
  withoutDns?: boolean;
}

/** A fixture cluster: network, subnets per zone, firewall, control plane and workers, a load balancer, DNS. */
export function exampleGraph(opts: ExampleOptions = {}): ResourceNode[] {
  const zones = opts.zones ?? ['zone-a', 'zone-b'];
  const workers = opts.workers ?? 2;
  const nodes: ResourceNode[] = [
    { kind: 'network', id: 'network', fields: { name: 'demo', cidr: opts.networkCidr ?? '10.0.0.0/16' } },
    {
      kind: 'firewall',
      id: 'firewall/nodes',
      fields: {
        networkId: ref('network', 'networkId'),
        rules: [
          { port: 6443, from: ref('network', 'cidr') },
          { port: 22, from: '0.0.0.0/0' },
        ],
      },
    },
  ];
  zones.forEach((zone, i) => {
    nodes.push({ kind: 'subnet', id: `subnet/${zone}`, fields: { networkId: ref('network', 'networkId'), cidr: `10.0.${i}.0/24`, zone } });
  });
  const script = (role: string) => `#!/bin/sh\n# bootstrap ${role}\nset -eu\nexport NODE_ROLE=${role}\necho "joining as \${NODE_ROLE}"\n` + '# padding\n'.repeat(20);
  const instance = (id: string, zone: string, role: string): ResourceNode => ({
    kind: 'instance',
    id,
    fields: {
      subnetId: ref(`subnet/${zone}`, 'subnetId'),
      firewallIds: [ref('firewall/nodes', 'firewallId')],
      size: opts.size ?? 'small',
      image: 'image-1',
      labels: { role, zone },
      userData: script(role),
    },
  });
  nodes.push(instance('instance/control-plane-0', zones[0], 'control-plane'));
  for (let i = 0; i < workers; i++) nodes.push(instance(`instance/worker-${i}`, zones[i % zones.length], 'worker'));
  nodes.push({
    kind: 'loadBalancer',
    id: 'lb/api',
    fields: {
      subnetIds: zones.map((z) => ref(`subnet/${z}`, 'subnetId')),
      listeners: [{ port: 6443, targets: [{ instanceId: ref('instance/control-plane-0', 'instanceId'), port: 6443 }] }],
    },
  });
  if (!opts.withoutDns) {
    nodes.push({ kind: 'dnsRecord', id: 'dns/api', fields: { name: 'api.demo.example.test', value: ref('lb/api', 'dnsName') }, dependsOn: ['instance/control-plane-0'] });
  }
  return nodes;
}

/** A chain-shaped graph of `task` resources for scheduling tests: each entry is one chain of latencies. */
export function chainsGraph(chains: number[][]): { nodes: ResourceNode[]; latency: Map<string, number> } {
  const nodes: ResourceNode[] = [];
  const latency = new Map<string, number>();
  chains.forEach((chain, c) => {
    chain.forEach((ms, i) => {
      const id = `chain${c}/step${i}`;
      const fields: Fields = { weight: ms };
      if (i > 0) fields.after = ref(`chain${c}/step${i - 1}`, 'taskId');
      nodes.push({ kind: 'task', id, fields });
      latency.set(id, ms);
    });
  });
  return { nodes, latency };
}

/** EngineDeps for the fake cloud with fast retries, so tests do not wait on production backoff. */
export function memoryDeps(cloud: MemoryCloud, overrides: Partial<EngineDeps<MemoryClients>> = {}): EngineDeps<MemoryClients> {
  return {
    cluster: 'demo',
    handlers: memoryHandlers(),
    clients: { cloud },
    classifyError: classifyMemoryError,
    io: silentIo,
    retry: { baseDelayMs: 2, maxDelayMs: 20 },
    random: seededRandom(7),
    ...overrides,
  };
}

/** A Journal kept in memory. */
export class MemoryJournal implements Journal {
  readonly entries: JournalEntry[] = [];
  async load(): Promise<JournalEntry[]> {
    return [...this.entries];
  }
  async record(entry: JournalEntry): Promise<void> {
    this.entries.push(entry);
  }
}

/** Longest sum of latencies along any dependency path: the least time any executor can take. */
export function criticalPathMs(nodes: ResourceNode[], latency: ReadonlyMap<string, number>): number {
  const graph = buildGraph(nodes);
  const finish = new Map<string, number>();
  for (const id of graph.order) {
    const start = Math.max(0, ...[...graph.deps.get(id)!].map((d) => finish.get(d)!));
    finish.set(id, start + (latency.get(id) ?? 0));
  }
  return Math.max(0, ...finish.values());
}
