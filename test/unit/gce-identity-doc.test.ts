// docs/gce.md lists the project roles of the control planes' service account per cloud controller; the model's
// table (CONTROLLER_ROLES) is what the code uses. Parsed from the doc, so the two cannot drift; and the instance
// templates carry the Compute scope exactly when a controller runs.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { withDefaults } from '../../src/api/defaults.js';
import { CONTROLLER_ROLES, COMPUTE_SCOPE, controlPlaneProjectRoles, ON_NODE_ACCOUNT } from '../../providers/gce/model/identity.js';
import { createGceProvider } from '../../providers/gce/index.js';

function documentedRoles(): Record<string, string[]> {
  const doc = readFileSync(new URL('../../docs/gce.md', import.meta.url), 'utf8');
  const table = doc.split('<!-- controller-roles:')[1].split('\n\n')[0];
  const out: Record<string, string[]> = {};
  for (const line of table.split('\n')) {
    const m = /^\| `([a-z-]+)` \| (.+) \|$/.exec(line);
    if (m) out[m[1]] = [...m[2].matchAll(/`(roles\/[^`]+)`/g)].map((r) => r[1]);
  }
  return out;
}

test('docs/gce.md lists exactly the controller roles of the model', () => {
  assert.deepEqual(documentedRoles(), Object.fromEntries(Object.entries(CONTROLLER_ROLES).map(([k, v]) => [k, [...v]])));
});

test('the Compute scope on control-plane templates follows the controllers; nodes never get it', () => {
  const inputs = { stateStore: 'gs://k8sup-state/prod', caCertPem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n', caCertHash: `sha256:${'ab'.repeat(32)}` };
  const scopesOf = (addons: Record<string, unknown>) => {
    const c = withDefaults({ metadata: { name: 'roles.k8s.local' }, spec: { cloud: 'gce', project: 'p', zones: ['us-central1-b'], region: 'us-central1', addons } });
    const templates = createGceProvider().buildGraph(c, inputs).filter((n) => n.kind === 'instance-template');
    return { c, cp: templates.filter((t) => /cp/.test(t.id)).map((t) => t.fields.serviceAccountScopes as string[]), nodes: templates.filter((t) => !/cp/.test(t.id)).map((t) => t.fields.serviceAccountScopes as string[]) };
  };
  const on = scopesOf({});
  assert.ok(on.cp.every((s) => s.includes(COMPUTE_SCOPE)));
  assert.ok(on.nodes.every((s) => !s.includes(COMPUTE_SCOPE)));
  assert.deepEqual(controlPlaneProjectRoles(on.c), [...new Set([...CONTROLLER_ROLES['gcp-cloud-controller-manager'], ...CONTROLLER_ROLES['gcp-pd-csi-driver']])].filter((r) => !ON_NODE_ACCOUNT.includes(r)).sort());
  const off = scopesOf({ 'gcp-cloud-controller-manager': { enabled: false }, 'gcp-pd-csi-driver': { enabled: false } });
  assert.ok(off.cp.every((s) => !s.includes(COMPUTE_SCOPE)));
  assert.deepEqual(controlPlaneProjectRoles(off.c), []);
});
