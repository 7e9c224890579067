// The host OS probe's parser and the support matrix (providers/metal/os.ts), on real os-release texts.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { osFamilyOf, parseOsRelease, unsupportedReason } from '../../providers/metal/os.js';

const RELEASES: Record<string, string> = {
  'ubuntu-22.04': 'PRETTY_NAME="Ubuntu 22.04.4 LTS"\nNAME="Ubuntu"\nVERSION_ID="22.04"\nVERSION="22.04.4 LTS (Jammy Jellyfish)"\nID=ubuntu\nID_LIKE=debian\n',
  'ubuntu-24.04': 'PRETTY_NAME="Ubuntu 24.04.1 LTS"\nNAME="Ubuntu"\nVERSION_ID="24.04"\nID=ubuntu\nID_LIKE=debian\n',
  'debian-12': 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nID=debian\n',
  'rocky-9.4': 'NAME="Rocky Linux"\nVERSION="9.4 (Blue Onyx)"\nID="rocky"\nID_LIKE="rhel centos fedora"\nVERSION_ID="9.4"\nPRETTY_NAME="Rocky Linux 9.4 (Blue Onyx)"\n',
  'almalinux-9.5': 'NAME="AlmaLinux"\nVERSION="9.5 (Teal Serval)"\nID="almalinux"\nID_LIKE="rhel centos fedora"\nVERSION_ID="9.5"\nPRETTY_NAME="AlmaLinux 9.5 (Teal Serval)"\n',
  'ubuntu-20.04': 'PRETTY_NAME="Ubuntu 20.04.6 LTS"\nVERSION_ID="20.04"\nID=ubuntu\n',
  'debian-11': 'PRETTY_NAME="Debian GNU/Linux 11 (bullseye)"\nVERSION_ID="11"\nID=debian\n',
  'rocky-8.10': 'NAME="Rocky Linux"\nID="rocky"\nVERSION_ID="8.10"\nPRETTY_NAME="Rocky Linux 8.10 (Green Obsidian)"\n',
  'centos-7': 'NAME="CentOS Linux"\nID="centos"\nVERSION_ID="7"\nPRETTY_NAME="CentOS Linux 7 (Core)"\n',
};

test('parses quoted and unquoted values, ID_LIKE lists and PRETTY_NAME', () => {
  const r = parseOsRelease(RELEASES['rocky-9.4']);
  assert.deepEqual(r, { id: 'rocky', versionId: '9.4', idLike: ['rhel', 'centos', 'fedora'], prettyName: 'Rocky Linux 9.4 (Blue Onyx)' });
  assert.equal(parseOsRelease('').prettyName, 'an unknown OS');
});

test('support matrix: Ubuntu 22.04/24.04 and Debian 12 on apt, Rocky/Alma 9 on dnf; older releases refused', () => {
  const family = (k: string) => osFamilyOf(parseOsRelease(RELEASES[k]));
  assert.deepEqual(['ubuntu-22.04', 'ubuntu-24.04', 'debian-12'].map(family), ['debian', 'debian', 'debian']);
  assert.deepEqual(['rocky-9.4', 'almalinux-9.5'].map(family), ['rhel', 'rhel']);
  for (const k of ['ubuntu-20.04', 'debian-11', 'rocky-8.10', 'centos-7']) assert.equal(family(k), null, k);
});

test('the reason names the OS and the architecture', () => {
  assert.equal(unsupportedReason(parseOsRelease(RELEASES['debian-12']), 'x86_64'), null);
  assert.equal(unsupportedReason(parseOsRelease(RELEASES['ubuntu-24.04']), 'aarch64'), null);
  assert.equal(unsupportedReason(parseOsRelease(RELEASES['debian-12']), 'ppc64le'), 'has CPU architecture ppc64le');
  assert.equal(unsupportedReason(parseOsRelease(RELEASES['centos-7']), 'i686'), 'runs CentOS Linux 7 (Core) (ID=centos VERSION_ID=7) and has CPU architecture i686');
});
