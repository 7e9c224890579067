import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  checkHostKey,
  fingerprintSha256,
  formatKnownHostsLine,
  knownKeyTypes,
  parseKnownHosts,
  preferredHostKeyAlgorithms,
  verifyHostKey,
} from '../../providers/metal/known-hosts.js';
import { OperationError } from '../../src/core/errors.js';
import { makeKeyPair, sshKeygenFingerprint } from '../helpers/sshd.js';

const dir = mkdtempSync(join(tmpdir(), 'k8sup-kh-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const ed = makeKeyPair(dir, 'ed', 'ed25519');
const ec = makeKeyPair(dir, 'ec', 'ecdsa');
const rsa = makeKeyPair(dir, 'rsa', 'rsa');
const other = makeKeyPair(dir, 'other', 'ed25519');
const blob = (pub: string) => Buffer.from(pub.split(' ')[1], 'base64');
const typeAndKey = (pub: string) => pub.split(' ').slice(0, 2).join(' ');

test('SHA256 fingerprints equal ssh-keygen -lf for ed25519, ecdsa and rsa keys', () => {
  for (const k of [ed, ec, rsa]) {
    assert.equal(fingerprintSha256(blob(k.publicKey)), sshKeygenFingerprint(`${k.privateKeyPath}.pub`));
  }
});

test('parses plain, [host]:port, multi-pattern, comments, markers; skips malformed lines', () => {
  const text = [
    '# a comment',
    '',
    `web1.example.com,10.0.0.1 ${typeAndKey(ed.publicKey)} comment here`,
    `[10.0.0.2]:2222 ${typeAndKey(ec.publicKey)}`,
    `@cert-authority *.example.com ${typeAndKey(rsa.publicKey)}`,
    `@revoked 10.0.0.9 ${typeAndKey(other.publicKey)}`,
    'garbage line',
    `10.0.0.3 ssh-ed25519 !!!notbase64`,
    `10.0.0.4 ssh-rsa ${blob(ed.publicKey).toString('base64')}`, // type does not match the blob
  ].join('\n');
  const entries = parseKnownHosts(text);
  assert.equal(entries.length, 4);
  assert.deepEqual(entries[0].patterns, ['web1.example.com', '10.0.0.1']);
  assert.equal(entries[0].line, 3);
  assert.equal(entries[1].keyType, 'ecdsa-sha2-nistp256');
  assert.equal(entries[2].marker, 'cert-authority');
  assert.equal(entries[3].marker, 'revoked');

  assert.equal(checkHostKey(entries, '10.0.0.1', 22, blob(ed.publicKey)).status, 'match');
  assert.equal(checkHostKey(entries, 'WEB1.example.com', 22, blob(ed.publicKey)).status, 'match');
  // port matters: 10.0.0.1 on 2222 is a different known_hosts name
  assert.equal(checkHostKey(entries, '10.0.0.1', 2222, blob(ed.publicKey)).status, 'unknown');
  assert.equal(checkHostKey(entries, '10.0.0.2', 2222, blob(ec.publicKey)).status, 'match');
  assert.equal(checkHostKey(entries, '10.0.0.2', 22, blob(ec.publicKey)).status, 'unknown');
  // a cert-authority line never makes a plain key trusted
  assert.equal(checkHostKey(entries, 'api.example.com', 22, blob(rsa.publicKey)).status, 'unknown');
  assert.equal(checkHostKey(entries, '10.0.0.9', 22, blob(other.publicKey)).status, 'revoked');
});

test('a different key for a known host is "changed" and lists the expected fingerprint', () => {
  const entries = parseKnownHosts(`10.0.0.1 ${typeAndKey(ed.publicKey)}\n`);
  const r = checkHostKey(entries, '10.0.0.1', 22, blob(other.publicKey));
  assert.equal(r.status, 'changed');
  assert.deepEqual(r.status === 'changed' && r.expected, [`ssh-ed25519 ${sshKeygenFingerprint(`${ed.privateKeyPath}.pub`)}`]);
});

test('wildcards and negation follow OpenSSH pattern rules', () => {
  const entries = parseKnownHosts(`*.lab,!bad.lab ${typeAndKey(ed.publicKey)}\n`);
  assert.equal(checkHostKey(entries, 'n1.lab', 22, blob(ed.publicKey)).status, 'match');
  assert.equal(checkHostKey(entries, 'bad.lab', 22, blob(ed.publicKey)).status, 'unknown');
  assert.equal(checkHostKey(entries, 'n1.lab.evil', 22, blob(ed.publicKey)).status, 'unknown');
});

test('entries hashed by ssh-keygen -H are found; our hashed lines are found by ssh-keygen -F', () => {
  const file = join(dir, 'kh-hashed');
  writeFileSync(file, `10.1.1.1 ${typeAndKey(ed.publicKey)}\n[10.1.1.2]:2200 ${typeAndKey(ec.publicKey)}\n`);
  execFileSync('ssh-keygen', ['-H', '-f', file], { stdio: 'ignore' });
  const hashedText = readFileSync(file, 'utf8');
  assert.ok(!hashedText.includes('10.1.1.1'), 'ssh-keygen -H hashed the names');
  const entries = parseKnownHosts(hashedText);
  assert.ok(entries.every((e) => e.hashed));
  assert.equal(checkHostKey(entries, '10.1.1.1', 22, blob(ed.publicKey)).status, 'match');
  assert.equal(checkHostKey(entries, '10.1.1.2', 2200, blob(ec.publicKey)).status, 'match');
  assert.equal(checkHostKey(entries, '10.1.1.2', 2200, blob(other.publicKey)).status, 'changed');
  assert.equal(checkHostKey(entries, '10.1.1.3', 22, blob(ed.publicKey)).status, 'unknown');

  const ours = join(dir, 'kh-ours');
  writeFileSync(ours, formatKnownHostsLine('10.2.2.2', 2022, blob(rsa.publicKey), { hash: true }) + '\n');
  const found = execFileSync('ssh-keygen', ['-F', '[10.2.2.2]:2022', '-f', ours], { encoding: 'utf8' });
  assert.match(found, /ssh-rsa/);
  assert.throws(() => execFileSync('ssh-keygen', ['-F', '[10.2.2.3]:2022', '-f', ours], { stdio: 'ignore' }));
});

test('known key types are preferred when negotiating the host key algorithm', () => {
  const entries = parseKnownHosts(`h ${typeAndKey(rsa.publicKey)}\n`);
  assert.deepEqual(knownKeyTypes(entries, 'h', 22), ['ssh-rsa']);
  const algos = preferredHostKeyAlgorithms(['ssh-rsa']);
  assert.deepEqual(algos.slice(0, 3), ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']);
  assert.ok(algos.includes('ssh-ed25519'));
  assert.equal(preferredHostKeyAlgorithms([])[0], 'ssh-ed25519');
});

test('verifyHostKey: unknown refused with host + fingerprint; accept-new records (0600); changed always refused', async () => {
  const khDir = join(dir, 'home', '.ssh');
  const path = join(khDir, 'known_hosts');
  const key = blob(ed.publicKey);
  const fp = sshKeygenFingerprint(`${ed.privateKeyPath}.pub`);

  await assert.rejects(verifyHostKey({ knownHostsPath: path, acceptNew: false }, '10.9.9.9', 2222, key), (e: unknown) => {
    assert.ok(e instanceof OperationError);
    assert.equal(e.exitCode, 1);
    assert.match(e.message, /\[10\.9\.9\.9\]:2222/);
    assert.ok(e.message.includes(fp));
    assert.match(e.hint ?? '', /--ssh-accept-new/);
    return true;
  });

  assert.equal(await verifyHostKey({ knownHostsPath: path, acceptNew: true }, '10.9.9.9', 2222, key), 'recorded');
  assert.equal(statSync(path).mode & 0o777, 0o600);
  assert.equal(statSync(khDir).mode & 0o777, 0o700);
  assert.equal(readFileSync(path, 'utf8'), `[10.9.9.9]:2222 ${typeAndKey(ed.publicKey)}\n`);
  assert.equal(await verifyHostKey({ knownHostsPath: path, acceptNew: false }, '10.9.9.9', 2222, key), 'known');

  const otherFp = sshKeygenFingerprint(`${other.privateKeyPath}.pub`);
  for (const acceptNew of [false, true]) {
    await assert.rejects(verifyHostKey({ knownHostsPath: path, acceptNew }, '10.9.9.9', 2222, blob(other.publicKey)), (e: unknown) => {
      assert.ok(e instanceof OperationError);
      assert.equal(e.code, 'SshHostKeyChanged');
      assert.ok(e.message.includes(fp), 'names the expected fingerprint');
      assert.ok(e.message.includes(otherFp), 'names the presented fingerprint');
      assert.match(e.message, /10\.9\.9\.9/);
      return true;
    });
  }
  // refusing a changed key never rewrites the file
  assert.equal(readFileSync(path, 'utf8').split('\n').filter(Boolean).length, 1);

  // appending to a file that does not end in a newline keeps lines separate
  writeFileSync(path, `10.8.8.8 ${typeAndKey(ec.publicKey)}`);
  await verifyHostKey({ knownHostsPath: path, acceptNew: true }, '10.7.7.7', 22, key);
  assert.deepEqual(readFileSync(path, 'utf8').split('\n'), [`10.8.8.8 ${typeAndKey(ec.publicKey)}`, `10.7.7.7 ${typeAndKey(ed.publicKey)}`, '']);
});
