// The etcd backup and restore scripts as files of their own (what `backup cluster` / `restore cluster` run over SSH
// and the tests run against a real etcd), rendered with the same values as the bootstrap script that installs them.

import { backupScript, controlScript, restoreScript } from './etcd-backup.js';
import { resolveBootstrapInput } from './inputs.js';
import { scriptVars } from './script.js';
import type { BootstrapInput } from './types.js';

/** /usr/local/sbin/k8sup-etcd-backup of a control plane (what the timer runs; metal: what `backup cluster` runs). */
export function renderEtcdBackupScript(input: BootstrapInput): string {
  const r = resolveBootstrapInput(input);
  if (!r.isControlPlane) throw new Error('only control planes back up etcd');
  return backupScript(r, scriptVars(r));
}

/** /usr/local/sbin/k8sup-etcd-restore of a control plane. */
export function renderEtcdRestoreScript(input: BootstrapInput): string {
  const r = resolveBootstrapInput(input);
  if (!r.isControlPlane) throw new Error('only control planes restore etcd');
  return restoreScript(r, scriptVars(r));
}

/** /usr/local/sbin/k8sup-etcd-control of a cloud control plane (what k8sup-etcd-control.timer runs every minute). */
export function renderEtcdControlScript(input: BootstrapInput): string {
  const r = resolveBootstrapInput(input);
  if (!r.isControlPlane || !r.isCloud) throw new Error('only cloud control planes poll the control folder');
  return controlScript(r, scriptVars(r));
}
