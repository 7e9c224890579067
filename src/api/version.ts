// Kubernetes versions k8sup can install. The bootstrap templates (kubeadm config API, pause image, CNI manifests)
// are tested for every minor in this range; widen it only together with them.

export const MIN_SUPPORTED_MINOR = 30;
export const MAX_SUPPORTED_MINOR = 34;
/** Default for new clusters: a stable patch release of a supported minor. */
export const DEFAULT_KUBERNETES_VERSION = '1.33.4';

export interface KubeVersion {
  major: number;
  minor: number;
  patch: number;
}

export function parseKubeVersion(text: string): KubeVersion | null {
  const m = /^v?(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (!m) return null;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) };
}

export function supportedRange(): string {
  return `1.${MIN_SUPPORTED_MINOR}.0 – 1.${MAX_SUPPORTED_MINOR}.x`;
}

export function isSupported(v: KubeVersion): boolean {
  return v.major === 1 && v.minor >= MIN_SUPPORTED_MINOR && v.minor <= MAX_SUPPORTED_MINOR;
}

/**
 * kubeadm's rule for changing the version of a running cluster: never down, one minor at a time. `upgrade cluster`
 * refuses what breaks it, and so does `rollback cluster` (a rollback to an older spec is a downgrade too).
 */
export function versionChangeIssue(from: KubeVersion, to: KubeVersion): { message: string; hint: string } | null {
  const show = (v: KubeVersion) => `${v.major}.${v.minor}.${v.patch}`;
  const hint = `change one minor version at a time, never down: ${from.major}.${from.minor} → ${from.major}.${from.minor + 1}`;
  if (to.major !== from.major) return { message: `cannot change the major version (${show(from)} → ${show(to)})`, hint };
  if (to.minor < from.minor || (to.minor === from.minor && to.patch < from.patch)) {
    return { message: `cannot downgrade Kubernetes from ${show(from)} to ${show(to)}`, hint };
  }
  if (to.minor > from.minor + 1) return { message: `cannot skip minor versions (${show(from)} → ${show(to)})`, hint };
  return null;
}
