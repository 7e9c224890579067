// The ports a bare-metal host opens in its own firewall (ufw or firewalld, when one is active): exactly what its
// role, the API front end and the CNI need. docs/metal.md ("Host firewalls") has the same table for people.

import type { ApiFrontEnd, CniName } from '../api/types.js';

export interface FirewallRule {
  /** A port or a range `from-to`. */
  port: string;
  protocol: 'tcp' | 'udp';
  why: string;
}

export interface FirewallPlan {
  ports: FirewallRule[];
  /** IP protocols by name (/etc/protocols) that are not TCP or UDP: VRRP (keepalived), IP-in-IP (calico). */
  protocols: { name: string; number: number; why: string }[];
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

const CNI_PORTS: Record<CniName, FirewallPlan> = {
  // The pinned calico manifest routes with BGP and encapsulates with IP-in-IP; 4789 serves its VXLAN mode.
  calico: {
    ports: [
      { port: '179', protocol: 'tcp', why: 'calico BGP' },
      { port: '4789', protocol: 'udp', why: 'calico VXLAN' },
    ],
    protocols: [{ name: 'ipencap', number: 4, why: 'calico IP-in-IP' }],
  },
  flannel: { ports: [{ port: '8472', protocol: 'udp', why: 'flannel VXLAN' }], protocols: [] },
  cilium: {
    ports: [
      { port: '8472', protocol: 'udp', why: 'cilium VXLAN' },
      { port: '4240', protocol: 'tcp', why: 'cilium health checks' },
    ],
    protocols: [],
  },
};

export function firewallPlan(role: 'control-plane' | 'worker', frontEnd: ApiFrontEnd, cni: CniName, haproxyPort: number): FirewallPlan {
  const ports = [...(role === 'control-plane' ? CONTROL_PLANE : WORKER)];
  const protocols: FirewallPlan['protocols'] = [];
  if (role === 'control-plane' && frontEnd === 'haproxy-keepalived') {
    ports.push({ port: String(haproxyPort), protocol: 'tcp', why: 'HAProxy in front of the API servers' });
    protocols.push({ name: 'vrrp', number: 112, why: 'keepalived VRRP' });
  }
  ports.push(...CNI_PORTS[cni].ports);
  protocols.push(...CNI_PORTS[cni].protocols);
  return { ports, protocols };
}
