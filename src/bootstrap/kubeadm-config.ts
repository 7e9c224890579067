// The kubeadm configuration a node runs `kubeadm init` / `kubeadm join` with, rendered from templates/kubeadm/.

import { runsCloudControllerManager } from '../addons/index.js';
import { apiServerArgs, apiServerVolumes, controllerManagerArgs, dnsDomainOf, kubeProxyConfiguration, kubeletArgs, kubeletConfiguration, registrationTaints } from './component-config.js';
import { resolveBootstrapInput, type ResolvedInput } from './inputs.js';
import { yamlQuote } from './quote.js';
import { loadTemplate, renderTemplate } from './template.js';
import type { BootstrapInput } from './types.js';
import { KUBEADM_API_VERSION } from './versions.js';
import { NODE_GROUP_LABEL } from '../api/labels.js';

/** Filled in on the node at boot: cloud nodes learn their name from the metadata service. */
export const NODE_NAME_PLACEHOLDER = '@@K8SUP_NODE_NAME@@';
/** Filled in on the node at boot: joiners fetch a fresh token (state store, or SSH on metal). */
export const BOOTSTRAP_TOKEN_PLACEHOLDER = '@@K8SUP_BOOTSTRAP_TOKEN@@';

export { NODE_GROUP_LABEL } from '../api/labels.js';

/**
 * The kubeadm YAML for this node. Joins carry BOOTSTRAP_TOKEN_PLACEHOLDER and cloud nodes NODE_NAME_PLACEHOLDER:
 * the bootstrap script substitutes both on the node (after checking their format).
 */
export function renderKubeadmConfig(input: BootstrapInput): string {
  return renderKubeadmConfigFor(resolveBootstrapInput(input));
}

export function renderKubeadmConfigFor(r: ResolvedInput): string {
  const { input } = r;
  const cluster = input.cluster;
  const taints = registrationTaints(cluster, input.nodeGroup, r.isControlPlane);
  const name = `kubeadm/${KUBEADM_API_VERSION}.yaml`;
  return renderTemplate(
    loadTemplate(name),
    {
      init: input.role === 'control-plane-init',
      controlPlaneJoin: input.role === 'control-plane-join',
      advertiseAddress: r.isControlPlane && input.nodeIp ? input.nodeIp : null,
      nodeName: input.nodeName ?? NODE_NAME_PLACEHOLDER,
      kubeletExtraArgs: kubeletArgs(cluster, input.nodeGroup, NODE_GROUP_LABEL, input.nodeIp, runsCloudControllerManager(cluster), input.provider.imageCredentialProvider),
      registerTaints: taints !== null,
      taints: taints ?? [],
      clusterName: input.cluster.metadata.name,
      kubernetesVersion: `v${r.version.text}`,
      controlPlaneEndpoint: r.controlPlaneEndpoint,
      podSubnet: input.cluster.spec.networking.podCIDR,
      serviceSubnet: input.cluster.spec.networking.serviceCIDR,
      dnsDomain: dnsDomainOf(cluster),
      imageRepository: r.containerRegistry ?? '',
      // kubeadm names CoreDNS <imageRepository>/coredns:<tag> in a custom repository; this keeps the upstream path.
      dnsImageRepository: r.containerRegistry ? `${r.containerRegistry}/coredns` : '',
      certSANs: r.certSANs,
      apiServerExtraArgs: apiServerArgs(cluster),
      apiServerExtraVolumes: apiServerVolumes(cluster),
      controllerManagerExtraArgs: controllerManagerArgs(runsCloudControllerManager(cluster)),
      kubeletConfiguration: kubeletConfiguration(cluster),
      kubeProxyConfiguration: kubeProxyConfiguration(cluster),
      bootstrapToken: BOOTSTRAP_TOKEN_PLACEHOLDER,
      caCertHash: input.caCertHash,
    },
    yamlQuote,
    name,
  );
}
