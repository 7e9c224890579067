// The etcd backup and restore scripts of control planes (docs/backups.md): k8sup-etcd-backup snapshots the local
// member with etcdctl and the etcd client certificate, on the timer of spec.etcd.backups; on clouds it uploads to
// `<cluster>/backups/etcd/<id>/` with the instance's identity, on metal it keeps the snapshot on the host for
// `k8sup backup cluster` to copy over SSH. k8sup-etcd-restore swaps a member's data dir for a snapshot's.

import { backupSchedule } from '../api/etcd-backups.js';
import type { ResolvedInput } from './inputs.js';
import { shellQuote } from './quote.js';
import { loadTemplate, renderTemplate, type TemplateVars } from './template.js';
import type { BootstrapInput } from './types.js';

export const ETCD_BACKUP_SCRIPT_PATH = '/usr/local/sbin/k8sup-etcd-backup';
export const ETCD_RESTORE_SCRIPT_PATH = '/usr/local/sbin/k8sup-etcd-restore';
export const ETCD_CONTROL_SCRIPT_PATH = '/usr/local/sbin/k8sup-etcd-control';

function renderShell(name: string, vars: TemplateVars): string {
  return renderTemplate(loadTemplate(name), vars, shellQuote, name);
}

function embedded(text: string): string {
  return text.replace(/\n+$/, '');
}

/** Whether a control plane of this cluster carries the backup and restore scripts (spec.etcd.backups is set). */
export function hasEtcdBackups(r: ResolvedInput): boolean {
  return r.isControlPlane && r.input.cluster.spec.etcd?.backups !== undefined;
}

function backupVars(r: ResolvedInput, vars: TemplateVars): TemplateVars {
  const backups = r.input.cluster.spec.etcd?.backups;
  // store_has (the retention index) is part of the store functions only when asked for.
  return {
    ...vars,
    guardInit: true,
    backupSchedule: backupSchedule(r.input.cluster.spec) ?? 'off',
    backupRetain: String(backups?.retain ?? 1),
    // The restore script refuses to restore an HA member alone (templates/bootstrap/etcd-restore-body.sh).
    controlPlaneCount: String(r.input.cluster.spec.controlPlane.count),
  };
}

function storeFragments(r: ResolvedInput, extra: string[]): string[] {
  return r.isCloud ? [`bootstrap/store-${r.input.provider.name}.sh`, ...extra] : [];
}

export function backupScript(r: ResolvedInput, vars: TemplateVars): string {
  const v = backupVars(r, vars);
  return ['bootstrap/etcd-backup.sh', ...storeFragments(r, ['bootstrap/store-put-retry.sh', `bootstrap/etcd-backup-store-${r.input.provider.name}.sh`]), 'bootstrap/etcd-tools.sh', 'bootstrap/etcd-backup-body.sh']
    .map((f) => renderShell(f, v))
    .join('');
}

export function restoreScript(r: ResolvedInput, vars: TemplateVars): string {
  const v = backupVars(r, vars);
  return ['bootstrap/etcd-restore.sh', ...storeFragments(r, []), 'bootstrap/etcd-tools.sh', 'bootstrap/etcd-restore-body.sh'].map((f) => renderShell(f, v)).join('');
}

/**
 * k8sup-etcd-control (clouds): the poller of the state store's control folder that carries out `backup cluster` and
 * `restore cluster` commands there (templates/bootstrap/etcd-control-body.sh; the CLI side is src/lifecycle/etcd-control.ts).
 */
export function controlScript(r: ResolvedInput, vars: TemplateVars): string {
  const v = backupVars(r, vars);
  const p = r.input.provider.name;
  return ['bootstrap/etcd-control.sh', ...storeFragments(r, ['bootstrap/store-put-retry.sh', `bootstrap/etcd-control-store-${p}.sh`]), 'bootstrap/etcd-control-body.sh'].map((f) => renderShell(f, v)).join('');
}

/** Values etcd-backup-install.sh uses, added to the bootstrap script's (script.ts scriptVars). */
export function etcdBackupVars(r: ResolvedInput, vars: TemplateVars): TemplateVars {
  if (!hasEtcdBackups(r)) return { etcdBackupScript: '', etcdRestoreScript: '', etcdBackupService: '', etcdBackupTimer: '', etcdControlScript: '', etcdControlService: '', etcdControlTimer: '' };
  const schedule = backupSchedule(r.input.cluster.spec);
  // The control poller runs whatever the schedule (on-demand backups of clusters with scheduled backups off); bare
  // metal has none: k8sup runs the scripts over SSH there.
  const control = r.isCloud;
  return {
    etcdControlScript: control ? embedded(controlScript(r, vars)) : '',
    etcdControlService: control ? embedded(loadTemplate('node/k8sup-etcd-control.service')) : '',
    etcdControlTimer: control ? embedded(loadTemplate('node/k8sup-etcd-control.timer')) : '',
    etcdBackupScript: embedded(backupScript(r, vars)),
    etcdRestoreScript: embedded(restoreScript(r, vars)),
    etcdBackupService: embedded(loadTemplate('node/k8sup-etcd-backup.service')),
    etcdBackupTimer: schedule === null ? '' : embedded(renderTemplate(loadTemplate('node/k8sup-etcd-backup.timer'), { schedule }, (s) => s, 'node/k8sup-etcd-backup.timer')),
  };
}

/**
 * The input the backup and restore scripts need: they depend on the cluster and its state store only, not on a
 * node's join parameters, so those are neutral values the scripts never use.
 */
export function etcdScriptsInput(cluster: BootstrapInput['cluster'], provider: BootstrapInput['provider'], stateStoreUrl: string): BootstrapInput {
  return {
    cluster,
    role: 'control-plane-join',
    nodeGroup: 'control-plane',
    provider,
    apiEndpoint: 'api.invalid:16443',
    caCertHash: `sha256:${'0'.repeat(64)}`,
    stateStoreUrl,
    ...(cluster.spec.stateStore?.region ? { stateStoreRegion: cluster.spec.stateStore.region } : {}),
    ...(provider.ownHosts ? { nodeName: 'control-plane' } : {}),
  };
}
