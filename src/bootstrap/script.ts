// Assembles a node's bootstrap script (cloud user data, or what k8sup runs over SSH on metal) from the shell
// fragments in templates/bootstrap/. Values enter the shell only as single-quoted words (shellQuote); generated files
// (kubeadm YAML, containerd config, units) are embedded in quoted heredocs, which the shell never expands.

import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { enabledAddons, renderAddonManifest } from '../addons/index.js';
import { renderApiFrontEndFiles } from './api-front-end.js';
import { firewallPlan } from './host-firewall.js';
import { auditLoggingOn, encryptionAtRestOn, ENCRYPTION_CONFIG_FILE, kubeProxyKernelModules } from './component-config.js';
import { assetUrl, imageRef, resolveBootstrapInput, type ResolvedInput } from './inputs.js';
import { CONTAINERD_AUTH_DROP_IN, REGISTRY_CREDENTIALS_FOLDER, registryAuthEntries, registryHostFiles } from './registries.js';
import { renderKubeadmConfigFor } from './kubeadm-config.js';
import { CREDENTIAL_PROVIDER_BIN_DIR, CREDENTIAL_PROVIDER_CONFIG, renderCredentialProviderConfig } from './credential-provider.js';
import { etcdBackupVars, hasEtcdBackups } from './etcd-backup.js';
import { shellQuote, yamlQuote } from './quote.js';
import { loadTemplate, renderTemplate, type TemplateVars } from './template.js';
import { CONTROL_PLANE_PKI_FILES } from '../pki/files.js';
import type { BootstrapInput } from './types.js';
import { compareVersions, isSupported, parseKubeVersion, pauseImageFor } from '../api/version.js';
import { CNI, CONTAINERD, KUBEADM_API_VERSION, KUBE_VIP, RUNC, debianPackageVersion, kubernetesAptRepository, kubernetesRpmRepository } from './versions.js';

export { CONTROL_PLANE_PKI_FILES } from '../pki/files.js';

/** State store key (relative to the store root) where control planes publish the join token. */
export function bootstrapTokenKey(clusterName: string): string {
  return `${clusterName}/bootstrap/token`;
}

/**
 * State store key (relative to the store root) the first control plane writes right after a successful
 * `kubeadm init`. Its presence (or a published token's) tells a replacement of that instance to join, not init.
 */
export function initializedMarkerKey(clusterName: string): string {
  return `${clusterName}/bootstrap/initialized`;
}

/** Registries whose pulls go through spec.assets.registryMirror, with their real endpoints. */
const MIRRORED_REGISTRIES: { registry: string; upstream: string }[] = [
  { registry: 'registry.k8s.io', upstream: 'https://registry.k8s.io' },
  { registry: 'docker.io', upstream: 'https://registry-1.docker.io' },
  { registry: 'quay.io', upstream: 'https://quay.io' },
  { registry: 'ghcr.io', upstream: 'https://ghcr.io' },
];

/** The whole bootstrap script (bash) for one node. */
export function renderBootstrapScript(input: BootstrapInput): string {
  const r = resolveBootstrapInput(input);
  const vars = scriptVars(r);
  const fragments = ['header.sh', 'common.sh'];
  // Cloud nodes reach the state store from the start: they report their progress there (status.sh).
  if (r.isCloud) fragments.push(`store-${input.provider.name}.sh`, 'status.sh');
  if (vars.packageMirror) fragments.push('package-mirrors.sh');
  fragments.push('prepare-node.sh', 'containerd.sh');
  // Before the packages: a cloud node checks the cluster's version with the join token before it installs any.
  if (vars.mayJoin) fragments.push('join-token.sh');
  // A cloud worker rendered for `upgrade cluster` waits for the control planes' upgrade before it installs anything.
  if (vars.workerUpgradeWait) fragments.push('worker-upgrade-wait.sh');
  // RHEL-family hosts (metal only): SELinux permissive and the rpm repository instead of apt.
  // A cloud control plane first reads the cluster's version (kubeadm's skew rule, docs/upgrades.md): one rendered for an
  // upgrade picks the packages it joins with, any other joins a cluster of its own version only.
  const cloudControlPlane = r.isCloud && r.isControlPlane;
  fragments.push(...(vars.dnf ? ['selinux-permissive.sh', 'kube-packages-dnf.sh'] : cloudControlPlane ? ['kube-packages-upgrade.sh', 'kube-packages.sh'] : ['kube-packages.sh']));
  // Before kubeadm starts the kubelet: the kubelet's flags name the plugin and its configuration.
  if (vars.credentialProvider) fragments.push('credential-provider.sh');
  // kubeadm-reset undoes a failed kubeadm run before the PKI is put in place (reset empties /etc/kubernetes/pki).
  fragments.push('kubeadm-reset.sh');
  if (r.isControlPlane) fragments.push('control-plane-pki.sh');
  if (vars.auditPolicy) fragments.push('audit-policy.sh');
  if (vars.kubeVip) fragments.push('kube-vip.sh');
  if (vars.haproxyKeepalived) fragments.push('haproxy-keepalived.sh');
  // Cloud nodes are guarded by security groups / firewall rules; metal hosts may run their own firewall.
  if (!r.isCloud) fragments.push('host-firewall.sh');
  // A control plane that joins first removes the etcd members of control planes that are gone (replaced instances).
  if (vars.etcdCleanup) fragments.push('etcd-members.sh', 'etcd-stale-members.sh');
  fragments.push('kubeadm.sh');
  if (vars.kubeVip && input.role === 'control-plane-init') fragments.push('kube-vip-after-init.sh');
  // Token publishing comes before the pod network: workers can join (NotReady) while the CNI is still rolling out.
  if (r.isControlPlane && r.isCloud) fragments.push('token-refresh-install.sh');
  if (vars.etcdLeave) fragments.push('etcd-leave-install.sh');
  if (hasEtcdBackups(r)) fragments.push('etcd-backup-install.sh');
  // A control plane rendered for an upgrade that joined with the old version runs kubeadm upgrade apply (docs/upgrades.md).
  if (vars.joinOlder) fragments.push('kubeadm-upgrade.sh');
  if (input.role === 'control-plane-init') fragments.push('cni.sh');
  // Every control plane (re)applies the addons: a changed spec reaches the cluster with the next control plane.
  if (r.isControlPlane && enabledAddons(input.cluster).length > 0) fragments.push('addons.sh');
  fragments.push('footer.sh');
  return fragments.map((f) => renderShell(`bootstrap/${f}`, vars)).join('');
}

/**
 * /usr/local/sbin/k8sup-token-refresh on cloud control planes: creates a 24h bootstrap token and uploads it to
 * `<prefix>/<cluster>/bootstrap/token` with the instance's identity. Metal has none (k8sup hands tokens over SSH).
 */
export function renderTokenRefreshScript(input: BootstrapInput): string {
  const r = resolveBootstrapInput(input);
  if (!r.isCloud) throw new Error('metal nodes get their bootstrap token over SSH: there is no refresh script');
  return tokenRefreshScript(r, scriptVars(r));
}

/**
 * /usr/local/sbin/k8sup-etcd-leave on cloud control planes, the ExecStop of k8sup-etcd-leave.service: at shutdown,
 * removes the node's etcd member if its Node object was deleted first (rolling-update does) or /etc/k8sup/leave-etcd
 * exists. Metal has none: hosts are not replaced instances.
 */
export function renderEtcdLeaveScript(input: BootstrapInput): string {
  const r = resolveBootstrapInput(input);
  if (!r.isCloud || !r.isControlPlane) throw new Error('only cloud control planes remove their etcd member at shutdown');
  return etcdLeaveScript(scriptVars(r));
}

function etcdLeaveScript(vars: TemplateVars): string {
  return ['bootstrap/etcd-leave.sh', 'bootstrap/etcd-members.sh', 'bootstrap/etcd-leave-body.sh'].map((f) => renderShell(f, vars)).join('');
}

function tokenRefreshScript(r: ResolvedInput, vars: TemplateVars): string {
  // The refresh script only reads and writes the token: it needs no existence check (store_has).
  const refreshVars = { ...vars, guardInit: false };
  return ['bootstrap/token-refresh.sh', `bootstrap/store-${r.input.provider.name}.sh`, 'bootstrap/token-refresh-body.sh']
    .map((f) => renderShell(f, refreshVars))
    .join('');
}

function renderShell(name: string, vars: TemplateVars): string {
  return renderTemplate(loadTemplate(name), vars, shellQuote, name);
}

/** Interface name placeholder in the kube-vip manifest: the script detects the interface at boot. */
export const VIP_INTERFACE_PLACEHOLDER = '@@K8SUP_VIP_INTERFACE@@';

/**
 * The kube-vip static pod for spec.api.vip. It reads the API through /etc/kubernetes/admin.conf; during
 * `kubeadm init` the script points it at super-admin.conf instead (see templates/bootstrap/kube-vip.sh).
 */
function renderKubeVipManifest(r: ResolvedInput, vip: string): string {
  return renderTemplate(
    loadTemplate('node/kube-vip.yaml'),
    {
      image: imageRef(r, KUBE_VIP.image),
      vip,
      vipCidr: isIP(vip) === 6 ? '128' : '32',
      interfacePlaceholder: VIP_INTERFACE_PLACEHOLDER,
    },
    yamlQuote,
    'node/kube-vip.yaml',
  );
}

/** A generated file to embed in a quoted heredoc: no trailing newline, and no line that could end the heredoc. */
function embedded(text: string): string {
  const body = text.replace(/\n+$/, '');
  if (/^K8SUP_EOF/m.test(body)) throw new Error('embedded file contains a heredoc terminator line');
  return body;
}

/**
 * How a node addresses the state bucket in its own region: virtual-hosted (`<bucket>.s3.<region>.amazonaws.com`), or
 * path-style (`s3.<region>.amazonaws.com/<bucket>`) for bucket names with dots, which the `*.s3.<region>` wildcard
 * certificate cannot cover. China regions live under amazonaws.com.cn.
 */
export function s3Address(bucket: string, region: string): { s3Host: string; s3BucketPath: string } {
  const domain = region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  return bucket.includes('.')
    ? { s3Host: `s3.${region}.${domain}`, s3BucketPath: `/${bucket}` }
    : { s3Host: `${bucket}.s3.${region}.${domain}`, s3BucketPath: '' };
}

/** templates/bootstrap/credential-provider.sh's values: the cloud's image credential provider, or none. */
function credentialProviderVars(r: ResolvedInput): TemplateVars {
  const p = r.input.provider.imageCredentialProvider;
  if (!p) return { credentialProvider: false };
  return {
    credentialProvider: true,
    credentialProviderName: p.name,
    credentialProviderVersion: p.binary.version,
    credentialProviderUrlAmd64: assetUrl(r, p.binary.url.amd64),
    credentialProviderUrlArm64: assetUrl(r, p.binary.url.arm64),
    credentialProviderSha256Amd64: p.binary.sha256.amd64,
    credentialProviderSha256Arm64: p.binary.sha256.arm64,
    credentialProviderBinDir: CREDENTIAL_PROVIDER_BIN_DIR,
    credentialProviderConfig: CREDENTIAL_PROVIDER_CONFIG,
    credentialProviderConfigYaml: embedded(renderCredentialProviderConfig(p)),
  };
}

/**
 * templates/bootstrap/kube-packages-upgrade.sh's values: a cloud control plane rendered for an upgrade (upgradeFrom)
 * carries the old version's pinned packages, to join with before it upgrades the cluster. An old version without pins
 * (not supported by this k8sup) renders empty ones: the node refuses to join when it finds the cluster at it. A cloud
 * worker rendered for an upgrade waits for the control planes instead (templates/bootstrap/worker-upgrade-wait.sh).
 */
function upgradeJoinVars(r: ResolvedInput): TemplateVars {
  const from = r.input.upgradeFrom === undefined ? null : parseKubeVersion(r.input.upgradeFrom);
  if (r.input.upgradeFrom !== undefined && (from === null || compareVersions(from, r.version) >= 0)) {
    throw new Error(`bootstrap: upgradeFrom ${r.input.upgradeFrom} is not a version older than ${r.version.text}`);
  }
  if (!from || !r.isCloud) return { joinOlder: false, workerUpgradeWait: false, fromVersion: '', fromPackageVersion: '', fromAptUrl: '' };
  // A worker joins with its own packages only: it waits until the control planes run them (worker-upgrade-wait.sh).
  if (!r.isControlPlane) return { joinOlder: false, workerUpgradeWait: true, fromVersion: from.text, fromPackageVersion: '', fromAptUrl: '' };
  const pinned = isSupported(from);
  return {
    joinOlder: true,
    workerUpgradeWait: false,
    fromVersion: from.text,
    fromPackageVersion: pinned ? debianPackageVersion(from) : '',
    fromAptUrl: pinned ? assetUrl(r, kubernetesAptRepository(from)) : '',
  };
}

export function scriptVars(r: ResolvedInput): TemplateVars {
  const { input } = r;
  const spec = input.cluster.spec;
  const role = input.role;
  const cniPin = CNI[r.cni];
  const guardInit = r.isCloud && role === 'control-plane-init';
  const singleControlPlane = spec.controlPlane.count <= 1;
  // A cloud first control plane may join: beside the others when it replaced one, and beside the running single
  // control plane while `upgrade cluster` replaces it (bootstrap/upgrade in the state store).
  const mayJoin = role !== 'control-plane-init' || guardInit;
  const kubeVipFrontEnd = (spec.api.frontEnd ?? 'kube-vip') === 'kube-vip';
  const vip = input.provider.ownHosts && r.isControlPlane && kubeVipFrontEnd ? (spec.api.vip ?? null) : null;
  const frontEndFiles = renderApiFrontEndFiles(r);
  const endpointPort = r.controlPlaneEndpoint.slice(r.controlPlaneEndpoint.lastIndexOf(':') + 1);
  const firewall = firewallPlan(r.isControlPlane ? 'control-plane' : 'worker', spec.api.frontEnd ?? 'kube-vip', r.cni, Number(endpointPort));
  const registryAuth = registryAuthEntries(spec.assets?.registries ?? []);
  const vars: TemplateVars = {
    clusterName: input.cluster.metadata.name,
    clusterNameRaw: input.cluster.metadata.name,
    role,
    provider: input.provider.name,
    kubernetesVersion: r.version.text,
    packageVersion: debianPackageVersion(r.version),
    aptUrl: assetUrl(r, kubernetesAptRepository(r.version)),
    containerdVersion: CONTAINERD.version,
    runcVersion: RUNC.version,
    containerdUrlAmd64: assetUrl(r, CONTAINERD.url.amd64),
    containerdUrlArm64: assetUrl(r, CONTAINERD.url.arm64),
    containerdSha256Amd64: CONTAINERD.sha256.amd64,
    containerdSha256Arm64: CONTAINERD.sha256.arm64,
    runcUrlAmd64: assetUrl(r, RUNC.url.amd64),
    runcUrlArm64: assetUrl(r, RUNC.url.arm64),
    runcSha256Amd64: RUNC.sha256.amd64,
    runcSha256Arm64: RUNC.sha256.arm64,
    cloud: r.isCloud,
    storeNeedsRegion: input.provider.store?.regionExample !== undefined,
    // The loader (loader.ts) renders the same store functions for reads only.
    storePut: true,
    stateBucket: r.store.bucket,
    statePrefix: r.clusterKeyPrefix,
    stateRegion: input.stateStoreRegion ?? spec.region,
    ...s3Address(r.store.bucket, input.stateStoreRegion ?? spec.region),
    nodeGroup: input.nodeGroup,
    controlPlane: r.isControlPlane,
    init: role === 'control-plane-init',
    // Cloud control planes are replaced instances: at shutdown they leave etcd (k8sup-etcd-leave), and when they join
    // they first remove members of control planes that are gone. Metal hosts are not replaced, so neither applies.
    etcdLeave: r.isCloud && r.isControlPlane,
    etcdCleanup: r.isCloud && r.isControlPlane && mayJoin,
    kubeadmApiVersion: KUBEADM_API_VERSION,
    controlPlaneEndpoint: r.controlPlaneEndpoint,
    join: role !== 'control-plane-init',
    // Cloud first control planes check the state store before kubeadm init: a replaced instance must not start a
    // second cluster. With other control planes it joins them; alone (its etcd is gone) it refuses, unless an upgrade
    // launched it beside the running control plane.
    guardInit,
    rejoin: guardInit,
    refuseReinit: guardInit && singleControlPlane,
    mayJoin,
    initCni: role === 'control-plane-init',
    cniName: r.cni,
    cniVersion: cniPin.version,
    podCIDR: spec.networking.podCIDR,
    cniManifest: cniPin.kind === 'manifest',
    calico: r.cni === 'calico',
    flannel: r.cni === 'flannel',
    cilium: r.cni === 'cilium',
    cniUrl: cniPin.kind === 'manifest' ? assetUrl(r, cniPin.url) : '',
    cniSha256: cniPin.kind === 'manifest' ? (cniPin.sha256 ?? '') : '',
    ciliumCliUrlAmd64: cniPin.kind === 'cilium-cli' ? assetUrl(r, cniPin.cli.url.amd64) : '',
    ciliumCliUrlArm64: cniPin.kind === 'cilium-cli' ? assetUrl(r, cniPin.cli.url.arm64) : '',
    ciliumCliSha256Amd64: cniPin.kind === 'cilium-cli' ? cniPin.cli.sha256.amd64 : '',
    ciliumCliSha256Arm64: cniPin.kind === 'cilium-cli' ? cniPin.cli.sha256.arm64 : '',
    fixedNodeName: input.nodeName !== undefined,
    nodeName: input.nodeName ?? '',
    pkiFiles: [...CONTROL_PLANE_PKI_FILES, ...(encryptionAtRestOn(input.cluster) ? [ENCRYPTION_CONFIG_FILE] : [])].join(' '),
    modulesConf: embedded([loadTemplate('node/modules-load.conf').trimEnd(), ...kubeProxyKernelModules(input.cluster)].join('\n')),
    kernelModules: ['overlay', 'br_netfilter', ...kubeProxyKernelModules(input.cluster)].join(' '),
    auditPolicy: r.isControlPlane && auditLoggingOn(input.cluster) ? embedded(loadTemplate('node/audit-policy.yaml')) : '',
    packageMirror: Boolean(input.osFamily === 'rhel' ? spec.assets?.packageMirrors?.dnf : spec.assets?.packageMirrors?.apt),
    aptMirror: spec.assets?.packageMirrors?.apt?.replace(/\/+$/, '') ?? '',
    dnfMirror: spec.assets?.packageMirrors?.dnf?.replace(/\/+$/, '') ?? '',
    // With spec.assets.containerRegistry the CNI manifest's images are pulled from it (same path, no upstream host).
    imageRegistry: r.containerRegistry ?? '',
    sysctlConf: embedded(loadTemplate('node/sysctl.conf')),
    containerdUnit: embedded(loadTemplate('node/containerd.service')),
    containerdConfig: embedded(
      renderTemplate(
        loadTemplate('node/containerd-config.toml'),
        { pauseImage: imageRef(r, pauseImageFor(r.version)), kubernetesMinor: `${r.version.major}.${r.version.minor}`, authDropIn: registryAuth.length > 0 ? CONTAINERD_AUTH_DROP_IN : '' },
        yamlQuote,
        'node/containerd-config.toml',
      ),
    ),
    registryHosts: [
      ...(r.registryMirror === null
        ? []
        : MIRRORED_REGISTRIES.map(({ registry, upstream }) => ({
            registry,
            hostsToml: embedded(
              renderTemplate(loadTemplate('node/registry-hosts.toml'), { registry, upstream, mirror: r.registryMirror }, yamlQuote, 'node/registry-hosts.toml'),
            ),
          }))),
      ...registryHostFiles(spec.assets?.registries ?? []).map((f) => ({ registry: f.registry, hostsToml: embedded(f.hostsToml) })),
    ],
    registryAuth,
    authDropIn: CONTAINERD_AUTH_DROP_IN,
    credentialsFolder: REGISTRY_CREDENTIALS_FOLDER,
    registryCAs: (spec.assets?.registries ?? []).filter((reg) => reg.caCert).map((reg) => ({ registry: reg.host, caCert: embedded(reg.caCert!) })),
    // Init roles carry the init config; roles that may join carry the join config (a replaced first control plane
    // on the cloud carries both and picks one at boot).
    kubeadmInitConfig: role === 'control-plane-init' ? embedded(renderKubeadmConfigFor(r)) : '',
    kubeadmJoinConfig: mayJoin
      ? embedded(renderKubeadmConfigFor(role === 'control-plane-init' ? { ...r, input: { ...input, role: 'control-plane-join' } } : r))
      : '',
    kubeVip: vip !== null,
    vip: vip ?? '',
    kubeVipVersion: KUBE_VIP.version,
    kubeVipManifest: vip === null ? '' : embedded(renderKubeVipManifest(r, vip)),
    dnf: input.osFamily === 'rhel',
    rpmUrl: assetUrl(r, kubernetesRpmRepository(r.version)),
    haproxyKeepalived: frontEndFiles !== null,
    haproxyPort: endpointPort,
    apiVip: frontEndFiles ? (spec.api.vip ?? '') : '',
    haproxyCfg: frontEndFiles ? embedded(frontEndFiles.haproxyCfg) : '',
    keepalivedConf: frontEndFiles ? embedded(frontEndFiles.keepalivedConf) : '',
    keepalivedCheck: frontEndFiles ? embedded(frontEndFiles.checkScript) : '',
    firewallRole: r.isControlPlane ? 'control plane' : 'worker',
    firewallPorts: firewall.ports.map((p) => `${p.port}/${p.protocol}`),
    firewallProtocols: firewall.protocols.map((p) => String(p.number)),
    tokenRefreshService: embedded(loadTemplate('node/k8sup-token-refresh.service')),
    tokenRefreshTimer: embedded(loadTemplate('node/k8sup-token-refresh.timer')),
    ...upgradeJoinVars(r),
  };
  // A cloud control plane not rendered for an upgrade checks the cluster's version right before it joins.
  vars.checkJoinVersion = r.isCloud && r.isControlPlane && !vars.joinOlder;
  const addons = enabledAddons(input.cluster).map((a) => ({ name: a.name, manifest: embedded(renderAddonManifest(a, (image) => imageRef(r, image), input.cluster)) }));
  vars.addons = addons;
  vars.addonNames = addons.map((a) => a.name).join(', ');
  vars.addonsDigest = createHash('sha256').update(addons.map((a) => a.manifest).join('\n---\n')).digest('hex').slice(0, 16);
  Object.assign(vars, credentialProviderVars(r));
  vars.tokenRefreshScript = r.isCloud && r.isControlPlane ? embedded(tokenRefreshScript(r, vars)) : '';
  vars.etcdLeaveUnit = embedded(loadTemplate('node/k8sup-etcd-leave.service'));
  vars.etcdLeaveScript = r.isCloud && r.isControlPlane ? embedded(etcdLeaveScript(vars)) : '';
  Object.assign(vars, etcdBackupVars(r, vars));
  vars.etcdBackups = hasEtcdBackups(r);
  return vars;
}
