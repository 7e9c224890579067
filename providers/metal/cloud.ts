// What k8sup knows about bare metal before loading the provider (src/core/provider.ts CloudFacts): light and pure,
// read by the spec pipeline, the bootstrap renderer and the CLI. Registered in providers/index.ts.

import { parseIpv4 } from '../../src/api/cidr.js';
import { parseHostPort } from '../../src/api/endpoint.js';
import { API_FRONT_ENDS, type Cluster } from '../../src/api/types.js';
import type { FieldIssue } from '../../src/core/errors.js';
import type { CloudFacts } from '../../src/core/provider.js';

/** Bare-metal clusters have no zones; their nodes are in this one (and it names their region too). */
const METAL_ZONE = 'metal';

export const metalCloud: CloudFacts = {
  name: 'metal',
  title: 'bare metal',
  defaultMachineType: 'host',
  fixedZone: METAL_ZONE,
  ownHosts: true,
  specIssues(c) {
    const issues: FieldIssue[] = [];
    const add = (path: string, message: string) => issues.push({ path, message });
    checkHosts(c, add);
    checkMetalApi(c, add);
    return issues;
  },
  newInputIssues(c) {
    const issues: FieldIssue[] = [];
    // Nothing on metal publishes DNS records: accepting the zone would silently ignore it.
    const zone = c.spec.api.dnsZone;
    if (zone !== null) issues.push({ path: 'spec.api.dnsZone', message: `bare-metal clusters publish no DNS records; drop --dns-zone and point ${zone} at the API address (api.vip or api.endpoint) yourself` });
    if (c.spec.project) issues.push({ path: 'spec.project', message: `is a GCE setting; bare-metal clusters have none: drop --project ${c.spec.project}` });
    return issues;
  },
  nodes: { name: 'metal', title: 'bare metal', ownHosts: true },
  createFlags: [
    {
      flags: '--hosts <file>',
      description: 'bare metal: hosts file (YAML)',
      file: true,
      async toSpec(text, source) {
        const { parseHostsFile } = await import('./hosts-file.js');
        const parsed = parseHostsFile(text, source);
        const api = Object.fromEntries(Object.entries(parsed.api ?? {}).filter(([, v]) => v));
        return { hosts: parsed.hosts, ...(Object.keys(api).length ? { api } : {}) };
      },
    },
  ],
};

function checkHosts(c: Cluster, add: (p: string, m: string) => void): void {
  const hosts = c.spec.hosts ?? [];
  if (hosts.length === 0) {
    add('spec.hosts', 'bare-metal clusters need hosts (--hosts hosts.yaml)');
    return;
  }
  const seen = new Set<string>();
  hosts.forEach((h, i) => {
    const p = `spec.hosts[${i}]`;
    if (!h.address) add(`${p}.address`, 'is required');
    else if (seen.has(`${h.address}:${h.port}`)) add(`${p}.address`, `${h.address}:${h.port} is listed twice`);
    seen.add(`${h.address}:${h.port}`);
    if (!Number.isInteger(h.port) || h.port < 1 || h.port > 65535) add(`${p}.port`, `must be a port number, got ${h.port}`);
    if (h.role !== 'control-plane' && h.role !== 'worker') add(`${p}.role`, `must be control-plane or worker, got "${h.role}"`);
    if (h.bastion !== undefined && !/^[^@\s]+@[^:\s]+(:\d+)?$/.test(h.bastion)) add(`${p}.bastion`, `"${h.bastion}" must look like user@host:port`);
  });
  const cps = hosts.filter((h) => h.role === 'control-plane').length;
  if (cps === 0) add('spec.hosts', 'needs at least one host with role control-plane');
  else if (cps !== c.spec.controlPlane.count) add('spec.controlPlane.count', `is ${c.spec.controlPlane.count} but the hosts list ${cps} control-plane host(s)`);
  if (c.spec.api.vip !== undefined && parseIpv4(c.spec.api.vip) === null) add('spec.api.vip', `"${c.spec.api.vip}" is not an IPv4 address`);
}

/** spec.api on metal: the front end and the address it serves (docs/metal.md, "API front ends"). */
function checkMetalApi(c: Cluster, add: (p: string, m: string) => void): void {
  const api = c.spec.api;
  const frontEnd = api.frontEnd ?? 'kube-vip';
  if (!API_FRONT_ENDS.includes(frontEnd)) {
    add('spec.api.frontEnd', `"${frontEnd}" is not an API front end (${API_FRONT_ENDS.join(', ')})`);
    return;
  }
  if (frontEnd === 'haproxy-keepalived' && api.vip === undefined) add('spec.api.vip', 'is required with frontEnd haproxy-keepalived: the free IPv4 address keepalived holds (api: {frontEnd: haproxy-keepalived, vip: 10.0.0.100})');
  if (frontEnd === 'external') {
    if (api.endpoint === undefined) add('spec.api.endpoint', 'is required with frontEnd external: host[:port] of your load balancer (api: {frontEnd: external, endpoint: lb.example.com:6443})');
    if (api.vip !== undefined) add('spec.api.vip', 'is not used with frontEnd external (the load balancer at api.endpoint serves the API); remove it');
  } else if (api.endpoint !== undefined) {
    add('spec.api.endpoint', `is only used with frontEnd external (frontEnd is ${frontEnd}); remove it or set api.frontEnd: external`);
  }
  if (api.endpoint !== undefined && parseHostPort(api.endpoint) === null) add('spec.api.endpoint', `"${api.endpoint}" is not host[:port] (a DNS name or IPv4 address, optional port 1-65535)`);
  if (api.vip !== undefined && (c.spec.hosts ?? []).some((h) => h.address === api.vip)) add('spec.api.vip', `${api.vip} is also a host's address; the VIP must be a free address`);
}
