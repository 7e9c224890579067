// Instance templates are immutable in GCE. The model puts a content hash in the id and the name, so a changed
// template is a new resource (created first, the groups switched to it, the old one deleted once unused), never an
// in-place replace of a template a group still uses.

import { terraformFile } from '../../../src/core/terraform.js';
import type { ResolvedFields } from '../../../src/core/resource.js';
import { API_ADDRESS_METADATA_KEY, API_PUBLIC_ADDRESS_METADATA_KEY } from '../model/startup-script.js';
import { compact, defineHandler, labelsEqual, sameSet, tfName, objectField } from './common.js';

const metadataItems = (f: ResolvedFields) => [
  { key: 'startup-script', value: String(f.startupScript) },
  { key: API_ADDRESS_METADATA_KEY, value: String(f.apiAddress) },
  { key: API_PUBLIC_ADDRESS_METADATA_KEY, value: String(f.apiPublicAddress) },
  ...(f.sshKeys ? [{ key: 'ssh-keys', value: String(f.sshKeys) }] : []),
];

/** Spot VMs must not restart on their own and stop on maintenance; a reclaimed one is deleted and its group recreates it. */
const SPOT_SCHEDULING = { provisioningModel: 'SPOT', automaticRestart: false, onHostMaintenance: 'TERMINATE', instanceTerminationAction: 'DELETE' };

/** The parts of a live template's `properties` that fields() reads (the API answers absent ones with null or []). */
interface TemplateProperties {
  machineType?: string | null;
  canIpForward?: boolean | null;
  tags?: { items?: string[] | null } | null;
  labels?: Record<string, string> | null;
  disks?: { initializeParams?: { sourceImage?: string | null; diskSizeGb?: string | number | null; diskType?: string | null } | null }[] | null;
  networkInterfaces?: { network?: string | null; subnetwork?: string | null; accessConfigs?: unknown[] | null }[] | null;
  metadata?: { items?: { key: string; value: string }[] | null } | null;
  shieldedInstanceConfig?: { enableSecureBoot?: boolean | null; enableVtpm?: boolean | null; enableIntegrityMonitoring?: boolean | null } | null;
  serviceAccounts?: { email?: string | null; scopes?: string[] | null }[] | null;
  scheduling?: { provisioningModel?: string | null } | null;
}

export const instanceTemplateHandler = defineHandler({
  kind: 'instance-template',
  service: 'instanceTemplates',
  scope: 'global',
  param: 'instanceTemplate',
  bodyParam: 'instanceTemplateResource',
  // The startup script is large and only ever changes together with the id (content hash).
  writeOnly: ['startupScript'],
  body: (f) => ({
    properties: {
      machineType: f.machineType,
      canIpForward: f.canIpForward,
      tags: { items: f.networkTags },
      labels: f.labels,
      disks: [{ boot: true, autoDelete: true, type: 'PERSISTENT', initializeParams: { sourceImage: f.image, diskSizeGb: String(f.diskSizeGb), diskType: f.diskType } }],
      networkInterfaces: [
        { network: f.network, subnetwork: f.subnetwork, accessConfigs: f.externalIp ? [{ name: 'external-nat', type: 'ONE_TO_ONE_NAT', networkTier: 'PREMIUM' }] : [] },
      ],
      serviceAccounts: [{ email: f.serviceAccountEmail, scopes: f.serviceAccountScopes }],
      shieldedInstanceConfig: f.shieldedVm,
      metadata: { items: metadataItems(f) },
      ...(f.spot ? { scheduling: SPOT_SCHEDULING } : {}),
    },
  }),
  fields: (o) => {
    const p = (o.properties ?? {}) as TemplateProperties;
    const disk = p.disks?.[0]?.initializeParams ?? {};
    const nic = p.networkInterfaces?.[0] ?? {};
    const meta = new Map<string, string>((p.metadata?.items ?? []).map((i): [string, string] => [i.key, i.value]));
    const sic = p.shieldedInstanceConfig;
    return compact({
      name: o.name,
      description: o.description,
      machineType: p.machineType,
      image: disk.sourceImage,
      diskSizeGb: disk.diskSizeGb === undefined || disk.diskSizeGb === null ? undefined : Number(disk.diskSizeGb),
      diskType: disk.diskType,
      network: nic.network,
      subnetwork: nic.subnetwork,
      externalIp: (nic.accessConfigs ?? []).length > 0,
      canIpForward: p.canIpForward ?? false,
      networkTags: p.tags?.items,
      labels: p.labels ?? {},
      serviceAccountEmail: p.serviceAccounts?.[0]?.email,
      serviceAccountScopes: p.serviceAccounts?.[0]?.scopes,
      shieldedVm: sic ? { enableSecureBoot: !!sic.enableSecureBoot, enableVtpm: !!sic.enableVtpm, enableIntegrityMonitoring: !!sic.enableIntegrityMonitoring } : undefined,
      // null (not absent) when there is none, so adding a key later shows up as a change.
      sshKeys: meta.get('ssh-keys') ?? null,
      apiAddress: meta.get(API_ADDRESS_METADATA_KEY),
      apiPublicAddress: meta.get(API_PUBLIC_ADDRESS_METADATA_KEY),
      spot: p.scheduling?.provisioningModel === 'SPOT' ? true : undefined,
    });
  },
  outputs: (o) => ({ selfLink: o.selfLink, name: o.name }),
  equal: (field, d, l) => (field === 'labels' ? labelsEqual(d, l) : ['networkTags', 'serviceAccountScopes'].includes(field) && sameSet(d, l)),
  terraform: (node) => {
    const f = node.fields;
    const name = tfName(node.id);
    const file = `${name}.startup-script.sh`;
    return {
      type: 'google_compute_instance_template',
      name,
      files: { [file]: String(f.startupScript) },
      body: {
        name: f.name,
        description: f.description,
        machine_type: f.machineType,
        can_ip_forward: f.canIpForward,
        tags: f.networkTags,
        labels: f.labels,
        disk: [{ boot: true, auto_delete: true, source_image: f.image, disk_size_gb: f.diskSizeGb, disk_type: f.diskType }],
        network_interface: [{ network: f.network, subnetwork: f.subnetwork, ...(f.externalIp ? { access_config: [{ network_tier: 'PREMIUM' }] } : {}) }],
        service_account: [{ email: f.serviceAccountEmail, scopes: f.serviceAccountScopes }],
        shielded_instance_config: [
          { enable_secure_boot: objectField(f.shieldedVm, 'shieldedVm').enableSecureBoot, enable_vtpm: objectField(f.shieldedVm, 'shieldedVm').enableVtpm, enable_integrity_monitoring: objectField(f.shieldedVm, 'shieldedVm').enableIntegrityMonitoring },
        ],
        metadata: { [API_ADDRESS_METADATA_KEY]: f.apiAddress, [API_PUBLIC_ADDRESS_METADATA_KEY]: f.apiPublicAddress, ...(f.sshKeys ? { 'ssh-keys': f.sshKeys } : {}) },
        metadata_startup_script: terraformFile(file),
        ...(f.spot ? { scheduling: [{ provisioning_model: 'SPOT', preemptible: true, automatic_restart: false, on_host_maintenance: 'TERMINATE', instance_termination_action: 'DELETE' }] } : {}),
        lifecycle: { create_before_destroy: true },
      },
    };
  },
  terraformOutputs: { selfLink: 'self_link' },
});
