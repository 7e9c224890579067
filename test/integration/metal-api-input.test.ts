// Input rules of wave 2 through the CLI (in process; no host or cloud is contacted): empty CIDR lists are refused on
// every cloud, --dns-zone is refused on metal, and spec.api.frontEnd / api.endpoint / api.vip must fit together —
// from flags, the --hosts file's `api:` and cluster files alike. Each refusal is exit 2 with nothing stored.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { metalCli } from '../helpers/metal-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'k8sup-metal-api-'));
const home = join(dir, 'home');
mkdirSync(home);
after(() => rmSync(dir, { recursive: true, force: true }));
const k8sup = metalCli(home, dir);

/** Digest of everything under the state store (nothing there counts as one state). */
function storeDigest(): string {
  const h = createHash('sha256');
  const walk = (d: string) => {
    if (!existsSync(d)) return;
    for (const e of readdirSync(d).sort()) {
      const p = join(d, e);
      h.update(p);
      if (statSync(p).isDirectory()) walk(p);
      else h.update(readFileSync(p));
    }
  };
  walk(join(dir, 'state'));
  return h.digest('hex');
}

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

const HOSTS = 'hosts:\n  - {address: 10.0.0.11, role: control-plane}\n  - {address: 10.0.0.21, role: worker}\n';
const hosts = (api?: string) => file(`hosts-${Math.random().toString(36).slice(2)}.yaml`, api ? `${HOSTS}api: ${api}\n` : HOSTS);
const spec = (body: string) => file(`spec-${Math.random().toString(36).slice(2)}.yaml`, `apiVersion: k8sup.io/v1alpha1\nkind: Cluster\nmetadata: {name: f.k8s.local}\nspec:\n${body}`);

const refused: [string, () => string[], RegExp][] = [
  ['--admin-access "" on AWS', () => ['create', 'cluster', 'a.k8s.local', '--zones', 'us-east-2a', '--admin-access', ''], /spec\.api\.adminAccess: is empty/],
  ['--ssh-access "" on AWS', () => ['create', 'cluster', 'a.k8s.local', '--zones', 'us-east-2a', '--ssh-access', ''], /spec\.ssh\.access: is empty/],
  ['--ssh-access "," on GCE', () => ['create', 'cluster', 'g.k8s.local', '--zones', 'us-central1-b', '--project', 'p-1', '--ssh-access', ','], /spec\.ssh\.access: is empty/],
  ['--admin-access "" on metal', () => ['create', 'cluster', 'm.k8s.local', '--hosts', hosts(), '--admin-access', ''], /spec\.api\.adminAccess: is empty/],
  ['api.adminAccess: [] in a cluster file', () => ['create', '-f', spec('  zones: [us-east-2a]\n  api: {adminAccess: []}\n')], /spec\.api\.adminAccess: is empty/],
  ['--dns-zone on metal', () => ['create', 'cluster', 'm.k8s.local', '--hosts', hosts(), '--dns-zone', 'example.com'], /spec\.api\.dnsZone: bare-metal clusters publish no DNS records/],
  ['an unknown front end in the hosts file', () => ['create', 'cluster', 'm.k8s.local', '--hosts', hosts('{frontEnd: f5}')], /api\.frontEnd: must be one of kube-vip, haproxy-keepalived, external/],
  ['an unknown api field in the hosts file', () => ['create', 'cluster', 'm.k8s.local', '--hosts', hosts('{vips: 10.0.0.5}')], /api\.vips: unknown field/],
  ['haproxy-keepalived without a vip', () => ['create', 'cluster', 'm.k8s.local', '--hosts', hosts('{frontEnd: haproxy-keepalived}')], /spec\.api\.vip: is required with frontEnd haproxy-keepalived/],
  ['external without an endpoint', () => ['create', 'cluster', 'm.k8s.local', '--hosts', hosts('{frontEnd: external}')], /spec\.api\.endpoint: is required with frontEnd external/],
  ['external with a vip', () => ['create', 'cluster', 'm.k8s.local', '--hosts', hosts('{frontEnd: external, endpoint: lb.example.com, vip: 10.0.0.100}')], /spec\.api\.vip: is not used with frontEnd external/],
  ['an endpoint without frontEnd external', () => ['create', 'cluster', 'm.k8s.local', '--hosts', hosts('{endpoint: lb.example.com}')], /spec\.api\.endpoint: is only used with frontEnd external/],
  ['a malformed endpoint in the hosts file', () => ['create', 'cluster', 'm.k8s.local', '--hosts', hosts('{frontEnd: external, endpoint: "lb.example.com:99999"}')], /api\.endpoint: must be host\[:port\]/],
  ['a malformed endpoint in a cluster file', () => ['create', '-f', spec('  cloud: metal\n  hosts: [{address: 10.0.0.11, role: control-plane}]\n  api: {frontEnd: external, endpoint: "not a host"}\n')], /spec\.api\.endpoint: "not a host" is not host\[:port\]/],
  ['frontEnd on AWS', () => ['create', '-f', spec('  zones: [us-east-2a]\n  api: {frontEnd: haproxy-keepalived}\n')], /spec\.api\.frontEnd: only bare-metal clusters/],
  ['the VIP on a host address in a cluster file', () => ['create', '-f', spec('  cloud: metal\n  hosts: [{address: 10.0.0.11, role: control-plane}]\n  api: {vip: 10.0.0.11}\n')], /spec\.api\.vip: 10\.0\.0\.11 is also a host's address/],
];

for (const [what, args, message] of refused) {
  test(`refused with exit 2, nothing stored: ${what}`, async () => {
    const before = storeDigest();
    const r = await k8sup(args());
    assert.equal(r.code, 2, `${what}: exit ${r.code}\n${r.stderr}\n${r.error?.message ?? ''}`);
    assert.match(r.error?.message ?? '', message);
    assert.ok(r.error?.hint, 'a hint says how to fix it');
    assert.equal(storeDigest(), before, 'the state store is unchanged');
  });
}

test('accepted: external with api.endpoint from the hosts file; the stored spec and the plan follow it', async () => {
  const r = await k8sup(['create', 'cluster', 'ext.k8s.local', '--hosts', hosts('{frontEnd: external, endpoint: "lb.corp.example:443"}'), '--networking', 'cilium', '-v']);
  assert.equal(r.code, 0, `${r.stderr} ${r.error?.message ?? ''}`);
  assert.match(r.stdout, /controlPlaneEndpoint: "?lb\.corp\.example:443"?/);
  assert.doesNotMatch(r.stdout, /kube-vip|haproxy|keepalived/);
  const got = await k8sup(['get', 'cluster', 'ext.k8s.local', '-o', 'json']);
  const api = JSON.parse(got.stdout).spec.api;
  assert.equal(api.frontEnd, 'external');
  assert.equal(api.endpoint, 'lb.corp.example:443');
});

test('accepted: explicit CIDR lists still work, and the defaults stay 0.0.0.0/0 when the flags are absent', async () => {
  const r = await k8sup(['create', 'cluster', 'cidr.k8s.local', '--zones', 'us-east-2a', '--admin-access', '203.0.113.0/24', '--ssh-access', '198.51.100.0/24']);
  assert.equal(r.code, 0, `${r.stderr} ${r.error?.message ?? ''}`);
  const spec1 = JSON.parse((await k8sup(['get', 'cluster', 'cidr.k8s.local', '-o', 'json'])).stdout).spec;
  assert.deepEqual([spec1.api.adminAccess, spec1.ssh.access], [['203.0.113.0/24'], ['198.51.100.0/24']]);
  assert.equal((await k8sup(['create', 'cluster', 'dflt.k8s.local', '--zones', 'us-east-2a'])).code, 0);
  const spec2 = JSON.parse((await k8sup(['get', 'cluster', 'dflt.k8s.local', '-o', 'json'])).stdout).spec;
  assert.deepEqual([spec2.api.adminAccess, spec2.ssh.access], [['0.0.0.0/0'], ['0.0.0.0/0']]);
});

test('a revision stored before these rules (ssh.access: [], a metal dnsZone) still loads; new input with them is refused', async () => {
  assert.equal((await k8sup(['create', 'cluster', 'old.k8s.local', '--hosts', hosts()])).code, 0);
  const revisions = join(dir, 'state', 'old.k8s.local', 'revisions');
  const [first] = readdirSync(revisions).filter((f) => f.endsWith('.yaml'));
  const path = join(revisions, first);
  const text = readFileSync(path, 'utf8');
  const old = text.replace(/access:\n(\s+)- 0\.0\.0\.0\/0/, 'access: []').replace('dnsZone: null', 'dnsZone: lab.example.com');
  assert.notEqual(old, text);
  writeFileSync(path, old);
  const got = await k8sup(['get', 'cluster', 'old.k8s.local', '-o', 'json']);
  assert.equal(got.code, 0, `${got.stderr} ${got.error?.message ?? ''}`);
  assert.deepEqual(JSON.parse(got.stdout).spec.ssh.access, []);
  const again = file('old-again.json', got.stdout);
  const replaced = await k8sup(['replace', '-f', again]);
  assert.equal(replaced.code, 2, 'the same spec as new input is refused');
  assert.match(replaced.error?.message ?? '', /spec\.ssh\.access: is empty/);
});
