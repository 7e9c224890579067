// The bare-metal Provider: existing machines over SSH (see docs/metal.md).
//
// `provider` is what the CLI loads (providers/index.ts). `createMetalProvider(options)` builds one with overrides —
// a PKI loader, a bootstrap renderer, a remote root / PATH — for tests and embedding.

import { join } from 'node:path';
import type { Cluster, HostSpec } from '../../src/api/types.js';
import { InvalidInputError, OperationError } from '../../src/core/errors.js';
import type { ConnectOptions, Provider, ProviderState } from '../../src/core/provider.js';
import type { ErrorClass } from '../../src/core/resource.js';
import type { StateLocation } from '../../src/state/url.js';
import { MetalClients, type MetalSettings, type PkiFile, type RenderBootstrap } from './clients.js';
import { hostName } from './hosts-file.js';
import { HostInventory, retiredHosts } from './inventory.js';
import { buildMetalGraph, KIND_INIT } from './model.js';
import { REAL_HOST, type RemoteEnvironment } from './remote.js';
import { hostHandler } from './resources/host.js';
import { kubeadmInitHandler, kubeadmJoinHandler, renderStepScript } from './resources/kubeadm.js';
import { SSH_TRANSIENT_CODES } from './ssh.js';
import { metalCloud } from './cloud.js';
import { metalUpgrade } from './upgrade.js';
import { metalCertificates } from './certs.js';

import { metalEtcdBackup } from './etcd-backup.js';
export { MetalClients, type PkiFile, type RenderBootstrap } from './clients.js';
export { parseHostsFile } from './hosts-file.js';
export { renderStepScript } from './resources/kubeadm.js';

export interface MetalProviderOptions {
  /** Where PKI comes from; default: the cluster's state (ConnectOptions.state). */
  loadPki?: (cluster: Cluster, state: ProviderState | undefined) => Promise<PkiFile[]>;
  /** Default: src/bootstrap renderBootstrapScript. */
  renderBootstrap?: RenderBootstrap;
  /** Remote root / PATH / sudo; default: the real host. Env K8SUP_METAL_REMOTE_ROOT / _PATH / K8SUP_METAL_SUDO also apply. */
  remote?: Partial<RemoteEnvironment>;
  connectAttempts?: number;
  retryDelayMs?: number;
  idleCloseMs?: number;
  scriptTimeoutMs?: number;
}


/** The control-plane PKI from the state store, as files for /etc/kubernetes/pki. */
export async function loadPkiFromStore(cluster: Cluster, state: ProviderState | undefined): Promise<PkiFile[]> {
  const name = cluster.metadata.name;
  if (!state) throw new OperationError(`no state store to read the PKI of ${name} from`, { code: 'NoStateStore' });
  const pki = await state.readPki();
  if (!pki) {
    throw new OperationError(`the state store has no PKI for ${name}`, { code: 'NoPki', hint: `run k8sup create cluster ${name} (it generates the PKI) before applying` });
  }
  const { pkiFiles } = await import('../../src/pki/cluster-pki.js');
  // Private keys (and the Secrets encryption key, which travels with the PKI) 0600 on the host; certificates and the
  // SA public key 0644.
  const files = pkiFiles(pki).map(({ file, data, secret }) => ({ path: file, content: data, mode: secret ? 0o600 : 0o644 }));
  const encryption = cluster.spec.kubeAPIServer?.encryptionAtRest ? await state.readEncryptionConfig() : null;
  if (encryption !== null) files.push({ path: 'encryption-config.yaml', content: encryption, mode: 0o600 });
  return files;
}

async function defaultRenderBootstrap(): Promise<RenderBootstrap> {
  const { renderBootstrapScript } = await import('../../src/bootstrap/index.js');
  return renderBootstrapScript;
}

/**
 * Metal nodes never read the state store (k8sup copies PKI and tokens over SSH), but the renderer wants a store URL
 * of a known scheme; other schemes (e.g. an in-memory store) get a neutral file:// stand-in.
 */
function rendererStoreUrl(location: StateLocation | null | undefined): string {
  return location?.url ?? 'file:///var/lib/k8sup/state';
}

function remoteFromEnv(env: Record<string, string | undefined>): Partial<RemoteEnvironment> {
  const r: Partial<RemoteEnvironment> = {};
  if (env.K8SUP_METAL_REMOTE_ROOT) r.root = env.K8SUP_METAL_REMOTE_ROOT;
  if (env.K8SUP_METAL_REMOTE_PATH) r.path = env.K8SUP_METAL_REMOTE_PATH;
  if (env.K8SUP_METAL_SUDO === 'never') r.sudo = 'never';
  return r;
}

/**
 * A control plane removed from the hosts file is refused before a host is contacted: taking it out means changing
 * etcd's membership (and kubeadm's ClusterStatus), which k8sup does not do. docs/metal.md has the manual procedure.
 */
function refuseRemovedControlPlanes(cluster: string, retired: Map<string, HostSpec>, inventoryKey: string): void {
  const cps = [...retired].filter(([, h]) => h.role === 'control-plane');
  if (cps.length === 0) return;
  const what = cps.map(([n, h]) => `${n} (${h.address}:${h.port})`).join(', ');
  throw new InvalidInputError(`control plane ${what} was removed from spec.hosts of ${cluster}; k8sup does not remove control planes (etcd membership must be changed by hand)`, {
    hint:
      `put it back (\`k8sup history cluster ${cluster}\`, then \`k8sup rollback cluster ${cluster} --revision N\`, or edit cluster); delete cluster then resets it too; ` +
      `or remove it by hand (etcd member remove, kubectl delete node, kubeadm reset -f on it) and then its entry from the state object ${inventoryKey} (docs/metal.md, "Removing hosts")`,
  });
}

export function classifyMetalError(err: unknown): ErrorClass {
  if (err instanceof OperationError && SSH_TRANSIENT_CODES.has(err.code)) return 'transient';
  return 'fatal';
}

export function createMetalProvider(options: MetalProviderOptions = {}): Provider<MetalClients> {
  return {
    name: metalCloud.name,
    // A node install over SSH (packages, images, kubeadm) may take longer than the engine's default 10 minutes.
    taskTimeoutMs: 35 * 60_000,
    handlers: [hostHandler, kubeadmInitHandler, kubeadmJoinHandler],
    buildGraph: buildMetalGraph,
    async stepScript(cluster, node, stateStoreUrl) {
      const { renderBootstrapScript } = await import('../../src/bootstrap/index.js');
      return renderStepScript(cluster, node, stateStoreUrl, renderBootstrapScript);
    },
    async connect(cluster: Cluster, opts: ConnectOptions): Promise<MetalClients> {
      if (!cluster.spec.hosts?.length) {
        throw new OperationError(`cluster ${cluster.metadata.name} has no spec.hosts`, { code: 'NoHosts', hint: 'bare metal clusters are created with --hosts FILE' });
      }
      const state = opts.state as ProviderState | undefined;
      const inventory = new HostInventory(state, cluster.metadata.name);
      const current = new Map(cluster.spec.hosts.map((h) => [hostName(h), h]));
      const retired = retiredHosts(await inventory.load(), current);
      refuseRemovedControlPlanes(cluster.metadata.name, retired, inventory.key);
      const settings: MetalSettings = {
        cluster,
        io: opts.io,
        homeDir: opts.home,
        knownHostsPath: join(opts.home, '.ssh', 'known_hosts'),
        acceptNew: opts.sshAcceptNew === true,
        remote: { ...REAL_HOST, ...remoteFromEnv(opts.env), ...options.remote },
        loadPki: () => (options.loadPki ?? loadPkiFromStore)(cluster, state),
        loadRegistryCredentials: async () => (await import('../../src/lifecycle/registry-secrets.js')).registrySecretFiles(state, cluster),
        renderBootstrap: options.renderBootstrap ?? (await defaultRenderBootstrap()),
        stateStoreUrl: rendererStoreUrl(state?.location),
        agentSocket: opts.env.SSH_AUTH_SOCK || undefined,
        passphrase: opts.env.K8SUP_SSH_PASSPHRASE || undefined,
        connectAttempts: options.connectAttempts,
        retryDelayMs: options.retryDelayMs,
        idleCloseMs: options.idleCloseMs,
        scriptTimeoutMs: options.scriptTimeoutMs,
        signal: opts.signal,
        inventory,
        retired,
      };
      const clients = new MetalClients(settings);
      await clients.preflight();
      return clients;
    },
    classifyError: classifyMetalError,
    upgrade: metalUpgrade,
    certificates: metalCertificates,
    etcdBackup: metalEtcdBackup,
    apiEndpoint(outputs) {
      for (const [id, o] of Object.entries(outputs)) {
        if (id.endsWith('/kubeadm-init') && typeof o.apiEndpoint === 'string') return o.apiEndpoint;
      }
      return undefined;
    },
  };
}

export const provider: Provider<MetalClients> = createMetalProvider();
export { KIND_INIT };
