// Rules for the component settings (spec.kubeAPIServer, spec.kubelet, spec.kubeProxy, spec.networking.dnsDomain),
// node-group shape and mirrored assets. Each problem names the field to fix; nothing here throws.

import type { FieldIssue } from '../core/errors.js';
import type { CloudFacts } from '../core/provider.js';
import { KUBE_PROXY_MODES, NFTABLES_MIN_MINOR, type ResourceReservation } from './components.js';
import type { Cluster } from './types.js';
import { parseKubeVersion } from './version.js';

type Add = (path: string, message: string) => void;

const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** A Kubernetes quantity: 500m, 1Gi, 2, 1.5G. */
const QUANTITY = /^\d+(\.\d+)?(m|k|Ki|M|Mi|G|Gi|T|Ti|P|Pi|E|Ei)?$/;
const PERCENT = /^\d+(\.\d+)?%$/;
/** A flag name as kubeadm's extraArgs take it: no leading dashes. */
const FLAG_NAME = /^[a-z0-9][a-z0-9-]*$/;
const ADMISSION_PLUGIN = /^[A-Z][A-Za-z]+$/;
/** A label key: optional DNS-subdomain prefix and a name of at most 63 characters. */
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;
const TAINT = /^([^=:\s]+)(=([^:\s]*))?:(NoSchedule|PreferNoSchedule|NoExecute)$/;
/** A registry secret's name (`k8sup create secret registry NAME`): a DNS-1123 label, so it is a safe store key. */
export function isSecretName(name: string | undefined): name is string {
  return name !== undefined && name.length <= 63 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name);
}
/** host[:port][/path] as image references name a registry (no scheme). */
const REGISTRY = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:\d{1,5})?(\/[a-z0-9._-]+)*$/;
/** Label prefixes a kubelet may set on its own Node (the NodeRestriction admission plugin refuses the others). */
const KUBELET_LABEL_PREFIXES = ['kubelet.kubernetes.io/', 'node.kubernetes.io/'];

function isHttpUrl(text: string): boolean {
  try {
    const u = new URL(text);
    return (u.protocol === 'https:' || u.protocol === 'http:') && !u.username && !u.password && !u.search && !u.hash;
  } catch {
    return false;
  }
}

export function labelKeyIssue(key: string): string | null {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : '';
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (!LABEL_NAME.test(name) || (slash >= 0 && !DNS_SUBDOMAIN.test(prefix))) return `"${key}" is not a label key ([prefix/]name, name at most 63 letters, digits, '-', '_', '.')`;
  return null;
}

function checkExtraArgs(args: Record<string, string> | undefined, path: string, add: Add): void {
  for (const name of Object.keys(args ?? {})) {
    if (name.startsWith('-')) add(`${path}.${name}`, 'write the flag name without the leading dashes (extraArgs: {audit-log-maxage: "30"})');
    else if (!FLAG_NAME.test(name)) add(`${path}.${name}`, 'is not a flag name (lowercase letters, digits and -)');
  }
}

function checkReservation(r: ResourceReservation | undefined, path: string, add: Add): void {
  for (const [k, v] of Object.entries(r ?? {})) {
    if (k === 'pid' ? !/^\d+$/.test(v) : !QUANTITY.test(v)) add(`${path}.${k}`, `"${v}" is not a quantity (${k === 'pid' ? 'a number of processes, e.g. "1000"' : 'e.g. "500m" CPU or "1Gi" memory'})`);
  }
}

export function componentIssues(c: Cluster, cloud: CloudFacts | undefined): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const add: Add = (path, message) => issues.push({ path, message });
  const s = c.spec;
  const minor = parseKubeVersion(s.kubernetesVersion)?.minor;

  const domain = s.networking.dnsDomain;
  if (domain !== undefined && !DNS_SUBDOMAIN.test(domain)) add('spec.networking.dnsDomain', `"${domain}" is not a DNS domain (lowercase, e.g. cluster.local or k8s.corp.example, no trailing dot)`);

  const api = s.kubeAPIServer;
  if (api) {
    const p = 'spec.kubeAPIServer';
    for (const field of ['enableAdmissionPlugins', 'disableAdmissionPlugins'] as const) {
      api[field]?.forEach((name, i) => ADMISSION_PLUGIN.test(name) || add(`${p}.${field}[${i}]`, `"${name}" is not an admission plugin name (e.g. NodeRestriction, AlwaysPullImages)`));
    }
    const both = (api.enableAdmissionPlugins ?? []).filter((n) => api.disableAdmissionPlugins?.includes(n));
    if (both.length) add(`${p}.disableAdmissionPlugins`, `${both.join(', ')} is also in enableAdmissionPlugins`);
    if (api.serviceNodePortRange !== undefined) {
      const m = /^(\d{1,5})-(\d{1,5})$/.exec(api.serviceNodePortRange);
      if (!m || Number(m[1]) < 1 || Number(m[2]) > 65535 || Number(m[1]) >= Number(m[2])) add(`${p}.serviceNodePortRange`, `"${api.serviceNodePortRange}" is not a port range low-high (e.g. 30000-32767)`);
      else if (Number(m[1]) <= 10250 && Number(m[2]) >= 2379) add(`${p}.serviceNodePortRange`, `${api.serviceNodePortRange} overlaps the ports of etcd, the API server and the kubelet (2379-10250)`);
    }
    if (api.oidc) {
      if (!api.oidc.issuerURL || !api.oidc.issuerURL.startsWith('https://') || !isHttpUrl(api.oidc.issuerURL)) add(`${p}.oidc.issuerURL`, 'must be the https:// URL of the OpenID issuer (its /.well-known/openid-configuration must be reachable from the control planes)');
      if (!api.oidc.clientID) add(`${p}.oidc.clientID`, 'is required: the client id tokens are issued for (their aud claim)');
    }
    checkExtraArgs(api.extraArgs, `${p}.extraArgs`, add);
  }

  const kubelet = s.kubelet;
  if (kubelet) {
    const p = 'spec.kubelet';
    if (kubelet.maxPods !== undefined && (kubelet.maxPods < 1 || kubelet.maxPods > 1000)) add(`${p}.maxPods`, `must be between 1 and 1000, got ${kubelet.maxPods}`);
    checkReservation(kubelet.systemReserved, `${p}.systemReserved`, add);
    checkReservation(kubelet.kubeReserved, `${p}.kubeReserved`, add);
    for (const [k, v] of Object.entries(kubelet.evictionHard ?? {})) {
      if (!QUANTITY.test(v) && !PERCENT.test(v)) add(`${p}.evictionHard.${k}`, `"${v}" is not a threshold (a quantity such as "500Mi" or a percentage such as "10%")`);
    }
    checkExtraArgs(kubelet.extraArgs, `${p}.extraArgs`, add);
  }

  const mode = s.kubeProxy?.mode;
  if (mode !== undefined) {
    if (!KUBE_PROXY_MODES.includes(mode)) add('spec.kubeProxy.mode', `"${mode}" is not a kube-proxy mode (${KUBE_PROXY_MODES.join(', ')})`);
    else if (mode === 'nftables' && minor !== undefined && minor < NFTABLES_MIN_MINOR) add('spec.kubeProxy.mode', `nftables needs Kubernetes 1.${NFTABLES_MIN_MINOR} or later (the spec has ${s.kubernetesVersion}); use iptables or ipvs`);
  }

  s.nodeGroups.forEach((g, i) => {
    const p = `spec.nodeGroups[${i}]`;
    for (const [k, v] of Object.entries(g.labels ?? {})) {
      const keyIssue = labelKeyIssue(k);
      if (keyIssue) add(`${p}.labels`, keyIssue);
      else if (k === 'k8sup.io/node-group') add(`${p}.labels`, 'k8sup.io/node-group is set by k8sup to the group name');
      else if (/(^|\.)(kubernetes\.io|k8s\.io)\//.test(k) && !KUBELET_LABEL_PREFIXES.some((pre) => k.startsWith(pre))) add(`${p}.labels`, `"${k}": nodes may not label themselves under kubernetes.io/ or k8s.io/ (NodeRestriction) except ${KUBELET_LABEL_PREFIXES.join(', ')}`);
      if (!LABEL_VALUE.test(v)) add(`${p}.labels.${k}`, `"${v}" is not a label value (at most 63 letters, digits, '-', '_', '.')`);
    }
    g.taints?.forEach((t, j) => {
      const m = TAINT.exec(t);
      if (!m) add(`${p}.taints[${j}]`, `"${t}" is not a taint key[=value]:Effect (Effect NoSchedule, PreferNoSchedule or NoExecute)`);
      else if (labelKeyIssue(m[1])) add(`${p}.taints[${j}]`, `taint key ${labelKeyIssue(m[1])}`);
    });
    if (cloud?.ownHosts) {
      for (const f of ['rootVolume', 'spot', 'image'] as const) if (g[f] !== undefined) add(`${p}.${f}`, 'only cloud node groups have machines to shape (spec.cloud is metal); remove it');
    } else if (g.rootVolume) {
      const { size, type } = g.rootVolume;
      if (size !== undefined && (size < 10 || size > 16384)) add(`${p}.rootVolume.size`, `must be 10–16384 GiB, got ${size}`);
      const types = cloud?.volumeTypes ?? [];
      if (type !== undefined && !types.includes(type)) add(`${p}.rootVolume.type`, `"${type}" is not a ${s.cloud} volume type (${types.join(', ')})`);
    }
  });

  const assets = s.assets;
  if (assets) {
    const p = 'spec.assets';
    if (assets.containerRegistry !== undefined && !REGISTRY.test(assets.containerRegistry)) add(`${p}.containerRegistry`, `"${assets.containerRegistry}" must be host[:port][/path] without a scheme (e.g. registry.corp.example:5000/k8s)`);
    if (assets.fileRepository !== undefined && !isHttpUrl(assets.fileRepository)) add(`${p}.fileRepository`, `"${assets.fileRepository}" must be an http(s) URL (e.g. https://files.corp.example/k8s)`);
    for (const k of ['apt', 'dnf'] as const) {
      const url = assets.packageMirrors?.[k];
      if (url !== undefined && !isHttpUrl(url)) add(`${p}.packageMirrors.${k}`, `"${url}" must be an http(s) URL`);
    }
    const seen = new Set<string>();
    assets.registries?.forEach((r, i) => {
      if (!r.host || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:\d{1,5})?$/.test(r.host)) add(`${p}.registries[${i}].host`, `"${r.host ?? ''}" must be host[:port] as image names use it`);
      else if (seen.has(r.host)) add(`${p}.registries[${i}].host`, `${r.host} is listed twice`);
      seen.add(r.host);
      if (r.caCert !== undefined && !/^-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----\s*$/.test(r.caCert.trim())) add(`${p}.registries[${i}].caCert`, 'must be a PEM certificate (-----BEGIN CERTIFICATE----- …)');
      const ref = r.credentials?.secretRef;
      if (r.credentials && !isSecretName(ref)) add(`${p}.registries[${i}].credentials.secretRef`, `"${ref ?? ''}" must be a secret name: lower-case letters, digits and "-", at most 63 (k8sup create secret registry NAME)`);
    });
  }
  return issues;
}

/** The raw flags (extraArgs) of a spec, as `spec.kubelet.extraArgs: a, b` lines: plans say they are unchecked. */
export function uncheckedSettings(c: Cluster): string[] {
  const raw: [string, Record<string, string> | undefined][] = [['spec.kubeAPIServer.extraArgs', c.spec.kubeAPIServer?.extraArgs], ['spec.kubelet.extraArgs', c.spec.kubelet?.extraArgs]];
  return raw.filter(([, args]) => args && Object.keys(args).length > 0).map(([path, args]) => `${path}: ${Object.keys(args!).join(', ')}`);
}
