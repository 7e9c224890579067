// Spec → model → resource graph → plan → apply, for one cluster. The CLI commands (create, update, delete)
// are thin wrappers around these functions.

import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { cloudFacts, loadProvider, type CloudName } from '../../providers/index.js';
import type { Cluster } from '../api/index.js';
import { withDefaults } from '../api/defaults.js';
import { isKnownZone, zoneRegion } from '../api/zones.js';
import { apply, destroy, diff, plan as planLive, renderTerraform, type ApplyResult, type EngineDeps } from '../core/engine.js';
import { InvalidInputError } from '../core/errors.js';
import type { IoHost } from '../core/io.js';
import type { BuildInputs, Provider } from '../core/provider.js';
import type { LiveResource, Plan, ResourceNode } from '../core/resource.js';
import type { BlobStore } from '../state/blob.js';
import type { ClusterStore } from '../state/cluster-store.js';
import { mapInFlight, settleAll } from '../state/in-flight.js';
import { CLUSTER_INFO, type ClusterInfo } from './cluster-info.js';
import { ensureSettingSecrets, pkiForGraph, type PublicPki } from './pki-store.js';
import { providerState } from './provider-state.js';
import { upgradedFrom } from './upgrade-origin.js';

/** Where a flow runs: the host's output, environment, home folder, cancellation and SSH policy (the CLI passes its context). */
export interface FlowHost {
  io: IoHost;
  env: Record<string, string | undefined>;
  home: string;
  signal?: AbortSignal;
  sshAcceptNew?: boolean;
}

/** Closes the provider clients a flow connected (bare metal's SSH sessions; cloud clients have nothing to close). */
export function closeClients(clients: unknown): void {
  (clients as { close?: () => void } | undefined)?.close?.();
}

export interface DeployContext extends FlowHost {
  store: BlobStore;
  cs: ClusterStore;
  cluster: Cluster;
  /** Clients from an earlier connectProvider (create connects before its first write). */
  clients?: unknown;
  /** The spec revision being applied (recorded in cluster-info.json). */
  revision?: number;
  /** Objects of another cluster with the same name: refused (default) or left alone (`delete --cluster-id`). */
  otherClusters?: 'refuse' | 'skip';
}


export async function loadProviderFor(cluster: Cluster): Promise<Provider<any>> {
  return loadProvider(cluster.spec.cloud);
}

/**
 * Nodes fetch their bootstrap material from the state store with their own cloud identity, so applying needs a
 * store of that cloud. Checked before anything is written.
 */
export function assertNodesCanReadStore(provider: Provider<any>, storeUrl: string): void {
  const schemes = provider.nodeStateStoreSchemes;
  if (!schemes || schemes.includes(new URL(storeUrl).protocol)) return;
  const example = schemes[0] === 's3:' ? 's3://my-bucket' : 'gs://my-bucket';
  throw new InvalidInputError(`${provider.name} clusters need a ${schemes.join(' or ')}// state store (nodes read their bootstrap material from it), not ${storeUrl}`, {
    hint: `pass --state ${example} (or set K8SUP_STATE_STORE); a local store can only plan ${provider.name} clusters`,
  });
}

/**
 * The desired resources. A plan-only run on a store the nodes could not read (a local store for an AWS cluster)
 * renders with a placeholder location; assertNodesCanReadStore stops such a spec from being applied.
 */
export async function desiredGraph(ctx: Pick<DeployContext, 'store' | 'cluster'> & Partial<Pick<DeployContext, 'cs'>>, provider: Provider<any>, pki?: PublicPki): Promise<ResourceNode[]> {
  return provider.buildGraph(ctx.cluster, await buildInputs(ctx, provider, pki));
}

/**
 * The graph's inputs as read for one run context: the graph and the bootstrap bundles of one run (under one lock)
 * are rendered from one read, not one each (issue 17).
 */
const INPUTS = new WeakMap<object, Promise<BuildInputs>>();

function buildInputs(ctx: Pick<DeployContext, 'store' | 'cluster'> & Partial<Pick<DeployContext, 'cs'>>, provider: Provider<any>, pki?: PublicPki): Promise<BuildInputs> {
  if (pki) return readInputs(ctx, provider, pki);
  let inputs = INPUTS.get(ctx);
  if (!inputs) INPUTS.set(ctx, (inputs = readInputs(ctx, provider)));
  return inputs;
}

async function readInputs(ctx: Pick<DeployContext, 'store' | 'cluster'> & Partial<Pick<DeployContext, 'cs'>>, provider: Provider<any>, pki?: PublicPki): Promise<BuildInputs> {
  // Writes (a missing PKI of a never-applied cluster) only through a ClusterStore that holds the lock: plans never
  // write. The three reads are independent (a replaced PKI leaves the encryption config alone): one round trip.
  const [publicPki, , upgradeFrom] = await settleAll([
    pki ?? pkiForGraph(ctx.store, ctx.cluster.metadata.name, ctx.cs),
    ensureSettingSecrets(ctx.store, ctx.cluster, ctx.cs?.holdsLease === true),
    upgradedFrom(ctx.store, ctx.cluster),
  ]);
  const schemes = provider.nodeStateStoreSchemes;
  const readable = !schemes || schemes.includes(new URL(ctx.store.url).protocol);
  const stateStore = readable ? ctx.store.url : `${schemes[0]}//state-store-not-set`;
  return { stateStore, ...publicPki, ...(upgradeFrom ? { upgradeFrom } : {}) };
}

/**
 * Writes the cluster's bootstrap bundles (what the nodes' loaders fetch, src/bootstrap/loader.ts) to the state
 * store. Only applies call it, under the cluster's lock: plans write nothing. Bundles are named by their content hash,
 * so writing one again changes nothing; older ones stay for instances launched with them (delete removes all).
 */
export async function writeBootstrapBundles(ctx: Pick<DeployContext, 'store' | 'cluster' | 'cs'>, provider: Provider<any>, opts: { missingOnly?: boolean } = {}): Promise<string[]> {
  if (!provider.bootstrapBundles) return [];
  const bundles = provider.bootstrapBundles(ctx.cluster, await buildInputs(ctx, provider));
  // `missingOnly`: one listing of their folders first, and only the bundles not there yet are written (a bundle's
  // name is its content's hash, so one that is there holds these bytes): an apply with nothing new writes nothing.
  const folders = [...new Set(bundles.map((b) => `${ctx.cs.cluster}/${b.key.slice(0, b.key.lastIndexOf('/') + 1)}`))];
  const present = opts.missingOnly ? new Set((await Promise.all(folders.map((f) => ctx.store.list(f)))).flat()) : new Set<string>();
  await mapInFlight(
    bundles.filter((b) => !present.has(`${ctx.cs.cluster}/${b.key}`)),
    (b) => ctx.cs.putObject(b.key, b.content),
  );
  return bundles.map((b) => b.key);
}

/** A plan without any cloud call: valid when nothing was ever applied (everything is a create). */
export function offlinePlan(ctx: DeployContext, provider: Provider<any>, nodes: ResourceNode[]): Plan {
  return diff(ctx.cluster.metadata.name, nodes, [], provider.handlers);
}

/** The journal records something: an applied change or the intent of a create (which may have happened). */
export async function hasApplied(cs: ClusterStore): Promise<boolean> {
  return (await cs.journal.load()).length > 0;
}

/**
 * Whether the cloud may hold objects of this cluster although its journal is empty: the provider finds objects by
 * ownership tags/labels, and this store is one the cluster could have been applied from (or its state was lost and
 * re-created). Then `delete` asks the cloud instead of assuming "never applied".
 */
export function mayHaveCloudObjects(provider: Provider<any>, storeUrl: string): boolean {
  const schemes = provider.nodeStateStoreSchemes;
  return provider.discoversByOwnership === true && (!schemes || schemes.includes(new URL(storeUrl).protocol));
}

/** The provider's clients; connecting checks credentials and zones, so bad input surfaces here (exit 2). */
export async function connectProvider(ctx: Omit<DeployContext, 'cs' | 'clients'>, provider: Provider<any>): Promise<unknown> {
  const state = providerState(ctx.store, ctx.cluster.metadata.name);
  return provider.connect(ctx.cluster, { io: ctx.io, env: ctx.env, signal: ctx.signal, home: ctx.home, state, sshAcceptNew: ctx.sshAcceptNew });
}

async function engineDeps(ctx: DeployContext, provider: Provider<any>): Promise<EngineDeps<any>> {
  const clients = ctx.clients ?? (await connectProvider(ctx, provider));
  return {
    cluster: ctx.cluster.metadata.name,
    clusterId: ctx.cluster.metadata.uid,
    otherClusters: ctx.otherClusters,
    handlers: provider.handlers,
    clients,
    classifyError: (e) => provider.classifyError(e),
    io: ctx.io,
    signal: ctx.signal,
    journal: ctx.cs.journal,
    taskTimeoutMs: provider.taskTimeoutMs,
    concurrency: provider.concurrency,
  };
}

export interface LivePlan {
  plan: Plan;
  /** What the cloud reported, the plan's input (saved plans record a digest of it). */
  live: LiveResource[];
  /** Applies this plan, or a saved plan computed against the same live resources. */
  apply(saved?: Plan): Promise<ApplyResult>;
}

/**
 * Connects to the cloud, plans against what exists, and offers to apply that exact plan. `bundles`: the bootstrap
 * bundles' write, started beside the plan by the caller; the apply waits for it (else writes them itself first).
 */
export async function planAgainstCloud(ctx: DeployContext, provider: Provider<any>, nodes: ResourceNode[], bundles?: Promise<unknown>): Promise<LivePlan> {
  const deps = await engineDeps(ctx, provider);
  const { plan, live, journal } = await planLive(nodes, deps);
  return {
    plan,
    live,
    async apply(saved) {
      // Before any instance exists: its loader fetches its bundle at first boot.
      await (bundles ?? writeBootstrapBundles(ctx, provider));
      // The journal as the plan read it, under the same lock: nothing has been recorded since.
      const result = await apply(saved ?? plan, nodes, live, deps, journal);
      const info: ClusterInfo = {
        apiEndpoint: provider.apiEndpoint?.(result.outputs),
        appliedRevision: ctx.revision,
        appliedAt: new Date().toISOString(),
      };
      await ctx.cs.putObject(CLUSTER_INFO, JSON.stringify(info, null, 2));
      return result;
    },
  };
}

/** Deletes every resource of the cluster (found by tag and by the recorded inventory). */
export async function destroyAll(ctx: DeployContext, provider: Provider<any>, nodes: ResourceNode[]): Promise<{ plan: Plan; run(): Promise<ApplyResult> }> {
  const deps = await engineDeps(ctx, provider);
  const { plan, live } = await planLive([], deps);
  return { plan, run: () => destroy(nodes, deps, live) };
}

/** What `delete cluster NAME --cloud …` knows about a cluster whose state is gone. */
export interface OwnershipScope {
  name: string;
  cloud: CloudName;
  region: string;
  project?: string;
  /** Delete only the objects of this cluster id (needed when several clusters of this name exist). */
  clusterId?: string;
}

export interface OwnershipDelete {
  plan: Plan;
  /** Every cluster id found on objects carrying the name, sorted. */
  clusterIds: string[];
  /** The id whose objects the plan deletes (undefined: only objects without an id were found). */
  clusterId?: string;
  run(): Promise<ApplyResult>;
}

/** The spec of a cluster whose state is gone, as far as finding and deleting its objects needs it. */
export function orphanCluster(scope: OwnershipScope, zones: string[] = []): Cluster {
  const nodeGroups = zones.length ? [{ name: 'nodes', minSize: 1, maxSize: 1, zones }] : [];
  return withDefaults({
    metadata: { name: scope.name, ...(scope.clusterId ? { uid: scope.clusterId } : {}) },
    spec: { cloud: scope.cloud, region: scope.region, zones, ...(scope.project ? { project: scope.project } : {}), controlPlane: { count: 1, zones: zones.slice(0, 1) }, nodeGroups },
  });
}

/**
 * Deleting by ownership tags/labels, without a state: lists everything that carries the cluster's name, and refuses
 * (exit 2, listing them) when objects of several cluster ids carry it and `clusterId` does not pick one. The graph
 * of a zone-less spec orders the deletes of the shared objects (VPC or network last); per-zone objects and
 * instance groups, which it does not know, go first.
 */
export async function planDeleteByOwnership(ctx: Pick<DeployContext, 'store' | 'io' | 'env' | 'home' | 'signal'>, provider: Provider<any>, scope: OwnershipScope): Promise<OwnershipDelete> {
  if (!provider.discoversByOwnership) {
    throw new InvalidInputError(`${provider.name} clusters cannot be found without their state (their machines carry no cloud ownership tags)`, {
      hint: `restore the state store (--state) of ${scope.name}, then run k8sup delete cluster ${scope.name} --yes`,
    });
  }
  const cluster = orphanCluster(scope);
  const clients = await connectProvider({ ...ctx, cluster }, provider);
  const base: EngineDeps<any> = {
    cluster: scope.name,
    handlers: provider.handlers,
    clients,
    classifyError: (e) => provider.classifyError(e),
    io: ctx.io,
    signal: ctx.signal,
    taskTimeoutMs: provider.taskTimeoutMs,
    concurrency: provider.concurrency,
  };
  const { live } = await planLive([], base);
  const clusterIds = [...new Set(live.map((l) => l.clusterId).filter((id): id is string => !!id))].sort();
  if (!scope.clusterId && clusterIds.length > 1) {
    throw new InvalidInputError(`objects of ${clusterIds.length} clusters named ${scope.name} exist (cluster ids ${clusterIds.join(', ')}); nothing was deleted`, {
      hint: `pick one: k8sup delete cluster ${scope.name} --cloud ${scope.cloud} --region ${scope.region}${scope.project ? ` --project ${scope.project}` : ''} --cluster-id ID`,
    });
  }
  const clusterId = scope.clusterId ?? clusterIds[0];
  const deps: EngineDeps<any> = { ...base, clusterId, otherClusters: 'skip' };
  const selected = live.filter((l) => !l.clusterId || !clusterId || l.clusterId === clusterId);
  const plan = diff(scope.name, [], selected, provider.handlers);
  const schemes = provider.nodeStateStoreSchemes;
  // The ordering graph knows the per-zone objects (subnets, instance groups) of the zones the live objects name.
  const known = cloudFacts(scope.cloud)?.zones;
  const zones = known ? [...new Set(selected.flatMap((l) => l.id.split('/')).filter((seg) => isKnownZone(known, seg) && zoneRegion(known, seg) === scope.region))].sort() : [];
  const ordering = zones.length ? orphanCluster(scope, zones) : cluster;
  let nodes: ResourceNode[] = [];
  try {
    nodes = provider.buildGraph(ordering, { stateStore: `${schemes?.[0] ?? 'file:'}//state-store-not-set`, caCertPem: '', caCertHash: `sha256:${'0'.repeat(64)}` });
  } catch {
    // Without an ordering graph every object is deleted at once; 'dependency' refusals are retried.
  }
  return { plan, clusterIds, clusterId, run: () => destroy(nodes, deps, selected) };
}

/** `--target terraform --out DIR`: writes main.tf.json and data/*; touches no cloud. */
export async function writeTerraform(provider: Provider<any>, cluster: Cluster, nodes: ResourceNode[], outDir: string): Promise<string[]> {
  const files = renderTerraform(nodes, provider.handlers, provider.terraformPreamble?.(cluster) ?? {});
  const written: string[] = [];
  for (const [name, content] of Object.entries(files)) {
    const path = join(outDir, name);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, content);
    written.push(path);
  }
  return written;
}
