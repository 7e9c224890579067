// A `delete --yes` killed while it removed the cluster's state leaves part of it: some PKI objects gone, others not
// (the keys go in parallel batches). Running the same delete again must finish the job, not stop at "incomplete PKI:
// restore from a backup" — a delete needs the CA certificate at most (it names the kubeconfig entries to remove).
// Through the CLI on a file store, where a never-applied cluster's delete only removes state.

import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { test } from 'node:test';
import { k8sup, tempHome } from '../helpers/cli.js';

for (const lost of [['ca.key', 'sa.key'], ['ca.crt', 'front-proxy-ca.crt'], ['etcd/ca.crt']]) {
  test(`delete --yes after a delete that removed only ${lost.join(', ')} of the PKI: finishes, nothing left`, { timeout: 120_000 }, async () => {
    const root = mkdtempSync(join(tmpdir(), 'k8sup-partial-delete-'));
    const env = { HOME: tempHome(), K8SUP_STATE_STORE: `file://${root}` };
    const name = 'half.k8s.local';
    assert.equal((await k8sup(['create', 'cluster', name, '--zones', 'us-east-2a'], { env })).code, 0);
    // What the killed delete finished: these objects are gone (the file store's write record of each with it).
    for (const file of lost) {
      const path = join(root, name, 'pki', file);
      rmSync(path);
      rmSync(join(dirname(path), `.${basename(path)}.write`));
    }
    const again = await k8sup(['delete', 'cluster', name, '--yes'], { env });
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(readdirSync(root), [], 'the whole state is gone');
    assert.doesNotMatch((await k8sup(['get', 'clusters'], { env })).stdout, /half/);
  });
}
