// `toolbox dump NAME`: one document describing a cluster for a support ticket (kops' `toolbox dump`): the cloud
// resources the provider discovers for it, its instances, and — when the API answers — its nodes, pods and recent
// events. Read-only: no lock, no write (discover runs without a journal; the kubeconfig is the caller's).
//
// Nothing secret leaves: no Secret objects are read at all; pods are summarised (no annotations, commands,
// arguments or env values: env shows names only); resource attributes lose user data, startup scripts, metadata
// values and anything named like a credential; and a last pass over every string of the document blanks PEM
// private keys, JWTs, kubeadm bootstrap tokens, passwords in URLs, AWS secret keys and session tokens and GCP
// service-account keys wherever they might hide (an event message, a tag), keeping the rest of the line. docs/toolbox.md.

import type { CoreV1Event, V1Node, V1Pod } from '@kubernetes/client-node';
import type { Cluster } from '../api/types.js';
import { readNodeReports, type NodeBootstrapReport } from '../bootstrap/node-status.js';
import { discover } from '../core/engine.js';
import { InvalidInputError } from '../core/errors.js';
import type { CloudInstanceGroup, Provider } from '../core/provider.js';
import type { LiveResource } from '../core/resource.js';
import type { KubeTarget } from '../validate/types.js';
import type { BlobStore } from '../state/blob.js';
import { readClusterInfo } from './cluster-info.js';
import { adminKubeconfig } from './admin-credential.js';
import { closeClients, connectProvider, loadProviderFor, type FlowHost } from './deploy.js';
import { readSpec } from './spec-store.js';
import { ClusterStore } from '../state/cluster-store.js';

export const REDACTED = '(redacted)';

export interface ToolboxDumpInput extends FlowHost {
  store: BlobStore;
  cs: ClusterStore;
  cluster: Cluster;
  revision: number;
  provider: Provider<any>;
  /** How to reach the API, or why there is no way to (no recorded endpoint). */
  kube: KubeTarget | { unavailable: string };
  /** Events newer than this many ms, newest first, at most maxEvents of them. */
  eventsSinceMs: number;
  maxEvents: number;
  now?: () => Date;
}

export interface DumpedResource {
  kind: string;
  id: string;
  cloudId: string;
  name?: string;
  attributes: Record<string, unknown>;
}

export type Section<T> = ({ reachable: true } & T) | { reachable: false; error: string };

export interface DumpedNode {
  name: string;
  roles: string[];
  group?: string;
  providerID?: string;
  unschedulable: boolean;
  versions: { kubelet?: string; containerRuntime?: string; kernel?: string; osImage?: string };
  addresses: { type: string; address: string }[];
  conditions: { type: string; status: string; reason?: string; message?: string; lastTransitionTime?: string }[];
  taints: string[];
  labels: Record<string, string>;
}

export interface DumpedPod {
  namespace: string;
  name: string;
  node?: string;
  phase?: string;
  restarts: number;
  images: string[];
  containers: { name: string; image: string; ready: boolean; restarts: number; state?: string; env: Record<string, string> }[];
}

export interface DumpedEvent {
  namespace?: string;
  time?: string;
  type?: string;
  reason?: string;
  object: string;
  message?: string;
  count?: number;
  source?: string;
}

export interface ToolboxDump {
  kind: 'ToolboxDump';
  generatedAt: string;
  cluster: { name: string; uid?: string; cloud: string; region?: string; kubernetesVersion: string; revision: number; appliedRevision?: number; apiEndpoint?: string };
  cloud: Section<{ resources: DumpedResource[]; instanceGroups?: CloudInstanceGroup[] }>;
  /** The bootstrap reports the instances wrote to the state store (what `get instances` shows). */
  instances: NodeBootstrapReport[];
  kubernetes: Section<{ server: string; nodes: DumpedNode[]; pods: DumpedPod[]; events: DumpedEvent[] }>;
  /** What could not be collected, also in the sections themselves. */
  warnings: string[];
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** A section's content, or why it could not be collected. */
type Collected<T> = { ok: true; value: T } | { ok: false; error: string };

/**
 * Collects the dump. Sections that cannot be collected say why; only an interruption (the caller's signal) and a
 * kubeconfig or context that is not valid throw.
 */
/** Only for this one read. */
const CREDENTIAL_TTL = '10m';

export type ToolboxDumpRequest = Omit<ToolboxDumpInput, 'cs' | 'cluster' | 'revision' | 'provider' | 'kube'> & {
  name: string;
  /** The user's own kubeconfig (--kubeconfig, --context); otherwise a short-lived admin credential from the state's PKI. */
  kubeconfig?: { yaml: string; context?: string };
};

/** `toolbox dump`: reads the cluster's latest spec, its provider and a way to its API, then collects. Read-only. */
export async function toolboxDumpFlow(request: ToolboxDumpRequest): Promise<ToolboxDump> {
  const { name, kubeconfig, ...rest } = request;
  const cs = new ClusterStore(request.store, name);
  const { cluster, revision } = await readSpec(cs, name);
  const provider = await loadProviderFor(cluster);
  let kube: ToolboxDumpInput['kube'];
  if (kubeconfig !== undefined) kube = { kubeconfigYaml: kubeconfig.yaml, context: kubeconfig.context };
  else {
    const kc = await adminKubeconfig(cs, name, CREDENTIAL_TTL);
    kube = kc.recorded ? { kubeconfigYaml: kc.yaml } : { unavailable: `${name} has no recorded API endpoint (not applied yet?); pass --kubeconfig to reach its API` };
  }
  return collectToolboxDump({ ...rest, cs, cluster, revision, provider, kube });
}

export async function collectToolboxDump(input: ToolboxDumpInput): Promise<ToolboxDump> {
  const { cluster, signal } = input;
  const now = input.now ?? (() => new Date());
  const warnings: string[] = [];
  // `inputErrors`: a section whose input comes from the user's flags (the kubeconfig and context) fails the command
  // on bad input (exit 2) instead of describing it.
  const guard = async <T>(what: string, fn: () => Promise<T>, inputErrors = false): Promise<Collected<T>> => {
    try {
      return { ok: true, value: await fn() };
    } catch (e) {
      if (signal?.aborted) throw signal.reason ?? e;
      if (inputErrors && e instanceof InvalidInputError) throw e;
      warnings.push(`${what}: ${message(e)}`);
      return { ok: false, error: message(e) };
    }
  };

  const info = await readClusterInfo(input.cs);
  const cloud = await guard('cloud resources', () => collectCloud(input));
  const reports = await guard('instance reports', () => readNodeReports(input.store, cluster.metadata.name));
  const target = input.kube;
  let kube: Collected<Awaited<ReturnType<typeof collectKube>>>;
  if ('unavailable' in target) {
    warnings.push(`kubernetes API: ${target.unavailable}`);
    kube = { ok: false, error: target.unavailable };
  } else kube = await guard('kubernetes API', () => collectKube(target, input, now()), true);

  const dump: ToolboxDump = {
    kind: 'ToolboxDump',
    generatedAt: now().toISOString(),
    cluster: {
      name: cluster.metadata.name,
      uid: cluster.metadata.uid,
      cloud: cluster.spec.cloud,
      region: cluster.spec.region,
      kubernetesVersion: cluster.spec.kubernetesVersion,
      revision: input.revision,
      appliedRevision: info.appliedRevision,
      apiEndpoint: info.apiEndpoint,
    },
    cloud: cloud.ok ? { reachable: true, ...cloud.value } : { reachable: false, error: cloud.error },
    instances: reports.ok ? reports.value : [],
    kubernetes: kube.ok ? { reachable: true, ...kube.value } : { reachable: false, error: kube.error },
    warnings,
  };
  return scrubDocument(dump);
}

async function collectCloud(input: ToolboxDumpInput): Promise<{ resources: DumpedResource[]; instanceGroups?: CloudInstanceGroup[] }> {
  const { provider, cluster } = input;
  const clients = await connectProvider({ store: input.store, cluster, io: input.io, env: input.env, home: input.home, signal: input.signal, sshAcceptNew: input.sshAcceptNew }, provider);
  try {
    // The engine's discover step without a journal: list calls only. Objects of another cluster of the same name
    // are left out rather than refused: a dump describes this cluster and never stops at someone else's objects.
    const live = await discover({
      cluster: cluster.metadata.name,
      clusterId: cluster.metadata.uid,
      otherClusters: 'skip',
      handlers: provider.handlers,
      clients,
      classifyError: (e) => provider.classifyError(e),
      io: input.io,
      signal: input.signal,
      taskTimeoutMs: provider.taskTimeoutMs,
    });
    const instanceGroups = provider.rollingUpdate ? await provider.rollingUpdate.listGroups(cluster, clients) : undefined;
    return { resources: live.map(dumpResource), ...(instanceGroups ? { instanceGroups } : {}) };
  } finally {
    closeClients(clients);
  }
}

// Field names whose values are scripts (user data, startup scripts: bootstrap material) or credentials: kept as a
// name, never as a value. Matched on the name's words (camelCase, - and _), so `description` is not a script and
// `httpTokens` (IMDSv2 required or not) is not a token.
const SECRET_WORDS = new Set(['script', 'scripts', 'userdata', 'secret', 'secrets', 'token', 'password', 'passwd', 'passphrase', 'credential', 'credentials', 'privatekey']);
const SECRET_NAMES = new Set(['metadata', 'env']);

export function isSecretField(name: string): boolean {
  const words = name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase().split(/[^a-z0-9]+/).filter(Boolean);
  const joined = words.flatMap((w, i) => (i + 1 < words.length ? [w, w + words[i + 1]] : [w]));
  return SECRET_NAMES.has(name.toLowerCase()) || joined.some((w) => SECRET_WORDS.has(w));
}
// Longer strings are documents (policies, scripts), not attributes a ticket needs.
const MAX_ATTRIBUTE_CHARS = 512;

export function dumpResource(l: LiveResource): DumpedResource {
  const tags = l.fields.tags as Record<string, unknown> | undefined;
  const name = typeof l.fields.name === 'string' ? l.fields.name : typeof tags?.Name === 'string' ? tags.Name : undefined;
  const attributes: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(l.fields)) attributes[k] = isSecretField(k) ? REDACTED : attributeValue(v);
  return { kind: l.kind, id: l.id, cloudId: l.cloudId, ...(name ? { name } : {}), attributes };
}

function attributeValue(v: unknown): unknown {
  if (typeof v === 'string') return v.length > MAX_ATTRIBUTE_CHARS ? `(omitted: ${v.length} characters)` : v;
  if (Array.isArray(v)) return v.map(attributeValue);
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    // GCE metadata items and similar key/value pairs: the key says what it is, the value may be a script.
    if (typeof o.key === 'string' && 'value' in o && Object.keys(o).length === 2) return { key: o.key, value: REDACTED };
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, isSecretField(k) ? REDACTED : attributeValue(x)]));
  }
  return v;
}

async function collectKube(target: KubeTarget, input: ToolboxDumpInput, now: Date): Promise<{ server: string; nodes: DumpedNode[]; pods: DumpedPod[]; events: DumpedEvent[] }> {
  const { openKubeReader } = await import('../validate/kube-client.js');
  const kube = await openKubeReader(target, { signal: input.signal });
  const [nodes, pods] = [await kube.listNodes(), await kube.listPods(undefined)];
  const events: CoreV1Event[] = [];
  // Pages of 500, at most 20 of them: a bounded read even on a cluster flooded with events.
  let token: string | undefined;
  for (let page = 0; page < 20; page++) {
    const got = await kube.listEvents({ limit: 500, continue: token });
    events.push(...got.items);
    token = got.continue;
    if (!token) break;
  }
  const since = now.getTime() - input.eventsSinceMs;
  const recent = events
    .map((e) => ({ e, at: eventTime(e) }))
    .filter(({ at }) => at === undefined || at.getTime() >= since)
    .sort((a, b) => (b.at?.getTime() ?? 0) - (a.at?.getTime() ?? 0))
    .slice(0, input.maxEvents)
    .map(({ e, at }) => dumpEvent(e, at));
  return {
    server: kube.server,
    nodes: nodes.map(dumpNode).sort((a, b) => a.name.localeCompare(b.name)),
    pods: pods.map(dumpPod).sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name)),
    events: recent,
  };
}

const iso = (d: Date | string | undefined | null) => (d == null ? undefined : d instanceof Date ? d.toISOString() : String(d));

function dumpNode(n: V1Node): DumpedNode {
  const labels = n.metadata?.labels ?? {};
  const info = n.status?.nodeInfo;
  return {
    name: n.metadata?.name ?? '',
    roles: Object.keys(labels).filter((l) => l.startsWith('node-role.kubernetes.io/')).map((l) => l.slice('node-role.kubernetes.io/'.length)).sort(),
    group: labels['k8sup.io/node-group'],
    providerID: n.spec?.providerID,
    unschedulable: n.spec?.unschedulable === true,
    versions: { kubelet: info?.kubeletVersion, containerRuntime: info?.containerRuntimeVersion, kernel: info?.kernelVersion, osImage: info?.osImage },
    addresses: (n.status?.addresses ?? []).map((a) => ({ type: a.type, address: a.address })),
    conditions: (n.status?.conditions ?? []).map((c) => ({ type: c.type, status: c.status, reason: c.reason, message: c.message, lastTransitionTime: iso(c.lastTransitionTime) })),
    taints: (n.spec?.taints ?? []).map((t) => `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`),
    labels,
  };
}

function dumpPod(p: V1Pod): DumpedPod {
  const statuses = new Map((p.status?.containerStatuses ?? []).map((s) => [s.name, s]));
  const containers = [...(p.spec?.initContainers ?? []), ...(p.spec?.containers ?? [])].map((c) => {
    const s = statuses.get(c.name) ?? p.status?.initContainerStatuses?.find((i) => i.name === c.name);
    const state = s?.state?.waiting?.reason ?? (s?.state?.terminated ? `terminated: ${s.state.terminated.reason ?? s.state.terminated.exitCode}` : s?.state?.running ? 'running' : undefined);
    // Names only: a value may be a password; a reference says where it comes from without its content.
    const env = Object.fromEntries(
      (c.env ?? []).map((e) => {
        const from = e.valueFrom;
        const source = from?.secretKeyRef
          ? `(from secret ${from.secretKeyRef.name}, key ${from.secretKeyRef.key})`
          : from?.configMapKeyRef
            ? `(from configmap ${from.configMapKeyRef.name}, key ${from.configMapKeyRef.key})`
            : from?.fieldRef
              ? `(from field ${from.fieldRef.fieldPath})`
              : from?.resourceFieldRef
                ? `(from resource ${from.resourceFieldRef.resource})`
                : REDACTED;
        return [e.name, source];
      }),
    );
    return { name: c.name, image: c.image ?? '', ready: s?.ready === true, restarts: s?.restartCount ?? 0, ...(state ? { state } : {}), env };
  });
  return {
    namespace: p.metadata?.namespace ?? '',
    name: p.metadata?.name ?? '',
    node: p.spec?.nodeName,
    phase: p.status?.phase,
    restarts: containers.reduce((n, c) => n + c.restarts, 0),
    images: [...new Set(containers.map((c) => c.image))],
    containers,
  };
}

function eventTime(e: CoreV1Event): Date | undefined {
  const t = e.series?.lastObservedTime ?? e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? e.metadata?.creationTimestamp;
  if (t == null) return undefined;
  const d = t instanceof Date ? t : new Date(String(t));
  return Number.isNaN(d.getTime()) ? undefined : d;
}

function dumpEvent(e: CoreV1Event, at: Date | undefined): DumpedEvent {
  const o = e.involvedObject;
  return {
    namespace: e.metadata?.namespace,
    time: at?.toISOString(),
    type: e.type,
    reason: e.reason,
    object: `${o?.kind ?? ''}/${o?.namespace ? `${o.namespace}/` : ''}${o?.name ?? ''}`,
    message: e.message,
    count: e.series?.count ?? e.count,
    source: e.reportingComponent || e.source?.component || undefined,
  };
}

// Credentials that could hide in any string (an event message, a tag, a label): blanked wherever they appear.
const SECRET_PATTERNS: RegExp[] = [
  /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z0-9 ]*PRIVATE KEY-----|$)/g,
  /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g, // a JWT (service-account tokens)
  /\b[a-z0-9]{6}\.[a-z0-9]{16}\b/g, // a kubeadm bootstrap token
];

// Registry credentials as docker's config.json (`"auth": "…"`) or containerd's TOML (`password = "…"`) write them,
// and a GCP service-account key file's `"private_key": "…"` (also when its PEM lines were cut off): the key stays,
// the quoted value goes.
const CREDENTIAL_VALUE = /((?:\b|["'])(?:password|auth|identitytoken|registrytoken|private_key|client_secret)["']?\s*[:=]\s*)(["'])(?:\\.|(?!\2)[^\\])*\2/gi;

// A password in a URL's user info (`https://user:pass@host/…`: a registry mirror, an `http_proxy` value, a git
// remote): user and host stay. Lazy up to the last `@` before the host, so a password with an unencoded `@` goes whole.
const URL_PASSWORD = /(\b[a-z][a-z0-9+.-]*:\/\/[^\s/?#@:"'<>]*:)[^\s/?#"'<>]*?(?=@[^\s/?#@"'<>]+(?:[\s/?#"'<>]|$))/gi;
// The same in a proxy variable written without a scheme (`http_proxy=user:pass@proxy:3128`, curl accepts it).
const PROXY_PASSWORD = /(\b[a-z]*_proxy["']?\s*[:=]\s*["']?[^\s/?#@:"']*:)[^\s/?#"']*?(?=@[^\s/?#@"']+(?:[\s/?#"']|$))/gi;

// AWS credentials: a secret access key or session token by name (`AWS_SECRET_ACCESS_KEY=…`, the credentials file's
// `aws_secret_access_key = …`, STS' `"SecretAccessKey": "…"`), or a 40-character secret right after an access key id
// (`AKIA…`, `ASIA…`; the id itself names the key and stays). Digests and hashes are hex and never follow a key id.
const AWS_NAMED_SECRET = /((?:secret_?access_?key|session_?token|security_?token)["']?\s*[:=]\s*["']?)[A-Za-z0-9/+=]{16,}/gi;
const AWS_KEY_PAIR = /(\b(?:AKIA|ASIA)[A-Z0-9]{16}["']?[\s:,;=|"']+)[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g;

// A run of base64 long enough to hold a key: a kubeconfig's client-key-data, a Secret's data, a base64 docker config.
// Decoded, scrubbed like any string, and blanked whole when that found something; two levels deep (a Secret holding
// a kubeconfig holding a key).
const BASE64_RUN = /[A-Za-z0-9+/_-]{40,}={0,2}/g;
// Base64 wrapped into lines (`base64` wraps at 76 columns, YAML indents the block; the last line may be short):
// decoded as one run first. Starts only where a run starts: linear on a long run that is not a block.
const BASE64_BLOCK = /(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/_-]{40,}(?:\r?\n[ \t]*[A-Za-z0-9+/_-]{40,})*\r?\n[ \t]*[A-Za-z0-9+/_-]+={0,2}(?![A-Za-z0-9+/_=-])/g;

// The same in YAML without quotes: a kubeconfig's static `token: …` or basic-auth `password: …`.
const CREDENTIAL_YAML_VALUE = /(\b(?:password|token|identitytoken|registrytoken)\s*:[ \t]+)(?!["'(])\S+/gi;

function scrubPlain(s: string): string {
  return SECRET_PATTERNS.reduce((out, re) => out.replace(re, REDACTED), s)
    .replace(CREDENTIAL_VALUE, `$1$2${REDACTED}$2`)
    .replace(CREDENTIAL_YAML_VALUE, `$1${REDACTED}`)
    .replace(URL_PASSWORD, `$1${REDACTED}`)
    .replace(PROXY_PASSWORD, `$1${REDACTED}`)
    .replace(AWS_NAMED_SECRET, `$1${REDACTED}`)
    .replace(AWS_KEY_PAIR, `$1${REDACTED}`);
}

function scrubLevels(s: string, levels: number): string {
  const plain = scrubPlain(s);
  if (levels === 0) return plain;
  // Node reads the URL-safe alphabet too, and skips the line breaks and indentation of a wrapped block.
  const hidesSecret = (run: string) => {
    const decoded = Buffer.from(run, 'base64').toString('latin1');
    return scrubLevels(decoded, levels - 1) !== decoded;
  };
  const runs = (text: string) => text.replace(BASE64_RUN, (run) => (hidesSecret(run) ? REDACTED : run));
  // A block whose lines do not decode as one (a hash above a key) is still looked at line by line.
  return runs(plain.replace(BASE64_BLOCK, (block) => (hidesSecret(block) ? REDACTED : runs(block))));
}

export function scrubString(s: string): string {
  return scrubLevels(s, 2);
}

function scrubDocument<T>(value: T): T {
  if (typeof value === 'string') return scrubString(value) as T;
  if (Array.isArray(value)) return value.map(scrubDocument) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined).map(([k, v]) => [k, scrubDocument(v)])) as T;
  }
  return value;
}
