// What the metal handlers get as `ctx.clients`: pooled SSH connections per host, a cached probe per host, the PKI
// (loaded from the state store only when a control plane needs it), the bootstrap renderer and one join token per run.
//
// The narrow PKI interface: `controlPlanePki()` returns the files kubeadm expects under /etc/kubernetes/pki, as
// {path relative to that dir, content, mode}. By default it reads them from the cluster's state store
// (ConnectOptions.store, src/pki loadClusterPki); tests and other callers may inject their own loader.

import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Cluster, HostSpec } from '../../src/api/types.js';
import type { BootstrapInput } from '../../src/bootstrap/types.js';
import { InvalidInputError, OperationError } from '../../src/core/errors.js';
import type { IoHost } from '../../src/core/io.js';
import { hostName } from './hosts-file.js';
import { apiFrontEnd } from './front-end.js';
import { parseOsRelease, SUPPORTED_OS_TEXT, unsupportedReason, type OsRelease } from './os.js';
import type { HostInventory } from './inventory.js';
import { REAL_HOST, remotePaths, rootFor, wrapCommand, type RemoteEnvironment, type RemotePaths, type Step } from './remote.js';
import { jumpSpec, loadSshConfig, lookupSshConfig } from './ssh-config.js';
import { connectSsh, parseBastion, type ExecOptions, type ExecResult, type SshConnection } from './ssh.js';

export interface PkiFile {
  /** Relative to /etc/kubernetes/pki, e.g. `etcd/ca.key`. */
  path: string;
  content: string;
  mode: number;
}

export type RenderBootstrap = (input: BootstrapInput) => string | Promise<string>;

/** What a finished step left on the host (the JSON in /var/lib/k8sup/steps/<step>.json). */
export interface StepMarker {
  cluster: string;
  step: Step;
  fields: Record<string, unknown>;
  outputs: Record<string, string | number | boolean>;
  at: string;
}

export interface HostProbe {
  /** `<ID>-<VERSION_ID>` of /etc/os-release, e.g. `ubuntu-24.04` (what the prepared marker records). */
  os: string;
  osRelease: OsRelease;
  arch: string;
  /** /etc/kubernetes/kubelet.conf exists: the host is (or was) part of a cluster. */
  kubeletConf: boolean;
  markers: StepMarker[];
}

export interface MetalSettings {
  cluster: Cluster;
  io: IoHost;
  homeDir: string;
  knownHostsPath: string;
  acceptNew: boolean;
  remote: RemoteEnvironment;
  loadPki: () => Promise<PkiFile[]>;
  /** Registry pull credentials (spec.assets.registries[].credentials) by secret name; default: none. */
  loadRegistryCredentials?: () => Promise<{ secret: string; content: string }[]>;
  renderBootstrap: RenderBootstrap;
  /** The state store URL, for the bootstrap renderer (metal nodes never read the store themselves). */
  stateStoreUrl: string;
  agentSocket?: string;
  passphrase?: string;
  /** Connection attempts per connect (default 3). */
  connectAttempts?: number;
  retryDelayMs?: number;
  /** Close an unused connection after this long, so a finished CLI run can exit (default 3 s). */
  idleCloseMs?: number;
  /** Deadline for one bootstrap script (default 30 min). */
  scriptTimeoutMs?: number;
  signal?: AbortSignal;
  /** Which machines the cluster has been applied to (the state store's metal-hosts.json). */
  inventory?: HostInventory;
  /** Hosts of the inventory that are no longer in spec.hosts: listed (and reset) like the others, by node name. */
  retired?: Map<string, HostSpec>;
}

export class MetalClients {
  private readonly connections = new Map<string, { conn: Promise<SshConnection>; idle?: NodeJS.Timeout; busy: number }>();
  private readonly probes = new Map<string, Promise<HostProbe>>();
  private token?: Promise<string>;
  private sshConfig?: ReturnType<typeof loadSshConfig>;
  private pki?: Promise<PkiFile[]>;
  private credentials?: Promise<{ secret: string; content: string }[]>;
  private readonly byName: Map<string, HostSpec>;
  private readonly retired: Map<string, HostSpec>;
  private readonly retirements = new Map<string, Promise<void>>();

  constructor(readonly settings: MetalSettings) {
    this.byName = new Map((settings.cluster.spec.hosts ?? []).map((h) => [hostName(h), h]));
    this.retired = settings.retired ?? new Map();
  }

  /** Where things live on this host (under the remote root). */
  paths(name: string): RemotePaths {
    return remotePaths(rootFor(this.settings.remote, name));
  }

  get cluster(): Cluster {
    return this.settings.cluster;
  }
  get io(): IoHost {
    return this.settings.io;
  }
  /** The hosts of spec.hosts. */
  get hostNames(): string[] {
    return [...this.byName.keys()];
  }
  /** Hosts the cluster was applied to that were removed from spec.hosts since (see inventory.ts). */
  get retiredHostNames(): string[] {
    return [...this.retired.keys()];
  }
  isRetired(name: string): boolean {
    return this.retired.has(name) && !this.byName.has(name);
  }
  /** The first control plane of the spec: where kubeadm init ran and admin.conf lives. */
  get firstControlPlane(): string | undefined {
    const cp = (this.settings.cluster.spec.hosts ?? []).find((h) => h.role === 'control-plane');
    return cp ? hostName(cp) : undefined;
  }

  host(name: string): HostSpec {
    const h = this.byName.get(name) ?? this.retired.get(name);
    if (!h) throw new OperationError(`host ${name} is not in spec.hosts`, { code: 'UnknownHost' });
    return h;
  }

  /** Records a host in the inventory before k8sup changes anything on it. */
  async rememberHost(name: string): Promise<void> {
    await this.settings.inventory?.remember(name, this.host(name));
  }

  async forgetHost(name: string): Promise<void> {
    await this.settings.inventory?.forget(name);
  }

  /**
   * Runs `fn` once per host and run, however many steps of that host ask for it at the same time (the engine deletes
   * a removed host's steps without ordering between them). A failure is not remembered, so a retry runs it again.
   */
  once(name: string, fn: () => Promise<void>): Promise<void> {
    let p = this.retirements.get(name);
    if (!p) {
      p = fn();
      this.retirements.set(name, p);
      p.catch(() => this.retirements.get(name) === p && this.retirements.delete(name));
    }
    return p;
  }

  private keyPath(h: HostSpec): string | undefined {
    if (!h.sshKey) return undefined;
    if (h.sshKey === '~') return this.settings.homeDir;
    return h.sshKey.startsWith('~/') ? join(this.settings.homeDir, h.sshKey.slice(2)) : h.sshKey;
  }

  /**
   * How to reach a host: the hosts file, completed by ~/.ssh/config for its address (HostName, IdentityFile,
   * ProxyJump when the file sets no sshKey / bastion; User and Port when the file has the defaults root / 22).
   */
  async endpoint(name: string): Promise<{ target: { host: string; port: number; user: string }; privateKeyPath?: string; bastion?: string }> {
    const h = this.host(name);
    const home = this.settings.homeDir;
    this.sshConfig ??= loadSshConfig(home);
    const blocks = await this.sshConfig;
    const cfg = lookupSshConfig(blocks, h.address, home);
    const user = h.user !== 'root' ? h.user : (cfg.user ?? h.user);
    const target = { host: cfg.hostName ?? h.address, port: h.port !== 22 ? h.port : (cfg.port ?? h.port), user };
    const bastion = h.bastion ?? (cfg.proxyJump ? jumpSpec(blocks, cfg.proxyJump, home, user) : undefined);
    return { target, privateKeyPath: this.keyPath(h) ?? cfg.identityFile, bastion };
  }

  private async connect(name: string): Promise<SshConnection> {
    const s = this.settings;
    const { target, privateKeyPath, bastion } = await this.endpoint(name);
    return connectSsh(
      target,
      {
        hostKeys: { knownHostsPath: s.knownHostsPath, acceptNew: s.acceptNew },
        homeDir: s.homeDir,
        privateKeyPath,
        passphrase: s.passphrase,
        agentSocket: s.agentSocket,
        bastion: bastion ? parseBastion(bastion) : undefined,
        attempts: s.connectAttempts,
        retryDelayMs: s.retryDelayMs,
        signal: s.signal,
        onRetry: (attempt, e) =>
          s.io.emit({ code: 'metal.ssh.retry', level: 'warn', message: `${name}: SSH connect attempt ${attempt} failed (${e.message}); retrying`, data: { host: name, attempt } }),
      },
    );
  }

  /** Runs `fn` with a live connection to the host; a dropped connection is replaced on the next use. */
  async withConnection<T>(name: string, fn: (c: SshConnection) => Promise<T>): Promise<T> {
    let slot = this.connections.get(name);
    if (slot) {
      const existing = await slot.conn.catch(() => undefined);
      if (!existing || existing.closed) {
        this.connections.delete(name);
        slot = undefined;
      }
    }
    if (!slot) {
      slot = { conn: this.connect(name), busy: 0 };
      this.connections.set(name, slot);
      slot.conn.catch(() => this.connections.get(name) === slot && this.connections.delete(name));
    }
    const current = slot;
    if (current.idle) clearTimeout(current.idle);
    current.busy++;
    try {
      return await fn(await current.conn);
    } finally {
      current.busy--;
      if (current.busy === 0) {
        current.idle = setTimeout(() => {
          if (current.busy === 0 && this.connections.get(name) === current) {
            this.connections.delete(name);
            current.conn.then((c) => c.close(), () => {});
          }
        }, this.settings.idleCloseMs ?? 3000);
        current.idle.unref();
      }
    }
  }

  /** Runs a shell snippet on the host with the remote environment (sudo, K8SUP_ROOT, PATH); throws on non-zero exit. */
  run(name: string, snippet: string, opts: ExecOptions & { what?: string } = {}): Promise<ExecResult> {
    const h = this.host(name);
    return this.withConnection(name, (c) => c.run(wrapCommand(this.settings.remote, name, h.user, snippet), { signal: this.settings.signal, ...opts }));
  }

  upload(name: string, path: string, content: string | Buffer, mode: number): Promise<void> {
    const h = this.host(name);
    return this.withConnection(name, (c) => c.upload(path, content, mode, (cmd) => wrapCommand(this.settings.remote, name, h.user, cmd)));
  }

  uploadFiles(name: string, files: { path: string; content: string | Buffer; mode: number }[]): Promise<void> {
    const h = this.host(name);
    return this.withConnection(name, (c) => c.uploadFiles(files, (cmd) => wrapCommand(this.settings.remote, name, h.user, cmd)));
  }

  /** What is on the host, read in one command; cached until a step changes the host. */
  probe(name: string): Promise<HostProbe> {
    let p = this.probes.get(name);
    if (!p) {
      p = this.readProbe(name);
      this.probes.set(name, p);
      p.catch(() => this.probes.get(name) === p && this.probes.delete(name));
    }
    return p;
  }

  forgetProbe(name: string): void {
    this.probes.delete(name);
  }

  private async readProbe(name: string): Promise<HostProbe> {
    const P = this.paths(name);
    // os-release under the remote root first (tests give each simulated host its own), then the host's own.
    const snippet = [
      `for f in "${P.root}/etc/os-release" /etc/os-release /usr/lib/os-release; do if [ -f "$f" ]; then sed 's/^/os-release:/' "$f"; break; fi; done`,
      'echo "arch=$(uname -m)"',
      `if [ -f "${P.kubeletConf}" ]; then echo kubelet=yes; else echo kubelet=no; fi`,
      `for f in "${P.markerDir}"/*.json; do [ -f "$f" ] && printf 'marker=%s\\n' "$(tr -d '\\n' < "$f")"; done`,
      'exit 0',
    ].join('\n');
    const r = await this.run(name, snippet, { what: 'probe', timeoutMs: 60_000 });
    const probe: HostProbe = { os: 'unknown', osRelease: parseOsRelease(''), arch: 'unknown', kubeletConf: false, markers: [] };
    const osRelease: string[] = [];
    for (const line of r.stdout.split('\n')) {
      if (line.startsWith('os-release:')) {
        osRelease.push(line.slice('os-release:'.length));
        continue;
      }
      const eq = line.indexOf('=');
      if (eq < 0) continue;
      const key = line.slice(0, eq);
      const value = line.slice(eq + 1);
      if (key === 'arch') probe.arch = value;
      else if (key === 'kubelet') probe.kubeletConf = value === 'yes';
      else if (key === 'marker') {
        try {
          probe.markers.push(JSON.parse(value) as StepMarker);
        } catch {
          // a torn marker (interrupted write is impossible with mv, but be lenient): the step is simply not done
        }
      }
    }
    probe.osRelease = parseOsRelease(osRelease.join('\n'));
    probe.os = `${probe.osRelease.id || 'unknown'}-${probe.osRelease.versionId}`;
    return probe;
  }

  /**
   * Runs before the first change (provider.connect): every host of the spec this cluster has not prepared yet must run a
   * supported OS and architecture, and the API front end must be the one the cluster was installed with. Exit 2,
   * naming the hosts. A host that cannot be probed is left to the listing, which explains what is wrong with it.
   */
  async preflight(): Promise<void> {
    const cluster = this.settings.cluster.metadata.name;
    const probed = await Promise.all(this.hostNames.map(async (name) => ({ name, probe: await this.probe(name).catch(() => undefined) })));
    const unsupported: string[] = [];
    for (const { name, probe } of probed) {
      if (!probe || probe.markers.some((m) => m.cluster === cluster && m.step === 'prepared')) continue;
      const reason = unsupportedReason(probe.osRelease, probe.arch);
      const h = this.host(name);
      if (reason) unsupported.push(`host ${name} (${h.address}:${h.port}) ${reason}`);
    }
    if (unsupported.length > 0) {
      throw new InvalidInputError(`${unsupported.join('; ')}: k8sup does not install on it`, {
        hint: `k8sup supports ${SUPPORTED_OS_TEXT} on x86_64 or aarch64; reinstall the host or remove it from the hosts file (docs/metal.md, "Supported hosts")`,
      });
    }
    const wanted = apiFrontEnd(this.settings.cluster);
    for (const { name, probe } of probed) {
      const init = probe?.markers.find((m) => m.cluster === cluster && m.step === 'kubeadm-init');
      if (!init) continue;
      // Markers from before frontEnd existed (and kube-vip ones) carry no frontEnd field.
      const installed = typeof init.fields.frontEnd === 'string' ? init.fields.frontEnd : 'kube-vip';
      if (installed !== wanted) {
        throw new InvalidInputError(`spec.api.frontEnd: ${cluster} was installed with the ${installed} front end (kubeadm init on ${name}); k8sup cannot change it to ${wanted} on an applied cluster`, {
          hint: `set spec.api.frontEnd back to ${installed} (k8sup edit cluster ${cluster}, or rollback); changing the API front end means new certificates and kubeconfigs: delete and create the cluster (docs/metal.md, "API front ends")`,
        });
      }
    }
  }

  /** Registry credentials every host gets before its bootstrap script runs (read from the store once per run). */
  registryCredentials(): Promise<{ secret: string; content: string }[]> {
    this.credentials ??= this.settings.loadRegistryCredentials?.() ?? Promise.resolve([]);
    return this.credentials;
  }

  controlPlanePki(): Promise<PkiFile[]> {
    this.pki ??= this.settings.loadPki();
    return this.pki;
  }

  renderBootstrap(input: BootstrapInput): Promise<string> {
    return Promise.resolve(this.settings.renderBootstrap(input));
  }

  /**
   * A bootstrap token for joining nodes, created on the first control plane (kubeadm token create, 1 h TTL) once per
   * run. k8sup generates the token itself, so it never has to parse kubeadm's output.
   */
  joinToken(initHost: string): Promise<string> {
    this.token ??= (async () => {
      const token = `${randomToken(6)}.${randomToken(16)}`;
      await this.run(
        initHost,
        `kubeadm token create '${token}' --ttl 1h --description 'k8sup: joining nodes over SSH' --kubeconfig "${this.paths(initHost).adminConf}" >/dev/null`,
        { what: 'kubeadm token create', timeoutMs: 120_000 },
      );
      return token;
    })();
    this.token.catch(() => (this.token = undefined));
    return this.token;
  }

  close(): void {
    for (const [, slot] of this.connections) {
      if (slot.idle) clearTimeout(slot.idle);
      slot.conn.then((c) => c.close(), () => {});
    }
    this.connections.clear();
  }
}

const TOKEN_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
function randomToken(n: number): string {
  let out = '';
  while (out.length < n) {
    for (const b of randomBytes(n)) if (b < 252 && out.length < n) out += TOKEN_ALPHABET[b % 36]; // 252 = 7 * 36: no modulo bias
  }
  return out;
}

export { REAL_HOST };
