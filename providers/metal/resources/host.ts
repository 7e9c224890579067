// metal-host (`host/<h>/prepared`): the host is reachable with a verified key, is a supported architecture, does not
// belong to another cluster, and — for control planes — has the cluster PKI in /etc/kubernetes/pki (0600 keys),
// which kubeadm then uses instead of generating its own. Delete removes the PKI and k8sup's state on the host.

import { InvalidInputError, OperationError } from '../../../src/core/errors.js';
import type { ResourceHandler } from '../../../src/core/resource.js';
import type { MetalClients } from '../clients.js';
import { KIND_HOST } from '../model.js';
import { SUPPORTED_OS_TEXT, unsupportedReason } from '../os.js';
import { cloudIdFor, listStep, refuseUnsafeChanges, timed, writeMarker } from './common.js';
import { retireHost } from './retire.js';

export const hostHandler: ResourceHandler<MetalClients> = {
  kind: KIND_HOST,
  service: 'ssh',
  immutable: ['role'],

  list: (ctx) => listStep(ctx, 'prepared', KIND_HOST),

  async create(node, fields, ctx) {
    const host = String(fields.host);
    const c = ctx.clients;
    return timed(ctx, host, 'prepare', async () => {
      // connect() refused unsupported hosts already; this re-check covers a host reinstalled since.
      const probe = await c.probe(host);
      const unsupported = unsupportedReason(probe.osRelease, probe.arch);
      if (unsupported) {
        throw new InvalidInputError(`host ${host} ${unsupported}: k8sup does not install on it`, { hint: `k8sup supports ${SUPPORTED_OS_TEXT} on x86_64 or aarch64` });
      }
      // Into the inventory before anything changes on the host: removed from the hosts file later, it is still reset.
      await c.rememberHost(host);
      const foreign = probe.markers.find((m) => m.cluster !== ctx.cluster);
      if (foreign) {
        throw new OperationError(`${host} already belongs to cluster ${foreign.cluster}`, { code: 'HostInUse', hint: `delete that cluster first, or remove ${host} from the hosts file` });
      }
      if (probe.kubeletConf && !probe.markers.some((m) => m.cluster === ctx.cluster)) {
        throw new OperationError(`${host} is already part of a Kubernetes cluster that k8sup did not create (${c.paths(host).kubeletConf} exists)`, {
          code: 'HostInUse',
          hint: 'run `kubeadm reset -f` on the host if it really is free, then re-run',
        });
      }
      if (fields.role === 'control-plane') {
        const pkiDir = c.paths(host).pkiDir;
        await c.uploadFiles(host, (await c.controlPlanePki()).map((f) => ({ ...f, path: `${pkiDir}/${f.path}` })));
      }
      const outputs = { host, address: String(fields.address), os: probe.os, arch: probe.arch };
      await writeMarker(ctx, host, 'prepared', fields, outputs);
      return { cloudId: cloudIdFor(host, 'prepared'), outputs };
    });
  },

  async update(node, fields, live, changes, ctx) {
    refuseUnsafeChanges(node.id, changes, ['address', 'port', 'user']);
    await ctx.clients.rememberHost(String(fields.host));
    await writeMarker(ctx, String(fields.host), 'prepared', fields, { ...live.outputs, address: String(fields.address) });
    return { cloudId: live.cloudId, outputs: { ...live.outputs, address: String(fields.address) } };
  },

  async delete(live, ctx) {
    const host = String(live.fields.host);
    if (ctx.clients.isRetired(host)) return retireHost(ctx, host);
    const P = ctx.clients.paths(host);
    await timed(ctx, host, 'clean up', async () => {
      // kubeadm reset first in case the join/init step's own delete never ran (e.g. its marker was lost).
      await ctx.clients.run(
        host,
        [
          `if [ -f "${P.kubeletConf}" ] && command -v kubeadm >/dev/null 2>&1; then kubeadm reset -f; fi`,
          `rm -rf "${P.pkiDir}" "${P.k8supEtc}" "${P.stateDir}" "${P.containerdAuth}"`,
        ].join('\n'),
        { what: 'clean up', timeoutMs: 5 * 60_000 },
      );
      ctx.clients.forgetProbe(host);
    });
    await ctx.clients.forgetHost(host);
  },
};
