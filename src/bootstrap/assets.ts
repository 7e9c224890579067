// Everything a cluster's nodes download and pull, from where, with which checksum: what `k8sup get assets` prints so
// an operator can fill a mirror (docs/airgap.md), and what the bootstrap scripts use. Pure: no I/O.

import type { Cluster, CniName } from '../api/types.js';
import { mirroredFileUrl, mirroredImage } from './inputs.js';
import { parseKubeVersion, pauseImageFor } from '../api/version.js';
import { enabledAddons, imageReference } from '../addons/index.js';
import { cloudFacts } from '../../providers/facts.js';
import { CNI, CONTAINERD, KUBE_VIP, RUNC, kubernetesAptRepository, kubernetesRpmRepository, type Arch, type PinnedBinary } from './versions.js';

export interface FileAsset {
  name: string;
  arch?: Arch;
  /** Where upstream publishes it. */
  url: string;
  /** Where the nodes fetch it from (the url itself without a file repository). */
  fetchedFrom: string;
  /** null: upstream publishes no checksum and none is pinned (nodes log the sha256 they got). */
  sha256: string | null;
}

export interface RepositoryAsset {
  name: string;
  /** Base URL of the package repository (apt or rpm), signed by its own key. */
  url: string;
  fetchedFrom: string;
}

export interface ImageAsset {
  name: string;
  /** The upstream reference; a null tag means kubeadm or the chart picks it (see note). */
  image: string;
  pulledFrom: string;
  note?: string;
}

export interface ClusterAssets {
  cluster: string;
  kubernetesVersion: string;
  files: FileAsset[];
  repositories: RepositoryAsset[];
  images: ImageAsset[];
}

/**
 * Images inside the CNI manifests / charts of the pinned releases, as those releases name them. Keyed by
 * `<cni>@<version>`: when a pin in versions.ts moves without this table, the images are reported as unknown instead
 * of wrong. Sources: the release manifests (calico.yaml v3.29.3, kube-flannel.yml v0.26.4) and the cilium 1.17.3 chart.
 */
const CNI_IMAGES: Record<string, { images: string[]; note?: string }> = {
  'calico@3.29.3': { images: ['docker.io/calico/cni:v3.29.3', 'docker.io/calico/node:v3.29.3', 'docker.io/calico/kube-controllers:v3.29.3'] },
  'flannel@0.26.4': { images: ['ghcr.io/flannel-io/flannel:v0.26.4', 'ghcr.io/flannel-io/flannel-cni-plugin:v1.6.2-flannel1'] },
  'cilium@1.17.3': {
    images: ['quay.io/cilium/cilium:v1.17.3', 'quay.io/cilium/operator-generic:v1.17.3', 'quay.io/cilium/cilium-envoy'],
    note: 'the cilium-envoy tag (and the digests) are the ones the cilium 1.17.3 chart names: `cilium install --version 1.17.3 --dry-run-helm-values` shows them',
  },
};

/** kubeadm's images whose tag is the Kubernetes version. etcd and CoreDNS tags depend on the kubeadm patch release. */
const KUBEADM_VERSIONED = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kube-proxy'];

function binaries(name: string, pin: PinnedBinary, repo: string | null, baseURL: string | null): FileAsset[] {
  return (['amd64', 'arm64'] as const).map((arch) => ({ name, arch, url: pin.url[arch], fetchedFrom: mirroredFileUrl(pin.url[arch], repo, baseURL), sha256: pin.sha256[arch] }));
}

export function clusterAssets(cluster: Cluster): ClusterAssets {
  const spec = cluster.spec;
  const v = parseKubeVersion(spec.kubernetesVersion);
  if (!v) throw new Error(`unparseable Kubernetes version ${spec.kubernetesVersion}`);
  const repo = spec.assets?.fileRepository?.replace(/\/+$/, '') ?? null;
  const baseURL = spec.assets?.baseURL?.replace(/\/+$/, '') ?? null;
  const registry = spec.assets?.containerRegistry?.replace(/\/+$/, '') ?? null;
  const cni: CniName = spec.networking.cni;
  const pin = CNI[cni];

  const files: FileAsset[] = [...binaries('containerd', CONTAINERD, repo, baseURL), ...binaries('runc', RUNC, repo, baseURL)];
  // The kubelet image credential provider of the cloud, when it has one (src/bootstrap/credential-provider.ts).
  const credentialProvider = cloudFacts(spec.cloud)?.nodes.imageCredentialProvider;
  if (credentialProvider) files.push(...binaries(credentialProvider.name, credentialProvider.binary, repo, baseURL));
  if (pin.kind === 'manifest') files.push({ name: `${cni} manifest`, url: pin.url, fetchedFrom: mirroredFileUrl(pin.url, repo, baseURL), sha256: pin.sha256 });
  else files.push(...binaries('cilium-cli', pin.cli, repo, baseURL));

  const repositories: RepositoryAsset[] = [kubernetesAptRepository(v), kubernetesRpmRepository(v)].map((url, i) => ({
    name: `kubelet, kubeadm, kubectl ${v.text} (${i === 0 ? 'apt' : 'rpm'})`,
    url,
    fetchedFrom: mirroredFileUrl(url, repo, baseURL),
  }));

  const image = (name: string, ref: string, note?: string): ImageAsset => ({ name, image: ref, pulledFrom: mirroredImage(ref, registry), ...(note ? { note } : {}) });
  const kubeadmNote = `the tag kubeadm ${v.text} uses: \`kubeadm config images list --kubernetes-version v${v.text}\``;
  const images: ImageAsset[] = [
    ...KUBEADM_VERSIONED.map((n) => image(n, `registry.k8s.io/${n}:v${v.text}`)),
    image('etcd', 'registry.k8s.io/etcd', kubeadmNote),
    image('coredns', 'registry.k8s.io/coredns/coredns', kubeadmNote),
    image('pause', pauseImageFor(v)),
    // The addons the first control plane applies (docs/addons.md).
    ...enabledAddons(cluster).flatMap((a) => Object.values(a.images).map((i) => image(a.name, imageReference(i)))),
  ];
  const cniImages = CNI_IMAGES[`${cni}@${pin.version}`];
  if (cniImages) images.push(...cniImages.images.map((ref) => image(cni, ref, ref.includes(':') ? undefined : cniImages.note)));
  else images.push(image(cni, `(images of ${cni} ${pin.version})`, `not catalogued for ${cni} ${pin.version}: list the image: lines of the manifest`));
  // Only clouds of the user's own hosts take a VIP (src/api/rules.ts): kube-vip serves it there.
  if (spec.api.vip !== undefined && (spec.api.frontEnd ?? 'kube-vip') === 'kube-vip') images.push(image('kube-vip', KUBE_VIP.image));
  return { cluster: cluster.metadata.name, kubernetesVersion: v.text, files, repositories, images };
}

