// Taking out a worker that was removed from the hosts file (it is still in the state store's inventory, so its
// steps are listed and the plan deletes them). The engine deletes a removed host's steps without ordering between
// them, so every step's delete calls retireHost, which does the whole job once per host:
//   1. drain the node and delete its Node object through the API, on the first control plane (bounded in time);
//   2. kubeadm reset and remove everything k8sup put on the host (the same clean-up as delete cluster);
//   3. drop the host from the inventory.
// A host that no longer carries this cluster's markers (someone reset it by hand) is only dropped from the inventory:
// k8sup never resets a machine it cannot prove is still part of this cluster.

import { OperationError } from '../../../src/core/errors.js';
import { shellQuote } from '../ssh.js';
import { timed, type Ctx } from './common.js';

/** Bound on `kubectl drain` (it honours PodDisruptionBudgets through the Eviction API, so it can wait). */
export const DRAIN_TIMEOUT_S = 120;

export function retireHost(ctx: Ctx, host: string): Promise<void> {
  return ctx.clients.once(host, async () => {
    const c = ctx.clients;
    c.forgetProbe(host);
    const probe = await c.probe(host);
    const ours = probe.markers.filter((m) => m.cluster === ctx.cluster && m.fields.host === host);
    if (ours.length === 0) {
      ctx.io.emit({ code: 'metal.host.forgotten', level: 'info', task: host, message: `${host}: no longer carries cluster ${ctx.cluster}; forgetting it`, data: { host } });
      await c.forgetHost(host);
      return;
    }
    if (probe.kubeletConf || ours.some((m) => m.step === 'joined')) await drainAndDeleteNode(ctx, host);
    await resetHost(ctx, host);
    await c.forgetHost(host);
  });
}

/**
 * `kubectl drain` then `kubectl delete node`, run over SSH on the first control plane with its admin.conf. A Node
 * that does not exist (no longer) is fine; a drain that fails or times out stops the removal before the host is
 * reset, so a PodDisruptionBudget is never overridden — the operator decides (docs/metal.md, "Removing hosts").
 */
async function drainAndDeleteNode(ctx: Ctx, node: string): Promise<void> {
  const c = ctx.clients;
  const cp = c.firstControlPlane;
  if (!cp) throw new OperationError(`cannot drain ${node}: the spec has no control plane`, { code: 'NoControlPlane' });
  const kubectl = `kubectl --kubeconfig ${shellQuote(c.paths(cp).adminConf)}`;
  const name = shellQuote(node);
  const script = [
    `out=$(${kubectl} drain ${name} --ignore-daemonsets --delete-emptydir-data --timeout=${DRAIN_TIMEOUT_S}s 2>&1); rc=$?`,
    'if [ "$rc" -ne 0 ]; then',
    '  case "$out" in *NotFound*|*"not found"*) echo "node already gone"; exit 0 ;; esac',
    '  printf "%s\\n" "$out" >&2; exit "$rc"',
    'fi',
    `${kubectl} delete node ${name} --ignore-not-found --timeout=60s`,
  ].join('\n');
  await timed(ctx, node, `drain and delete node (on ${cp})`, async () => {
    try {
      await c.run(cp, script, { what: `kubectl drain ${node}`, timeoutMs: (DRAIN_TIMEOUT_S + 90) * 1000 });
    } catch (e) {
      if (!(e instanceof OperationError) || e.code !== 'RemoteCommandFailed') throw e;
      throw new OperationError(`could not drain node ${node} on ${cp}, so ${node} was not reset: ${e.message}`, {
        code: 'DrainFailed',
        cause: e,
        hint: `look at what blocks the eviction (kubectl get pdb -A); or drain/delete the node yourself (kubectl delete node ${node}) and run the same command again`,
      });
    }
  });
}

async function resetHost(ctx: Ctx, host: string): Promise<void> {
  const c = ctx.clients;
  const P = c.paths(host);
  await timed(ctx, host, 'kubeadm reset (removed host)', async () => {
    await c.run(
      host,
      [
        'if command -v kubeadm >/dev/null 2>&1; then kubeadm reset -f; fi',
        `rm -rf "${P.cniConf}" "${P.kubernetesEtc}" "${P.k8supEtc}" "${P.stateDir}"`,
      ].join('\n'),
      { what: 'kubeadm reset', timeoutMs: 5 * 60_000 },
    );
    c.forgetProbe(host);
  });
}
