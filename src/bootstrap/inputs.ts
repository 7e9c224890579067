// Checks a BootstrapInput and derives everything the templates need. Pure: no I/O.

import { isIP } from 'node:net';
import type { CniName } from '../api/types.js';
import { InvalidInputError, type FieldIssue } from '../core/errors.js';
import { stateLocationOf } from '../state/url.js';
import type { BootstrapInput } from './types.js';
import { isSupported, parseKubeVersion, supportedRange, type KubeVersion } from '../api/version.js';
import { supportedCni } from './versions.js';
import { CONTROL_PLANE_GROUP } from '../api/labels.js';

export interface StateStoreLocation {
  scheme: 's3' | 'gs' | 'file';
  bucket: string;
  /** '' or 'some/prefix/' (always ends with '/' when not empty). */
  prefix: string;
}

export interface ResolvedInput {
  input: BootstrapInput;
  version: KubeVersion;
  cni: CniName;
  store: StateStoreLocation;
  /** Key prefix of this cluster's objects in the bucket: '<prefix>/<cluster>/'. */
  clusterKeyPrefix: string;
  /** host:port. */
  controlPlaneEndpoint: string;
  certSANs: string[];
  isControlPlane: boolean;
  isCloud: boolean;
  assetBaseURL: string | null;
  /** spec.assets.fileRepository without a trailing '/': files at <fileRepository>/<upstream path>. */
  fileRepository: string | null;
  /** spec.assets.containerRegistry: every image at <containerRegistry>/<upstream path>. */
  containerRegistry: string | null;
  registryMirror: string | null;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_NAME = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const CA_CERT_HASH = /^sha256:[0-9a-f]{64}$/;
const KEY_SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;

function isHost(host: string): boolean {
  return DNS_NAME.test(host) || isIP(host) === 4 || (host.startsWith('[') && host.endsWith(']') && isIP(host.slice(1, -1)) === 6);
}

function isCidr(value: string): boolean {
  const [addr, bits, ...rest] = value.split('/');
  if (rest.length > 0 || bits === undefined || !/^\d{1,3}$/.test(bits)) return false;
  const family = isIP(addr);
  return family !== 0 && Number(bits) <= (family === 4 ? 32 : 128);
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && !url.username && !url.password && !url.search && !url.hash;
  } catch {
    return false;
  }
}

/** The store location as the templates use it (src/state/url.ts parses it): the prefix ends with '/' when set. */
export function parseStateStoreUrl(url: string): StateStoreLocation | null {
  const location = stateLocationOf(url);
  if (!location) return null;
  if (location.scheme === 'file') return { scheme: 'file', bucket: '', prefix: '' };
  return { scheme: location.scheme, bucket: location.bucket, prefix: location.prefix ? `${location.prefix}/` : '' };
}

/** 'https://mirror.local:5000' from 'mirror.local:5000' or a full URL, without a trailing '/'. */
function normaliseMirror(value: string): string {
  const withScheme = /^[a-z]+:\/\//.test(value) ? value : `https://${value}`;
  return withScheme.replace(/\/+$/, '');
}

export function resolveBootstrapInput(input: BootstrapInput): ResolvedInput {
  const issues: FieldIssue[] = [];
  const issue = (path: string, message: string) => issues.push({ path, message });
  const { cluster } = input;
  const spec = cluster.spec;

  if (!KEY_SEGMENT.test(cluster.metadata.name) || !DNS_NAME.test(cluster.metadata.name)) {
    issue('metadata.name', 'must be a DNS-1123 subdomain');
  }
  const version = parseKubeVersion(spec.kubernetesVersion);
  if (!version) issue('spec.kubernetesVersion', 'must look like 1.35.1');
  else if (!isSupported(version)) issue('spec.kubernetesVersion', `${version.text} is not supported (${supportedRange()})`);
  const cni = spec.networking.cni;
  if (!supportedCni.includes(cni)) issue('spec.networking.cni', `must be one of ${supportedCni.join(', ')}`);
  if (!isCidr(spec.networking.podCIDR)) issue('spec.networking.podCIDR', 'must be a CIDR');
  if (!isCidr(spec.networking.serviceCIDR)) issue('spec.networking.serviceCIDR', 'must be a CIDR');
  // Rendered unquoted into the kubeadm configuration: only a DNS name may pass.
  if (spec.networking.dnsDomain !== undefined && !DNS_NAME.test(spec.networking.dnsDomain)) issue('spec.networking.dnsDomain', 'must be a DNS domain such as cluster.local');

  if (!['control-plane-init', 'control-plane-join', 'worker'].includes(input.role)) issue('role', 'unknown node role');
  if (typeof input.provider?.name !== 'string' || !input.provider.name) issue('provider', 'must describe the cloud the node runs on (its provider\'s cloud.ts)');
  const isControlPlane = input.role !== 'worker';
  if (!DNS_LABEL.test(input.nodeGroup)) issue('nodeGroup', 'must be a DNS label');
  else if (isControlPlane && input.nodeGroup !== CONTROL_PLANE_GROUP) issue('nodeGroup', `control planes are in group '${CONTROL_PLANE_GROUP}'`);
  if (!CA_CERT_HASH.test(input.caCertHash)) issue('caCertHash', 'must be sha256:<64 lowercase hex digits>');

  let controlPlaneEndpoint = '';
  const endpoint = /^(\[[^\]]+\]|[^:]+)(?::(\d{1,5}))?$/.exec(input.apiEndpoint);
  if (!endpoint || !isHost(endpoint[1]) || (endpoint[2] !== undefined && (Number(endpoint[2]) < 1 || Number(endpoint[2]) > 65535))) {
    issue('apiEndpoint', 'must be host or host:port');
  } else {
    controlPlaneEndpoint = `${endpoint[1]}:${endpoint[2] ?? '6443'}`;
  }
  const extraSANs = input.apiCertSANs ?? [];
  extraSANs.forEach((san, i) => {
    if (!isHost(san) && isIP(san) === 0) issue(`apiCertSANs[${i}]`, 'must be a DNS name or an IP address');
  });
  const endpointHost = endpoint ? endpoint[1].replace(/^\[|\]$/g, '') : '';
  const certSANs = [...new Set([endpointHost, ...extraSANs].filter((s) => s !== ''))];

  const platform = input.provider;
  const isCloud = !platform.ownHosts;
  const store = parseStateStoreUrl(input.stateStoreUrl);
  const nodeStore = platform.store;
  if (!store) issue('stateStoreUrl', 'must be s3://bucket[/prefix], gs://bucket[/prefix] or file:///path');
  else if (nodeStore && store.scheme !== nodeStore.scheme) issue('stateStoreUrl', `${platform.title} nodes read the state store with ${nodeStore.identity}: it must be ${nodeStore.scheme}://`);

  const region = input.stateStoreRegion ?? spec.region;
  if (nodeStore?.regionExample && !REGION.test(region)) issue('stateStoreRegion', `${platform.title} nodes need the state bucket region (e.g. ${nodeStore.regionExample})`);

  if (input.nodeName !== undefined && !DNS_NAME.test(input.nodeName)) issue('nodeName', 'must be a lowercase DNS name');
  if (input.nodeIp !== undefined && isIP(input.nodeIp) === 0) issue('nodeIp', 'must be an IP address');
  if (platform.ownHosts && input.nodeName === undefined) issue('nodeName', `${platform.name} nodes need a fixed node name`);
  if (spec.api.vip !== undefined && spec.api.vip !== null && isIP(spec.api.vip) === 0) issue('spec.api.vip', 'must be an IP address');
  if (input.osFamily !== undefined && input.osFamily !== 'debian' && input.osFamily !== 'rhel') issue('osFamily', 'must be debian or rhel');
  if (input.osFamily === 'rhel' && !platform.ownHosts) issue('osFamily', 'cloud nodes run Ubuntu images (apt)');
  if (platform.ownHosts && spec.api.frontEnd === 'haproxy-keepalived') {
    if (!spec.api.vip) issue('spec.api.vip', 'haproxy-keepalived needs the VIP keepalived holds');
    // HAProxy shares each control plane with a kube-apiserver bound to 6443.
    if (controlPlaneEndpoint.endsWith(':6443')) issue('apiEndpoint', 'with haproxy-keepalived the endpoint port must not be 6443 (the API servers use it on the same hosts)');
  }

  const assetBaseURL = spec.assets?.baseURL ?? null;
  if (assetBaseURL !== null && !isHttpUrl(assetBaseURL)) issue('spec.assets.baseURL', 'must be an http(s) URL');
  const mirror = spec.assets?.registryMirror ?? null;
  if (mirror !== null && !isHttpUrl(normaliseMirror(mirror))) issue('spec.assets.registryMirror', 'must be a host[:port] or an http(s) URL');

  if (issues.length > 0 || !version || !store) {
    throw InvalidInputError.fromIssues(issues, 'Fix the cluster spec or the bootstrap parameters and render again.');
  }
  return {
    input,
    version,
    cni,
    store,
    clusterKeyPrefix: `${store.prefix}${cluster.metadata.name}/`,
    controlPlaneEndpoint,
    certSANs,
    isControlPlane,
    isCloud,
    assetBaseURL: assetBaseURL === null ? null : assetBaseURL.replace(/\/+$/, ''),
    fileRepository: spec.assets?.fileRepository?.replace(/\/+$/, '') ?? null,
    containerRegistry: spec.assets?.containerRegistry?.replace(/\/+$/, '') ?? null,
    registryMirror: mirror === null ? null : normaliseMirror(mirror),
  };
}

/**
 * Where a node downloads `url` from: the URL itself; with spec.assets.fileRepository `<fileRepository>/<upstream
 * path>` (e.g. https://files.corp/k8s/containerd/containerd/releases/…, kops' layout: no upstream host in it); with
 * the older spec.assets.baseURL `<baseURL>/<url without scheme>`. docs/airgap.md documents both layouts.
 */
export function assetUrl(resolved: ResolvedInput, url: string): string {
  return mirroredFileUrl(url, resolved.fileRepository, resolved.assetBaseURL);
}

export function mirroredFileUrl(url: string, fileRepository: string | null, baseURL: string | null): string {
  if (fileRepository !== null) return `${fileRepository}${new URL(url).pathname}`;
  return baseURL === null ? url : `${baseURL}/${url.replace(/^https?:\/\//, '')}`;
}

/** Where a node pulls `image` from: as is, or with spec.assets.containerRegistry `<registry>/<path without host>`. */
export function imageRef(resolved: Pick<ResolvedInput, 'containerRegistry'>, image: string): string {
  return mirroredImage(image, resolved.containerRegistry);
}

export function mirroredImage(image: string, containerRegistry: string | null): string {
  if (containerRegistry === null) return image;
  const slash = image.indexOf('/');
  // An image's first segment is a registry when it has a dot or a port (docker.io/calico/cni, registry.k8s.io/pause).
  const path = slash > 0 && /[.:]/.test(image.slice(0, slash)) ? image.slice(slash + 1) : image;
  return `${containerRegistry}/${path}`;
}
