// `upgrade cluster` on bare metal: kubeadm's upgrade procedure over SSH, one host at a time (docs/upgrades.md).
//
//   etcd-snapshot               first control plane, before anything changes
//   host/<cp1>/kubeadm          the kubeadm package of the new version
//   host/<cp1>/upgrade-apply    kubeadm upgrade plan + kubeadm upgrade apply vX
//   host/<cp1>/drain … validate drain (from cp1) → kubelet + kubectl packages, kubelet restarted → uncordon → Ready
//   host/<cpN>/…, host/<w>/…    the same with kubeadm upgrade node, control planes first, then workers
//
// Every step's script leaves a marker on the host it ran on (/var/lib/k8sup/upgrade/v<to>/), so a step that finished
// is a no-op when an interrupted upgrade runs again. Once a host is validated its install markers record the new
// version, which is what `update cluster` compares the spec against.

import type { Cluster } from '../../src/api/types.js';
import { InvalidInputError, OperationError } from '../../src/core/errors.js';
import type { UpgradeCapability, UpgradeRunContext, UpgradeStep } from '../../src/core/upgrade.js';
import type { MetalClients, StepMarker } from './clients.js';
import { hostName } from './hosts-file.js';
import { osFamilyOf } from './os.js';

type HostAction = 'kubeadm' | 'upgrade-apply' | 'upgrade-node' | 'drain' | 'kubelet' | 'uncordon' | 'validate';

const DESCRIBE: Record<HostAction, (host: string, to: string) => string> = {
  kubeadm: (_h, to) => `install kubeadm ${to}`,
  'upgrade-apply': (_h, to) => `kubeadm upgrade plan, kubeadm upgrade apply v${to}`,
  'upgrade-node': () => 'kubeadm upgrade node',
  drain: (h) => `drain ${h}`,
  kubelet: (_h, to) => `install kubelet and kubectl ${to}, restart the kubelet`,
  uncordon: (h) => `uncordon ${h}`,
  validate: (h) => `wait until ${h} is Ready`,
};

function hostSteps(host: string, first: boolean, to: string): UpgradeStep[] {
  const actions: HostAction[] = ['kubeadm', first ? 'upgrade-apply' : 'upgrade-node', 'drain', 'kubelet', 'uncordon', 'validate'];
  return actions.map((action) => ({ id: `host/${host}/${action}`, action, target: host, description: DESCRIBE[action](host, to) }));
}

function hostsInOrder(cluster: Cluster): { controlPlanes: string[]; workers: string[] } {
  const hosts = cluster.spec.hosts ?? [];
  return {
    controlPlanes: hosts.filter((h) => h.role === 'control-plane').map(hostName),
    workers: hosts.filter((h) => h.role === 'worker').map(hostName),
  };
}

export function planMetalUpgrade(cluster: Cluster, to: string): UpgradeStep[] {
  const { controlPlanes, workers } = hostsInOrder(cluster);
  const [first, ...others] = controlPlanes;
  return [
    { id: 'etcd-snapshot', action: 'etcd-snapshot', target: first, description: 'etcd snapshot before anything changes' },
    ...hostSteps(first, true, to),
    ...others.flatMap((h) => hostSteps(h, false, to)),
    ...workers.flatMap((h) => hostSteps(h, false, to)),
  ];
}

/** The marker of the install step (kubeadm-init on the first control plane, joined elsewhere) of this cluster. */
function installMarker(markers: StepMarker[], cluster: string): StepMarker | undefined {
  return markers.find((m) => m.cluster === cluster && (m.step === 'kubeadm-init' || m.step === 'joined'));
}

/** Where a step's command runs: drain, uncordon and validate need admin.conf, which the first control plane has. */
function runsOn(step: UpgradeStep, firstControlPlane: string): string {
  return step.action === 'drain' || step.action === 'uncordon' || step.action === 'validate' ? firstControlPlane : step.target;
}

export const metalUpgrade: UpgradeCapability<MetalClients> = {
  planUpgrade: planMetalUpgrade,

  /**
   * Version skew (kubeadm's rules): every host must have been installed and run the version the upgrade starts from
   * (or, in a resumed upgrade, the target already). A host left behind by an earlier upgrade, or never installed, is
   * refused before anything changes.
   */
  async preflight(cluster, clients, ctx) {
    const name = cluster.metadata.name;
    const problems: string[] = [];
    for (const host of clients.hostNames) {
      const marker = installMarker((await clients.probe(host)).markers, name);
      const version = marker ? String(marker.fields.kubernetesVersion) : undefined;
      if (!version) problems.push(`host ${host} is not installed yet`);
      else if (version !== ctx.from && version !== ctx.to) problems.push(`host ${host} runs Kubernetes ${version}, not ${ctx.from}`);
    }
    if (problems.length > 0) {
      throw new InvalidInputError(`${name}: cannot upgrade from ${ctx.from} to ${ctx.to}: ${problems.join('; ')}`, {
        hint: `install every host first (k8sup update cluster ${name} --yes) and upgrade one minor version at a time; docs/upgrades.md, "Version skew"`,
      });
    }
  },

  async runStep(cluster, clients, step, ctx) {
    const first = clients.firstControlPlane!;
    const where = runsOn(step, first);
    const { renderUpgradeStepScript } = await import('../../src/bootstrap/upgrade-script.js');
    const probe = await clients.probe(step.target);
    const script = renderUpgradeStepScript({
      cluster: ctx.upgraded,
      stepId: step.id,
      action: step.action as Parameters<typeof renderUpgradeStepScript>[0]['action'],
      node: step.target,
      from: ctx.from,
      to: ctx.to,
      osFamily: osFamilyOf(probe.osRelease) ?? 'debian',
    });
    const path = `${clients.paths(where).stateDir}/upgrade-step.sh`;
    await clients.upload(where, path, script, 0o700);
    const r = await clients.run(where, `bash "${path}"`, { what: `upgrade step ${step.id}`, timeoutMs: clients.settings.scriptTimeoutMs ?? 30 * 60_000 });
    for (const line of r.stderr.split('\n').filter(Boolean)) {
      const warning = line.startsWith('warning: ');
      ctx.io.emit(warning ? { code: 'note', level: 'warn', task: where, message: `${where}: ${line}` } : { code: 'metal.script.log', level: 'debug', task: where, message: `${where}: ${line}`, data: { host: where, step: step.id } });
    }
    if (step.action === 'validate') await recordVersion(clients, cluster.metadata.name, step.target, ctx);
    return { skipped: /^k8sup-step: already done$/m.test(r.stdout) };
  },
};

/** The host now runs the new version: its install marker says so (what `update cluster` plans against). */
async function recordVersion(clients: MetalClients, cluster: string, host: string, ctx: UpgradeRunContext): Promise<void> {
  clients.forgetProbe(host);
  const marker = installMarker((await clients.probe(host)).markers, cluster);
  if (!marker) throw new OperationError(`host ${host} lost its install marker during the upgrade`, { code: 'MarkerMissing', hint: 'run the same upgrade command again' });
  if (marker.fields.kubernetesVersion === ctx.to) return;
  const updated: StepMarker = { ...marker, fields: { ...marker.fields, kubernetesVersion: ctx.to }, at: new Date().toISOString() };
  await clients.upload(host, clients.paths(host).marker(marker.step), JSON.stringify(updated) + '\n', 0o644);
  clients.forgetProbe(host);
}
