// Spec → model → resource graph → plan → apply, for one cluster. The CLI commands (create, update, delete)
// are thin wrappers around these functions.

import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Cluster } from '../api/index.js';
import { apply, destroy, diff, plan as planLive, renderTerraform, type ApplyResult, type EngineDeps } from '../core/engine.js';
import { InvalidInputError } from '../core/errors.js';
import type { IoHost } from '../core/io.js';
import type { Provider } from '../core/provider.js';
import type { Plan, ResourceNode } from '../core/resource.js';
import type { BlobStore } from '../state/blob.js';
import type { ClusterStore } from '../state/cluster-store.js';
import { CLUSTER_INFO, type ClusterInfo } from './cluster-info.js';
import { pkiForGraph, type PublicPki } from './pki-store.js';

export interface DeployContext {
  store: BlobStore;
  cs: ClusterStore;
  cluster: Cluster;
  io: IoHost;
  env: Record<string, string | undefined>;
  home: string;
  signal?: AbortSignal;
  sshAcceptNew?: boolean;
  /** Clients from an earlier connectProvider (create connects before its first write). */
  clients?: unknown;
  /** The spec revision being applied (recorded in cluster-info.json). */
  revision?: number;
}


export async function loadProviderFor(cluster: Cluster): Promise<Provider<any>> {
  const { loadProvider } = await import('../../providers/index.js');
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
  // Writes (a missing PKI of a never-applied cluster) only through a ClusterStore that holds the lock: plans never write.
  pki ??= await pkiForGraph(ctx.store, ctx.cluster.metadata.name, ctx.cs);
  const schemes = provider.nodeStateStoreSchemes;
  const readable = !schemes || schemes.includes(new URL(ctx.store.url).protocol);
  const stateStore = readable ? ctx.store.url : `${schemes[0]}//state-store-not-set`;
  return provider.buildGraph(ctx.cluster, { stateStore, ...pki });
}

/** A plan without any cloud call: valid when nothing was ever applied (everything is a create). */
export function offlinePlan(ctx: DeployContext, provider: Provider<any>, nodes: ResourceNode[]): Plan {
  return diff(ctx.cluster.metadata.name, nodes, [], provider.handlers);
}

export async function hasApplied(cs: ClusterStore): Promise<boolean> {
  return (await cs.journal.load()).length > 0;
}

/** The provider's clients; connecting checks credentials and zones, so bad input surfaces here (exit 2). */
export async function connectProvider(ctx: Omit<DeployContext, 'cs' | 'clients'>, provider: Provider<any>): Promise<unknown> {
  return provider.connect(ctx.cluster, { io: ctx.io, env: ctx.env, signal: ctx.signal, home: ctx.home, store: ctx.store, sshAcceptNew: ctx.sshAcceptNew });
}

async function engineDeps(ctx: DeployContext, provider: Provider<any>): Promise<EngineDeps<any>> {
  const clients = ctx.clients ?? (await connectProvider(ctx, provider));
  return {
    cluster: ctx.cluster.metadata.name,
    handlers: provider.handlers,
    clients,
    classifyError: (e) => provider.classifyError(e),
    io: ctx.io,
    signal: ctx.signal,
    journal: ctx.cs.journal,
    taskTimeoutMs: provider.taskTimeoutMs,
  };
}

export interface LivePlan {
  plan: Plan;
  apply(): Promise<ApplyResult>;
}

/** Connects to the cloud, plans against what exists, and offers to apply that exact plan. */
export async function planAgainstCloud(ctx: DeployContext, provider: Provider<any>, nodes: ResourceNode[]): Promise<LivePlan> {
  const deps = await engineDeps(ctx, provider);
  const { plan, live } = await planLive(nodes, deps);
  return {
    plan,
    async apply() {
      const result = await apply(plan, nodes, live, deps);
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
  const { plan } = await planLive([], deps);
  return { plan, run: () => destroy(nodes, deps) };
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
