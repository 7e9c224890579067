// The ports a bare-metal host opens in its own firewall (ufw or firewalld, when one is active): exactly what its
// role, the API front end and the CNI need. docs/metal.md ("Host firewalls") has the same table for people.

import { CNIS, type CniName, type FirewallProtocol, type FirewallRule } from '../api/cni.js';
import type { ApiFrontEnd } from '../api/types.js';

export type { FirewallRule } from '../api/cni.js';

export interface FirewallPlan {
  ports: FirewallRule[];
  /** IP protocols by name (/etc/protocols) that are not TCP or UDP: VRRP (keepalived), IP-in-IP (calico). */
  protocols: FirewallProtocol[];
}

const CONTROL_PLANE: FirewallRule[] = [
  { port: '6443', protocol: 'tcp', why: 'kube-apiserver' },
  { port: '2379-2380', protocol: 'tcp', why: 'etcd clients and peers' },
  { port: '10250', protocol: 'tcp', why: 'kubelet API' },
  { port: '10257', protocol: 'tcp', why: 'kube-controller-manager' },
  { port: '10259', protocol: 'tcp', why: 'kube-scheduler' },
];

const WORKER: FirewallRule[] = [
  { port: '10250', protocol: 'tcp', why: 'kubelet API' },
  { port: '30000-32767', protocol: 'tcp', why: 'NodePort services' },
];

export function firewallPlan(role: 'control-plane' | 'worker', frontEnd: ApiFrontEnd, cni: CniName, haproxyPort: number): FirewallPlan {
  const ports = [...(role === 'control-plane' ? CONTROL_PLANE : WORKER)];
  const protocols: FirewallPlan['protocols'] = [];
  if (role === 'control-plane' && frontEnd === 'haproxy-keepalived') {
    ports.push({ port: String(haproxyPort), protocol: 'tcp', why: 'HAProxy in front of the API servers' });
    protocols.push({ name: 'vrrp', number: 112, why: 'keepalived VRRP' });
  }
  ports.push(...CNIS[cni].firewall.ports);
  protocols.push(...CNIS[cni].firewall.protocols);
  return { ports, protocols };
}
