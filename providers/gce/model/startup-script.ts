// The instance metadata `startup-script`. The API address is only known once the static address exists, and the
// same script must work from Terraform (which cannot substitute into a file it reads), so the bootstrap script is
// rendered with a placeholder host and wrapped: at boot the wrapper reads the real address from the instance
// metadata item `k8sup-api-address` (set from a Ref to the address), substitutes it, and runs the bootstrap.
// Only public values go in (CA hash, endpoint, store URL): nodes fetch secrets from the state bucket with their
// service account, never from metadata.

import type { Cluster } from '../../../src/api/types.js';
import type { BuildInputs } from '../../../src/core/provider.js';
import { renderBootstrapInstaller, renderBootstrapScript, type NodeRole } from '../../../src/bootstrap/index.js';

export const API_ADDRESS_METADATA_KEY = 'k8sup-api-address';
/** A syntactically valid host name (the bootstrap renderer validates hosts) that cannot occur by accident. */
export const API_ADDRESS_PLACEHOLDER = 'k8sup-var-api-address.invalid';

export function wrapStartupScript(bootstrap: string): string {
  const url = `http://metadata.google.internal/computeMetadata/v1/instance/attributes/${API_ADDRESS_METADATA_KEY}`;
  // The startup script runs at every boot: it installs k8sup-bootstrap.service (which runs the bootstrap until it
  // succeeds) with the API address filled in.
  return renderBootstrapInstaller(bootstrap, {
    prelude: [
      `api_address="$(curl -fsS --retry 10 --retry-connrefused --connect-timeout 5 -H 'Metadata-Flavor: Google' '${url}')"`,
      `[[ "\${api_address}" =~ ^[0-9.]+$ ]] || { echo "k8sup: bad ${API_ADDRESS_METADATA_KEY} '\${api_address}'" >&2; exit 1; }`,
    ],
    filter: `sed "s/${API_ADDRESS_PLACEHOLDER.replace(/\./g, '\\.')}/\${api_address}/g"`,
  });
}

export function startupScriptFor(cluster: Cluster, inputs: BuildInputs, role: NodeRole, nodeGroup: string): string {
  const name = cluster.metadata.name;
  const dnsName = cluster.spec.api.dnsZone ? `api.${name}` : null;
  const bootstrap = renderBootstrapScript({
    cluster,
    role,
    nodeGroup,
    provider: 'gce',
    apiEndpoint: `${dnsName ?? API_ADDRESS_PLACEHOLDER}:6443`,
    apiCertSANs: dnsName ? [API_ADDRESS_PLACEHOLDER] : [],
    caCertHash: inputs.caCertHash,
    stateStoreUrl: inputs.stateStore,
  });
  return wrapStartupScript(bootstrap);
}
