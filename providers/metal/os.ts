// Which hosts k8sup installs on: the OS (from /etc/os-release, probed over SSH before a change) and the CPU
// architecture (uname -m). docs/metal.md ("Supported hosts") lists the same.

import type { OsFamily } from '../../src/bootstrap/types.js';

export interface OsRelease {
  id: string;
  versionId: string;
  idLike: string[];
  prettyName: string;
}

/** Parses os-release(5): KEY=value lines, values optionally quoted. */
export function parseOsRelease(text: string): OsRelease {
  const values: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!m) continue;
    let v = m[2];
    if (/^(["']).*\1$/.test(v)) v = v.slice(1, -1).replace(/\\(["$`\\])/g, '$1');
    values[m[1]] = v;
  }
  const id = (values.ID ?? '').toLowerCase();
  const versionId = values.VERSION_ID ?? '';
  return {
    id,
    versionId,
    idLike: (values.ID_LIKE ?? '').toLowerCase().split(/\s+/).filter(Boolean),
    prettyName: values.PRETTY_NAME ?? ([values.NAME ?? id, versionId].filter(Boolean).join(' ') || 'an unknown OS'),
  };
}

/** Supported releases: the exact Ubuntu/Debian releases pkgs.k8s.io and containerd are tested on, RHEL-family 9. */
const SUPPORTED: { ids: string[]; versions: (v: string) => boolean; family: OsFamily }[] = [
  { ids: ['ubuntu'], versions: (v) => v === '22.04' || v === '24.04', family: 'debian' },
  { ids: ['debian'], versions: (v) => v === '12', family: 'debian' },
  { ids: ['rocky', 'almalinux', 'rhel'], versions: (v) => /^9(\.\d+)*$/.test(v), family: 'rhel' },
];

export const SUPPORTED_OS_TEXT = 'Ubuntu 22.04 or 24.04, Debian 12, Rocky Linux / AlmaLinux / RHEL 9';
export const SUPPORTED_ARCH = new Set(['x86_64', 'amd64', 'aarch64', 'arm64']);

/** The package family of a supported release, or null. */
export function osFamilyOf(rel: OsRelease): OsFamily | null {
  return SUPPORTED.find((s) => s.ids.includes(rel.id) && s.versions(rel.versionId))?.family ?? null;
}

/** Why a host cannot be installed, or null when it can. */
export function unsupportedReason(rel: OsRelease, arch: string): string | null {
  const problems: string[] = [];
  if (osFamilyOf(rel) === null) problems.push(`runs ${rel.prettyName} (ID=${rel.id || '?'} VERSION_ID=${rel.versionId || '?'})`);
  if (!SUPPORTED_ARCH.has(arch)) problems.push(`has CPU architecture ${arch}`);
  return problems.length ? problems.join(' and ') : null;
}
