// spec.api.frontEnd on bare metal: the controlPlaneEndpoint each front end gives kubeadm, and the HAProxy / keepalived
// configurations of haproxy-keepalived checked by the REAL `haproxy -c` and `keepalived -t` (/usr/sbin).

import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { loadCluster } from '../../src/api/index.js';
import type { Cluster } from '../../src/api/types.js';
import { renderApiFrontEndFiles, KEEPALIVED_CHECK_SCRIPT, KEEPALIVED_INTERFACE_PLACEHOLDER } from '../../src/bootstrap/api-front-end.js';
import { renderBootstrapScript, renderKubeadmConfig } from '../../src/bootstrap/index.js';
import { resolveBootstrapInput } from '../../src/bootstrap/inputs.js';
import type { BootstrapInput, NodeRole } from '../../src/bootstrap/types.js';
import { metalCloud } from '../../providers/metal/cloud.js';
import { buildMetalGraph } from '../../providers/metal/model.js';
import { TEST_CA_HASH } from '../helpers/bootstrap-fixtures.js';

const HAPROXY = '/usr/sbin/haproxy';
const KEEPALIVED = '/usr/sbin/keepalived';
const dir = mkdtempSync(join(tmpdir(), 'k8sup-front-end-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const HOSTS = [
  { address: '10.0.0.11', role: 'control-plane' },
  { address: '10.0.0.12', role: 'control-plane' },
  { address: '10.0.0.13', role: 'control-plane' },
  { address: '10.0.0.21', role: 'worker' },
];

function metalCluster(api: Record<string, unknown>): Cluster {
  return loadCluster({ metadata: { name: 'lab.k8s.local' }, spec: { cloud: 'metal', kubernetesVersion: '1.34.4', api, hosts: HOSTS } });
}

/** The bootstrap input the metal provider builds for a host (providers/metal/resources/kubeadm.ts). */
function inputFor(cluster: Cluster, address: string): BootstrapInput {
  const graph = buildMetalGraph(cluster, { stateStore: 'file:///tmp/state', caCertPem: '', caCertHash: TEST_CA_HASH });
  const step = graph.find((n) => n.kind !== 'metal-host' && n.fields.address === address)!;
  const role: NodeRole = step.kind === 'metal-kubeadm-init' ? 'control-plane-init' : step.fields.role === 'control-plane' ? 'control-plane-join' : 'worker';
  return {
    cluster,
    role,
    nodeGroup: role === 'worker' ? 'nodes' : 'control-plane',
    provider: metalCloud.nodes,
    apiEndpoint: String(step.fields.apiEndpoint),
    caCertHash: TEST_CA_HASH,
    stateStoreUrl: 'file:///tmp/state',
    nodeName: String(step.fields.host),
    nodeIp: address,
  };
}

/** A non-loopback interface of this machine: keepalived -t refuses interfaces that do not exist. */
function realInterface(): string {
  const names = readdirSync('/sys/class/net').filter((n) => n !== 'lo').sort();
  assert.ok(names.length > 0, 'no network interface besides lo');
  return names.find((n) => n.startsWith('eth')) ?? names[0];
}

function haproxyCheck(config: string): { status: number | null; output: string } {
  const path = join(dir, `haproxy-${Math.random().toString(36).slice(2)}.cfg`);
  writeFileSync(path, config);
  const r = spawnSync(HAPROXY, ['-c', '-f', path], { encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

/**
 * `keepalived -t -f FILE` (= --config-test) on the rendered file. The interface placeholder becomes a real interface
 * (the script does that on the host) and the check script lives in the test folder, because keepalived checks both.
 */
function keepalivedCheck(config: string, checkScript: string): { status: number | null; output: string } {
  const id = Math.random().toString(36).slice(2);
  const script = join(dir, `check-${id}.sh`);
  writeFileSync(script, checkScript, { mode: 0o755 });
  const path = join(dir, `keepalived-${id}.conf`);
  writeFileSync(path, config.replace(KEEPALIVED_INTERFACE_PLACEHOLDER, realInterface()).replace(KEEPALIVED_CHECK_SCRIPT, script));
  const r = spawnSync(KEEPALIVED, ['-t', '-f', path], { encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

describe('controlPlaneEndpoint per front end', () => {
  test('kube-vip (the default) keeps vip:6443, and the first control plane without a vip', () => {
    const endpoint = (c: Cluster) => inputFor(c, '10.0.0.11').apiEndpoint;
    assert.equal(endpoint(metalCluster({ vip: '10.0.0.100' })), '10.0.0.100:6443');
    assert.equal(endpoint(metalCluster({ frontEnd: 'kube-vip', vip: '10.0.0.100' })), '10.0.0.100:6443');
    assert.equal(endpoint(metalCluster({})), '10.0.0.11:6443');
  });

  test('haproxy-keepalived: vip:8443 on every node; kube-vip is not installed', () => {
    const c = metalCluster({ frontEnd: 'haproxy-keepalived', vip: '10.0.0.100' });
    for (const h of HOSTS) assert.equal(inputFor(c, h.address).apiEndpoint, '10.0.0.100:8443');
    const script = renderBootstrapScript(inputFor(c, '10.0.0.11'));
    assert.ok(!script.includes('kube-vip'), 'no kube-vip with haproxy-keepalived');
    assert.match(script, /apt_get install -y -q haproxy keepalived/);
    assert.match(renderKubeadmConfig(inputFor(c, '10.0.0.11')), /controlPlaneEndpoint: "?10\.0\.0\.100:8443"?/);
  });

  test('external: SANs and controlPlaneEndpoint follow api.endpoint; nothing is installed for the API', () => {
    const c = metalCluster({ frontEnd: 'external', endpoint: 'API.Example.com' });
    const input = inputFor(c, '10.0.0.12');
    assert.equal(input.apiEndpoint, 'api.example.com:6443');
    const withPort = inputFor(metalCluster({ frontEnd: 'external', endpoint: 'lb.corp.example:443' }), '10.0.0.11');
    assert.equal(withPort.apiEndpoint, 'lb.corp.example:443');
    const r = resolveBootstrapInput(withPort);
    assert.deepEqual(r.certSANs, ['lb.corp.example']);
    const kubeadm = renderKubeadmConfig(withPort);
    assert.match(kubeadm, /controlPlaneEndpoint: "?lb\.corp\.example:443"?/);
    assert.match(kubeadm, /- "?lb\.corp\.example"?/);
    const script = renderBootstrapScript(withPort);
    assert.ok(!/kube-vip|haproxy|keepalived/.test(script), 'external installs no front end');
  });
});

describe('haproxy-keepalived configurations (real haproxy -c, keepalived -t)', () => {
  const c = metalCluster({ frontEnd: 'haproxy-keepalived', vip: '10.0.0.100' });
  const files = (address: string) => renderApiFrontEndFiles(resolveBootstrapInput(inputFor(c, address)))!;

  test('HAProxy listens on 8443 and balances to all three API servers with /healthz checks; haproxy -c accepts it', () => {
    const cfg = files('10.0.0.12').haproxyCfg;
    assert.match(cfg, /bind \*:8443/);
    for (const a of ['10.0.0.11', '10.0.0.12', '10.0.0.13']) assert.match(cfg, new RegExp(`server \\S+ ${a.replaceAll('.', '\\.')}:6443 check`));
    assert.ok(!cfg.includes('10.0.0.21'), 'workers are no backends');
    assert.match(cfg, /http-check send meth GET uri \/healthz/);
    const check = haproxyCheck(cfg);
    assert.equal(check.status, 0, check.output);
    // The check has teeth: a broken file is refused.
    assert.notEqual(haproxyCheck(cfg.replace('balance roundrobin', 'balance sideways')).status, 0);
  });

  test('keepalived: one MASTER (the first control plane), BACKUPs with lower priorities, unicast peers; keepalived -t accepts each', () => {
    const confs = ['10.0.0.11', '10.0.0.12', '10.0.0.13'].map((a) => files(a));
    assert.match(confs[0].keepalivedConf, /state MASTER/);
    assert.match(confs[1].keepalivedConf, /state BACKUP/);
    const priorities = confs.map((f) => Number(/priority (\d+)/.exec(f.keepalivedConf)![1]));
    assert.deepEqual(priorities, [101, 100, 99]);
    const weight = Number(/weight (-\d+)/.exec(confs[0].keepalivedConf)![1]);
    assert.ok(priorities[0] + weight < priorities[2], 'a failing check drops the master below every healthy peer');
    assert.match(confs[1].keepalivedConf, /unicast_src_ip 10\.0\.0\.12/);
    assert.match(confs[1].keepalivedConf, /unicast_peer \{\s+10\.0\.0\.11\s+10\.0\.0\.13\s+\}/);
    const routerIds = new Set(confs.map((f) => /virtual_router_id (\d+)/.exec(f.keepalivedConf)![1]));
    assert.equal(routerIds.size, 1, 'all control planes share the VRRP router id');
    assert.match(confs[0].keepalivedConf, /virtual_ipaddress \{\s+10\.0\.0\.100\s+\}/);
    assert.match(confs[0].checkScript, /https:\/\/localhost:8443\/healthz/);
    for (const f of confs) {
      const check = keepalivedCheck(f.keepalivedConf, f.checkScript);
      assert.equal(check.status, 0, check.output);
    }
    assert.notEqual(keepalivedCheck(confs[0].keepalivedConf.replace('unicast_peer {', 'unicast_peer {\n        not-an-address'), confs[0].checkScript).status, 0);
  });

  test('workers get no HAProxy or keepalived', () => {
    assert.equal(renderApiFrontEndFiles(resolveBootstrapInput(inputFor(c, '10.0.0.21'))), null);
    assert.ok(!/haproxy|keepalived/.test(renderBootstrapScript(inputFor(c, '10.0.0.21'))));
  });

  test('the check script is valid sh (shellcheck)', () => {
    const path = join(dir, 'check_apiserver.sh');
    writeFileSync(path, files('10.0.0.11').checkScript);
    execFileSync('shellcheck', ['-s', 'sh', path]);
  });
});
