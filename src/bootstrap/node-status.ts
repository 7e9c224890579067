// Reads the progress reports nodes write to the state store while they bootstrap
// (`<cluster>/nodes/status/<instance>.json`, templates/bootstrap/status.sh). Reports come from nodes, so each is
// checked before use: a malformed one is shown as such, never trusted.

import type { BlobStore } from '../state/blob.js';

export type BootstrapState = 'running' | 'failed' | 'done';

export interface NodeBootstrapReport {
  instance: string;
  role: string;
  group: string;
  /** The step running or failed (image, prepare, containerd, packages, pki, kubeadm, cni, done…). */
  step: string;
  state: BootstrapState;
  /** Run of the bootstrap unit (1 = first). */
  attempt: number;
  /** What failed ('' unless state is failed). */
  error: string;
  /** When the node wrote it (RFC 3339, the node's clock). */
  time: string;
}

export const nodeStatusPrefix = (cluster: string) => `${cluster}/nodes/status/`;

export function parseNodeReport(text: string): NodeBootstrapReport | undefined {
  let doc: any;
  try {
    doc = JSON.parse(text);
  } catch {
    return undefined;
  }
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const state = str(doc?.state);
  if (!doc || typeof doc !== 'object' || !str(doc.instance) || !['running', 'failed', 'done'].includes(state ?? '')) return undefined;
  return {
    instance: doc.instance,
    role: str(doc.role) ?? '',
    group: str(doc.group) ?? '',
    step: str(doc.step) ?? '',
    state: state as BootstrapState,
    attempt: Number.isInteger(doc.attempt) ? doc.attempt : 0,
    error: str(doc.error) ?? '',
    time: str(doc.time) ?? '',
  };
}

/** Every report of the cluster, sorted by group then instance. Unreadable ones are skipped. */
export async function readNodeReports(store: BlobStore, cluster: string): Promise<NodeBootstrapReport[]> {
  const keys = (await store.list(nodeStatusPrefix(cluster))).filter((k) => k.endsWith('.json'));
  const reports = await Promise.all(
    keys.map(async (key) => {
      const blob = await store.get(key);
      return blob ? parseNodeReport(blob.data.toString('utf8')) : undefined;
    }),
  );
  return reports
    .filter((r): r is NodeBootstrapReport => r !== undefined)
    .sort((a, b) => a.group.localeCompare(b.group) || a.instance.localeCompare(b.instance));
}

/** "node i-0abc: bootstrap failing at step kubeadm: …" for a report that says it failed. */
export function describeBootstrapFailure(r: NodeBootstrapReport): string {
  return `node ${r.instance}: bootstrap failing at step ${r.step} (attempt ${r.attempt}): ${r.error || 'no error recorded'}`;
}
