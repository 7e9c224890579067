// The bootstrap bundle a loader (user data / startup script, src/bootstrap/loader.ts) points at, found among the
// bundles the provider writes to the state store by the sha256 pinned in the loader.

import assert from 'node:assert/strict';

export function pinnedSha256(loader: string): string {
  const m = /^BUNDLE_SHA256='([0-9a-f]{64})'$/m.exec(loader);
  assert.ok(m, `not a k8sup loader:\n${loader.slice(0, 400)}`);
  return m[1];
}

export function bundleOf(loader: string, bundles: { key: string; content: string; sha256?: string }[]): string {
  const sha = pinnedSha256(loader);
  const found = bundles.find((b) => b.key.endsWith(`${sha}.sh`));
  assert.ok(found, `no bundle with sha256 ${sha} among ${bundles.map((b) => b.key).join(', ')}`);
  return found.content;
}

/** The Kubernetes version a bundle installs (its K8S_VERSION, '1.35.1'). */
export const bundleVersion = (bundle: string) => /^K8S_VERSION='?([0-9.]+)'?$/m.exec(bundle)?.[1];
