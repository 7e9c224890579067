// A cloud control plane's k8sup-etcd-control, played by the test for clusters that have no real etcd (fake clouds on
// moto or the GCE fakes, unit tests on the memory store): it speaks the control folder's protocol exactly as
// templates/bootstrap/etcd-control-body.sh does — read command.json, skip it when past notAfter, answered or claimed,
// claim it create-only, answer a backup command with a snapshot and its manifest (naming the command), write
// result.json. Any other action it answers as a poller from before HA restores does: claimed, and failed with
// "unknown command action". The real script against a real etcd is test/integration/etcd-control.test.ts; this stands in for it
// where the test is about the flow around the snapshot (rolling-update, upgrade). Every loop is bounded by stop().

import { createHash, randomBytes } from 'node:crypto';
import { PreconditionFailedError, type BlobStore } from '../../src/state/blob.js';
import { waitFor } from './net.js';

export interface ControlResponder {
  /** The command ids it carried out, in order. */
  readonly answered: string[];
  stop(): Promise<void>;
}

const prefix = (cluster: string) => `${cluster}/backups/etcd/`;
const stamp = (d: Date) => d.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');

/** One poll, as one timer run of k8sup-etcd-control: returns the command id it carried out, if any. */
export async function pollControlOnce(store: BlobStore, cluster: string, node = 'ip-10-0-0-5'): Promise<string | undefined> {
  const control = `${prefix(cluster)}control/`;
  const blob = await store.get(`${control}command.json`);
  if (!blob) return undefined;
  const command = JSON.parse(blob.data.toString('utf8')) as { id: string; action: string; notAfter: number };
  if (Date.now() / 1000 > command.notAfter) return undefined;
  if (await store.get(`${control}${command.id}/result.json`)) return undefined;
  try {
    await store.put(`${control}${command.id}/claim.json`, JSON.stringify({ v: 1, command: command.id, node, nonce: randomBytes(8).toString('hex'), time: new Date().toISOString() }), { ifNoneMatch: true });
  } catch (e) {
    if (e instanceof PreconditionFailedError) return undefined;
    throw e;
  }
  await carryOut(store, cluster, command, node);
  return command.id;
}

/** What the control plane that claimed `command` does: a backup (snapshot, manifest naming the command), then result.json. */
export async function carryOut(store: BlobStore, cluster: string, command: { id: string; action: string }, node = 'ip-10-0-0-5'): Promise<void> {
  const control = `${prefix(cluster)}control/`;
  let backup = '';
  let status = 'done';
  if (command.action === 'backup') {
    const now = new Date();
    backup = `${stamp(now)}-${command.id.slice(-8)}`;
    const snapshot = Buffer.from(`etcd snapshot of ${cluster} for command ${command.id}\n`);
    const manifest = { v: 1, id: backup, cluster, node, member: node, time: now.toISOString().replace(/\.\d+Z$/, 'Z'), etcdVersion: '3.6.5', revision: 1234, size: snapshot.length, sha256: createHash('sha256').update(snapshot).digest('hex'), trigger: 'manual', command: command.id };
    await store.put(`${prefix(cluster)}${backup}/snapshot.db`, snapshot);
    await store.put(`${prefix(cluster)}${backup}/manifest.json`, `${JSON.stringify(manifest)}\n`);
  } else {
    status = 'failed';
  }
  const result = { v: 1, command: command.id, action: command.action, status, backup, node, time: new Date().toISOString(), message: status === 'done' ? '' : `unknown command action ${command.action}` };
  await store.put(`${control}${command.id}/result.json`, `${JSON.stringify(result)}\n`);
}

/** Polls every intervalMs (a real control plane: every minute) until stop(). */
export function startControlResponder(store: BlobStore, cluster: string, opts: { intervalMs?: number; node?: string } = {}): ControlResponder {
  const answered: string[] = [];
  let stopped = false;
  let running: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    running = running.then(async () => {
      if (stopped) return;
      const id = await pollControlOnce(store, cluster, opts.node).catch(() => undefined);
      if (id) answered.push(id);
    });
  }, opts.intervalMs ?? 200);
  return {
    answered,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}

/** A control command as the CLI writes it (src/lifecycle/etcd-control.ts). */
export interface WrittenCommand {
  id: string;
  action: string;
  notAfter: number;
  backup?: string;
  sha256?: string;
}

/**
 * Watches command.json through `read` (the store as a node sees it): next() waits until the CLI has written a
 * command the test has not seen yet and returns it; seen() marks one as seen without waiting.
 */
export function commandWatcher(read: () => Promise<string | undefined>) {
  let last: string | undefined;
  return {
    async next(): Promise<WrittenCommand> {
      let command: WrittenCommand | undefined;
      await waitFor(
        async () => {
          const text = await read();
          command = text ? (JSON.parse(text) as WrittenCommand) : undefined;
          return command !== undefined && command.id !== last;
        },
        { timeoutMs: 60_000, intervalMs: 100, what: 'the CLI to write a control command' },
      );
      last = command!.id;
      return command!;
    },
    seen(id: string): void {
      last = id;
    },
  };
}
