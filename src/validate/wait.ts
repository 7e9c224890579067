// `validate cluster --wait`: repeat one-shot checks until `count` consecutive passes or the deadline. Every check is
// bounded by the deadline, so an API that hangs or refuses connections still yields a report in time. Progress is
// emitted as events; the caller prints exactly one document from the returned report.

import { setTimeout as sleepFor } from 'node:timers/promises';
import type { Cluster } from '../api/types.js';
import type { IoHost } from '../core/io.js';
import { DEFAULT_REQUEST_TIMEOUT_MS, loadKubeConfig } from './kube-client.js';
import { validateOnce, type ValidateOnceOptions } from './once.js';
import { FailureType, type KubeTarget, type ValidationReport } from './types.js';

/** Short enough that `--wait` returns within about a second of the cluster becoming valid. */
export const DEFAULT_INTERVAL_MS = 1000;
export const DEFAULT_COUNT = 1;

export interface ValidateClusterOptions {
  /** 0: a single check. Otherwise keep checking until valid `count` times in a row, or until this much time passed. */
  waitMs: number;
  /** Consecutive passes required (default 1). A flapping cluster resets the streak. */
  count: number;
  /** Pause between checks. */
  intervalMs: number;
  io: IoHost;
  signal?: AbortSignal;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Upper bound on each API request (default 10 s); always also bounded by the --wait deadline. */
  requestTimeoutMs?: number;
  /** The nodes' bootstrap progress reports, read again at every check (injected: the CLI reads the state store). */
  readBootstrapReports?: ValidateOnceOptions['readBootstrapReports'];
}

/** One check, given its cancellation signal and per-request budget. */
export type CheckFn = (budget: { signal?: AbortSignal; requestTimeoutMs: number }) => Promise<ValidationReport>;

export interface PollOptions extends ValidateClusterOptions {
  cluster: string;
  /** Named in the `api` failure when the very first check could not finish before the deadline. */
  server: string;
}

function summarize(report: ValidationReport): string {
  if (report.valid) return 'valid';
  const first = report.failures.slice(0, 3).map((f) => f.message).join('; ');
  const more = report.failures.length > 3 ? ` (+${report.failures.length - 3} more)` : '';
  return `${report.failures.length} failure${report.failures.length === 1 ? '' : 's'}: ${first}${more}`;
}

export async function pollUntilValid(check: CheckFn, opts: PollOptions): Promise<ValidationReport> {
  const now = opts.now ?? Date.now;
  const sleep = opts.sleep ?? ((ms: number) => sleepFor(ms, undefined, { signal: opts.signal }));
  const count = Math.max(1, Math.floor(opts.count || DEFAULT_COUNT));
  const started = now();
  const { io } = opts;
  const done = (report: ValidationReport, attempts: number): ValidationReport => {
    io.emit({
      code: 'validate.done',
      level: report.valid ? 'info' : 'warn',
      message: report.valid ? `cluster ${opts.cluster} is valid` : `cluster ${opts.cluster} is not valid: ${summarize(report)}`,
      data: { valid: report.valid, attempts, elapsedMs: now() - started, failures: report.failures.length },
    });
    return report;
  };
  const requestTimeoutMs = opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;

  if (opts.waitMs <= 0) {
    io.emit({ code: 'validate.attempt', level: 'debug', message: `validating cluster ${opts.cluster}`, data: { attempt: 1 } });
    return done(await check({ signal: opts.signal, requestTimeoutMs }), 1);
  }

  const deadline = started + opts.waitMs;
  io.emit({
    code: 'validate.start',
    level: 'info',
    message: `validating cluster ${opts.cluster} for up to ${Math.round(opts.waitMs / 1000)}s (${count} consecutive pass${count === 1 ? '' : 'es'} needed)`,
    data: { waitMs: opts.waitMs, count, intervalMs: opts.intervalMs },
  });

  let last: ValidationReport | undefined;
  let streak = 0;
  let attempt = 0;
  while (deadline - now() > 0) {
    attempt++;
    const remaining = deadline - now();
    const deadlineReached = new AbortController();
    const timer = setTimeout(() => deadlineReached.abort(new Error('validation deadline reached')), remaining);
    const signal = opts.signal ? AbortSignal.any([opts.signal, deadlineReached.signal]) : deadlineReached.signal;
    io.emit({ code: 'validate.attempt', level: 'debug', message: `attempt ${attempt}`, data: { attempt } });
    let report: ValidationReport;
    try {
      report = await check({ signal, requestTimeoutMs: Math.max(1, Math.min(requestTimeoutMs, remaining)) });
    } catch (e) {
      if (opts.signal?.aborted || !deadlineReached.signal.aborted) throw e;
      // Cut short by the deadline: a half-finished check says nothing new, keep the last complete one.
      last ??= {
        cluster: opts.cluster,
        valid: false,
        failures: [{ type: FailureType.API, name: opts.server, message: `no complete answer from the API server within ${opts.waitMs / 1000}s` }],
        nodes: [],
      };
      break;
    } finally {
      clearTimeout(timer);
    }
    last = report;
    streak = report.valid ? streak + 1 : 0;
    io.emit({
      code: 'validate.result',
      level: 'info',
      message: `attempt ${attempt}: ${summarize(report)}${count > 1 && report.valid ? ` (${streak}/${count} consecutive passes)` : ''}`,
      data: { attempt, valid: report.valid, streak, count, failures: report.failures },
    });
    if (streak >= count) return done(report, attempt);
    const left = deadline - now();
    if (left <= 0) break;
    await sleep(Math.min(opts.intervalMs, left));
    if (opts.signal?.aborted) throw opts.signal.reason;
  }

  const final = last ?? {
    cluster: opts.cluster,
    valid: false,
    failures: [{ type: FailureType.API, name: opts.server, message: `no check completed within ${opts.waitMs / 1000}s` }],
    nodes: [],
  };
  if (final.valid) {
    // Passing now but not for long enough: report it as not valid, and say why.
    return done(
      {
        ...final,
        valid: false,
        failures: [
          ...final.failures,
          { type: FailureType.WAIT, name: opts.cluster, message: `only ${streak} of ${count} required consecutive passes before the --wait deadline` },
        ],
      },
      attempt,
    );
  }
  return done(final, attempt);
}

export async function validateCluster(cluster: Cluster, target: KubeTarget, opts: ValidateClusterOptions): Promise<ValidationReport> {
  // Parse the kubeconfig once up front, so a broken one is an input error rather than a retried failure.
  const kc = await loadKubeConfig(target);
  const server = kc.getCurrentCluster()!.server;
  return pollUntilValid(({ signal, requestTimeoutMs }) => validateOnce(cluster, target, { signal, requestTimeoutMs, readBootstrapReports: opts.readBootstrapReports }), {
    ...opts,
    cluster: cluster.metadata.name,
    server,
  });
}
