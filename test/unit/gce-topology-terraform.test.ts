// `--target terraform` for the GCE topologies: the private topology renders a google_compute_router and its
// google_compute_router_nat (the router's NATs are its own Terraform resource), instance templates without
// access_config; an existing network and subnetwork are referred to by self link and never rendered as resources.
// (The offline provider mirror /opt/tf-plugins holds only hashicorp/aws, so `terraform validate` cannot run for the
// google provider here: the golden files are the review copy.)

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadCluster, type Cluster } from '../../src/api/index.js';
import { renderTerraform } from '../../src/core/engine.js';
import { gceHandlers, terraformPreamble } from '../../providers/gce/index.js';
import { buildGceGraph } from '../../providers/gce/model/index.js';
import { expectGoldenFiles } from '../helpers/golden.js';

const inputs = { stateStore: 'gs://k8sup-state/prod', caCertPem: 'PEM', caCertHash: `sha256:${'ab'.repeat(32)}` };
const cluster = (spec: Record<string, unknown>): Cluster =>
  loadCluster({ metadata: { name: 'demo.k8s.local' }, spec: { cloud: 'gce', project: 'my-project', kubernetesVersion: '1.34.4', zones: ['us-central1-b'], ...spec } });
const render = (c: Cluster) => renderTerraform(buildGceGraph(c, inputs), gceHandlers, terraformPreamble(c));

describe('GCE terraform target, topologies', () => {
  it('private: a router with its NAT for the cluster subnetwork, templates without external addresses (golden)', async () => {
    const files = render(cluster({ topology: 'private' }));
    const main = JSON.parse(files['main.tf.json']);
    const routers = main.resource.google_compute_router;
    assert.deepEqual(Object.keys(routers), ['router_us_central1']);
    assert.equal(routers.router_us_central1.network, '${google_compute_network.network.self_link}');
    assert.deepEqual(main.resource.google_compute_router_nat.router_us_central1_nat_0, {
      name: 'k8sup-demo-k8s-local-nat',
      router: '${google_compute_router.router_us_central1.name}',
      region: 'us-central1',
      nat_ip_allocate_option: 'AUTO_ONLY',
      source_subnetwork_ip_ranges_to_nat: 'LIST_OF_SUBNETWORKS',
      subnetwork: [{ name: '${google_compute_subnetwork.subnetwork_us_central1.self_link}', source_ip_ranges_to_nat: ['ALL_IP_RANGES'] }],
    });
    for (const t of Object.values(main.resource.google_compute_instance_template) as Record<string, any>[]) {
      assert.equal(t.network_interface[0].access_config, undefined, 'no external address');
    }
    await expectGoldenFiles('test/golden/gce/terraform-private', { 'main.tf.json': files['main.tf.json'] });
  });

  it('an existing network: referred to by self link, no network or regular subnetwork resource (golden)', async () => {
    const files = render(cluster({ topology: 'private', networking: { networkId: 'corp-net', subnets: ['corp-apps'], networkCIDR: '10.20.0.0/20' } }));
    const main = JSON.parse(files['main.tf.json']);
    assert.equal(main.resource.google_compute_network, undefined);
    assert.deepEqual(Object.keys(main.resource.google_compute_subnetwork), ['subnetwork_us_central1_proxy_only'], 'only the proxy-only subnetwork the internal API load balancer needs');
    const net = 'https://www.googleapis.com/compute/v1/projects/my-project/global/networks/corp-net';
    const sub = 'https://www.googleapis.com/compute/v1/projects/my-project/regions/us-central1/subnetworks/corp-apps';
    assert.ok((Object.values(main.resource.google_compute_firewall) as { network: string }[]).every((f) => f.network === net));
    for (const t of Object.values(main.resource.google_compute_instance_template) as Record<string, any>[]) {
      assert.deepEqual(t.network_interface[0], { network: net, subnetwork: sub });
    }
    assert.equal(main.resource.google_compute_router_nat.router_us_central1_nat_0.subnetwork[0].name, sub);
    await expectGoldenFiles('test/golden/gce/terraform-existing-network', { 'main.tf.json': files['main.tf.json'] });
  });
});
