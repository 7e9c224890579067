// Multi-process races on the file:// backend, then a check that they left a clean, private tree behind.

import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, describe, it } from 'node:test';
import { concurrencySuite } from '../helpers/state-concurrency-suite.js';

const tmp = mkdtempSync(join(tmpdir(), 'k8sup-race-file-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const root = join(tmp, 'state');

concurrencySuite({ name: 'file', url: () => pathToFileURL(root).href, env: () => ({}), home: tmp });

describe('file store after the races', () => {
  it('no temp files or per-key lock folders remain (only write records), and every file is 0600 in a 0700 folder', () => {
    const walk = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
        const p = join(dir, e.name);
        return e.isDirectory() ? [`${p}/`, ...walk(p)] : [p];
      });
    const paths = walk(root);
    assert.ok(paths.length > 10, 'the races should have written a tree');
    for (const p of paths) {
      // `.NAME.write` records (token + digest of the last write, what makes a replayed write idempotent) stay by design.
      const rel = p.slice(root.length);
      assert.ok(!rel.includes('/.') || /\/\.[^/]+\.write$/.test(rel), `left behind: ${p}`);
      assert.equal(statSync(p).mode & 0o777, p.endsWith('/') ? 0o700 : 0o600, p);
    }
  });
});
