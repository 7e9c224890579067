// A cloud cluster's control planes boot from a bundle that `update --yes` wrote to the state store, and `backup
// cluster` refuses a cluster whose store holds none (it was never applied: no control plane polls the control
// folder). Tests that play the control planes themselves, with the rendered scripts, store the control plane's
// bundle where apply puts it, as after the apply that launched them.

import { renderBootstrapScript } from '../../src/bootstrap/index.js';
import { bootstrapBundle } from '../../src/bootstrap/loader.js';
import type { BootstrapInput } from '../../src/bootstrap/types.js';
import { openBlobStore } from '../../src/state/open.js';

export async function storeAppliedBundle(state: string, env: Record<string, string>, cluster: string, input: BootstrapInput): Promise<void> {
  const store = await openBlobStore(state, env, env.HOME);
  const bundle = bootstrapBundle(renderBootstrapScript(input));
  await store.put(`${cluster}/${bundle.key}`, bundle.content);
}
