// Pinned versions and checksums of everything a node downloads outside the signed Kubernetes apt repository.
// Where the checksums come from: containerd, runc and cilium-cli values are the upstream release checksums as
// recorded in kubespray's roles/kubespray_defaults/vars/main/checksums.yml (runc also cross-checked against
// vexxhost/ansible-collection-containers). They could not be re-downloaded here (no internet on this machine).
// CNI manifests (calico.yaml, kube-flannel.yml) have no published checksum and could not be fetched here to compute
// one: their sha256 is null until someone with network access fills it in; until then a node fetches the tagged
// release over HTTPS and logs the sha256 it got. See docs/bootstrap.md "Pinned versions".

import type { CniName } from '../api/types.js';

export type Arch = 'amd64' | 'arm64';

export interface PinnedBinary {
  version: string;
  /** Upstream download URL per architecture. */
  url: Record<Arch, string>;
  sha256: Record<Arch, string>;
}

export const CONTAINERD: PinnedBinary = {
  version: '1.7.24',
  url: {
    amd64: 'https://github.com/containerd/containerd/releases/download/v1.7.24/containerd-1.7.24-linux-amd64.tar.gz',
    arm64: 'https://github.com/containerd/containerd/releases/download/v1.7.24/containerd-1.7.24-linux-arm64.tar.gz',
  },
  sha256: {
    amd64: '1a94f15139f37633f39e24f08a4071f4533b285df3cbee6478972d26147bcaef',
    arm64: '420406d2b34ebb422ab3755fbeede59bf3bfcfccf5cfa584b558c93769d99064',
  },
};

/** The runc containerd 1.7.24 was released with. */
export const RUNC: PinnedBinary = {
  version: '1.2.2',
  url: {
    amd64: 'https://github.com/opencontainers/runc/releases/download/v1.2.2/runc.amd64',
    arm64: 'https://github.com/opencontainers/runc/releases/download/v1.2.2/runc.arm64',
  },
  sha256: {
    amd64: 'a34f5ab4fc1df1f456293c3d797a76f2d41cf3cd970bb49fc53ba94bbc8a5cf6',
    arm64: 'bfd3e6c58bd6060eaa725520c31cbc8f6386ac7606e65bfa7fe9084100aa1789',
  },
};

export interface ManifestCni {
  kind: 'manifest';
  version: string;
  url: string;
  /** null: not yet pinned; nodes refuse to apply it (see the note at the top). */
  sha256: string | null;
}

export interface CiliumCni {
  kind: 'cilium-cli';
  /** Cilium version installed by the CLI (its Helm chart is embedded in the pinned CLI binary). */
  version: string;
  cli: PinnedBinary;
}

export type CniPin = ManifestCni | CiliumCni;

export const CNI: Record<CniName, CniPin> = {
  calico: {
    kind: 'manifest',
    version: '3.29.3',
    url: 'https://raw.githubusercontent.com/projectcalico/calico/v3.29.3/manifests/calico.yaml',
    sha256: null,
  },
  cilium: {
    kind: 'cilium-cli',
    version: '1.17.3',
    cli: {
      version: '0.18.3',
      url: {
        amd64: 'https://github.com/cilium/cilium-cli/releases/download/v0.18.3/cilium-linux-amd64.tar.gz',
        arm64: 'https://github.com/cilium/cilium-cli/releases/download/v0.18.3/cilium-linux-arm64.tar.gz',
      },
      sha256: {
        amd64: '5fe565f3b98b5846b867319aa76bc057fca37894d80db56edc20e4e809d10b25',
        arm64: 'e0588268fc9ab6e0b7a363c4e15ecf69ed2a4cade956ab272745262e456f0e54',
      },
    },
  },
  flannel: {
    kind: 'manifest',
    version: '0.26.4',
    url: 'https://github.com/flannel-io/flannel/releases/download/v0.26.4/kube-flannel.yml',
    sha256: null,
  },
};

export const supportedCni: readonly CniName[] = ['calico', 'cilium', 'flannel'];

/** Kubernetes minors k8sup bootstraps, with the pause (sandbox) image each kubeadm release expects. */
const PAUSE_IMAGE_BY_MINOR: Record<number, string> = {
  30: 'registry.k8s.io/pause:3.9',
  31: 'registry.k8s.io/pause:3.10',
  32: 'registry.k8s.io/pause:3.10',
  33: 'registry.k8s.io/pause:3.10',
  34: 'registry.k8s.io/pause:3.10.1',
};

export const SUPPORTED_KUBERNETES_MINORS: readonly number[] = Object.keys(PAUSE_IMAGE_BY_MINOR).map(Number);

export interface KubernetesVersion {
  major: number;
  minor: number;
  patch: number;
  /** '1.31.4' (no leading v). */
  text: string;
}

/** Parses '1.31.4' or 'v1.31.4'; null when it is not a plain release version. */
export function parseKubernetesVersion(version: string): KubernetesVersion | null {
  const m = /^v?(\d+)\.(\d+)\.(\d+)$/.exec(version.trim());
  if (!m) return null;
  const [major, minor, patch] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return { major, minor, patch, text: `${major}.${minor}.${patch}` };
}

export function isSupportedKubernetesVersion(v: KubernetesVersion): boolean {
  return v.major === 1 && v.minor in PAUSE_IMAGE_BY_MINOR;
}

export function pauseImageFor(v: KubernetesVersion): string {
  const image = PAUSE_IMAGE_BY_MINOR[v.minor];
  if (v.major !== 1 || !image) throw new Error(`no pause image pinned for Kubernetes ${v.text}`);
  return image;
}

/** kubeadm's config API: v1beta4 from 1.31 (extraArgs become name/value lists), v1beta3 before. */
export function kubeadmApiVersionFor(v: KubernetesVersion): 'v1beta3' | 'v1beta4' {
  return v.major === 1 && v.minor < 31 ? 'v1beta3' : 'v1beta4';
}

/** pkgs.k8s.io package version of a release: '1.31.4' → '1.31.4-1.1'. */
export function debianPackageVersion(v: KubernetesVersion): string {
  return `${v.text}-1.1`;
}

/** The pkgs.k8s.io repository of a minor version (ends with '/'). */
export function kubernetesAptRepository(v: KubernetesVersion): string {
  return `https://pkgs.k8s.io/core:/stable:/v${v.major}.${v.minor}/deb/`;
}

/** The pkgs.k8s.io rpm repository of a minor version (ends with '/'); dnf verifies it with repodata/repomd.xml.key. */
export function kubernetesRpmRepository(v: KubernetesVersion): string {
  return `https://pkgs.k8s.io/core:/stable:/v${v.major}.${v.minor}/rpm/`;
}

/**
 * kube-vip, which serves spec.api.vip (metal) from static pods on the control planes: ARP mode, leader election.
 * Pinned by tag (ghcr.io publishes no checksum we could record here; mirror and pin a digest for a verified
 * install, see docs/bootstrap.md "kube-vip").
 */
export const KUBE_VIP = {
  version: '0.8.9',
  image: 'ghcr.io/kube-vip/kube-vip:v0.8.9',
} as const;
