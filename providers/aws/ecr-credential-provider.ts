// ecr-credential-provider (kubernetes/cloud-provider-aws), the kubelet image credential provider for Amazon ECR: AWS
// nodes pull private ECR images with their instance role (docs/aws.md grants both roles ECR pull), no imagePullSecret.
//
// Which release: upstream publishes the binaries to artifacts.k8s.io through the Kubernetes file promoter, whose
// manifests carry the sha256 of every file (kubernetes/k8s.io artifacts/manifests/k8s-staging-provider-aws/<v>.yaml).
// The manifests of v1.33.0, v1.34.0 and v1.35.0 lack the version prefix in their file names, so those binaries never
// reached their versioned URLs (kubernetes/cloud-provider-aws#1324, #1481, kubernetes/k8s.io#8291: 404). v1.37.0's
// manifest (commit c69ddbd7778aae40f7afbb5497db80694bfc5e36) names `v1.37.0/linux/<arch>/…`, so its files were
// promoted to the URLs below, with these sha256 (users report them downloadable; the node checks the sha256 anyway). The plugin talks to the kubelet over the stable
// credentialprovider.kubelet.k8s.io/v1 exchange, which every supported kubelet (1.33 to 1.35) speaks, so one release
// serves every minor. The CredentialProviderConfig entries are upstream's (docs/credential_provider.md).

import type { ImageCredentialProvider } from '../../src/bootstrap/types.js';

const BASE = 'https://artifacts.k8s.io/binaries/cloud-provider-aws/v1.37.0/linux';

export const ECR_CREDENTIAL_PROVIDER: ImageCredentialProvider = {
  name: 'ecr-credential-provider',
  binary: {
    version: 'v1.37.0',
    url: {
      amd64: `${BASE}/amd64/ecr-credential-provider-linux-amd64`,
      arm64: `${BASE}/arm64/ecr-credential-provider-linux-arm64`,
    },
    sha256: {
      amd64: '842e0fd8159f5ed8df2f38e6521e1e4f0a1ee80cf1e1ac119bbf20bf9c20681c',
      arm64: 'dd4748d167b0167cd4a66779dbbe4964e17a29a076aaa3d2b63cfc36ae84b52c',
    },
  },
  matchImages: ['*.dkr.ecr.*.amazonaws.com', '*.dkr.ecr.*.amazonaws.com.cn'],
  // The plugin's answer carries the token's own lifetime; upstream's example sets no default on top of it.
  defaultCacheDuration: '0',
  apiVersion: 'credentialprovider.kubelet.k8s.io/v1',
};
