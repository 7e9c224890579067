import { InvalidInputError, NotFoundError } from '../core/errors.js';
import { clusterNotFound } from '../lifecycle/spec-store.js';
import { ClusterStore, type LockRecord } from '../state/cluster-store.js';
import type { CliContext } from './context.js';
import { printData } from './render/output.js';
import { suggest } from './suggest.js';

/** `-o json|yaml`: the lock as data for a pipeline (who holds it, until when); `-o table` prints nothing on stdout. */
function printLock(ctx: CliContext, name: string, lock: LockRecord & { expired?: boolean }, released: boolean): void {
  const { id, owner, host, pid, command, acquiredAt, expiresAt } = lock;
  const doc = { cluster: name, lock: { id, owner, host, pid, command, acquiredAt, expiresAt, ...(lock.expired !== undefined ? { expired: lock.expired } : {}) }, released };
  printData(ctx, doc, { table: () => '' });
}

/**
 * unlock cluster: releases a lock whose holder is gone. Without --yes it only shows the lock the id names (and
 * refuses a wrong id), so a pasted command cannot break a run that is still going.
 */
export default async function unlock(ctx: CliContext, args: string[], opts: Record<string, any>): Promise<number> {
  const name = ctx.clusterName(args[0]);
  const lockId = String(opts.lockId);
  const cs = new ClusterStore(await ctx.openStore(), name);
  const lock = await cs.lockInfo();
  if (!lock) {
    // A lock without a spec (a create that stopped before its first revision) can still be released: the cluster's
    // existence only decides what to say when there is no lock.
    if (!(await cs.latest())) throw clusterNotFound(name);
    throw new NotFoundError(`cluster ${name} is not locked; there is nothing to unlock`, { hint: 'no unlock is needed' });
  }
  if (ctx.globals.yes) {
    const released = await cs.forceUnlock(lockId);
    printLock(ctx, name, released, true);
    ctx.io.emit({ code: 'lock.released', level: 'info', message: `Released lock ${lockId} on ${name}.`, data: { cluster: name, lockId } });
    return 0;
  }
  if (lock.id !== lockId) {
    throw new InvalidInputError(`lock id ${lockId} does not match the lock on cluster ${name} (id ${lock.id})`, {
      hint: 'copy the lock id from the error message of the run that was refused',
    });
  }
  printLock(ctx, name, lock, false);
  const state = lock.expired ? 'expired at' : 'expires at';
  const command = suggest(ctx, `unlock cluster ${name} --lock-id ${lockId} --yes`);
  ctx.io.emit({
    code: 'cluster.preview',
    level: 'info',
    message: `Lock ${lockId} on ${name} is held by ${lock.owner} (pid ${lock.pid}, "${lock.command}") since ${lock.acquiredAt}; it ${state} ${lock.expiresAt}. Nothing was released.`,
    data: { cluster: name },
  });
  ctx.io.emit({ code: 'next', level: 'info', message: `If that run is gone, release the lock with: ${command}`, data: { command } });
  return 0;
}
