// `backup cluster NAME [--wait DURATION]`: takes an etcd snapshot now and stores it under `<cluster>/backups/etcd/<id>/`
// (with the cluster's lock held): on bare metal over SSH; on the clouds, where k8sup has no remote execution, through a
// command in the state store's control folder that a control plane carries out within a minute (--wait bounds how
// long k8sup waits for it, default 10m; docs/backups.md). The flow is src/lifecycle/backup-flow.ts.

import { backupClusterFlow } from '../lifecycle/backup-flow.js';
import { InvalidInputError } from '../core/errors.js';
import type { CliContext } from './context.js';
import { printData } from './render/output.js';
import { renderTable } from './render/table.js';

export default async function backupCluster(ctx: CliContext, args: string[], opts: Record<string, any>): Promise<number> {
  const name = ctx.clusterName(args[0]);
  const store = await ctx.openStore();
  const waitMs = await waitOption(opts.wait);
  const manifest = await backupClusterFlow({ store, name, actor: ctx.actor, io: ctx.io, env: ctx.env, home: ctx.home, signal: ctx.signal, sshAcceptNew: opts.sshAcceptNew, waitMs });
  printData(ctx, { cluster: name, backup: manifest }, {
    table: () => renderTable(['ID', 'TIME', 'NODE', 'ETCD', 'REVISION', 'SIZE', 'SHA256'], [[manifest.id, manifest.time, manifest.node, manifest.etcdVersion, manifest.revision, manifest.size, manifest.sha256]]),
  });
  return 0;
}

/** --wait DURATION (clouds: how long a control plane may take to answer), checked before anything is written. */
export async function waitOption(value: unknown): Promise<number | undefined> {
  if (value === undefined) return undefined;
  const { parseDuration } = await import('../pki/duration.js');
  let ms: number;
  try {
    ms = parseDuration(String(value));
  } catch (e) {
    throw new InvalidInputError(`--wait: ${(e as Error).message}`, { hint: 'use a number with a unit, e.g. 90s, 10m or 1h' });
  }
  if (!(ms >= 1000)) throw new InvalidInputError(`--wait ${value}: must be at least 1s`, { hint: 'e.g. --wait 10m' });
  return ms;
}
