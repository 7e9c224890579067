// Kubernetes versions k8sup can install: the one table every other module (spec rules, defaults, node bootstrap,
// upgrade) reads. The bootstrap templates (kubeadm config API, pause image, CNI manifests) are tested for every minor
// in it; widen it only together with them (docs/spec.md "Kubernetes versions").

export interface KubernetesRelease {
  /**
   * The newest patch release of the minor that upstream has published and kubespray has recorded checksums for
   * (roles/kubespray_defaults/vars/main/checksums.yml at commit 005bdce7f1867958838a2d0bb4f7e67893d98f64).
   * A newer patch cannot be installed: pkgs.k8s.io has no package for it yet, so the spec refuses it.
   */
  newestPatch: number;
  /** The pause (sandbox) image kubeadm of this minor expects (kubespray's pod_infra_supported_versions). */
  pauseImage: string;
}

/**
 * The minors upstream supports today (December 2026: 1.34 and 1.35) plus the one before (1.33), so a cluster on
 * the oldest one can still be upgraded one minor at a time.
 */
export const KUBERNETES_RELEASES: Readonly<Record<number, KubernetesRelease>> = {
  33: { newestPatch: 8, pauseImage: 'registry.k8s.io/pause:3.10' },
  34: { newestPatch: 4, pauseImage: 'registry.k8s.io/pause:3.10.1' },
  35: { newestPatch: 1, pauseImage: 'registry.k8s.io/pause:3.10.1' },
};

export const SUPPORTED_KUBERNETES_MINORS: readonly number[] = Object.keys(KUBERNETES_RELEASES).map(Number).sort((a, b) => a - b);
export const MIN_SUPPORTED_MINOR = SUPPORTED_KUBERNETES_MINORS[0];
export const MAX_SUPPORTED_MINOR = SUPPORTED_KUBERNETES_MINORS[SUPPORTED_KUBERNETES_MINORS.length - 1];
/** Default for new clusters: the newest published patch of the newest supported minor. */
export const DEFAULT_KUBERNETES_VERSION = `1.${MAX_SUPPORTED_MINOR}.${KUBERNETES_RELEASES[MAX_SUPPORTED_MINOR].newestPatch}`;

export interface KubeVersion {
  major: number;
  minor: number;
  patch: number;
  /** '1.35.1' (no leading v). */
  text: string;
}

/** Parses '1.35.1' or 'v1.35.1'; null when it is not a plain release version. */
export function parseKubeVersion(text: string): KubeVersion | null {
  const m = /^v?(\d+)\.(\d+)\.(\d+)$/.exec(text.trim());
  if (!m) return null;
  const [major, minor, patch] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return { major, minor, patch, text: `${major}.${minor}.${patch}` };
}

export function supportedRange(): string {
  return SUPPORTED_KUBERNETES_MINORS.map((minor) => `1.${minor}.0–1.${minor}.${KUBERNETES_RELEASES[minor].newestPatch}`).join(', ');
}

export function releaseOf(v: KubeVersion): KubernetesRelease | undefined {
  return v.major === 1 ? KUBERNETES_RELEASES[v.minor] : undefined;
}

/** A supported minor, and a patch that has been published (there are packages and checksums for it). */
export function isSupported(v: KubeVersion): boolean {
  const release = releaseOf(v);
  return release !== undefined && v.patch <= release.newestPatch;
}

export function pauseImageFor(v: KubeVersion): string {
  const release = releaseOf(v);
  if (!release) throw new Error(`no pause image pinned for Kubernetes ${v.text}`);
  return release.pauseImage;
}

export function compareVersions(a: KubeVersion, b: KubeVersion): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

/**
 * kubeadm's rule for changing the version of a running cluster: never down, one minor at a time. `upgrade cluster`
 * refuses what breaks it, and so does `rollback cluster` (a rollback to an older spec is a downgrade too).
 */
export function versionChangeIssue(from: KubeVersion, to: KubeVersion): { message: string; hint: string } | null {
  const steps = upgradeSteps(from);
  // Name versions this k8sup can install, not merely the next minor: that one may not be supported (yet).
  const hint = `change one minor version at a time, never down: ${steps.length ? `from ${from.text}, go to ${steps.join(' or ')}` : `${from.text} is the newest version this k8sup installs`}`;
  if (to.major !== from.major) return { message: `cannot change the major version (${from.text} → ${to.text})`, hint };
  if (compareVersions(to, from) < 0) return { message: `cannot downgrade Kubernetes from ${from.text} to ${to.text}`, hint };
  if (to.minor > from.minor + 1) return { message: `cannot skip minor versions (${from.text} → ${to.text})`, hint };
  // A step in the right direction to a version that has no packages or checksums (yet): say which ones there are.
  if (!isSupported(to)) {
    const where = steps.length ? `from ${from.text}, go to ${steps.join(' or ')}` : `${from.text} is the newest version this k8sup installs`;
    return { message: `Kubernetes ${to.text} is not a version this k8sup installs (${supportedRange()})`, hint: where };
  }
  return null;
}

/** The newest supported version of the same minor (if newer) and of the next minor: where an upgrade from `from` may go. */
function upgradeSteps(from: KubeVersion): string[] {
  const steps: string[] = [];
  const same = releaseOf(from);
  if (same && from.patch < same.newestPatch) steps.push(`${from.major}.${from.minor}.${same.newestPatch}`);
  const next = releaseOf({ ...from, minor: from.minor + 1 });
  if (next) steps.push(`${from.major}.${from.minor + 1}.${next.newestPatch}`);
  return steps;
}
