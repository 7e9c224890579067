// Three cloud control planes for HA restore tests: three real etcd members (Debian's /usr/bin/etcd) on 127.0.0.1, one
// cluster, kubeadm's etcd PKI from one k8sup etcd CA, each run from its static pod manifest by a small "kubelet"
// (test/helpers/etcd.ts), each with the rendered k8sup-etcd-backup / -restore / -control installed under its own
// root. timers() plays k8sup-etcd-control.timer on every node (a run, a pause, a run…), until stop(); every run is
// bounded, and stop() waits for the runs under way.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { etcdctl, newMember, StaticPodKubelet, waitHealthy, writeEtcdManifest, writeEtcdPki, type EtcdMember } from './etcd.js';

export interface HaNode {
  /** The etcd member's name (kubeadm: the node's). */
  name: string;
  root: string;
  member: EtcdMember;
  kubelet: StaticPodKubelet;
}

export interface ScriptRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

export async function startHaEtcd(dir: string, names: string[]): Promise<HaNode[]> {
  const roots = names.map((n) => join(dir, n));
  await writeEtcdPki(roots[0]);
  for (const root of roots.slice(1)) {
    for (const f of ['ca.crt', 'ca.key', 'server.crt', 'server.key', 'healthcheck-client.crt', 'healthcheck-client.key']) {
      const copied = spawnSync('install', ['-D', '-m', '0600', join(roots[0], 'etc/kubernetes/pki/etcd', f), join(root, 'etc/kubernetes/pki/etcd', f)]);
      assert.equal(copied.status, 0);
    }
  }
  const members = await Promise.all(names.map((n) => newMember(n, join(dir, `${n}-data`))));
  const initial = members.map((m) => `${m.name}=${m.peerUrl}`).join(',');
  const nodes = names.map((name, i) => {
    writeEtcdManifest(roots[i], members[i], initial);
    return { name, root: roots[i], member: members[i], kubelet: new StaticPodKubelet(roots[i]) };
  });
  for (const n of nodes) n.kubelet.start();
  for (const n of nodes) await waitHealthy(n.root, n.member, 60_000);
  return nodes;
}

export async function stopHaEtcd(nodes: HaNode[]): Promise<void> {
  for (const n of nodes) await n.kubelet.stop();
}

/** Installs the node's scripts where the bootstrap puts them (k8sup-etcd-control calls the others there). */
export function installScripts(node: HaNode, scripts: { backup: string; restore: string; control: string }): void {
  const sbin = join(node.root, 'usr/local/sbin');
  mkdirSync(sbin, { recursive: true });
  writeFileSync(join(sbin, 'k8sup-etcd-backup'), scripts.backup, { mode: 0o755 });
  writeFileSync(join(sbin, 'k8sup-etcd-restore'), scripts.restore, { mode: 0o755 });
  writeFileSync(join(sbin, 'k8sup-etcd-control'), scripts.control, { mode: 0o755 });
}

/**
 * Runs an installed script as root of the node, without blocking this process (the kubelets and fakes live here).
 * No crictl on PATH: the scripts use the host's etcdctl. pathPrefix puts test tools before /usr/bin.
 */
export function runScript(node: HaNode, script: string, args: string[] = [], opts: { env?: Record<string, string>; pathPrefix?: string; timeoutMs?: number; signal?: AbortSignal } = {}): Promise<ScriptRun> {
  const path = `${opts.pathPrefix ? `${opts.pathPrefix}:` : ''}/usr/bin:/bin`;
  const child = spawn('bash', [join(node.root, 'usr/local/sbin', script), ...args], { env: { PATH: path, K8SUP_ROOT: node.root, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'], signal: opts.signal, killSignal: 'SIGKILL' });
  child.on('error', () => undefined); // an aborted run: its close event still ends the promise
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const killer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 300_000);
  return new Promise((resolve) =>
    child.on('close', (status) => {
      clearTimeout(killer);
      resolve({ status, stdout, stderr });
    }),
  );
}

export interface Timers {
  /** Every run's stderr, per node name. */
  readonly logs: Map<string, string>;
  /** How many poller runs each node started. */
  readonly runs: Map<string, number>;
  /** Stops the timers; waits for the runs under way, or with kill, ends them (only once nothing is left to carry out). */
  stop(opts?: { kill?: boolean }): Promise<void>;
}

/**
 * k8sup-etcd-control.timer on every node: each node runs the poller, waits pauseMs, runs it again… (a real timer: a
 * minute). fastSeconds bounds the poller's own fast loop while an HA restore is under way.
 */
export function timers(nodes: HaNode[], opts: { pauseMs?: number; fastSeconds?: number } = {}): Timers {
  const logs = new Map(nodes.map((n) => [n.name, '']));
  const runs = new Map(nodes.map((n) => [n.name, 0]));
  const killer = new AbortController();
  let stopped = false;
  let wake = () => {};
  const woken = new Promise<void>((resolve) => (wake = resolve));
  const loops = nodes.map(async (node) => {
    for (let i = 0; i < 2000 && !stopped; i++) {
      runs.set(node.name, runs.get(node.name)! + 1);
      const r = await runScript(node, 'k8sup-etcd-control', [], { env: { K8SUP_CONTROL_FAST_SECONDS: String(opts.fastSeconds ?? 15) }, signal: killer.signal });
      logs.set(node.name, `${logs.get(node.name)}${r.stderr}`);
      if (!stopped) await Promise.race([new Promise((resolve) => setTimeout(resolve, opts.pauseMs ?? 1000)), woken]);
    }
  });
  return {
    logs,
    runs,
    async stop(o = {}) {
      stopped = true;
      wake();
      if (o.kill) killer.abort();
      await Promise.all(loops);
    },
  };
}

/** Every key under /registry/ as this member's own data has it (a serializable read: no detour through the leader). */
export function localKeys(node: HaNode): Record<string, string> {
  const r = etcdctl(node.root, node.member, ['get', '--prefix', '/registry/', '--consistency=s']);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.split('\n').filter((l) => l !== '');
  const out: Record<string, string> = {};
  for (let k = 0; k + 1 < lines.length; k += 2) out[lines[k]] = lines[k + 1];
  return out;
}

/** "status name peerURL" of every member this node's etcd lists, sorted. */
export function memberList(node: HaNode): string[] {
  const r = etcdctl(node.root, node.member, ['member', 'list', '-w', 'simple']);
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim().split('\n').map((l) => l.split(', ').slice(1, 4).join(' ')).sort();
}

export function clusterId(node: HaNode): string {
  const r = etcdctl(node.root, node.member, ['endpoint', 'status', '-w', 'json']);
  assert.equal(r.status, 0, r.stderr);
  // The raw digits: a uint64 cluster id does not survive JSON.parse's doubles.
  return /"cluster_id":(\d+)/.exec(r.stdout)![1];
}

/** A `date` that answers `date -u +%Y%m%dT%H%M%SZ` (backup ids) with a fixed second, and everything else truthfully. */
export function fixedSecondDate(dir: string, second: string): string {
  const bin = join(dir, `date-${second}`);
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, 'date'), `#!/bin/bash\nif [ "$1" = -u ] && [ "$2" = '+%Y%m%dT%H%M%SZ' ]; then echo ${second}; else exec /bin/date "$@"; fi\n`, { mode: 0o755 });
  return bin;
}
