// The one poll loop of a rolling update's replace step, shared by every provider with replaceable instances: after
// the cloud was asked to replace an instance, read the group until it is whole again on its current configuration,
// within the step's deadline. Providers say how to read the group and what "whole" means for their cloud.

import { OperationError } from './errors.js';
import type { CloudInstanceGroup, ReplaceOptions } from './provider.js';
import { pollDelay, sleep } from './sleep.js';

export interface GroupWait {
  /** The group as the cloud reports it now; undefined when it is gone. */
  read(): Promise<CloudInstanceGroup | undefined>;
  /** The group is whole again (the cloud's own notion: in service, running, on the current configuration). */
  settled(group: CloudInstanceGroup): boolean;
  /** For messages: 'auto scaling group web-asg'. */
  what: string;
  /** For messages: 'in-service instances'. */
  want: string;
  /** How an instance on the old configuration is marked in the timeout message: 'old version'. */
  oldMark: string;
  /** What to do when the group does not settle in time. */
  hint: string;
}

export async function waitForGroup(wait: GroupWait, opts: ReplaceOptions & { pollMs: number }): Promise<CloudInstanceGroup> {
  const deadline = Date.now() + opts.timeoutMs;
  for (let round = 0; ; round++) {
    const now = await wait.read();
    if (!now) throw new OperationError(`${wait.what} disappeared during the rolling update`, { hint: 'run `k8sup update cluster --yes` to recreate it' });
    if (wait.settled(now)) return now;
    const delay = pollDelay(round, opts.pollMs);
    if (Date.now() + delay > deadline) {
      const states = now.instances.map((i) => `${i.id} ${i.status}${i.needsUpdate ? ` (${wait.oldMark})` : ''}`).join(', ') || 'no instances';
      throw new OperationError(`${wait.what} did not get back to ${now.desired} ${wait.want} on ${now.currentVersion} within ${Math.round(opts.timeoutMs / 1000)}s (${states})`, {
        hint: wait.hint,
      });
    }
    await sleep(delay, opts.signal);
  }
}
