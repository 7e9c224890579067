// containerd's per-registry TLS settings (spec.assets.registries) as /etc/containerd/certs.d/<host>/hosts.toml.

import type { RegistrySpec } from '../api/types.js';
import { yamlQuote } from './quote.js';
import { loadTemplate, renderTemplate } from './template.js';

export const CERTS_D = '/etc/containerd/certs.d';

export function registryHostFiles(registries: RegistrySpec[]): { registry: string; hostsToml: string }[] {
  return registries.map((reg) => ({
    registry: reg.host,
    hostsToml: renderTemplate(
      loadTemplate('node/registry-host-ca.toml'),
      {
        registry: reg.host,
        server: `https://${reg.host}`,
        caFile: reg.caCert ? `${CERTS_D}/${reg.host}/ca.crt` : '',
        skipVerify: reg.insecureSkipVerify === true,
      },
      yamlQuote,
      'node/registry-host-ca.toml',
    ),
  }));
}
