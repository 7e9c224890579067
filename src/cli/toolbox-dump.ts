// `toolbox dump NAME [-o yaml|json|table]`: the cluster described in one document for a support ticket (kops'
// `toolbox dump`). The flow is src/lifecycle/toolbox-dump.ts; this file reads the flags, finds a way to the API (like
// validate: --kubeconfig, or a short-lived admin credential from the state's PKI) and prints. YAML by default, like
// kops. Read-only: no lock is taken and nothing is written. A section that cannot be collected (the API does not
// answer, the cloud refuses) is reported in the document and as a warning, and the command still exits 0: a dump is
// most needed when something is broken (docs/toolbox.md).

import type { ToolboxDump } from '../lifecycle/toolbox-dump.js';
import { InvalidInputError } from '../core/errors.js';
import type { CliContext } from './context.js';
import { checkContextFlag } from './context-flag.js';
import { readInputFile } from './paths.js';
import { printData } from './render/output.js';
import { renderTable } from './render/table.js';

export default async function toolboxDump(ctx: CliContext, args: string[], opts: Record<string, any>): Promise<number> {
  const name = ctx.clusterName(args[0]);
  checkContextFlag(opts, name, 'toolbox dump');
  const { parseDuration } = await import('../pki/duration.js');
  let eventsSinceMs: number;
  try {
    eventsSinceMs = parseDuration(String(opts.eventsSince));
  } catch (e) {
    throw new InvalidInputError(`--events-since: ${(e as Error).message}`, { hint: 'a duration such as 30m, 1h or 24h' });
  }
  if (!/^\d+$/.test(String(opts.maxEvents))) throw new InvalidInputError(`--max-events: "${opts.maxEvents}" is not a whole number`, { hint: 'e.g. --max-events 500' });
  const kubeconfigFile = opts.kubeconfig ? await readInputFile('--kubeconfig', opts.kubeconfig, ctx) : undefined;

  const store = await ctx.openStore();
  const { toolboxDumpFlow } = await import('../lifecycle/toolbox-dump.js');
  const dump = await toolboxDumpFlow({
    store, name, io: ctx.io, env: ctx.env, home: ctx.home, signal: ctx.signal, sshAcceptNew: opts.sshAcceptNew === true,
    kubeconfig: kubeconfigFile === undefined ? undefined : { yaml: kubeconfigFile, context: opts.context }, eventsSinceMs, maxEvents: Number(opts.maxEvents),
  });
  for (const w of dump.warnings) ctx.note(`warning: ${w}`);
  // YAML unless -o says otherwise (kops' default for this command); -o table is a summary for people.
  const output = opts.output ?? 'yaml';
  printData({ ...ctx, globals: { ...ctx.globals, output } }, dump, { table: () => summary(dump) });
  return 0;
}

function summary(d: ToolboxDump): string {
  const parts: string[] = [`Cluster ${d.cluster.name} (${d.cluster.cloud}, Kubernetes ${d.cluster.kubernetesVersion}, revision ${d.cluster.revision})\n`];
  parts.push(
    d.cloud.reachable
      ? `\nCloud resources (${d.cloud.resources.length})\n${renderTable(['KIND', 'ID', 'CLOUD ID', 'NAME'], d.cloud.resources.map((r) => [r.kind, r.id, r.cloudId, r.name ?? '']))}`
      : `\nCloud resources: not listed: ${d.cloud.error}\n`,
  );
  if (d.instances.length) parts.push(`\nInstances (${d.instances.length})\n${renderTable(['INSTANCE', 'GROUP', 'STATE', 'STEP'], d.instances.map((i) => [i.instance, i.group, i.state, i.step]))}`);
  if (!d.kubernetes.reachable) parts.push(`\nKubernetes API: not reachable: ${d.kubernetes.error}\n`);
  else {
    const k = d.kubernetes;
    const ready = (n: (typeof k.nodes)[number]) => n.conditions.find((c) => c.type === 'Ready')?.status === 'True';
    parts.push(`\nNodes (${k.nodes.length})\n${renderTable(['NAME', 'ROLES', 'READY', 'KUBELET', 'ADDRESS'], k.nodes.map((n) => [n.name, n.roles.join(',') || '<none>', ready(n) ? 'yes' : 'no', n.versions.kubelet ?? '', n.addresses.find((a) => a.type === 'InternalIP')?.address ?? '']))}`);
    parts.push(`\nPods (${k.pods.length})\n${renderTable(['NAMESPACE', 'NAME', 'NODE', 'PHASE', 'RESTARTS'], k.pods.map((p) => [p.namespace, p.name, p.node ?? '', p.phase ?? '', p.restarts]))}`);
    parts.push(`\nEvents (${k.events.length})\n${renderTable(['TIME', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE'], k.events.map((e) => [e.time ?? '', e.type ?? '', e.reason ?? '', e.object, e.message ?? '']))}`);
  }
  return parts.join('');
}
