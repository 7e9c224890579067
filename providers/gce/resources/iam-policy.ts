// The read-modify-write that every IAM policy of Google's APIs asks for, shared by the three IAM-member kinds (the
// state bucket's policy, the project's, a service account's own): read the whole policy with its etag, compute the
// bindings to write, write them back with that etag. Another writer in between (another tool, a person, or one of
// k8sup's own handlers running in parallel) makes the write fail — Cloud Storage answers 412 conditionNotMet,
// Resource Manager and IAM answer 409 ABORTED — and the whole cycle starts over on a fresh read, as the APIs ask
// ("retry the whole read-modify-write"), a bounded number of times. A service account created a moment ago may not
// be known to IAM yet (400 "… does not exist"): that is eventual consistency, left to the engine's own retries.

import { sleep } from '../../../src/core/sleep.js';
import { GceEventualConsistencyError, GceHttpError } from '../errors.js';
import type { Ctx } from './common.js';

export interface IamBinding {
  role: string;
  members: string[];
  condition?: unknown;
}

export interface IamPolicy<B extends IamBinding = IamBinding> {
  version?: number;
  etag?: string;
  bindings?: B[];
}

/** How one policy is read, changed and written; `P` is what `read` answers (null: no policy to read). */
export interface PolicyRewrite<P, B extends IamBinding = IamBinding> {
  /** Names the policy in errors (`binding on gs://<bucket>`, `project roles of <member>`). */
  what: string;
  read(): Promise<P>;
  /** The bindings to write in place of the policy read, or undefined when it already is as wanted (nothing written). */
  edit(policy: P): B[] | undefined;
  /** Writes `bindings` back, carrying the etag of `policy` so that a write in between is refused. */
  write(bindings: B[], policy: P): Promise<unknown>;
}

/** Reads before giving up on a policy that keeps changing under us (the last conflict is then the error). */
export const POLICY_WRITE_ATTEMPTS = 6;
/** The answers that mean "the policy changed since you read it": 409 ABORTED (Resource Manager, IAM), 412 (Cloud Storage). */
const CONFLICT = new Set([409, 412]);

export async function rewritePolicy<P, B extends IamBinding>(ctx: Ctx, rewrite: PolicyRewrite<P, B>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const policy = await rewrite.read();
    const bindings = rewrite.edit(policy);
    if (bindings === undefined) return;
    try {
      await rewrite.write(bindings, policy);
      return;
    } catch (err) {
      const status = err instanceof GceHttpError ? err.status : 0;
      if (CONFLICT.has(status) && attempt < POLICY_WRITE_ATTEMPTS) {
        await sleep(100 * attempt, ctx.signal);
        continue;
      }
      const message = err instanceof Error ? err.message : String(err);
      if (status === 400 && /does not exist/i.test(message)) throw new GceEventualConsistencyError(`${rewrite.what}: ${message}`, { cause: err });
      throw err;
    }
  }
}
