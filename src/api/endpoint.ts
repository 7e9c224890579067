// `host[:port]` of an API address the user gives (spec.api.endpoint on metal, frontEnd external).

import { isIP } from 'node:net';

const DNS_NAME = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** The port kube-apiserver listens on, and the default port of an endpoint written without one. */
export const KUBE_API_PORT = 6443;

export interface HostPort {
  host: string;
  port: number;
}

/** `lb.example.com`, `10.0.0.5:443`, `[fd00::5]:6443` → host and port; null when it is none of these. */
export function parseHostPort(text: string, defaultPort = KUBE_API_PORT): HostPort | null {
  const m = /^(\[[^\]]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(text.trim());
  if (!m) return null;
  const bracketed = m[1].startsWith('[');
  const host = bracketed ? m[1].slice(1, -1) : m[1].toLowerCase();
  const hostOk = bracketed ? isIP(host) === 6 : isIP(host) === 4 || DNS_NAME.test(host);
  const port = m[2] === undefined ? defaultPort : Number(m[2]);
  if (!hostOk || port < 1 || port > 65535) return null;
  return { host, port };
}

/** `host:port`, with IPv6 hosts in brackets (kubeadm's controlPlaneEndpoint form). */
export function formatHostPort({ host, port }: HostPort): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}
