// Cloud names and ownership marks derived from the cluster's name and identity (metadata.uid): collision-free
// names whenever sanitising changed the name, legacy clusters (no uid) keeping theirs, and the id on every object.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { withDefaults } from '../../src/api/defaults.js';
import { InvalidInputError } from '../../src/core/errors.js';
import { buildAwsGraph } from '../../providers/aws/model/index.js';
import { elbName, TAG_CLUSTER, TAG_CLUSTER_ID } from '../../providers/aws/model/names.js';
import { isOurs, ownedId } from '../../providers/aws/resources/common.js';
import { buildGceGraph } from '../../providers/gce/model/index.js';
import { description, nameFilter, namePrefix, ownedId as gceOwnedId, parseMarker, resourceName } from '../../providers/gce/model/names.js';

const INPUTS = { stateStore: 's3://bucket/clusters', caCertPem: '', caCertHash: `sha256:${'ab'.repeat(32)}` };
const GCE_INPUTS = { ...INPUTS, stateStore: 'gs://bucket/clusters' };
const meta = (name: string, uid?: string) => ({ metadata: { name, ...(uid ? { uid } : {}) } });

describe('AWS names and tags', () => {
  it('x-y.k8s.local and x.y.k8s.local get different load balancer names once they have an identity', () => {
    const a = elbName('api', meta('x-y.k8s.local', 'u1'));
    const b = elbName('api', meta('x.y.k8s.local', 'u2'));
    assert.notEqual(a, b);
    for (const n of [a, b]) assert.match(n, /^[A-Za-z0-9-]{1,32}$/);
    assert.equal(elbName('api', meta('x-y.k8s.local', 'other-uid')), a, 'stable: a hash of the name, not of the uid');
    // A name sanitising does not change keeps its plain form.
    assert.equal(elbName('api', meta('plain', 'u3')), 'api-plain');
  });

  it('a cluster without an identity keeps its old load balancer name (renaming would replace its API endpoint)', () => {
    assert.equal(elbName('api', meta('demo.k8s.local')), 'api-demo-k8s-local');
  });

  it('every tagged object carries the cluster id; a legacy cluster carries none', () => {
    const c = withDefaults({ metadata: { name: 'demo.k8s.local', uid: 'uid-123' }, spec: { zones: ['us-east-2a'] } });
    const nodes = buildAwsGraph(c, INPUTS);
    const tagged = nodes.filter((n) => n.fields.tags && typeof n.fields.tags === 'object' && TAG_CLUSTER in (n.fields.tags as object));
    assert.ok(tagged.length >= 15);
    for (const n of tagged) assert.equal((n.fields.tags as Record<string, string>)[TAG_CLUSTER_ID], 'uid-123', n.id);
    for (const n of nodes.filter((x) => x.fields.instanceTags)) assert.equal((n.fields.instanceTags as Record<string, string>)[TAG_CLUSTER_ID], 'uid-123', n.id);
    const legacy = buildAwsGraph(withDefaults({ metadata: { name: 'demo.k8s.local' }, spec: { zones: ['us-east-2a'] } }), INPUTS);
    assert.ok(!JSON.stringify(legacy).includes(TAG_CLUSTER_ID));
  });

  it('ownedId: own id or none is ours; another id is refused with both ids, or skipped', () => {
    const ctx = { cluster: 'demo', clusterId: 'mine' };
    const tags = (id?: string) => ({ [TAG_CLUSTER]: 'demo', 'k8sup.io/id': 'vpc', ...(id ? { [TAG_CLUSTER_ID]: id } : {}) });
    assert.equal(ownedId(tags('mine'), ctx, 'VPC vpc-1'), 'vpc');
    assert.equal(ownedId(tags(), ctx, 'VPC vpc-1'), 'vpc', 'objects made before cluster ids match by name');
    assert.equal(ownedId(tags('theirs'), { cluster: 'demo' }, 'VPC vpc-1'), 'vpc', 'a legacy cluster matches by name');
    assert.equal(ownedId({ ...tags('mine'), [TAG_CLUSTER]: 'other' }, ctx, 'VPC vpc-1'), undefined);
    assert.throws(() => ownedId(tags('theirs'), ctx, 'VPC vpc-1'), (e: unknown) => e instanceof InvalidInputError && /VPC vpc-1 .*cluster id theirs.*cluster id mine/.test(e.message));
    assert.equal(ownedId(tags('theirs'), { ...ctx, otherClusters: 'skip' }, 'VPC vpc-1'), undefined);
    assert.throws(() => isOurs(tags('theirs'), { ...ctx, otherClusters: 'skip' }, 'VPC vpc-1'), InvalidInputError, 'create never adopts another cluster\'s object');
  });
});

describe('GCE names, labels and marker', () => {
  it('names of x-y.k8s.local and x.y.k8s.local differ with an identity; the legacy list filter still finds both kinds', () => {
    const a = resourceName(meta('x-y.k8s.local', 'u1'), 'net');
    const b = resourceName(meta('x.y.k8s.local', 'u2'), 'net');
    assert.notEqual(a, b);
    for (const n of [a, b, resourceName(meta(`${'long-'.repeat(8)}name.k8s.local`, 'u'), 'cp-us-central1-b-0123abcd')]) assert.match(n, /^[a-z]([-a-z0-9]{0,56}[a-z0-9])$/);
    assert.equal(resourceName('x-y.k8s.local', 'net'), 'k8sup-x-y-k8s-local-net', 'legacy name unchanged');
    assert.equal(resourceName(meta('x-y.k8s.local'), 'net'), 'k8sup-x-y-k8s-local-net');
    const filter = new RegExp(`^${/"(.*)"/.exec(nameFilter('x-y.k8s.local'))![1]}$`);
    assert.ok(filter.test(a) && filter.test(resourceName('x-y.k8s.local', 'net')));
    assert.ok(namePrefix(meta('x-y.k8s.local', 'u1')).startsWith(namePrefix('x-y.k8s.local')));
  });

  it('the marker carries the cluster id and is parsed back; old markers still parse', () => {
    assert.deepEqual(parseMarker(description('demo.k8s.local', 'network', 'uid-1')), { cluster: 'demo.k8s.local', id: 'network', clusterId: 'uid-1' });
    assert.deepEqual(parseMarker('Managed by k8sup [k8sup-cluster=demo.k8s.local k8sup-id=subnetwork/us-central1]'), { cluster: 'demo.k8s.local', id: 'subnetwork/us-central1' });
    assert.equal(gceOwnedId(description('demo.k8s.local', 'network', 'uid-1'), 'demo.k8s.local'), 'network');
  });

  it('every labelled object carries the cluster id label and every marker the id', () => {
    const c = withDefaults({ metadata: { name: 'demo.k8s.local', uid: 'uid-123' }, spec: { zones: ['us-central1-b'], project: 'p' } });
    const nodes = buildGceGraph(c, GCE_INPUTS).filter((n) => n.kind !== 'dns-record');
    // A bucket IAM binding has no description of its own: its marker is its condition's description.
    const marker = (n: (typeof nodes)[number]) => String(n.kind === 'bucket-iam-member' ? (n.fields.condition as { description: string }).description : n.fields.description);
    for (const n of nodes) assert.match(marker(n), /k8sup-cluster-id=uid-123\]$/, n.id);
    const labelled = nodes.filter((n) => n.fields.labels);
    assert.ok(labelled.length > 0);
    for (const n of labelled) assert.equal((n.fields.labels as Record<string, string>)['k8sup-cluster-id'], 'uid-123', n.id);
  });
});
