// metal-kubeadm-init (`host/<cp0>/kubeadm-init`) and metal-kubeadm-join (`host/<h>/joined`): run the rendered
// bootstrap script (src/bootstrap, provider 'metal') over SSH. Joining nodes first receive a bootstrap token
// (created on the first control plane) in /etc/k8sup/bootstrap-token, which the script deletes after the join.
// Delete runs `kubeadm reset -f` and removes what kubeadm and k8sup left in /etc.

import type { BootstrapInput, NodeRole, OsFamily } from '../../../src/bootstrap/types.js';
import { osFamilyOf } from '../os.js';
import { isIP } from 'node:net';
import type { Cluster } from '../../../src/api/types.js';
import type { FieldChange, ResolvedFields, ResourceHandler, ResourceNode } from '../../../src/core/resource.js';
import type { MetalClients } from '../clients.js';
import { KIND_INIT, KIND_JOIN } from '../model.js';
import type { Step } from '../remote.js';
import { cloudIdFor, listStep, refuseUnsafeChanges, runBootstrap, timed, writeMarker, type Ctx } from './common.js';
import { retireHost } from './retire.js';
import { metalCloud } from '../cloud.js';

function bootstrapInput(cluster: Cluster, stateStoreUrl: string, fields: ResolvedFields, role: NodeRole, osFamily?: OsFamily): BootstrapInput {
  const address = String(fields.address);
  return {
    ...(osFamily ? { osFamily } : {}),
    cluster,
    role,
    nodeGroup: role === 'worker' ? String(fields.nodeGroup) : 'control-plane',
    provider: metalCloud.nodes,
    apiEndpoint: String(fields.apiEndpoint),
    caCertHash: String(fields.caCertHash),
    stateStoreUrl,
    nodeName: String(fields.host),
    ...(isIP(address) ? { nodeIp: address } : {}),
  };
}

function roleOf(kind: string, fields: ResolvedFields): NodeRole {
  return kind === KIND_INIT ? 'control-plane-init' : fields.role === 'control-plane' ? 'control-plane-join' : 'worker';
}

/**
 * The exact script a step runs on its host, without SSH — for `-v` plans (show what will run where). Returns
 * undefined for steps that run no script (metal-host). `render` is src/bootstrap's renderBootstrapScript.
 */
export function renderStepScript(cluster: Cluster, node: ResourceNode, stateStoreUrl: string, render: (i: BootstrapInput) => string): string | undefined {
  if (node.kind !== KIND_INIT && node.kind !== KIND_JOIN) return undefined;
  return render(bootstrapInput(cluster, stateStoreUrl, node.fields as ResolvedFields, roleOf(node.kind, node.fields as ResolvedFields)));
}

/** The script's input for this host, with its OS family as probed (apt or dnf). */
async function inputFor(ctx: Ctx, fields: ResolvedFields, role: NodeRole): Promise<BootstrapInput> {
  const probe = await ctx.clients.probe(String(fields.host));
  return bootstrapInput(ctx.clients.cluster, ctx.clients.settings.stateStoreUrl, fields, role, osFamilyOf(probe.osRelease) ?? undefined);
}

async function deleteKubeadm(ctx: Ctx, host: string, step: Step): Promise<void> {
  // A host removed from the hosts file: drained through the API first, then reset as a whole (see retire.ts).
  if (ctx.clients.isRetired(host)) return retireHost(ctx, host);
  const P = ctx.clients.paths(host);
  await timed(ctx, host, 'kubeadm reset', async () => {
    await ctx.clients.run(
      host,
      [
        'if command -v kubeadm >/dev/null 2>&1; then kubeadm reset -f; fi',
        `rm -rf "${P.cniConf}" "${P.kubernetesEtc}" "${P.k8supEtc}"`,
        `rm -f "${P.marker(step)}"`,
      ].join('\n'),
      { what: 'kubeadm reset', timeoutMs: 5 * 60_000 },
    );
    ctx.clients.forgetProbe(host);
  });
}

const BENIGN = ['address'] as const;
/** haproxy-keepalived: the API servers in a control plane's HAProxy / keepalived files (model.ts). */
const API_SERVERS = 'apiServers';
/** Which registries pull with which secret (model.ts registryCredentialsField). */
const REGISTRY_CREDENTIALS = 'registryCredentials';

/** Fields whose change re-runs the (idempotent) bootstrap script on an installed host. */
const REFRESHED = [API_SERVERS, REGISTRY_CREDENTIALS];

/**
 * The control planes changed under haproxy-keepalived, or the registry credentials did: the step's bootstrap script
 * runs again. It is idempotent — packages are stamped, kubeadm is skipped on a joined host — so what changes is
 * HAProxy's backends and keepalived's peers, or containerd's credentials drop-in, which it rewrites and restarts.
 */
async function refreshBootstrap(ctx: Ctx, fields: ResolvedFields, kind: string, step: Step, changes: FieldChange[]): Promise<void> {
  const host = String(fields.host);
  const what = changes.some((ch) => ch.field === API_SERVERS) ? 'update HAProxy and keepalived' : 'update registry credentials';
  await timed(ctx, host, what, async () => {
    // Credentials taken out of the spec: their copies and containerd's drop-in go (config.toml stops importing it).
    const credentials = fields[REGISTRY_CREDENTIALS];
    if (Array.isArray(credentials) && credentials.length === 0 && changes.some((ch) => ch.field === REGISTRY_CREDENTIALS)) {
      const P = ctx.clients.paths(host);
      await ctx.clients.run(host, `rm -rf "${P.registryCredentials}" "${P.containerdAuth}"`, { what: 'remove registry credentials', timeoutMs: 60_000 });
    }
    const script = await ctx.clients.renderBootstrap(await inputFor(ctx, fields, roleOf(kind, fields)));
    await runBootstrap(ctx, host, step, script);
  });
}

export const kubeadmInitHandler: ResourceHandler<MetalClients> = {
  kind: KIND_INIT,
  service: 'ssh',
  immutable: ['host'],

  list: (ctx) => listStep(ctx, 'kubeadm-init', KIND_INIT),

  async create(_node, fields, ctx) {
    const host = String(fields.host);
    return timed(ctx, host, 'kubeadm init', async () => {
      const script = await ctx.clients.renderBootstrap(await inputFor(ctx, fields, 'control-plane-init'));
      await runBootstrap(ctx, host, 'kubeadm-init', script);
      const outputs = { host, apiEndpoint: `https://${String(fields.apiEndpoint)}` };
      await writeMarker(ctx, host, 'kubeadm-init', fields, outputs);
      return { cloudId: cloudIdFor(host, 'kubeadm-init'), outputs };
    });
  },

  async update(node, fields, live, changes, ctx) {
    refuseUnsafeChanges(node.id, changes, [...BENIGN, ...REFRESHED]);
    if (changes.some((ch) => REFRESHED.includes(ch.field))) await refreshBootstrap(ctx, fields, KIND_INIT, 'kubeadm-init', changes);
    await writeMarker(ctx, String(fields.host), 'kubeadm-init', fields, live.outputs);
    return { cloudId: live.cloudId, outputs: live.outputs };
  },

  delete: (live, ctx) => deleteKubeadm(ctx, String(live.fields.host), 'kubeadm-init'),
};

export const kubeadmJoinHandler: ResourceHandler<MetalClients> = {
  kind: KIND_JOIN,
  service: 'ssh',
  immutable: ['host', 'role'],

  list: (ctx) => listStep(ctx, 'joined', KIND_JOIN),

  async create(_node, fields, ctx) {
    const host = String(fields.host);
    const c = ctx.clients;
    return timed(ctx, host, fields.role === 'control-plane' ? 'join control plane' : 'join worker', async () => {
      const probe = await c.probe(host);
      // A host with kubelet.conf joined already (a previous run died before writing the marker): the script skips
      // kubeadm, so it needs no token — and we do not mint one.
      if (!probe.kubeletConf) {
        const token = await c.joinToken(String(fields.initHost));
        await c.upload(host, c.paths(host).tokenFile, `token=${token}\n`, 0o600);
      }
      const role = roleOf(KIND_JOIN, fields);
      const script = await c.renderBootstrap(await inputFor(ctx, fields, role));
      await runBootstrap(ctx, host, 'joined', script);
      const outputs = { host, role: String(fields.role) };
      await writeMarker(ctx, host, 'joined', fields, outputs);
      return { cloudId: cloudIdFor(host, 'joined'), outputs };
    });
  },

  async update(node, fields, live, changes, ctx) {
    refuseUnsafeChanges(node.id, changes, [...BENIGN, ...REFRESHED]);
    if (changes.some((ch) => REFRESHED.includes(ch.field))) await refreshBootstrap(ctx, fields, KIND_JOIN, 'joined', changes);
    await writeMarker(ctx, String(fields.host), 'joined', fields, live.outputs);
    return { cloudId: live.cloudId, outputs: live.outputs };
  },

  delete: (live, ctx) => deleteKubeadm(ctx, String(live.fields.host), 'joined'),
};
