// The GCE model is pure: golden files for the resource graph and for the Terraform target, plus the rules that
// keep names valid, the description marker exact, and errors classified the way the executor needs.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { loadCluster, type Cluster } from '../../src/api/index.js';
import { renderTerraform } from '../../src/core/engine.js';
import { buildGraph } from '../../src/core/graph.js';
import { apiEndpoint, gceHandlers, terraformPreamble } from '../../providers/gce/index.js';
import { InvalidInputError } from '../../src/core/errors.js';
import { endpointOptions } from '../../providers/gce/clients.js';
import { classifyGceError, GceHttpError, GceOperationError, isAlreadyExists } from '../../providers/gce/errors.js';
import { buildGceGraph } from '../../providers/gce/model/index.js';
import { instanceGroups, sourceImage, spread, UBUNTU_IMAGE } from '../../providers/gce/model/compute.js';
import { clusterLabel, description, nameFilter, namePrefix, ownedId, resourceName } from '../../providers/gce/model/names.js';
import { wrapStartupScript } from '../../providers/gce/model/startup-script.js';
import { bootstrapBundles } from '../../providers/gce/model/compute.js';
import { bundleOf } from '../helpers/loader.js';
import { expectGolden, expectGoldenFiles } from '../helpers/golden.js';

const inputs = { stateStore: 'gs://k8sup-state/prod', caCertPem: 'PEM', caCertHash: `sha256:${'ab'.repeat(32)}` };

function cluster(extra: Record<string, unknown> = {}, name = 'demo.k8s.local'): Cluster {
  return loadCluster({
    apiVersion: 'k8sup.io/v1alpha1',
    kind: 'Cluster',
    metadata: { name },
    spec: {
      cloud: 'gce',
      project: 'my-project',
      kubernetesVersion: '1.34.4',
      zones: ['us-central1-b'],
      ssh: { publicKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE7GmJ6n0hJ3mX5Xz2nJ5j1q2bV8a3k4Yc2dQ9s7vW1x me@example', access: ['198.51.100.0/24'] },
      ...extra,
    },
  });
}

/** The graph without the (large, separately golden-tested) startup scripts. */
function summarised(c: Cluster): unknown {
  return buildGceGraph(c, inputs).map((n) => ({
    ...n,
    fields: Object.fromEntries(Object.entries(n.fields).map(([k, v]) => [k, k === 'startupScript' ? `<${String(v).length} bytes>` : v])),
  }));
}

describe('GCE model builders', () => {
  it('single-zone cluster graph (golden), valid as a DAG', async () => {
    const c = cluster();
    buildGraph(buildGceGraph(c, inputs));
    await expectGolden('test/golden/gce/graph-single-zone.json', JSON.stringify(summarised(c), null, 2) + '\n');
  });

  it('HA cluster over three zones (golden): one init instance, the rest join; node sizes spread over zones', async () => {
    const c = cluster({
      zones: ['us-central1-a', 'us-central1-b', 'us-central1-c'],
      controlPlane: { count: 3, zones: ['us-central1-a', 'us-central1-b', 'us-central1-c'] },
      nodeGroups: [{ name: 'workers', minSize: 5, maxSize: 5, zones: ['us-central1-a', 'us-central1-b', 'us-central1-c'] }],
    });
    const groups = instanceGroups(c);
    assert.deepEqual(
      groups.map((g) => [g.key, g.bootstrapRole, Object.fromEntries(g.sizes)]),
      [
        ['cp', 'control-plane-init', { 'us-central1-a': 1 }],
        ['cp-join', 'control-plane-join', { 'us-central1-b': 1, 'us-central1-c': 1 }],
        ['workers', 'worker', { 'us-central1-a': 2, 'us-central1-b': 2, 'us-central1-c': 1 }],
      ],
    );
    await expectGolden('test/golden/gce/graph-ha.json', JSON.stringify(summarised(c), null, 2) + '\n');
  });

  it('every resource carries the description marker with its own id; labelled kinds carry the cluster label', () => {
    const c = cluster();
    for (const n of buildGceGraph(c, inputs)) {
      // Project roles are found by their member, one of the cluster's own service accounts (no description field).
      if (n.kind === 'project-iam-member' || n.kind === 'service-account-iam-member') {
        assert.deepEqual(n.fields.member, { $ref: 'service-account/control-plane', attr: 'member' });
        continue;
      }
      // A bucket binding has no description of its own: its condition carries the marker.
      const marker = n.kind === 'bucket-iam-member' ? (n.fields.condition as { description: string }).description : n.fields.description;
      assert.equal(ownedId(marker as string, 'demo.k8s.local'), n.id);
      if ('labels' in n.fields) assert.equal((n.fields.labels as Record<string, string>)['k8sup-cluster'], 'demo-k8s-local');
      if (n.kind === 'service-account') assert.match(String(n.fields.accountId), /^k8sup-(cp|node)-[0-9a-f]{10}$/);
      else if (n.kind !== 'bucket-iam-member') assert.ok(String(n.fields.name).startsWith('k8sup-demo-k8s-local-'), String(n.fields.name));
    }
  });

  it('the startup script holds only public values and no private key; the API address comes from metadata', () => {
    const c = cluster();
    const templates = buildGceGraph(c, inputs).filter((n) => n.kind === 'instance-template');
    assert.equal(templates.length, 2);
    for (const t of templates) {
      // The startup script is the loader; what it runs is the bundle it pins (written to the state store).
      const loader = String(t.fields.startupScript);
      assert.doesNotMatch(loader, /PRIVATE KEY/);
      assert.match(loader, /^STATE_BUCKET='k8sup-state'$/m);
      const script = bundleOf(loader, bootstrapBundles(c, inputs));
      assert.doesNotMatch(script, /PRIVATE KEY/);
      assert.match(script, /computeMetadata\/v1\/instance\/attributes\/k8sup-api-address'/);
      assert.match(script, /computeMetadata\/v1\/instance\/attributes\/k8sup-api-public-address'/);
      assert.match(script, /gs:\/\/k8sup-state\/prod|k8sup-state/);
      // The bootstrap's endpoint is the internal load balancer; the public address is only a certificate name.
      assert.deepEqual(t.fields.apiAddress, { $ref: 'address/api-internal', attr: 'address' });
      assert.deepEqual(t.fields.apiPublicAddress, { $ref: 'address/api', attr: 'address' });
      assert.match(script, /(controlPlaneEndpoint|apiServerEndpoint): "?k8sup-var-api-address\.invalid:6443/);
      assert.doesNotMatch(script, /(controlPlaneEndpoint|apiServerEndpoint): "?k8sup-var-api-public-address/);
      // No metadata hop limit on GCE: pods' packets to the metadata server are not routed, at every boot.
      assert.match(script, /\nip rule add from 100\.96\.0\.0\/11 to 169\.254\.169\.254\/32 prohibit priority 50\n/);
      assert.match(String(t.fields.sshKeys), /^ubuntu:ssh-ed25519 /);
    }
  });

  it('per-role identity: two service accounts, no default; state access narrowed per role and prefix', () => {
    const c = cluster();
    const nodes = buildGceGraph(c, inputs);
    const accounts = nodes.filter((n) => n.kind === 'service-account');
    assert.deepEqual(accounts.map((n) => n.id), ['service-account/control-plane', 'service-account/node']);
    assert.notEqual(accounts[0].fields.accountId, accounts[1].fields.accountId);
    for (const t of nodes.filter((n) => n.kind === 'instance-template')) {
      const role = t.id.startsWith('instance-template/cp') ? 'control-plane' : 'node';
      assert.deepEqual(t.fields.serviceAccountEmail, { $ref: `service-account/${role}`, attr: 'email' });
    }
    assert.doesNotMatch(JSON.stringify(nodes), /"default"/, 'the default compute service account appears nowhere');
    const binding = (role: string) => nodes.find((n) => n.id === `bucket-iam-member/${role}`)!.fields as any;
    assert.deepEqual([binding('control-plane').bucket, binding('control-plane').role, binding('control-plane').member], ['k8sup-state', 'roles/storage.objectUser', { $ref: 'service-account/control-plane', attr: 'member' }]);
    assert.equal(binding('control-plane').condition.expression, 'resource.name.startsWith("projects/_/buckets/k8sup-state/objects/prod/demo.k8s.local/")');
    assert.deepEqual([binding('node').role, binding('node').member], ['roles/storage.objectViewer', { $ref: 'service-account/node', attr: 'member' }]);
    assert.equal(binding('node').condition.expression, 'resource.name.startsWith("projects/_/buckets/k8sup-state/objects/prod/demo.k8s.local/bootstrap/")');
    // Two clusters in one project never share an account.
    const other = buildGceGraph(cluster({}, 'other.k8s.local'), inputs).filter((n) => n.kind === 'service-account').map((n) => n.fields.accountId);
    assert.ok(!other.some((id) => accounts.some((a) => a.fields.accountId === id)));
  });

  it('a template change makes a new template id (content hash); a size change does not', () => {
    const ids = (c: Cluster) => buildGceGraph(c, inputs).filter((n) => n.kind === 'instance-template').map((n) => n.id).sort();
    const base = ids(cluster());
    assert.deepEqual(ids(cluster({ nodeGroups: [{ name: 'nodes', minSize: 7, maxSize: 7, zones: ['us-central1-b'] }] })), base);
    const other = ids(cluster({ image: 'my-image' }));
    assert.notDeepEqual(other, base);
  });

  it('image: Ubuntu 24.04 LTS family by default; spec.image as a path or a name in the project', () => {
    assert.equal(sourceImage(cluster()), UBUNTU_IMAGE);
    assert.equal(UBUNTU_IMAGE, 'projects/ubuntu-os-cloud/global/images/family/ubuntu-2404-lts-amd64');
    assert.equal(sourceImage(cluster({ image: 'my-image' })), 'projects/my-project/global/images/my-image');
    assert.equal(sourceImage(cluster({ image: 'projects/x/global/images/family/f' })), 'projects/x/global/images/family/f');
  });

  it('no SSH firewall rule when ssh.access is empty', () => {
    // The spec rules refuse an empty list (exit 2); the model still opens nothing for one.
    const c = cluster();
    c.spec.ssh.access = [];
    const ids = buildGceGraph(c, inputs).map((n) => n.id);
    assert.ok(!ids.includes('firewall/ssh'));
    assert.ok(ids.includes('firewall/api'));
  });

  it('spec.api.dnsZone adds the api.<name>. A record on the static address (golden); no marker, no record without it', async () => {
    const c = cluster({ api: { dnsZone: 'example.com' } }, 'demo.example.com');
    const nodes = buildGceGraph(c, inputs);
    buildGraph(nodes);
    const record = nodes.find((n) => n.kind === 'dns-record')!;
    assert.deepEqual(record, {
      kind: 'dns-record',
      id: 'dns-record/api',
      fields: { dnsZone: 'example.com.', name: 'api.demo.example.com.', type: 'A', ttl: 300, rrdatas: [{ $ref: 'address/api', attr: 'address' }] },
    });
    await expectGolden('test/golden/gce/graph-dns.json', JSON.stringify(summarised(c), null, 2) + '\n');
    // The DNS name is for admins: nodes and joiners still use the internal address; the init control plane puts the
    // name and the public address (filled in at boot) in the serving certificate.
    for (const t of nodes.filter((n) => n.kind === 'instance-template')) {
      const script = bundleOf(String(t.fields.startupScript), bootstrapBundles(c, inputs));
      assert.doesNotMatch(script, /api\.demo\.example\.com:6443/);
      assert.match(script, /k8sup-var-api-address\.invalid:6443/);
      if (t.id.startsWith('instance-template/cp/')) assert.match(script, /- "?api\.demo\.example\.com"?\n/);
    }
    assert.equal(buildGceGraph(cluster(), inputs).filter((n) => n.kind === 'dns-record').length, 0);
    // A trailing dot on the zone name makes no difference.
    assert.deepEqual(buildGceGraph(cluster({ api: { dnsZone: 'example.com.' } }, 'demo.example.com'), inputs).find((n) => n.kind === 'dns-record'), record);
  });

  it('a cluster name outside spec.api.dnsZone is rejected by the model (exit 2), naming both', () => {
    assert.throws(
      () => buildGceGraph(cluster({ api: { dnsZone: 'example.com' } }, 'demo.k8s.local'), inputs),
      (e: unknown) => e instanceof InvalidInputError && e.exitCode === 2 && /api\.demo\.k8s\.local\. is not inside the DNS zone example\.com\./.test(e.message),
    );
    // A name that merely ends with the same letters is not inside the zone.
    assert.throws(() => buildGceGraph(cluster({ api: { dnsZone: 'example.com' } }, 'demo.myexample.com'), inputs), InvalidInputError);
  });

  it('the internal API path is in the model: a proxy load balancer (never routed to its backends) serves the bootstrap endpoint', () => {
    for (const c of [cluster(), cluster({ zones: ['us-central1-a', 'us-central1-b'], controlPlane: { count: 3, zones: ['us-central1-a', 'us-central1-b'] } })]) {
      const nodes = buildGceGraph(c, inputs);
      const byId = new Map(nodes.map((n) => [n.id, n]));
      const template = nodes.find((n) => n.kind === 'instance-template')!;
      const endpointAddress = (template.fields.apiAddress as { $ref: string }).$ref;
      assert.equal(byId.get(endpointAddress)!.fields.addressType, 'INTERNAL');
      // Google's guest agent installs every passthrough forwarding rule's address on its backends: a control plane
      // joining through one would connect to itself. The endpoint must only be on a proxy rule.
      const rules = nodes.filter((n) => n.kind === 'forwarding-rule' && (n.fields.IPAddress as { $ref?: string }).$ref === endpointAddress);
      assert.equal(rules.length, 1);
      const rule = rules[0];
      assert.equal(rule.fields.loadBalancingScheme, 'INTERNAL_MANAGED');
      assert.equal(rule.fields.backendService, undefined);
      const proxy = byId.get((rule.fields.target as { $ref: string }).$ref)!;
      assert.equal(proxy.kind, 'target-tcp-proxy');
      const service = byId.get((proxy.fields.service as { $ref: string }).$ref)!;
      assert.equal(service.fields.loadBalancingScheme, 'INTERNAL_MANAGED');
      assert.equal(service.fields.portName, 'apiserver');
      const cpGroups = nodes.filter((n) => n.kind === 'instance-group' && n.id.startsWith('instance-group/cp'));
      assert.deepEqual((service.fields.backends as { group: { $ref: string } }[]).map((b) => b.group.$ref).sort(), cpGroups.map((g) => g.id).sort());
      for (const g of cpGroups) assert.deepEqual(g.fields.namedPorts, [{ name: 'apiserver', port: 6443 }]);
      // The proxies' subnetwork, and a firewall rule that lets them (and the health checks) reach 6443.
      const proxySubnet = byId.get(`subnetwork/${c.spec.region}/proxy-only`)!;
      assert.deepEqual([proxySubnet.fields.purpose, proxySubnet.fields.role], ['REGIONAL_MANAGED_PROXY', 'ACTIVE']);
      assert.ok(rule.dependsOn?.includes(proxySubnet.id));
      assert.deepEqual(byId.get('firewall/api-internal-proxies')!.fields.sourceRanges, [proxySubnet.fields.ipCidrRange]);
      assert.ok((byId.get('firewall/api-health-checks')!.fields.sourceRanges as string[]).includes('130.211.0.0/22'));
    }
  });

  it('restricting api.adminAccess restricts only the public rule; the proxy range must stay clear of the cluster ranges', () => {
    const nodes = buildGceGraph(cluster({ api: { adminAccess: ['203.0.113.0/24'] } }), inputs);
    const fw = (id: string) => nodes.find((n) => n.id === id)!.fields;
    assert.deepEqual(fw('firewall/api').sourceRanges, ['203.0.113.0/24']);
    assert.deepEqual(fw('firewall/api-internal-proxies').sourceRanges, ['172.31.254.0/23']);
    assert.deepEqual(fw('firewall/internal').sourceRanges, ['172.20.0.0/16', '100.96.0.0/11']);
    // A network range that covers the first candidate moves the proxies to the next one.
    const moved = buildGceGraph(cluster({ networking: { networkCIDR: '172.31.0.0/16' } }), inputs).find((n) => n.id === 'subnetwork/us-central1/proxy-only')!;
    assert.equal(moved.fields.ipCidrRange, '10.255.254.0/23');
  });

  it('the API endpoint is the DNS name when the record exists, else the static address', () => {
    assert.equal(apiEndpoint({ 'address/api': { address: '203.0.113.5' } }), 'https://203.0.113.5:6443');
    assert.equal(apiEndpoint({ 'address/api': { address: '203.0.113.5' }, 'dns-record/api': { fqdn: 'api.demo.example.com' } }), 'https://api.demo.example.com:6443');
    assert.equal(apiEndpoint({}), undefined);
  });

  it('spread gives earlier zones the remainder', () => {
    assert.deepEqual([...spread(5, ['a', 'b', 'c']).values()], [2, 2, 1]);
    assert.deepEqual([...spread(0, ['a', 'b']).values()], [0, 0]);
  });
});

describe('GCE names', () => {
  it('are valid RFC 1035 names of at most 58 characters, also for long cluster and group names', () => {
    const long = 'a-really-long-cluster-name.with.many.parts.example.com';
    for (const [cl, suffix] of [
      ['demo.k8s.local', 'cp-us-central1-b'],
      [long, 'cp-join-us-central1-b'],
      [long, 'a-node-group-with-a-long-name-northamerica-northeast1-a'],
      ['0starts-with-digit.example', 'x'],
    ]) {
      const n = resourceName(cl, suffix);
      assert.match(n, /^[a-z]([-a-z0-9]*[a-z0-9])?$/, n);
      assert.ok(n.length <= 58, `${n} is ${n.length} long`);
      assert.ok(n.startsWith(namePrefix(cl)));
    }
    assert.notEqual(resourceName(long, 'a-node-group-with-a-long-name-zone-1'), resourceName(long, 'a-node-group-with-a-long-name-zone-2'));
  });

  it('the label value is the cluster name with dots as dashes', () => {
    assert.equal(clusterLabel('demo.k8s.local'), 'demo-k8s-local');
  });

  it('the description marker matches the exact cluster only', () => {
    const d = description('demo.k8s.local', 'network');
    assert.equal(ownedId(d, 'demo.k8s.local'), 'network');
    assert.equal(ownedId(d, 'demo-k8s-local'), undefined);
    assert.equal(ownedId(description('demo.k8s.local.two', 'network'), 'demo.k8s.local'), undefined);
    assert.equal(ownedId('hand made', 'demo.k8s.local'), undefined);
    assert.equal(nameFilter('demo.k8s.local'), 'name eq "k8sup-demo-k8s-local-.*"');
  });
});

describe('GCE error classification', () => {
  const httpError = (code: number, reason: string, message = reason) => Object.assign(new Error(message), { code, errors: [{ reason, domain: 'global', message }] });
  it('maps Compute reasons and statuses to the executor classes', () => {
    assert.equal(classifyGceError(httpError(8, 'rateLimitExceeded')), 'throttled');
    assert.equal(classifyGceError(httpError(7, 'userRateLimitExceeded')), 'throttled');
    assert.equal(classifyGceError(httpError(8, 'whatever')), 'throttled'); // 429
    assert.equal(classifyGceError(httpError(14, 'backendError')), 'transient'); // 503
    assert.equal(classifyGceError(httpError(3, 'resourceInUseByAnotherResource')), 'dependency');
    assert.equal(classifyGceError(new GceOperationError('op', 'RESOURCE_IN_USE_BY_ANOTHER_RESOURCE', 'in use')), 'dependency');
    assert.equal(classifyGceError(httpError(5, 'notFound')), 'not-found');
    assert.equal(classifyGceError(httpError(7, 'forbidden')), 'fatal');
    assert.equal(classifyGceError(httpError(7, 'quotaExceeded')), 'fatal');
    assert.equal(classifyGceError(Object.assign(new Error('x'), { code: 'ECONNRESET' })), 'transient');
    assert.ok(isAlreadyExists(httpError(10, 'alreadyExists', "The resource 'x' already exists")));
    assert.ok(!isAlreadyExists(httpError(5, 'notFound')));
  });

  it('Cloud DNS HTTP errors (sent without google-gax) classify like the library\'s', () => {
    assert.equal(classifyGceError(new GceHttpError(429, 'x')), 'throttled');
    assert.equal(classifyGceError(new GceHttpError(403, 'x', ['rateLimitExceeded'])), 'throttled');
    assert.equal(classifyGceError(new GceHttpError(403, 'x', ['forbidden'])), 'fatal');
    assert.equal(classifyGceError(new GceHttpError(503, 'x')), 'transient');
    assert.equal(classifyGceError(new GceHttpError(502, 'x')), 'transient');
    assert.equal(classifyGceError(new GceHttpError(404, 'x', ['notFound'])), 'not-found');
    assert.equal(classifyGceError(new GceHttpError(412, 'x', ['conditionNotMet'])), 'fatal');
    assert.ok(isAlreadyExists(new GceHttpError(409, "The resource 'entity.change.additions[0]' named 'api.x. (A)' already exists", ['alreadyExists'])));
  });
});

describe('GCE client options', () => {
  it('K8SUP_GCE_ENDPOINT selects REST over plain HTTP to that host and port with a credential-free auth client', () => {
    const o = endpointOptions({ K8SUP_GCE_ENDPOINT: 'http://127.0.0.1:8123' })!;
    assert.deepEqual({ ...o, authClient: undefined }, { apiEndpoint: '127.0.0.1', port: 8123, protocol: 'http', fallback: true, authClient: undefined });
    assert.equal(typeof (o.authClient as { fetch: unknown }).fetch, 'function');
    assert.equal(endpointOptions({}), undefined);
    assert.throws(() => endpointOptions({ K8SUP_GCE_ENDPOINT: 'not a url' }), /not a URL/);
  });
});

describe('GCE terraform target', () => {
  it('renders google_* resources, the startup scripts as data files, refs as interpolations (golden)', async () => {
    const c = cluster();
    const files = renderTerraform(buildGceGraph(c, inputs), gceHandlers, terraformPreamble(c));
    const main = JSON.parse(files['main.tf.json']);
    assert.deepEqual(Object.keys(main.resource).sort(), [
      'google_compute_address',
      'google_compute_firewall',
      'google_compute_forwarding_rule',
      'google_compute_instance_group_manager',
      'google_compute_instance_template',
      'google_compute_network',
      'google_compute_region_backend_service',
      'google_compute_region_health_check',
      'google_compute_region_target_tcp_proxy',
      'google_compute_subnetwork',
      'google_project_iam_member',
      'google_service_account',
      'google_service_account_iam_member',
      'google_storage_bucket_iam_member',
    ]);
    // Two service accounts, no default anywhere; each template runs as its role's.
    assert.deepEqual(Object.keys(main.resource.google_service_account).sort(), ['service_account_control_plane', 'service_account_node']);
    assert.doesNotMatch(files['main.tf.json'], /"email": "default"/);
    const member = main.resource.google_storage_bucket_iam_member.bucket_iam_member_node;
    assert.equal(member.member, '${google_service_account.service_account_node.member}');
    assert.match(member.condition[0].expression, /^resource\.name\.startsWith\("projects\/_\/buckets\/k8sup-state\/objects\/prod\/demo\.k8s\.local\/bootstrap\/"\)$/);
    assert.deepEqual(main.provider, { google: { project: 'my-project', region: 'us-central1' } });
    const fr = main.resource.google_compute_forwarding_rule.forwarding_rule_api;
    assert.equal(fr.ip_address, '${google_compute_address.address_api.address}');
    assert.match(fr.backend_service, /^\$\{google_compute_region_backend_service\.backend_service_api\.self_link\}$/);
    const templates = Object.values(main.resource.google_compute_instance_template) as Record<string, any>[];
    for (const t of templates) {
      assert.match(t.metadata_startup_script, /^\$\{file\("\$\{path\.module\}\/data\/.*\.startup-script\.sh"\)\}$/);
      assert.equal(t.metadata['k8sup-api-address'], '${google_compute_address.address_api_internal.address}');
      assert.match(t.service_account[0].email, /^\$\{google_service_account\.service_account_(control_plane|node)\.email\}$/);
      assert.equal(t.metadata['k8sup-api-public-address'], '${google_compute_address.address_api.address}');
    }
    assert.equal(Object.keys(files).filter((f) => f.startsWith('data/')).length, 2);
    assert.doesNotMatch(files['main.tf.json'], /PRIVATE KEY/);
    await expectGoldenFiles('test/golden/gce/terraform', { 'main.tf.json': files['main.tf.json'] });
  });

  it('with spec.api.dnsZone: google_dns_record_set in the zone found by DNS name through google_dns_managed_zones (golden)', async () => {
    const c = cluster({ api: { dnsZone: 'example.com' } }, 'demo.example.com');
    const files = renderTerraform(buildGceGraph(c, inputs), gceHandlers, terraformPreamble(c));
    const main = JSON.parse(files['main.tf.json']);
    assert.deepEqual(main.data, { google_dns_managed_zones: { dns_record_api: {} } });
    assert.deepEqual(main.resource.google_dns_record_set.dns_record_api, {
      managed_zone: '${one([for z in data.google_dns_managed_zones.dns_record_api.managed_zones : z.name if z.dns_name == "example.com." && z.visibility == "public"])}',
      name: 'api.demo.example.com.',
      type: 'A',
      ttl: 300,
      rrdatas: ['${google_compute_address.address_api.address}'],
    });
    assert.equal(main.terraform.required_providers.google.version, '>= 5.20.0');
    await expectGoldenFiles('test/golden/gce/terraform-dns', { 'main.tf.json': files['main.tf.json'] });
  });

  it('the rendered startup script is valid bash and shellcheck-clean', () => {
    const t = buildGceGraph(cluster(), inputs).find((n) => n.kind === 'instance-template')!;
    const loader = String(t.fields.startupScript);
    for (const script of [loader, bundleOf(loader, bootstrapBundles(cluster(), inputs))]) {
      execFileSync('bash', ['-n'], { input: script });
      execFileSync('shellcheck', ['-s', 'bash', '-'], { input: script });
    }
  });

  it('the startup-script wrapper substitutes the address into a verbatim copy of the bootstrap script', () => {
    const wrapped = wrapStartupScript('#!/bin/bash\necho "${HOME} $(date) k8sup-var-api-address.invalid:6443"\n', '100.96.0.0/11');
    assert.match(wrapped, /<<'K8SUP_BOOTSTRAP_[0-9a-f]{12}'\n#!\/bin\/bash\necho "\$\{HOME\} \$\(date\) k8sup-var-api-address\.invalid:6443"\nK8SUP_BOOTSTRAP_/);
    assert.match(wrapped, /sed -e "s\/k8sup-var-api-address\\\.invalid\/\$\{api_address\}\/g" -e "s\/k8sup-var-api-public-address\\\.invalid\/\$\{api_public_address\}\/g"/);
  });
});
