// The CLI side of the etcd control folder (docs/backups.md, "The control folder"): k8sup cannot run commands on cloud
// instances, so — like kops' etcd-manager — it leaves a command in the state store and the control planes' poller
// (k8sup-etcd-control, templates/bootstrap/etcd-control-body.sh, every minute) carries it out:
//
//   <cluster>/backups/etcd/control/command.json        the one current command {v, id, action, backup?, sha256?,
//                                                      requested, notAfter (epoch seconds), by}; the CLI writes it
//                                                      create-only, or over a finished one with compare-and-swap
//   <cluster>/backups/etcd/control/<id>/claim.json     create-only: the first writer owns the command — a control
//                                                      plane {node, nonce}, or the CLI cancelling it {cancelled: true}
//   <cluster>/backups/etcd/control/<id>/result.json    the control plane's answer {status: done|failed, backup, message}
//
// One slot, not a queue: GCE control planes may not list the bucket, so they read one known name. The claim is the
// only arbiter of who carries a command out, so a command runs at most once: two control planes racing, a retried
// write whose reply was lost, a CLI cancelling (Ctrl-C, or giving up at notAfter) — each is one create-only write.
// A command nobody waits for any more (past notAfter) is never carried out. A re-run of `backup cluster` waits for
// the open backup command instead of asking for a second backup.

import { randomBytes } from 'node:crypto';
import type { Cluster } from '../api/types.js';
import { ConflictError, InvalidInputError, OperationError } from '../core/errors.js';
import type { IoHost } from '../core/io.js';
import { sleep } from '../core/sleep.js';
import { parseDuration } from '../pki/duration.js';
import { PreconditionFailedError, type BlobStore } from '../state/blob.js';
import { applyManualRetention, BACKUP_ID, backupsPrefix, listBackups, loadBackup, parseManifest, type BackupManifest } from './etcd-backup.js';

export const controlPrefix = (cluster: string) => `${backupsPrefix(cluster)}control/`;
export const commandKey = (cluster: string) => `${controlPrefix(cluster)}command.json`;
export const claimKey = (cluster: string, id: string) => `${controlPrefix(cluster)}${id}/claim.json`;
export const resultKey = (cluster: string, id: string) => `${controlPrefix(cluster)}${id}/result.json`;

/** How long a command a control plane took but has not answered counts as in progress (then it is abandoned). */
const CLAIMED_OPEN_MS = 60 * 60_000;

/** A command id: the UTC second it was asked for and 8 random hex digits (what the node script accepts). */
export const COMMAND_ID = /^\d{8}T\d{6}Z-[0-9a-f]{8}$/;

/** How long `backup cluster` and the snapshot before a change wait for a control plane by default. */
export const DEFAULT_BACKUP_WAIT_MS = 10 * 60_000;
/** A restore also fetches the snapshot and waits for etcd to come back (up to 5 minutes on the node). */
export const DEFAULT_RESTORE_WAIT_MS = 15 * 60_000;

/**
 * K8SUP_ETCD_SNAPSHOT_WAIT: how long rolling-update and upgrade wait for a control plane to take the snapshot before
 * a change (a duration such as 90s or 10m); undefined when unset. A bad value is invalid input (exit 2).
 */
export function snapshotWaitFromEnv(env: Record<string, string | undefined>): number | undefined {
  const value = env.K8SUP_ETCD_SNAPSHOT_WAIT;
  if (value === undefined || value === '') return undefined;
  let ms: number;
  try {
    ms = parseDuration(value);
  } catch (e) {
    throw new InvalidInputError(`K8SUP_ETCD_SNAPSHOT_WAIT: ${(e as Error).message}`, { hint: 'use a number with a unit, e.g. 90s or 10m' });
  }
  if (!(ms >= 1000)) throw new InvalidInputError(`K8SUP_ETCD_SNAPSHOT_WAIT=${value}: must be at least 1s`, { hint: 'e.g. K8SUP_ETCD_SNAPSHOT_WAIT=10m' });
  return ms;
}

/**
 * backup; restore (a single control plane); an HA restore's restore-seed (one member restores the snapshot as a
 * one-member cluster) and rejoin (one more member joins it anew) — src/lifecycle/etcd-ha-restore.ts.
 */
export type ControlAction = 'backup' | 'restore' | 'restore-seed' | 'rejoin';
const CONTROL_ACTIONS: readonly string[] = ['backup', 'restore', 'restore-seed', 'rejoin'];

export interface ControlCommand {
  v: 1;
  id: string;
  action: ControlAction;
  /** restore: the backup to restore and its manifest's sha256 (checked again on the node). */
  backup?: string;
  sha256?: string;
  /** Only this control plane (its node name) carries the command out; the others leave it alone. */
  target?: string;
  /** Comma-separated node names of control planes that leave the command alone (an HA restore's seed and joined members). */
  exclude?: string;
  /** restore-seed, rejoin: the HA restore the step belongs to (the node keeps it in markers: each step runs once). */
  restore?: string;
  /** rejoin: the seed's etcd client URL. */
  seed?: string;
  requested: string;
  /** Epoch seconds after which no control plane carries the command out (the CLI stopped waiting). */
  notAfter: number;
  by: string;
}

export interface ControlClaim {
  command: string;
  node?: string;
  nonce?: string;
  time?: string;
  cancelled?: boolean;
  by?: string;
}

export interface ControlResult {
  command: string;
  action: string;
  status: 'done' | 'failed';
  backup: string;
  node: string;
  time: string;
  message: string;
  /** restore-seed, rejoin: the member this control plane runs, NAME=PEER_URL. */
  member?: string;
  /** restore-seed: the seed's etcd client URL, where the other members join. */
  client?: string;
}

export interface ControlDeps {
  store: BlobStore;
  cluster: Cluster;
  io: IoHost;
  /** Who asks (the lock owner), recorded in the command. */
  by: string;
  waitMs: number;
  signal?: AbortSignal;
  /** Between two looks at the store (default 2 s). */
  pollMs?: number;
  now?: () => Date;
}

function parseJson(text: string): any {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function parseCommand(text: string): ControlCommand | undefined {
  const c = parseJson(text);
  if (!c || typeof c !== 'object' || typeof c.id !== 'string' || !COMMAND_ID.test(c.id) || !CONTROL_ACTIONS.includes(c.action) || !Number.isInteger(c.notAfter)) return undefined;
  return c as ControlCommand;
}

async function readJson(store: BlobStore, key: string): Promise<any> {
  const blob = await store.get(key);
  return blob ? parseJson(blob.data.toString('utf8')) : undefined;
}

async function readResult(store: BlobStore, cluster: string, id: string): Promise<ControlResult | undefined> {
  const r = await readJson(store, resultKey(cluster, id));
  if (!r || r.command !== id || (r.status !== 'done' && r.status !== 'failed')) return undefined;
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  return { command: id, action: str(r.action), status: r.status, backup: str(r.backup), node: str(r.node), time: str(r.time), message: str(r.message), member: str(r.member), client: str(r.client) };
}

async function readClaim(store: BlobStore, cluster: string, id: string): Promise<ControlClaim | undefined> {
  const c = await readJson(store, claimKey(cluster, id));
  return c && typeof c === 'object' ? (c as ControlClaim) : undefined;
}

export function newCommandId(now: Date): string {
  return `${now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${randomBytes(4).toString('hex')}`;
}

type Slot = { command: ControlCommand; version: string; open: boolean; result?: ControlResult } | { command: undefined; version?: string; open: false; result?: undefined };

/** The current command and whether it is still open: not past notAfter, not cancelled, not answered. */
async function readSlot(store: BlobStore, cluster: string, now: Date): Promise<Slot> {
  const blob = await store.get(commandKey(cluster));
  if (!blob) return { command: undefined, open: false };
  const command = parseCommand(blob.data.toString('utf8'));
  if (!command) return { command: undefined, version: blob.version, open: false };
  const result = await readResult(store, cluster, command.id);
  if (result) return { command, version: blob.version, open: false, result };
  const claim = await readClaim(store, cluster, command.id);
  if (claim?.cancelled) return { command, version: blob.version, open: false };
  // Taken and not answered: in progress for up to CLAIMED_OPEN_MS after its claim (a large snapshot, a restore);
  // not taken: open until notAfter, when no control plane takes it any more.
  const claimedAt = claim ? Date.parse(claim.time ?? '') : NaN;
  const openUntil = claim ? (Number.isFinite(claimedAt) ? claimedAt : command.notAfter * 1000) + CLAIMED_OPEN_MS : command.notAfter * 1000;
  return { command, version: blob.version, open: now.getTime() <= openUntil };
}

/** What a caller asks for: the command's own fields (the id, times and author are the CLI's). */
export type ControlRequest = Pick<ControlCommand, 'action' | 'backup' | 'sha256' | 'target' | 'exclude' | 'restore' | 'seed'>;

export interface ControlOptions {
  /**
   * A command in the slot that is this request already (an HA restore step asked by a run that was killed, or whose
   * reply was lost): its answer is taken when it has one, it is waited for while open; otherwise a new one is asked.
   */
  adopt?: (command: ControlCommand) => boolean;
  /** Called once when a control plane has claimed the command (an HA restore notes its seed). */
  onClaim?: (claim: ControlClaim) => Promise<void>;
}

/**
 * Asks the control planes to carry out `request` and waits (at most waitMs) for the answer. Returns the result
 * (status done or failed); throws when nobody answered in time (exit 1), when another command is open (exit 3), or
 * the signal's reason on Ctrl-C — after cancelling the command if no control plane had claimed it yet.
 */
export async function runControlCommand(deps: ControlDeps, request: ControlRequest, options: ControlOptions = {}): Promise<ControlResult> {
  const { store, io } = deps;
  const name = deps.cluster.metadata.name;
  const now = deps.now ?? (() => new Date());
  const slot = await readSlot(store, name, now());
  let command: ControlCommand;
  // A new command is waited for until its notAfter; an adopted one for this run's own wait.
  let deadline: number;
  const adopted = slot.command !== undefined && options.adopt?.(slot.command) === true;
  // A step answered `done` is taken; a failed one is asked again (the node's step is idempotent).
  if (adopted && slot.result?.status === 'done') {
    io.emit({ code: 'etcd.control.adopted', level: 'info', message: `etcd ${slot.command!.action} command ${slot.command!.id} was answered already (by ${slot.result.node}): taking its answer.`, data: { cluster: name, command: slot.command!.id } });
    return slot.result;
  }
  if (adopted && slot.open) {
    command = slot.command!;
    deadline = now().getTime() + deps.waitMs;
    io.emit({ code: 'etcd.control.adopted', level: 'info', message: `Waiting for etcd ${command.action} command ${command.id} (asked ${command.requested} by ${command.by}) instead of asking again.`, data: { cluster: name, command: command.id } });
  } else if (slot.open && slot.command.action === 'backup' && request.action === 'backup') {
    // A run interrupted after a control plane took its command (or a lost reply): wait for that backup, not a second.
    command = slot.command;
    deadline = now().getTime() + deps.waitMs;
    io.emit({ code: 'etcd.control.adopted', level: 'info', message: `Waiting for etcd backup command ${command.id} (asked ${command.requested} by ${command.by}) instead of asking for another backup.`, data: { cluster: name, command: command.id } });
  } else if (slot.open) {
    throw new ConflictError(`etcd ${slot.command.action} command ${slot.command.id} of ${name} (asked ${slot.command.requested} by ${slot.command.by}) is still open`, {
      hint: 'wait until it is answered (a command nobody took expires at its notAfter, one a control plane took an hour after its claim), then retry (docs/backups.md, "The control folder")',
    });
  } else {
    const at = now();
    command = {
      v: 1,
      id: newCommandId(at),
      action: request.action,
      ...(request.backup ? { backup: request.backup } : {}),
      ...(request.sha256 ? { sha256: request.sha256 } : {}),
      ...(request.target ? { target: request.target } : {}),
      ...(request.exclude ? { exclude: request.exclude } : {}),
      ...(request.restore ? { restore: request.restore } : {}),
      ...(request.seed ? { seed: request.seed } : {}),
      requested: at.toISOString(),
      notAfter: Math.ceil((at.getTime() + deps.waitMs) / 1000),
      by: deps.by,
    };
    deadline = command.notAfter * 1000;
    try {
      await store.put(commandKey(name), `${JSON.stringify(command)}\n`, slot.version === undefined ? { ifNoneMatch: true } : { ifMatch: slot.version });
    } catch (e) {
      if (e instanceof PreconditionFailedError) {
        throw new ConflictError(`another run wrote an etcd command for ${name} at the same time`, { hint: `\`k8sup get backups ${name}\`, then retry` });
      }
      throw e;
    }
    io.emit({ code: 'etcd.control.requested', level: 'info', message: `Asked the control planes of ${name} for an etcd ${request.action} (command ${command.id}); they look every minute.`, data: { cluster: name, command: command.id, action: request.action } });
  }
  return awaitAnswer(deps, command, deadline, options.onClaim);
}

async function awaitAnswer(deps: ControlDeps, command: ControlCommand, deadline: number, onClaim?: (claim: ControlClaim) => Promise<void>): Promise<ControlResult> {
  const { store, io } = deps;
  const name = deps.cluster.metadata.name;
  const now = deps.now ?? (() => new Date());
  const pollMs = deps.pollMs ?? 2000;
  let claim: ControlClaim | undefined;
  try {
    for (;;) {
      const result = await readResult(store, name, command.id);
      if (result) return result;
      if (!claim) {
        claim = await readClaim(store, name, command.id);
        if (claim?.cancelled) throw new OperationError(`etcd command ${command.id} of ${name} was cancelled by ${claim.by ?? 'another run'}`, { code: 'EtcdCommandCancelled', hint: 'run the command again' });
        if (claim) {
          io.emit({ code: 'etcd.control.claimed', level: 'info', message: `Control plane ${claim.node} took etcd command ${command.id}.`, data: { cluster: name, command: command.id, node: claim.node } });
          await onClaim?.(claim);
        }
      }
      if (!claim && command.action === 'backup') {
        const byHand = await backupSince(store, name, command);
        // Control planes without the poller (launched by an older k8sup): the operator ran the backup script there
        // while k8sup waited. A snapshot taken after the command was asked is as fresh as one taken for it; the
        // command is cancelled so no poller takes a second one (if one was first, its answer is waited for).
        if (byHand) {
          claim = await cancel(deps, command);
          if (!claim) {
            io.emit({ code: 'note', level: 'info', message: `Using etcd backup ${byHand.id}, taken on ${byHand.node} at ${byHand.time} after command ${command.id} was asked, as its answer.` });
            return { command: command.id, action: 'backup', status: 'done', backup: byHand.id, node: byHand.node, time: byHand.time, message: '' };
          }
        }
      }
      if (now().getTime() >= deadline) break;
      await sleep(Math.min(pollMs, Math.max(0, deadline - now().getTime())), deps.signal);
    }
  } catch (e) {
    if (deps.signal?.aborted && !claim) await cancel(deps, command);
    throw e;
  }
  if (command.action === 'backup') {
    // The backup may be in the store although its result is not (the node could not write it): its manifest names
    // the command.
    const answered = (await listBackups(store, name)).find((b) => b.complete && b.command === command.id);
    if (answered) return { command: command.id, action: 'backup', status: 'done', backup: answered.id, node: answered.node ?? '', time: answered.time ?? '', message: '' };
  }
  if (!claim) {
    const taken = await cancel(deps, command);
    if (!taken) {
      throw new OperationError(`no control plane of ${name} answered etcd ${command.action} command ${command.id} within ${Math.round(deps.waitMs / 1000)}s; it is cancelled`, {
        code: 'EtcdCommandUnanswered',
        hint: `control planes poll the state store every minute (k8sup-etcd-control.timer): check \`systemctl status k8sup-etcd-control.timer\` and its journal on a control plane, then retry; control planes launched by an older k8sup have no poller: ${
          command.action === 'backup' ? 'run `sudo k8sup-etcd-backup --force` on one while k8sup waits (docs/backups.md)' : 'restore by hand (docs/backups.md, "Restoring an HA control plane by hand")'
        }`,
      });
    }
    claim = taken;
  }
  throw new OperationError(`control plane ${claim.node} took etcd ${command.action} command ${command.id} of ${name} at ${claim.time} but has not answered yet`, {
    code: 'EtcdCommandUnfinished',
    hint: `see \`journalctl -u k8sup-etcd-control\` on ${claim.node}; ${
      command.action === 'backup'
        ? `running \`k8sup backup cluster ${name}\` again within the hour waits for this command's answer`
        : command.restore
        ? `running the same \`k8sup restore cluster ${name} --backup ${command.backup} --yes\` again continues this HA restore where it is (every step runs once)`
        : 'a restore is never carried out twice: finish it by hand (docs/backups.md)'
    }`,
  });
}

/**
 * A complete backup not taken for any command, whose id (the node's UTC second) is not older than the command:
 * what `sudo k8sup-etcd-backup --force` on a control plane leaves while k8sup waits.
 */
async function backupSince(store: BlobStore, cluster: string, command: ControlCommand): Promise<BackupManifest | undefined> {
  const asked = command.id.slice(0, 16);
  const prefix = backupsPrefix(cluster);
  const ids = [...new Set((await store.list(prefix)).map((k) => k.slice(prefix.length).split('/')[0]))].filter((id) => BACKUP_ID.test(id) && id >= asked).sort();
  for (const id of ids.reverse()) {
    const blob = await store.get(`${prefix}${id}/manifest.json`);
    const manifest = blob ? parseManifest(blob.data.toString('utf8'), id) : undefined;
    if (manifest && manifest.command === undefined) return manifest;
  }
  return undefined;
}

/**
 * Cancels the command by claiming it first. Returns the control plane's claim when one was first (the command runs
 * anyway), undefined when the cancellation holds.
 */
async function cancel(deps: ControlDeps, command: ControlCommand): Promise<ControlClaim | undefined> {
  const name = deps.cluster.metadata.name;
  const mine: ControlClaim = { command: command.id, cancelled: true, by: deps.by, time: new Date().toISOString() };
  try {
    await deps.store.put(claimKey(name, command.id), `${JSON.stringify(mine)}\n`, { ifNoneMatch: true });
    deps.io.emit({ code: 'etcd.control.cancelled', level: 'info', message: `Cancelled etcd ${command.action} command ${command.id}: no control plane will carry it out.`, data: { cluster: name, command: command.id } });
    return undefined;
  } catch (e) {
    if (!(e instanceof PreconditionFailedError)) throw e;
    const claim = await readClaim(deps.store, name, command.id);
    if (claim && !claim.cancelled) {
      deps.io.emit({ code: 'etcd.control.claimed', level: 'warn', message: `Control plane ${claim.node} took etcd ${command.action} command ${command.id} before it could be cancelled: it carries it out.`, data: { cluster: name, command: command.id, node: claim.node } });
      return claim;
    }
    return undefined;
  }
}

/** Clouds: an etcd snapshot taken now by a control plane through the control folder, verified and returned. */
export async function backupThroughControlPlanes(deps: ControlDeps): Promise<BackupManifest> {
  const { store, cluster, io } = deps;
  const name = cluster.metadata.name;
  const result = await runControlCommand(deps, { action: 'backup' });
  if (result.status !== 'done') {
    throw new OperationError(`control plane ${result.node} could not back up etcd of ${name}: ${result.message || 'no reason given'}`, {
      code: 'EtcdBackupFailed',
      hint: `see \`journalctl -u k8sup-etcd-control\` on ${result.node}, then retry`,
    });
  }
  let manifest: BackupManifest;
  try {
    manifest = (await loadBackup(store, name, result.backup)).manifest;
  } catch (e) {
    // The node named a backup that is not (or not wholly) there: the command failed, not the input.
    if (e instanceof InvalidInputError) throw new OperationError(`control plane ${result.node} answered command ${result.command} with backup ${result.backup}, but: ${e.message}`, { code: 'EtcdBackupFailed', hint: 'retry' });
    throw e;
  }
  if (manifest.command !== undefined && manifest.command !== result.command) {
    throw new OperationError(`backup ${manifest.id} does not answer command ${result.command} (its manifest names ${manifest.command ?? 'none'})`, { code: 'EtcdBackupFailed', hint: 'retry' });
  }
  io.emit({ code: 'etcd.backup.stored', level: 'info', message: `Control plane ${manifest.node} stored etcd backup ${manifest.id} of ${name} (${manifest.size} bytes, sha256 ${manifest.sha256}).`, data: { cluster: name, backup: manifest.id, size: manifest.size, sha256: manifest.sha256 } });
  await applyManualRetention(store, cluster, io);
  return manifest;
}

/** Clouds, a single control plane: it restores `backup` (checked against sha256 again there) and etcd is back. */
export async function restoreThroughControlPlane(deps: ControlDeps, backup: BackupManifest): Promise<ControlResult> {
  const name = deps.cluster.metadata.name;
  const result = await runControlCommand(deps, { action: 'restore', backup: backup.id, sha256: backup.sha256 });
  if (result.status !== 'done') {
    throw new OperationError(`control plane ${result.node} could not restore etcd of ${name} from ${backup.id}: ${result.message || 'no reason given'}`, {
      code: 'EtcdRestoreFailed',
      hint: `see \`journalctl -u k8sup-etcd-control\` on ${result.node}; the data etcd had is kept in its data dir (k8sup-before-restore-*), docs/backups.md`,
    });
  }
  return result;
}
