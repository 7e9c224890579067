// Cloud nodes run their bootstrap as a systemd unit, not as one-shot user data: k8sup-bootstrap.service runs the
// script until it succeeds (the script backs off between runs and reports each failure to the state store), and again
// at every boot, where a finished node changes nothing. The user data / startup script only installs and starts it.

import { createHash } from 'node:crypto';
import { loadTemplate } from './template.js';

export const BOOTSTRAP_UNIT = 'k8sup-bootstrap.service';
export const BOOTSTRAP_SCRIPT_PATH = '/var/lib/k8sup/bootstrap.sh';

export interface InstallerOptions {
  /** Shell lines run first (e.g. reading values from instance metadata). */
  prelude?: string[];
  /** Command the embedded script passes through on its way to disk (e.g. a sed substituting those values). */
  filter?: string;
}

/** The instance's user data / startup script: writes the bootstrap script and the unit, then starts the unit. */
export function renderBootstrapInstaller(bootstrap: string, opts: InstallerOptions = {}): string {
  const digest = createHash('sha256').update(bootstrap).digest('hex').slice(0, 12);
  const eof = `K8SUP_BOOTSTRAP_${digest}`;
  const unit = loadTemplate(`node/${BOOTSTRAP_UNIT}`).replace(/\n+$/, '');
  if (bootstrap.split('\n').includes(eof)) throw new Error('bootstrap script contains its heredoc terminator');
  return [
    '#!/bin/bash',
    `# k8sup: installs this node's bootstrap as ${BOOTSTRAP_UNIT}, which runs it until it succeeds (docs/bootstrap.md).`,
    'set -euo pipefail',
    ...(opts.prelude ?? []),
    'install -d -m 0700 /var/lib/k8sup',
    `${opts.filter ?? 'cat'} >${BOOTSTRAP_SCRIPT_PATH}.new <<'${eof}'`,
    bootstrap.replace(/\n$/, ''),
    eof,
    `chmod 0700 ${BOOTSTRAP_SCRIPT_PATH}.new`,
    `mv -f ${BOOTSTRAP_SCRIPT_PATH}.new ${BOOTSTRAP_SCRIPT_PATH}`,
    `cat >/etc/systemd/system/${BOOTSTRAP_UNIT} <<'K8SUP_EOF_BOOTSTRAP_UNIT'`,
    unit,
    'K8SUP_EOF_BOOTSTRAP_UNIT',
    'systemctl daemon-reload',
    `systemctl enable ${BOOTSTRAP_UNIT}`,
    '# --no-block: cloud-init / the guest agent must not wait for the whole bootstrap (or for its retries).',
    `systemctl start --no-block ${BOOTSTRAP_UNIT}`,
    '',
  ].join('\n');
}
