import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jumpSpec, lookupSshConfig, parseSshConfig } from '../../providers/metal/ssh-config.js';
import { InvalidInputError } from '../../src/core/errors.js';

const CONFIG = `
# global defaults come first in OpenSSH, but "first value wins" means specific blocks must precede Host *
Host cp1 cp1.lab
  HostName 10.0.0.11
  User ubuntu
  Port 2222
  IdentityFile ~/.ssh/lab_%h
  ProxyJump jump

Host jump
  HostName 203.0.113.5
  User ops

Match host foo
  User never-applied

Host 10.0.0.* !10.0.0.99
  User admin
  ProxyJump none

Host *
  User fallback
  Port=2200
  IdentityFile "%d/.ssh/id_default"
`;

test('first value wins across matching Host blocks; tokens and ~ expand', () => {
  const b = parseSshConfig(CONFIG);
  assert.deepEqual(lookupSshConfig(b, 'cp1', '/home/me'), {
    hostName: '10.0.0.11',
    user: 'ubuntu',
    port: 2222,
    identityFile: '/home/me/.ssh/lab_10.0.0.11',
    proxyJump: 'jump',
  });
  assert.deepEqual(lookupSshConfig(b, '10.0.0.7', '/home/me'), { user: 'admin', port: 2200, identityFile: '/home/me/.ssh/id_default' });
  // negated pattern: 10.0.0.99 falls through to Host *
  assert.equal(lookupSshConfig(b, '10.0.0.99', '/home/me').user, 'fallback');
  // Match blocks are skipped, their options never leak
  assert.ok(!JSON.stringify(b).includes('never-applied'));
});

test('ProxyJump becomes user@host:port using the jump host\'s own entry', () => {
  const b = parseSshConfig(CONFIG);
  assert.equal(jumpSpec(b, 'jump', '/home/me', 'ubuntu'), 'ops@203.0.113.5:2200');
  assert.equal(jumpSpec(b, 'root@198.51.100.1:22', '/home/me', 'ubuntu'), 'root@198.51.100.1:22');
  assert.throws(() => lookupSshConfig(parseSshConfig('Host x\n ProxyJump a,b\n'), 'x', '/h'), InvalidInputError);
});
