// Kubernetes' version skew policy between kubelets and API servers, as it applies while `upgrade cluster` rolls a
// cloud cluster from A to B (https://kubernetes.io/releases/version-skew-policy/, "kubelet"):
//   - a kubelet must not be newer than kube-apiserver (the policy counts minor versions);
//   - a kubelet may be up to three minor versions older than kube-apiserver (kubelets older than 1.25: two);
//   - while the API servers of an HA control plane differ (A and B during the roll), the allowed kubelets are those
//     allowed by both: not newer than A, at most three minors older than B.
// Node groups roll after the control planes, so every kubelet that is not already on B must stay within that range
// for the whole roll. A kubelet on B is a node of an interrupted upgrade that was already replaced.

import { compareVersions, parseKubeVersion, type KubeVersion } from '../api/version.js';

/** How many minor versions a kubelet of this minor may be older than kube-apiserver. */
export function kubeletMaxMinorsBehind(kubeletMinor: number): number {
  return kubeletMinor < 25 ? 2 : 3;
}

/** Why a kubelet reporting `reported` ('v1.33.8') would break the skew policy during an upgrade from → to; null when it would not. */
export function kubeletSkewIssue(reported: string, from: KubeVersion, to: KubeVersion): string | null {
  const kubelet = parseKubeVersion(reported);
  if (!kubelet) return `reports kubelet ${reported}, not a release version`;
  if (compareVersions(kubelet, to) === 0) return null;
  if (kubelet.major !== to.major) return `runs kubelet ${reported}, another major version than ${to.text}`;
  if (kubelet.minor > from.minor) return `runs kubelet ${reported}, a minor newer than the API servers' ${from.text} (a kubelet must not be newer than kube-apiserver)`;
  const behind = to.minor - kubelet.minor;
  const allowed = kubeletMaxMinorsBehind(kubelet.minor);
  if (behind > allowed) return `runs kubelet ${reported}, ${behind} minor versions behind ${to.text} once the control planes run it (the version skew policy allows ${allowed})`;
  return null;
}
