// Restoring an HA control plane on the clouds through the control folder (docs/backups.md, "Restoring an HA control
// plane"), the way etcd's disaster-recovery guide and runtime reconfiguration go, one step per control command:
//
//   1. restore-seed   one control plane (the first to claim it) checks the snapshot's sha256, stops etcd and
//                     kube-apiserver, restores the snapshot as a ONE-member cluster under its own name and peer URL,
//                     swaps the data dir in (the old one is kept), starts, and answers with its member and client URL;
//   2. rejoin × N-1   each other control plane in turn (the command excludes the seed and those already joined) stops
//                     etcd and kube-apiserver, moves its data dir aside, `etcdctl member add`s itself at the seed,
//                     restarts with the --initial-cluster that add returned and --initial-cluster-state=existing, and
//                     answers once it is healthy through quorum. Then the next.
//
// Why this and not "every member restores the same snapshot with the full --initial-cluster at once" (etcd's guide):
// that needs every member stopped before any starts and all started together — a barrier — while control planes
// look at the store once a minute each and may be down or late; a member that missed the barrier (or restored a second
// time after a lost reply) would split the cluster. Here no step depends on timing: each is one command, claimed by
// exactly one control plane, answered before the next is asked, and etcd itself admits each new member (adding one to
// a one-member cluster is the case etcd allows for exactly this recovery). etcd-manager restores the same way in
// spirit: one member from the backup, the others added as new members.
//
// Progress lives in `control/restore.json` (the restore id, the backup, the seed, the members joined), written by
// the CLI before and after every step; the nodes keep the restore id in markers in their data dirs. So a re-run after
// kill -9 or a lost reply continues where it stopped: it takes the answer of a step that was answered, waits for one
// that is under way, and asks again only for a step nobody took — which the node then carries out at most once (the
// seed is never restored a second time from under members that joined it, a joined member's data is never moved).

import type { Cluster } from '../api/types.js';
import { ConflictError, OperationError } from '../core/errors.js';
import { PreconditionFailedError } from '../state/blob.js';
import type { BackupManifest } from './etcd-backup.js';
import { controlPrefix, newCommandId, runControlCommand, type ControlDeps, type ControlResult } from './etcd-control.js';

export const restoreRecordKey = (cluster: string) => `${controlPrefix(cluster)}restore.json`;

export interface RestoreRecord {
  v: 1;
  /** The restore's id (a command id), in every step's command and in the nodes' markers. */
  restore: string;
  backup: string;
  sha256: string;
  /** How many members the restored cluster gets (spec.controlPlane.count when it started). */
  members: number;
  /** The control plane that claimed restore-seed (a repeated seed command is for it only). */
  seedNode?: string;
  /** The seed once it answered: its node, member NAME=PEER_URL and etcd client URL. */
  seed?: { node: string; member: string; client: string };
  /** Nodes that rejoined the seed, in order. */
  joined: string[];
  done: boolean;
  started: string;
  by: string;
}

/** Where the operator takes over when a control plane does not know the HA restore actions (an older k8sup launched it). */
const MANUAL = 'docs/backups.md, "Restoring an HA control plane by hand"';

function parseRecord(text: string): RestoreRecord | undefined {
  try {
    const r = JSON.parse(text);
    if (r && typeof r === 'object' && typeof r.restore === 'string' && typeof r.backup === 'string' && Array.isArray(r.joined)) return r as RestoreRecord;
  } catch {
    // an unreadable record is no restore in progress
  }
  return undefined;
}

/** Whether the cluster's control planes are restored by this sequence (clouds, more than one control plane). */
export const restoresHaThroughControlFolder = (cluster: Cluster) => cluster.spec.controlPlane.count > 1;

/** Every control plane of an HA cluster restored from `backup`: the seed, then each other member joined to it. */
export async function restoreHaThroughControlPlanes(deps: ControlDeps, backup: BackupManifest): Promise<RestoreRecord> {
  const { store, io } = deps;
  const name = deps.cluster.metadata.name;
  const key = restoreRecordKey(name);
  const blob = await store.get(key);
  let version = blob?.version;
  let record = blob ? parseRecord(blob.data.toString('utf8')) : undefined;
  const save = async (next: RestoreRecord) => {
    try {
      version = await store.put(key, `${JSON.stringify(next)}\n`, version === undefined ? { ifNoneMatch: true } : { ifMatch: version });
    } catch (e) {
      if (e instanceof PreconditionFailedError) throw new ConflictError(`another run changed the HA restore record of ${name} at the same time`, { hint: `retry \`k8sup restore cluster ${name} --backup ${backup.id} --yes\`` });
      throw e;
    }
    record = next;
  };

  // An unfinished restore in which no control plane took the seed step has changed nothing: a restore of another
  // backup replaces it. Once a seed was taken, only the same backup continues it.
  if (record && !record.done && (record.seedNode !== undefined || (record.backup === backup.id && record.sha256 === backup.sha256))) {
    if (record.backup !== backup.id || record.sha256 !== backup.sha256) {
      throw new ConflictError(`an HA restore of ${name} from backup ${record.backup} (restore ${record.restore}, started ${record.started} by ${record.by}) is unfinished`, {
        hint: `finish it with \`k8sup restore cluster ${name} --backup ${record.backup} --yes\` (it continues where it stopped); to give it up, delete ${key} from the state store (docs/backups.md)`,
      });
    }
    io.emit({ code: 'etcd.restore.resumed', level: 'info', message: `Continuing HA restore ${record.restore} of ${name} from backup ${backup.id}: ${record.seed ? `seed ${record.seed.node}, ${record.joined.length} of ${record.members - 1} members rejoined` : 'the seed is not restored yet'}.`, data: { cluster: name, restore: record.restore } });
  } else {
    const at = (deps.now ?? (() => new Date()))();
    await save({ v: 1, restore: newCommandId(at), backup: backup.id, sha256: backup.sha256, members: deps.cluster.spec.controlPlane.count, joined: [], done: false, started: at.toISOString(), by: deps.by });
  }
  let r = record!;
  const rid = r.restore;

  if (!r.seed) {
    const result = await runControlCommand(
      deps,
      { action: 'restore-seed', backup: backup.id, sha256: backup.sha256, restore: rid, ...(r.seedNode ? { target: r.seedNode } : {}) },
      {
        adopt: (c) => c.action === 'restore-seed' && c.restore === rid,
        onClaim: async (claim) => {
          if (claim.node && r.seedNode !== claim.node) await save({ ...r, seedNode: claim.node });
          r = record!;
        },
      },
    );
    if (unsupported(result)) {
      // Nothing changed there (the poller did not know the action): a later run may pick any seed again.
      const { seedNode: _, ...rest } = r;
      await save(rest);
      r = record!;
    } else if (result.status !== 'done' && result.node && r.seedNode !== result.node) {
      // It may have parked its etcd or swapped its data: the seed step is asked again of it only.
      await save({ ...r, seedNode: result.node });
      r = record!;
    }
    check(name, backup, result, 'seed', r);
    if (!result.client || !result.member) throw new OperationError(`control plane ${result.node} restored the seed of ${name} but named no member or client URL`, { code: 'EtcdRestoreFailed', hint: `see \`journalctl -u k8sup-etcd-control\` on ${result.node}` });
    await save({ ...r, seedNode: result.node, seed: { node: result.node, member: result.member, client: result.client } });
    r = record!;
    io.emit({ code: 'etcd.restore.seeded', level: 'info', message: `Control plane ${result.node} restored backup ${backup.id} as the one-member etcd ${result.member}; the other ${r.members - 1} join it one by one.`, data: { cluster: name, node: result.node, member: result.member } });
  }

  while (r.joined.length < r.members - 1) {
    const seed = r.seed!;
    const exclude = [seed.node, ...r.joined].join(',');
    const result = await runControlCommand(deps, { action: 'rejoin', backup: backup.id, restore: rid, seed: seed.client, exclude }, { adopt: (c) => c.action === 'rejoin' && c.restore === rid && c.exclude === exclude });
    check(name, backup, result, 'rejoin', r);
    if (exclude.split(',').includes(result.node)) {
      throw new OperationError(`control plane ${result.node} answered a rejoin of ${name} that excluded it`, { code: 'EtcdRestoreFailed', hint: `run the same \`k8sup restore cluster ${name} --backup ${backup.id} --yes\` again` });
    }
    await save({ ...r, joined: [...r.joined, result.node] });
    r = record!;
    io.emit({ code: 'etcd.restore.rejoined', level: 'info', message: `Control plane ${result.node} joined the restored etcd as ${result.member} (${r.joined.length} of ${r.members - 1}).`, data: { cluster: name, node: result.node, member: result.member } });
  }
  await save({ ...r, done: true });
  return record!;
}

/** The answer of a k8sup-etcd-control from before HA restores: it claims any command and fails what it does not know. */
const unsupported = (result: ControlResult) => result.status === 'failed' && /unknown command action/.test(result.message);

/** A failed step: exit 1 with the node's message; a control plane that does not know the action: the manual steps. */
function check(name: string, backup: BackupManifest, result: ControlResult, step: 'seed' | 'rejoin', r: RestoreRecord): void {
  if (result.status === 'done') return;
  const rerun = `k8sup restore cluster ${name} --backup ${backup.id} --yes`;
  if (unsupported(result)) {
    throw new OperationError(
      `control plane ${result.node} runs a k8sup-etcd-control without HA restore (it answered: ${result.message})${step === 'seed' ? '; nothing was changed' : `; ${r.seed?.node} already runs the restored etcd alone and ${r.joined.length} member(s) joined it`}`,
      {
        code: 'EtcdRestoreUnsupported',
        hint:
          step === 'seed'
            ? `roll the control planes onto the current bootstrap (\`k8sup rolling-update cluster ${name} --yes\`), or restore by hand (${MANUAL})`
            : `join the remaining control planes to ${r.seed?.client} by hand (${MANUAL}), or roll them onto the current bootstrap and run \`${rerun}\` again`,
      },
    );
  }
  throw new OperationError(`control plane ${result.node} could not ${step === 'seed' ? `restore backup ${backup.id} as the seed` : 'rejoin the restored etcd'} of ${name}: ${result.message || 'no reason given'}`, {
    code: 'EtcdRestoreFailed',
    hint: `see \`journalctl -u k8sup-etcd-control\` on ${result.node}; fix it, then run \`${rerun}\` again: it continues where it stopped (the data etcd had is kept in its data dir as k8sup-before-restore-*)`,
  });
}
