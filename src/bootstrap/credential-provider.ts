// The kubelet image credential provider a cloud's nodes run (KEP-2133; BootstrapProvider.imageCredentialProvider):
// the kubelet execs the plugin binary to get pull credentials for the images it matches, so nodes pull from the
// cloud's registry with their own instance identity, without an imagePullSecret. The bootstrap installs the pinned,
// checksum-verified binary (templates/bootstrap/credential-provider.sh) and the CredentialProviderConfig below, and
// kubeadm passes the kubelet the two flags that name them.

import { stringify } from 'yaml';
import type { ImageCredentialProvider } from './types.js';

/** Where the plugin binaries live (the kubelet's --image-credential-provider-bin-dir). */
export const CREDENTIAL_PROVIDER_BIN_DIR = '/usr/local/libexec/kubernetes/credential-providers';
/** The kubelet's --image-credential-provider-config, kept with k8sup's other node files. */
export const CREDENTIAL_PROVIDER_CONFIG = '/etc/k8sup/credential-providers.yaml';

/** The kubelet.config.k8s.io/v1 CredentialProviderConfig naming the one provider. */
export function renderCredentialProviderConfig(p: ImageCredentialProvider): string {
  return stringify({
    apiVersion: 'kubelet.config.k8s.io/v1',
    kind: 'CredentialProviderConfig',
    providers: [{ name: p.name, matchImages: [...p.matchImages], defaultCacheDuration: p.defaultCacheDuration, apiVersion: p.apiVersion }],
  });
}

/** The kubelet flags that name it, as typed settings (component-config.ts merges them); unset without a provider. */
export function credentialProviderKubeletArgs(p: ImageCredentialProvider | undefined): [string, string | undefined][] {
  return [
    ['image-credential-provider-config', p && CREDENTIAL_PROVIDER_CONFIG],
    ['image-credential-provider-bin-dir', p && CREDENTIAL_PROVIDER_BIN_DIR],
  ];
}
