import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseHostsFile, defaultNodeName } from '../../providers/metal/hosts-file.js';
import { InvalidInputError } from '../../src/core/errors.js';

function issuesOf(text: string): { path: string; message: string }[] {
  try {
    parseHostsFile(text, '/inv/hosts.yaml');
  } catch (e) {
    assert.ok(e instanceof InvalidInputError, String(e));
    assert.equal(e.exitCode, 2);
    return e.issues;
  }
  assert.fail('expected InvalidInputError');
}

test('a valid file: defaults (port 22, user root), bastion normalised, relative sshKey next to the file, api.vip', () => {
  const parsed = parseHostsFile(
    `
hosts:
  - {address: 10.0.0.10, role: control-plane, user: ubuntu, sshKey: keys/id_ed25519}
  - address: node1.lab.example
    port: 2222
    role: worker
    bastion: ops@203.0.113.5
    sshKey: ~/.ssh/lab
api:
  vip: 10.0.0.100
`,
    '/inv/hosts.yaml',
  );
  assert.deepEqual(parsed, {
    hosts: [
      { address: '10.0.0.10', port: 22, user: 'ubuntu', role: 'control-plane', sshKey: '/inv/keys/id_ed25519' },
      { address: 'node1.lab.example', port: 2222, user: 'root', role: 'worker', sshKey: '~/.ssh/lab', bastion: 'ops@203.0.113.5:22' },
    ],
    api: { vip: '10.0.0.100' },
  });
  assert.equal(defaultNodeName('10.0.0.10'), '10-0-0-10');
  assert.equal(defaultNodeName('Node1.Lab'), 'node1-lab');
});

test('each bad field is named by its path', () => {
  const issues = issuesOf(`
hosts:
  - {address: 10.0.0.10, role: control-plane}
  - {address: 10.0.0.11, role: master}
  - {address: "not an address!", role: worker, port: 70000, adress: typo}
  - {address: 10.0.0.13, role: worker, bastion: "nohost", user: "bad user"}
api: {vip: 999.1.1.1}
`);
  const paths = issues.map((i) => i.path).sort();
  assert.deepEqual(paths, ['api.vip', 'hosts[1].role', 'hosts[2].address', 'hosts[2].adress', 'hosts[2].port', 'hosts[3].bastion', 'hosts[3].user'].sort());
  assert.match(issues.find((i) => i.path === 'hosts[1].role')!.message, /control-plane or worker.*master/);
});

test('the error message leads with the first field path and the hint names the file', () => {
  try {
    parseHostsFile('hosts:\n  - {address: 10.0.0.1, role: control-plane}\n  - {address: 10.0.0.2}\n', 'inv.yaml');
    assert.fail('expected an error');
  } catch (e) {
    assert.ok(e instanceof InvalidInputError);
    assert.match(e.message, /^hosts\[1\]\.role: is required/);
    assert.match(e.hint ?? '', /inv\.yaml/);
  }
});

test('cross-host rules: duplicates, no control plane, VIP equal to a host', () => {
  assert.deepEqual(
    issuesOf('hosts:\n  - {address: 10.0.0.1, role: control-plane}\n  - {address: 10.0.0.1, role: worker}\n').map((i) => i.path),
    ['hosts[1].address', 'hosts[1].name'],
  );
  // the same address on another port is a different machine, but the default node names collide
  assert.deepEqual(
    issuesOf('hosts:\n  - {address: 10.0.0.1, role: control-plane}\n  - {address: 10.0.0.1, port: 2222, role: worker}\n').map((i) => i.path),
    ['hosts[1].name'],
  );
  assert.deepEqual(issuesOf('hosts:\n  - {address: 10.0.0.1, role: worker}\n').map((i) => i.path), ['hosts']);
  assert.deepEqual(issuesOf('hosts:\n  - {address: 10.0.0.1, role: control-plane}\napi: {vip: 10.0.0.1}\n').map((i) => i.path), ['api.vip']);
  assert.deepEqual(issuesOf('hosts: []\n').map((i) => i.path), ['hosts']);
  assert.deepEqual(issuesOf('nodes: []\n').map((i) => i.path).sort(), ['hosts', 'nodes']);
});

test('YAML syntax errors are InvalidInputError with a line number', () => {
  assert.throws(() => parseHostsFile('hosts:\n  - {address: 10.0.0.1, role: control-plane\n', 'x.yaml'), (e: unknown) => {
    return e instanceof InvalidInputError && /x\.yaml is not valid YAML \(line \d+/.test(e.message);
  });
  assert.throws(() => parseHostsFile('- just a list\n'), InvalidInputError);
});
