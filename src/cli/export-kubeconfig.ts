import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { adminKubeconfig } from '../lifecycle/admin-credential.js';
import { readSpec } from '../lifecycle/spec-store.js';
import { ClusterStore } from '../state/cluster-store.js';
import type { CliContext } from './context.js';
import { expandPath } from './paths.js';
import { printData } from './render/output.js';

/** The kubeconfig file k8sup writes to: --kubeconfig, else the first file of $KUBECONFIG, else ~/.kube/config. */
export function kubeconfigPath(ctx: Pick<CliContext, 'env' | 'home'>, explicit?: string): string {
  return explicit ?? (ctx.env.KUBECONFIG?.split(':').find(Boolean) || join(ctx.home, '.kube', 'config'));
}

/** What export kubeconfig prints with -o json|yaml: where the context went, never the credential itself. */
export interface WrittenContext {
  cluster: string;
  context: string;
  kubeconfig: string;
  server: string;
  /** When the admin client certificate expires (ISO 8601). */
  notAfter: string;
}

/** Merges a fresh admin context for the cluster into the kubeconfig; returns the line to tell the user and what was written. */
export async function writeAdminContext(ctx: Pick<CliContext, 'env' | 'home' | 'note'>, cs: ClusterStore, name: string, ttl: string | true, explicitPath?: string): Promise<{ message: string; written: WrittenContext }> {
  const pkiMod = await import('../pki/index.js');
  const kc = await adminKubeconfig(cs, name, ttl === true ? pkiMod.DEFAULT_ADMIN_TTL : ttl);
  const path = kubeconfigPath(ctx, explicitPath);
  const existing = await readFile(path, 'utf8').catch(() => null);
  await pkiMod.writeKubeconfigFile(path, pkiMod.mergeKubeconfig(existing, kc.yaml));
  if (!kc.recorded) ctx.note(`warning: ${name} has not been applied yet; the kubeconfig points at ${kc.server}`);
  const notAfter = kc.notAfter.toISOString();
  return {
    message: `Wrote context ${name} to ${path} (admin credential valid until ${notAfter}).`,
    written: { cluster: name, context: name, kubeconfig: path, server: kc.server, notAfter },
  };
}

/** delete cluster --yes: removes the context, user and cluster entries k8sup wrote for this cluster (only those). */
export async function removeAdminContext(ctx: Pick<CliContext, 'env' | 'home'>, name: string, caCertPem: string): Promise<string | null> {
  const pkiMod = await import('../pki/index.js');
  const path = kubeconfigPath(ctx);
  const existing = await readFile(path, 'utf8').catch(() => null);
  if (existing === null) return null;
  const { yaml, removed } = pkiMod.removeKubeconfigEntries(existing, { name, caCertPem });
  if (!removed.length) return null;
  await pkiMod.writeKubeconfigFile(path, yaml);
  return `Removed ${removed.join(', ')} from ${path}.`;
}

export default async function exportKubeconfig(ctx: CliContext, args: string[], opts: Record<string, any>): Promise<number> {
  const name = ctx.clusterName(args[0]);
  const pkiMod = await import('../pki/index.js');
  pkiMod.parseDuration(opts.admin, '--admin'); // bad input fails before any read
  const cs = new ClusterStore(await ctx.openStore(), name);
  await readSpec(cs, name);
  const { message, written } = await writeAdminContext(ctx, cs, name, opts.admin, opts.kubeconfig === undefined ? undefined : expandPath(opts.kubeconfig, ctx));
  ctx.note(message);
  // -o table: the note says it all (stdout stays empty, as for replace); -o json|yaml: the document for a pipeline.
  printData(ctx, written, { table: () => '' });
  return 0;
}
