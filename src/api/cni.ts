// The CNIs k8sup installs and what the rest of k8sup needs to know about each, in one table: the spec accepts these
// names (rules.ts, --networking and its completion), validate finds the CNI's DaemonSet, bare-metal hosts open its
// ports. The pinned manifest or CLI of each (version, URL, checksum) is in src/bootstrap/versions.ts, keyed by name.

/** A port or a range `from-to` a host opens. */
export interface FirewallRule {
  port: string;
  protocol: 'tcp' | 'udp';
  why: string;
}

/** An IP protocol by name (/etc/protocols) that is not TCP or UDP: VRRP (keepalived), IP-in-IP (calico). */
export interface FirewallProtocol {
  name: string;
  number: number;
  why: string;
}

export interface CniFacts {
  /** Its DaemonSet, and the namespaces its upstream manifests use (first found wins). */
  daemonSet: { name: string; namespaces: string[] };
  /** What its data plane needs open between hosts. */
  firewall: { ports: FirewallRule[]; protocols: FirewallProtocol[] };
}

export const CNIS = {
  // The pinned calico manifest routes with BGP and encapsulates with IP-in-IP; 4789 serves its VXLAN mode.
  calico: {
    daemonSet: { name: 'calico-node', namespaces: ['kube-system', 'calico-system'] },
    firewall: {
      ports: [
        { port: '179', protocol: 'tcp', why: 'calico BGP' },
        { port: '4789', protocol: 'udp', why: 'calico VXLAN' },
      ],
      protocols: [{ name: 'ipencap', number: 4, why: 'calico IP-in-IP' }],
    },
  },
  cilium: {
    daemonSet: { name: 'cilium', namespaces: ['kube-system'] },
    firewall: {
      ports: [
        { port: '8472', protocol: 'udp', why: 'cilium VXLAN' },
        { port: '4240', protocol: 'tcp', why: 'cilium health checks' },
      ],
      protocols: [],
    },
  },
  flannel: {
    daemonSet: { name: 'kube-flannel-ds', namespaces: ['kube-flannel', 'kube-system'] },
    firewall: { ports: [{ port: '8472', protocol: 'udp', why: 'flannel VXLAN' }], protocols: [] },
  },
} as const satisfies Record<string, CniFacts>;

export type CniName = keyof typeof CNIS;

/** Every CNI's name, in the table's order: calico, cilium, flannel. */
export const CNI_NAMES = Object.keys(CNIS) as CniName[];

export function isCniName(name: unknown): name is CniName {
  return typeof name === 'string' && Object.hasOwn(CNIS, name);
}

/** 'calico, cilium or flannel', for help texts. */
export function cniChoices(): string {
  return `${CNI_NAMES.slice(0, -1).join(', ')} or ${CNI_NAMES[CNI_NAMES.length - 1]}`;
}
