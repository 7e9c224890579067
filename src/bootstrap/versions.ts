// Pinned versions and checksums of everything a node downloads outside the signed Kubernetes apt repository.
// Which Kubernetes releases exist and what each needs (newest patch, pause image) is in src/api/version.ts; kubelet,
// kubeadm and kubectl come from the signed pkgs.k8s.io repository of the minor (apt/dnf verify its signature), so
// they need no checksum here. Where the checksums come from: containerd, runc and cilium-cli values are the upstream
// release checksums as recorded in kubespray's roles/kubespray_defaults/vars/main/checksums.yml (containerd 2.2.1
// and runc 1.3.4: commit 005bdce7f1867958838a2d0bb4f7e67893d98f64). They could not be re-downloaded here (no internet on this machine).
// CNI manifests (calico.yaml, kube-flannel.yml) have no published checksum and could not be fetched here to compute
// one: their sha256 is null until someone with network access fills it in; until then a node fetches the tagged
// release over HTTPS and logs the sha256 it got. See docs/bootstrap.md "Pinned versions".

import type { CniName } from '../api/types.js';
import type { KubeVersion } from '../api/version.js';

export type Arch = 'amd64' | 'arm64';

export interface PinnedBinary {
  version: string;
  /** Upstream download URL per architecture. */
  url: Record<Arch, string>;
  sha256: Record<Arch, string>;
}

/** containerd 2.2 (supported upstream; its configuration is version 3, templates/node/containerd-config.toml). */
export const CONTAINERD: PinnedBinary = {
  version: '2.2.1',
  url: {
    amd64: 'https://github.com/containerd/containerd/releases/download/v2.2.1/containerd-2.2.1-linux-amd64.tar.gz',
    arm64: 'https://github.com/containerd/containerd/releases/download/v2.2.1/containerd-2.2.1-linux-arm64.tar.gz',
  },
  sha256: {
    amd64: 'f5d8e90ecb6c1c7e33ecddf8cc268a93b9e5b54e0e850320d765511d76624f41',
    arm64: 'dac15a0d412a24be8bfe6a40cec8f51829062725169f1e72ac7d120a891ef5b6',
  },
};

/** runc 1.3, the line containerd 2.2 is released and tested with. */
export const RUNC: PinnedBinary = {
  version: '1.3.4',
  url: {
    amd64: 'https://github.com/opencontainers/runc/releases/download/v1.3.4/runc.amd64',
    arm64: 'https://github.com/opencontainers/runc/releases/download/v1.3.4/runc.arm64',
  },
  sha256: {
    amd64: '5966ca40b6187b30e33bfc299c5f1fe72e8c1aa01cf3fefdadf391668f47f103',
    arm64: 'd6dcab36d1b6af1b72c7f0662e5fcf446a291271ba6006532b95c4144e19d428',
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

/** kubeadm's config API for every supported minor (v1beta4 is the default since 1.31; v1beta3 is deprecated). */
export const KUBEADM_API_VERSION = 'v1beta4';

/** pkgs.k8s.io package version of a release: '1.35.1' → '1.35.1-1.1'. */
export function debianPackageVersion(v: KubeVersion): string {
  return `${v.text}-1.1`;
}

/** The pkgs.k8s.io repository of a minor version (ends with '/'). */
export function kubernetesAptRepository(v: KubeVersion): string {
  return `https://pkgs.k8s.io/core:/stable:/v${v.major}.${v.minor}/deb/`;
}

/** The pkgs.k8s.io rpm repository of a minor version (ends with '/'); dnf verifies it with repodata/repomd.xml.key. */
export function kubernetesRpmRepository(v: KubeVersion): string {
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
