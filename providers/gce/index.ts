// The GCE provider: pure model builders (model/), one handler per resource kind (resources/), lazily constructed
// Compute clients (clients.ts) and error classification (errors.ts). See docs/gce.md.

import type { Cluster } from '../../src/api/types.js';
import { assertZonesAvailable } from '../../src/api/zones.js';
import { InvalidInputError, OperationError } from '../../src/core/errors.js';
import type { ConnectOptions, Provider } from '../../src/core/provider.js';
import type { ResourceHandler } from '../../src/core/resource.js';
import { createGceClients, type CallRecord, type GceClients } from './clients.js';
import { classifyGceError, gceReasons } from './errors.js';
import { API_ADDRESS, API_DNS_RECORD, API_INTERNAL_ADDRESS } from './model/ids.js';
import { buildGceGraph } from './model/index.js';
import { addressHandler } from './resources/address.js';
import { backendServiceHandler } from './resources/backend-service.js';
import { dnsRecordHandler, findManagedZone } from './resources/dns-record.js';
import { firewallHandler } from './resources/firewall.js';
import { forwardingRuleHandler } from './resources/forwarding-rule.js';
import { healthCheckHandler } from './resources/health-check.js';
import { instanceGroupHandler } from './resources/instance-group.js';
import { instanceTemplateHandler } from './resources/instance-template.js';
import { networkHandler } from './resources/network.js';
import { subnetworkHandler } from './resources/subnetwork.js';
import { routerHandler } from './resources/router.js';
import { checkExistingNetwork } from './existing-network.js';
import { serviceAccountHandler } from './resources/service-account.js';
import { bucketIamMemberHandler } from './resources/bucket-iam-member.js';
import { projectIamMemberHandler } from './resources/project-iam-member.js';
import { serviceAccountIamMemberHandler } from './resources/service-account-iam-member.js';
import { targetTcpProxyHandler } from './resources/target-tcp-proxy.js';
import { gceRollingUpdate } from './rolling-update.js';
import { gceCloud } from './cloud.js';

import { bootstrapBundles } from './model/compute.js';
export type { GceClients, CallRecord } from './clients.js';
export { buildGceGraph } from './model/index.js';

export const gceHandlers: ResourceHandler<GceClients>[] = [
  serviceAccountHandler,
  bucketIamMemberHandler,
  projectIamMemberHandler,
  serviceAccountIamMemberHandler,
  networkHandler,
  subnetworkHandler,
  routerHandler,
  firewallHandler,
  addressHandler,
  healthCheckHandler,
  backendServiceHandler,
  targetTcpProxyHandler,
  forwardingRuleHandler,
  instanceTemplateHandler,
  instanceGroupHandler,
  dnsRecordHandler,
];

export interface GceProviderOptions {
  /** Observes every API call (benchmarks, tests). */
  onCall?: (r: CallRecord) => void;
  operationTimeoutMs?: number;
}

const CREDENTIALS = /Could not load the default credentials|invalid_grant|UNAUTHENTICATED|Request had invalid authentication credentials|unable to detect a Project Id/i;

export async function connectGce(cluster: Cluster, opts: ConnectOptions, options: GceProviderOptions = {}): Promise<GceClients> {
  const spec = cluster.spec;
  if (!spec.project) throw new InvalidInputError('spec.project: a GCE cluster needs a project', { hint: 'Pass --project my-project (or set spec.project).' });
  let clients: GceClients;
  try {
    clients = createGceClients({ cluster: cluster.metadata.name, project: spec.project, region: spec.region }, { env: opts.env, onCall: options.onCall, operationTimeoutMs: options.operationTimeoutMs });
  } catch (err) {
    throw new InvalidInputError((err as Error).message, { hint: 'Set K8SUP_GCE_ENDPOINT to http://host:port, or unset it to use the real Compute API.' });
  }
  // One call checks credentials, the project and the zones at once.
  let zones: { name?: string; status?: string; region?: string }[];
  try {
    zones = await clients.api.list('zones', {});
  } catch (err) {
    const message = (err as Error)?.message ?? String(err);
    if (CREDENTIALS.test(message)) {
      throw new OperationError(`checking Google credentials failed: ${message}`, {
        code: 'GceCredentials',
        hint: 'Set GOOGLE_APPLICATION_CREDENTIALS to a service-account key file or run `gcloud auth application-default login`.',
        cause: err,
      });
    }
    if (classifyGceError(err) === 'not-found' || gceReasons(err).includes('forbidden')) {
      throw new InvalidInputError(`spec.project: project ${spec.project} is not accessible (${message})`, {
        hint: 'Check --project and that the Compute Engine API is enabled for it (gcloud services enable compute.googleapis.com).',
        cause: err,
      });
    }
    throw new OperationError(`listing zones of project ${spec.project} failed: ${message}`, { hint: 'Check network access to the Compute API (or K8SUP_GCE_ENDPOINT).', cause: err });
  }
  const up = new Set(zones.filter((z) => !z.status || z.status === 'UP').map((z) => z.name));
  const inRegion = [...up].filter((z): z is string => !!z && z.startsWith(`${spec.region}-`)).sort();
  assertZonesAvailable(cluster, (z) => up.has(z) && z.startsWith(`${spec.region}-`), () => `is not an available zone of ${spec.region} in project ${spec.project} (available: ${inRegion.join(', ') || 'none'})`);
  if (spec.api.dnsZone) clients.settings.dnsZone = await lookUpDnsZone(clients, spec.api.dnsZone, spec.project);
  await checkExistingNetwork(cluster, clients);
  // The roles' state-store bindings (model/identity.ts) are found in the policy of the store's bucket.
  const store = opts.state.location;
  clients.settings.stateBuckets = store?.scheme === 'gs' ? [store.bucket] : [];
  return clients;
}

/** The public Cloud DNS managed zone spec.api.dnsZone names; a zone that is not there is bad input (exit 2). */
async function lookUpDnsZone(clients: GceClients, dnsZone: string, project: string) {
  let found: Awaited<ReturnType<typeof findManagedZone>>;
  try {
    found = await findManagedZone(clients.api, dnsZone);
  } catch (err) {
    const message = (err as Error)?.message ?? String(err);
    throw new OperationError(`looking up Cloud DNS zone ${dnsZone} in project ${project} failed: ${message}`, {
      hint: 'Check that the Cloud DNS API is enabled (gcloud services enable dns.googleapis.com) and that the caller may list its zones (roles/dns.reader).',
      cause: err,
    });
  }
  if (found.zone) return found.zone;
  const name = dnsZone.endsWith('.') ? dnsZone : `${dnsZone}.`;
  const why = found.privateZones.length ? `only private zones (${found.privateZones.join(', ')}), which the cluster's network cannot resolve` : 'none';
  throw InvalidInputError.fromIssues(
    [{ path: 'spec.api.dnsZone', message: `no public Cloud DNS managed zone with DNS name ${name} in project ${project} (found ${why})` }],
    `Create it (gcloud dns managed-zones create NAME --dns-name ${name} --description k8sup --project ${project}) or pass an existing zone with --dns-zone.`,
  );
}

export function terraformPreamble(cluster: Cluster): Record<string, unknown> {
  // The DNS record looks its zone up with the google_dns_managed_zones data source (provider 5.20 and later).
  const version = cluster.spec.api.dnsZone ? '>= 5.20.0' : '>= 5.0.0';
  return {
    terraform: { required_version: '>= 1.5.0', required_providers: { google: { source: 'hashicorp/google', version } } },
    provider: { google: { project: cluster.spec.project, region: cluster.spec.region } },
  };
}

/** `https://<api host>:6443`: the Cloud DNS name when a DNS zone is used, else the static address. */
export function apiEndpoint(outputs: Record<string, Record<string, unknown>>): string | undefined {
  // Without a public load balancer (spec.api.loadBalancerType internal) admins use the internal address.
  const host = outputs[API_DNS_RECORD]?.fqdn ?? outputs[API_ADDRESS]?.address ?? outputs[API_INTERNAL_ADDRESS]?.address;
  return typeof host === 'string' && host ? `https://${host}:6443` : undefined;
}

export function createGceProvider(options: GceProviderOptions = {}): Provider<GceClients> {
  return {
    name: gceCloud.name,
    // Nodes fetch their bootstrap material from GCS with their service account.
    // From the cloud's facts (cloud.ts): nodes read gs:// stores; orphaned clusters are found by their labels.
    nodeStateStoreSchemes: [`${gceCloud.nodes.store!.scheme}:`],
    discoversByOwnership: gceCloud.orphanScope !== undefined,
    handlers: gceHandlers,
    buildGraph: buildGceGraph,
    bootstrapBundles,
    connect: (cluster, opts) => connectGce(cluster, opts, options),
    classifyError: classifyGceError,
    terraformPreamble,
    rollingUpdate: gceRollingUpdate,
    apiEndpoint,
  };
}

export const provider: Provider<GceClients> = createGceProvider();
