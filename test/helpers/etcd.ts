// A real etcd (Debian's /usr/bin/etcd) the way a kubeadm control plane runs it, for backup and restore tests: TLS
// certificates from k8sup's etcd CA under <root>/etc/kubernetes/pki/etcd, a static pod manifest under
// <root>/etc/kubernetes/manifests/etcd.yaml, and a tiny "kubelet" that runs etcd with the manifest's flags while the
// manifest is in its folder and stops it when the manifest leaves (what the restore script relies on).
// Everything listens on 127.0.0.1 on free ports; every process is stopped by stop().

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateClusterPki } from '../../src/pki/cluster-pki.js';
import { issueClientCert, issueServerCert, type CertKeyPem } from '../../src/pki/certs.js';
import { freePort, waitFor } from './net.js';

export const ETCD = '/usr/bin/etcd';
export const ETCDCTL = '/usr/bin/etcdctl';

export interface EtcdMember {
  name: string;
  dataDir: string;
  clientUrl: string;
  peerUrl: string;
}

/** The etcd CA of a fresh k8sup cluster PKI, with kubeadm's server and healthcheck-client certificates. */
export async function writeEtcdPki(root: string): Promise<{ ca: CertKeyPem }> {
  const { etcdCa } = await generateClusterPki('etcd-test.k8s.local');
  const dir = join(root, 'etc/kubernetes/pki/etcd');
  mkdirSync(dir, { recursive: true });
  const day = 24 * 3600_000;
  const server = issueServerCert(etcdCa, { commonName: 'etcd-server', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'], ttlMs: day });
  const client = issueClientCert(etcdCa, { commonName: 'kube-etcd-healthcheck-client', ttlMs: day });
  const files: Record<string, string> = {
    'ca.crt': etcdCa.certPem,
    'ca.key': etcdCa.keyPem,
    'server.crt': server.certPem,
    'server.key': server.keyPem,
    'healthcheck-client.crt': client.certPem,
    'healthcheck-client.key': client.keyPem,
  };
  for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, f), text, { mode: 0o600 });
  return { ca: etcdCa };
}

export async function newMember(name: string, dataDir: string): Promise<EtcdMember> {
  return { name, dataDir, clientUrl: `https://127.0.0.1:${await freePort()}`, peerUrl: `http://127.0.0.1:${await freePort()}` };
}

/** kubeadm's etcd static pod manifest (the flags that matter), for one member. */
export function writeEtcdManifest(root: string, m: EtcdMember, initialCluster = `${m.name}=${m.peerUrl}`): string {
  const pki = join(root, 'etc/kubernetes/pki/etcd');
  const flags = [
    `--name=${m.name}`,
    `--data-dir=${m.dataDir}`,
    `--listen-client-urls=${m.clientUrl}`,
    `--advertise-client-urls=${m.clientUrl}`,
    `--listen-peer-urls=${m.peerUrl}`,
    `--initial-advertise-peer-urls=${m.peerUrl}`,
    `--initial-cluster=${initialCluster}`,
    `--cert-file=${pki}/server.crt`,
    `--key-file=${pki}/server.key`,
    '--client-cert-auth=true',
    `--trusted-ca-file=${pki}/ca.crt`,
    '--snapshot-count=10000',
  ];
  const text = [
    'apiVersion: v1',
    'kind: Pod',
    'metadata:',
    '  name: etcd',
    '  namespace: kube-system',
    'spec:',
    '  containers:',
    '  - command:',
    '    - etcd',
    ...flags.map((f) => `    - ${f}`),
    '    image: registry.k8s.io/etcd:3.5.16-0',
    '    name: etcd',
    '',
  ].join('\n');
  const dir = join(root, 'etc/kubernetes/manifests');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'etcd.yaml'), text);
  return join(dir, 'etcd.yaml');
}

function manifestFlags(path: string): string[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .map((l) => /^\s*-\s*(--[a-z-]+=.*)$/.exec(l)?.[1])
    .filter((f): f is string => f !== undefined);
}

/** Runs etcd from <root>/etc/kubernetes/manifests/etcd.yaml while that file exists, like kubelet runs static pods. */
export class StaticPodKubelet {
  private child?: ChildProcess;
  private exited?: Promise<void>;
  private timer?: NodeJS.Timeout;
  private busy = false;
  private reported = false;
  starts = 0;
  stops = 0;
  log = '';

  constructor(private readonly root: string) {}

  get manifest(): string {
    return join(this.root, 'etc/kubernetes/manifests/etcd.yaml');
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  start(): void {
    this.timer = setInterval(() => void this.sync(), 100);
  }

  private async sync(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const present = existsSync(this.manifest);
      if (present && !this.child) this.run();
      else if (!present && this.child) await this.kill();
    } finally {
      this.busy = false;
    }
  }

  private run(): void {
    const child = spawn(ETCD, manifestFlags(this.manifest), { stdio: ['ignore', 'ignore', 'pipe'] });
    this.starts++;
    child.stderr?.on('data', (d) => (this.log = (this.log + d).slice(-8000)));
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    this.child = child;
    // A member that dies (bad flags, bad data) is restarted on the next sync, as kubelet would.
    // Its last words go to the test's output once, so a member that never came up says why in the failure.
    child.once('exit', (code, signal) => {
      if (code !== 0 && signal === null && !this.reported) {
        this.reported = true;
        process.stderr.write(`etcd from ${this.manifest} exited with ${code}:\n${this.log.slice(-2000)}\n`);
      }
    });
    void this.exited.then(() => {
      if (this.child === child) this.child = undefined;
    });
  }

  /**
   * Counts the stop when the pod is killed, as kubelet reports it: etcd closes its port on SIGTERM before its process
   * has exited, and a script that waits for the port to close may look at `stops` in between.
   */
  private async kill(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.stops++;
    this.child = undefined;
    const exited = this.exited;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(killer);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    while (this.busy) await new Promise((r) => setTimeout(r, 20));
    await this.kill();
  }
}

/** etcdctl against a member with the test's client certificate. */
export function etcdctl(root: string, m: EtcdMember, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const pki = join(root, 'etc/kubernetes/pki/etcd');
  const r = spawnSync(ETCDCTL, ['--endpoints', m.clientUrl, '--cacert', `${pki}/ca.crt`, '--cert', `${pki}/healthcheck-client.crt`, '--key', `${pki}/healthcheck-client.key`, ...args], {
    encoding: 'utf8',
    env: { PATH: '/usr/bin:/bin', ETCDCTL_API: '3' },
    timeout: 30_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export async function waitHealthy(root: string, m: EtcdMember, timeoutMs = 30_000): Promise<void> {
  let last = '';
  try {
    await waitFor(
      async () => {
        const r = etcdctl(root, m, ['endpoint', 'health']);
        last = r.stderr.trim().split('\n').pop() ?? '';
        return r.status === 0;
      },
      { timeoutMs, intervalMs: 200, what: `etcd ${m.name} at ${m.clientUrl}` },
    );
  } catch (e) {
    throw new Error(`${(e as Error).message} (etcdctl's last answer: ${last || 'none'})`);
  }
}

/** Every key under a prefix with its value. */
export function etcdKeys(root: string, m: EtcdMember, prefix: string): Record<string, string> {
  const r = etcdctl(root, m, ['get', '--prefix', prefix]);
  if (r.status !== 0) throw new Error(`etcdctl get failed: ${r.stderr}`);
  const lines = r.stdout.split('\n').filter((l, i, all) => i < all.length - 1 || l !== '');
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < lines.length; i += 2) out[lines[i]] = lines[i + 1];
  return out;
}
