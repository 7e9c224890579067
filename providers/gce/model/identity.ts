// Per-role identity on GCE: one service account for the control planes and one for the nodes (never the project's
// default compute service account, which holds Editor on the project in most projects), and their access to the
// state store as conditional IAM bindings on the state bucket, narrowed by object-name prefix:
//  - control planes: roles/storage.objectUser on `<prefix><cluster>/` (they read the PKI, write bootstrap tokens
//    and the initialized marker);
//  - nodes: roles/storage.objectViewer on `<prefix><cluster>/bootstrap/` only (the join token), and
//    roles/storage.objectUser on `<prefix><cluster>/nodes/status/` (their bootstrap reports): they cannot read
//    `pki/ca.key` or `pki/sa.key`, nor another cluster's keys.
// OAuth scopes (compute.ts) do not limit objects; IAM conditions do. GCS evaluates a condition on `resource.name`
// (`projects/_/buckets/<bucket>/objects/<name>`) for object requests; conditions need uniform bucket-level access
// on the bucket (docs/gce.md). Lists are requests on the bucket, so a prefix condition also keeps a role from
// listing: the bootstrap only gets objects by name.

import { createHash } from 'node:crypto';
import type { Cluster } from '../../../src/api/types.js';
import type { BuildInputs } from '../../../src/core/provider.js';
import { ref, type ResourceNode } from '../../../src/core/resource.js';
import { parseStateStoreUrl } from '../../../src/bootstrap/index.js';
import { actAsId, projectRolesId, serviceAccountId, stateAccessId, type IdentityRole } from './ids.js';
import { description } from './names.js';
import { enabledAddons } from '../../../src/addons/index.js';

export const IDENTITY_ROLES: readonly IdentityRole[] = ['control-plane', 'node'];

/** The predefined Cloud Storage role each k8sup role gets on its prefix. */
export const STATE_ROLE: Record<IdentityRole, string> = { 'control-plane': 'roles/storage.objectUser', node: 'roles/storage.objectViewer' };

/**
 * The service account id (the part of the e-mail before `@`): 6–30 characters `[a-z][a-z0-9-]*[a-z0-9]`, unique per
 * project, so a hash of the cluster name stands for the cluster (the display name and description say which).
 */
export function serviceAccountName(cluster: string, role: IdentityRole): string {
  const hash = createHash('sha256').update(cluster).digest('hex').slice(0, 10);
  return `k8sup-${role === 'control-plane' ? 'cp' : 'node'}-${hash}`;
}

export function serviceAccountEmail(cluster: string, project: string, role: IdentityRole): string {
  return `${serviceAccountName(cluster, role)}@${project}.iam.gserviceaccount.com`;
}

/** The object-name prefix a role may use, relative to the bucket: `<prefix><cluster>/` or its `bootstrap/`. */
export function statePrefix(cluster: Cluster, inputs: BuildInputs, role: IdentityRole): { bucket: string; prefix: string } | null {
  const store = parseStateStoreUrl(inputs.stateStore);
  if (!store || store.scheme !== 'gs') return null;
  const base = `${store.prefix}${cluster.metadata.name}/`;
  return { bucket: store.bucket, prefix: role === 'control-plane' ? base : `${base}bootstrap/` };
}

/** The CEL expression GCS evaluates for the binding (a string literal cannot hold `"` or `\`: names never do). */
export function prefixCondition(bucket: string, prefix: string): string {
  return `resource.name.startsWith("projects/_/buckets/${bucket}/objects/${prefix}")`;
}

export function identityNodes(cluster: Cluster, inputs: BuildInputs): ResourceNode[] {
  const name = cluster.metadata.name;
  const nodes: ResourceNode[] = [];
  for (const role of IDENTITY_ROLES) {
    const sa = serviceAccountId(role);
    nodes.push({
      kind: 'service-account',
      id: sa,
      fields: { accountId: serviceAccountName(name, role), displayName: `k8sup ${role} of ${name}`.slice(0, 100) },
    });
    // The cloud controllers' project roles (CONTROLLER_ROLES), on the control planes' account only.
    const projectRoles = role === 'control-plane' ? controlPlaneProjectRoles(cluster) : [];
    if (projectRoles.length > 0) {
      nodes.push({ kind: 'project-iam-member', id: projectRolesId(role), fields: { project: cluster.spec.project ?? '', member: ref(sa, 'member'), roles: projectRoles } });
    }
    if (role === 'node') {
      for (const r of controlPlaneNodeAccountRoles(cluster)) {
        nodes.push({ kind: 'service-account-iam-member', id: actAsId(role), fields: { account: ref(sa, 'name'), role: r, member: ref(serviceAccountId('control-plane'), 'member') } });
      }
    }
    const where = statePrefix(cluster, inputs, role);
    if (!where) continue;
    const access = stateAccessId(role);
    nodes.push({
      kind: 'bucket-iam-member',
      id: access,
      fields: {
        bucket: where.bucket,
        role: STATE_ROLE[role],
        member: ref(sa, 'member'),
        condition: {
          // The title names the binding; the description carries the ownership marker list() looks for.
          title: `k8sup ${role} ${serviceAccountName(name, role)}`,
          description: description(name, access, cluster.metadata.uid),
          expression: prefixCondition(where.bucket, where.prefix),
        },
      },
    });
    if (role === 'node') {
      // Nodes report their bootstrap (step, attempt, last error) under nodes/status/: they may write there and
      // nowhere else (the report is overwritten on every step, so objectCreator, which cannot replace, is not enough).
      const status = `${statePrefix(cluster, inputs, 'control-plane')!.prefix}nodes/status/`;
      const id = `${access}/status`;
      nodes.push({
        kind: 'bucket-iam-member',
        id,
        fields: {
          bucket: where.bucket,
          role: 'roles/storage.objectUser',
          member: ref(sa, 'member'),
          condition: {
            title: `k8sup node status ${serviceAccountName(name, role)}`,
            description: description(name, id, cluster.metadata.uid),
            expression: prefixCondition(where.bucket, status),
          },
        },
      });
    }
  }
  return nodes;
}

/** The OAuth scope the control planes' controllers (CCM, PD CSI, cluster-autoscaler) call the Compute API with. */
export const COMPUTE_SCOPE = 'https://www.googleapis.com/auth/compute';

/**
 * The project roles each GCE controller needs on the control planes' service account, by addon (docs/gce.md lists
 * the same table; test/unit/gce-identity-doc.test.ts holds them equal). Scopes only open the API; these roles say
 * what the account may do in it. identityNodes grants them (resources/project-iam-member.ts).
 */
export const CONTROLLER_ROLES: Readonly<Record<string, readonly string[]>> = {
  'gcp-cloud-controller-manager': ['roles/compute.loadBalancerAdmin', 'roles/compute.securityAdmin', 'roles/compute.viewer'],
  'gcp-pd-csi-driver': ['roles/compute.storageAdmin', 'roles/compute.instanceAdmin.v1', 'roles/iam.serviceAccountUser'],
  'cluster-autoscaler': ['roles/compute.instanceAdmin.v1', 'roles/iam.serviceAccountUser'],
};

/**
 * Roles of CONTROLLER_ROLES granted on the nodes' service account rather than the project: acting as the account
 * the node instances run as (attaching disks to them, resizing their groups) needs `actAs` on that one account only.
 */
export const ON_NODE_ACCOUNT: readonly string[] = ['roles/iam.serviceAccountUser'];

/** The controllers of CONTROLLER_ROLES that this cluster runs (its enabled addons among them). */
export function cloudControllers(cluster: Cluster): string[] {
  return enabledAddons(cluster).map((a) => a.name).filter((n) => Object.hasOwn(CONTROLLER_ROLES, n));
}

/** Every role the control planes' service account needs for the controllers this cluster runs. */
function controllerRoles(cluster: Cluster): string[] {
  return [...new Set(cloudControllers(cluster).flatMap((n) => CONTROLLER_ROLES[n]))].sort();
}

/** The project roles of the control planes' service account (the rest are on the nodes' account: ON_NODE_ACCOUNT). */
export function controlPlaneProjectRoles(cluster: Cluster): string[] {
  return controllerRoles(cluster).filter((r) => !ON_NODE_ACCOUNT.includes(r));
}

/** The roles the control planes' service account holds on the nodes' account. */
export function controlPlaneNodeAccountRoles(cluster: Cluster): string[] {
  return controllerRoles(cluster).filter((r) => ON_NODE_ACCOUNT.includes(r));
}
