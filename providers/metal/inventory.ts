// The hosts a bare-metal cluster has been applied to, kept in the state store at `<cluster>/metal-hosts.json`.
//
// spec.hosts says which machines the cluster SHOULD have; this inventory says which machines k8sup has touched. A
// host that was removed from the hosts file is still listed here, so the provider can still reach it (its address,
// user, key and bastion are only known from here), find its step markers, and reset it. A host enters the inventory
// before k8sup changes anything on it (the `prepared` step) and leaves it once it has been cleaned up.
//
// Format: { "hosts": { "<node name>": HostSpec } }. Operators may edit it by hand (docs/metal.md, "Removing hosts").

import type { HostSpec } from '../../src/api/types.js';
import { OperationError } from '../../src/core/errors.js';
import type { ProviderState } from '../../src/core/provider.js';

export const INVENTORY_OBJECT = 'metal-hosts.json';

interface InventoryDocument {
  hosts: Record<string, HostSpec>;
}

const sameMachine = (a: HostSpec, b: HostSpec) => a.address === b.address && a.port === b.port;

export class HostInventory {
  readonly key: string;

  /** `state` undefined: nothing is remembered (the provider then only knows spec.hosts). Writes are lease-fenced. */
  constructor(
    private readonly state: Pick<ProviderState, 'getObject' | 'updateObject'> | undefined,
    cluster: string,
  ) {
    this.key = `${cluster}/${INVENTORY_OBJECT}`;
  }

  private parse(data: Buffer | null): InventoryDocument {
    if (!data) return { hosts: {} };
    try {
      const doc = JSON.parse(data.toString('utf8')) as InventoryDocument;
      if (typeof doc.hosts !== 'object' || doc.hosts === null || Array.isArray(doc.hosts)) throw new Error('"hosts" is not an object');
      return doc;
    } catch (e) {
      throw new OperationError(`state object ${this.key} is corrupt: ${(e as Error).message}`, {
        code: 'CorruptInventory',
        hint: 'it lists the machines k8sup installed (a JSON object {"hosts": {"<name>": {address, port, user, role, …}}}); fix or restore it',
        cause: e,
      });
    }
  }

  async load(): Promise<Record<string, HostSpec>> {
    if (!this.state) return {};
    return this.parse(await this.state.getObject(INVENTORY_OBJECT)).hosts;
  }

  /** Records (or refreshes) a host; an older entry for the same machine under another name is dropped (a rename). */
  async remember(name: string, host: HostSpec): Promise<void> {
    await this.change((hosts) => {
      const next = Object.fromEntries(Object.entries(hosts).filter(([n, h]) => n === name || !sameMachine(h, host)));
      if (JSON.stringify(next[name]) === JSON.stringify(host) && Object.keys(next).length === Object.keys(hosts).length) return undefined;
      next[name] = host;
      return next;
    });
  }

  async forget(name: string): Promise<void> {
    await this.change((hosts) => {
      if (!(name in hosts)) return undefined;
      const next = { ...hosts };
      delete next[name];
      return next;
    });
  }

  private async change(fn: (hosts: Record<string, HostSpec>) => Record<string, HostSpec> | undefined): Promise<void> {
    if (!this.state) return;
    await this.state.updateObject(INVENTORY_OBJECT, (current) => {
      const next = fn(this.parse(current).hosts);
      return next === undefined ? undefined : JSON.stringify({ hosts: next }, null, 2) + '\n';
    });
  }
}

/**
 * Hosts the cluster was applied to that are no longer in spec.hosts. An entry whose address and port now belong to a
 * host of the spec is the same machine under a new name, not a removed one.
 */
export function retiredHosts(inventory: Record<string, HostSpec>, current: Map<string, HostSpec>): Map<string, HostSpec> {
  const retired = new Map<string, HostSpec>();
  for (const [name, h] of Object.entries(inventory)) {
    if (current.has(name)) continue;
    if ([...current.values()].some((c) => sameMachine(c, h))) continue;
    retired.set(name, h);
  }
  return retired;
}
