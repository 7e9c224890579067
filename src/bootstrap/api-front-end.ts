// The API front end files of a bare-metal control plane with spec.api.frontEnd haproxy-keepalived (the shape of
// kubeadm's "Options for software load balancing" guide): /etc/haproxy/haproxy.cfg, /etc/keepalived/keepalived.conf
// and keepalived's health check /etc/keepalived/check_apiserver.sh. Pure: no I/O besides the templates.

import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import type { ResolvedInput } from './inputs.js';
import { loadTemplate, renderTemplate } from './template.js';

/** The kube-apiserver's own port on every control plane (HAProxy's backends). */
export const APISERVER_PORT = 6443;
export const KEEPALIVED_CHECK_SCRIPT = '/etc/keepalived/check_apiserver.sh';
/** Interface placeholder in keepalived.conf: the script finds the interface of the VIP's network at boot. */
export const KEEPALIVED_INTERFACE_PLACEHOLDER = '@@K8SUP_VIP_INTERFACE@@';

export interface ApiFrontEndFiles {
  haproxyCfg: string;
  keepalivedConf: string;
  checkScript: string;
}

/**
 * Values reach these files only after validation (addresses, names, numbers); this escape refuses anything that
 * could end a config word, so a bad value is a render error instead of a changed configuration.
 */
function configWord(value: string): string {
  if (!/^[A-Za-z0-9._:@/-]+$/.test(value)) throw new Error(`"${value}" cannot be written into a HAProxy/keepalived configuration`);
  return value;
}

const hash = (text: string) => createHash('sha256').update(text).digest();

/** The files of this control plane, or null when the cluster's front end is not haproxy-keepalived. */
export function renderApiFrontEndFiles(r: ResolvedInput): ApiFrontEndFiles | null {
  const { input } = r;
  const spec = input.cluster.spec;
  if (!input.provider.ownHosts || !r.isControlPlane || spec.api.frontEnd !== 'haproxy-keepalived' || !spec.api.vip) return null;
  const vip = spec.api.vip;
  const bindPort = Number(r.controlPlaneEndpoint.slice(r.controlPlaneEndpoint.lastIndexOf(':') + 1));
  const controlPlanes = (spec.hosts ?? []).filter((h) => h.role === 'control-plane');
  const servers = controlPlanes.map((h, i) => ({ name: h.name ?? `cp-${i + 1}`, address: h.address, port: String(APISERVER_PORT) }));

  // This host's place among the control planes sets its VRRP priority: the first (kubeadm init) starts as MASTER.
  // Matched by node name first (the metal provider names nodes `name`, else the address with dots as dashes).
  const nodeNameOf = (h: (typeof controlPlanes)[number]) => h.name ?? h.address.toLowerCase().replace(/[.:]/g, '-').replace(/^-+|-+$/g, '');
  const byName = controlPlanes.findIndex((h) => nodeNameOf(h) === input.nodeName);
  const index = Math.max(0, byName >= 0 ? byName : controlPlanes.findIndex((h) => h.address === input.nodeIp));
  const name = input.cluster.metadata.name;
  // Unicast VRRP when every peer has an IPv4 address (switches that drop multicast are common); multicast otherwise.
  const unicast = input.nodeIp !== undefined && isIP(input.nodeIp) === 4 && controlPlanes.every((h) => isIP(h.address) === 4);
  const clusterName = name;
  const haproxyCfg = renderTemplate(loadTemplate('node/haproxy.cfg'), { clusterName, bindPort: String(bindPort), servers }, configWord, 'node/haproxy.cfg');
  const keepalivedConf = renderTemplate(
    loadTemplate('node/keepalived.conf'),
    {
      clusterName,
      vip,
      routerName: `k8sup_${servers[index]?.name ?? 'cp'}`.replace(/[^A-Za-z0-9_]/g, '_'),
      checkScriptPath: KEEPALIVED_CHECK_SCRIPT,
      // A failing check drops a host below every healthy peer (priorities are 101, 100, 99, …).
      checkWeight: String(-(controlPlanes.length + 1)),
      state: index === 0 ? 'MASTER' : 'BACKUP',
      interfacePlaceholder: KEEPALIVED_INTERFACE_PLACEHOLDER,
      // One VRRP router id (1-255) and password per cluster, derived from its name: clusters on one network differ.
      virtualRouterId: String((hash(`k8sup-vrid:${name}`).readUInt16BE(0) % 255) + 1),
      priority: String(101 - index),
      authPass: hash(`k8sup-vrrp:${name}`).toString('hex').slice(0, 8),
      unicast,
      unicastSource: input.nodeIp ?? '',
      unicastPeers: controlPlanes.filter((h) => h.address !== input.nodeIp).map((h) => h.address),
    },
    configWord,
    'node/keepalived.conf',
  );
  const checkScript = renderTemplate(loadTemplate('node/check-apiserver.sh'), { bindPort: String(bindPort) }, configWord, 'node/check-apiserver.sh');
  return { haproxyCfg, keepalivedConf, checkScript };
}
