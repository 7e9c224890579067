// Bootstrap failures the nodes reported to the state store (src/bootstrap/node-status.ts): a node that never
// registers shows up as "node X: bootstrap failing at step Y: <error>", not only as a short node group.

import { describeBootstrapFailure, type NodeBootstrapReport } from '../bootstrap/node-status.js';
import { FailureType, type ValidationFailure } from './types.js';

/**
 * A failing node rewrites its report at every run of its bootstrap unit (at most ~15 minutes apart, backoff
 * included); older failed reports are left by instances that were replaced or deleted, and are ignored.
 */
export const STALE_REPORT_MS = 2 * 60 * 60 * 1000;

export function evaluateBootstrapReports(reports: NodeBootstrapReport[], now: number): ValidationFailure[] {
  return reports
    .filter((r) => r.state === 'failed')
    .filter((r) => {
      const at = Date.parse(r.time);
      return Number.isFinite(at) && now - at < STALE_REPORT_MS;
    })
    .map((r) => ({ type: FailureType.BOOTSTRAP, name: r.instance, message: describeBootstrapFailure(r) }));
}
