import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseClusterText, type Cluster } from '../api/index.js';
import { K8supError, OperationError } from '../core/errors.js';
import { assertSameName, mutateCluster, readSpec, writeSpec } from '../cluster/spec-store.js';
import type { CliContext } from './context.js';
import { describeChanges, specChanges } from '../api/spec-diff.js';
import { suggest } from './suggest.js';

const HEADER = '# Edit the cluster spec. Lines starting with # are ignored; an empty file cancels the edit.\n';

function stripComments(text: string): string {
  return text.split('\n').filter((l) => !l.startsWith('#')).join('\n');
}

/**
 * edit cluster: opens the spec in $VISUAL / $EDITOR. An invalid edit is re-opened with the error on top and is
 * never saved; saving the same invalid text twice, or an empty file, cancels (like kubectl edit).
 */
export default async function editCluster(ctx: CliContext, args: string[]): Promise<number> {
  const name = ctx.clusterName(args[0]);
  const editor = ctx.env.VISUAL || ctx.env.EDITOR || 'vi';
  const store = await ctx.openStore();
  return mutateCluster(store, name, ctx.actor, 'edit cluster', async (cs) => {
    const current = await readSpec(cs, name);
    const dir = mkdtempSync(join(tmpdir(), 'k8sup-edit-'));
    const file = join(dir, `${name}.yaml`);
    try {
      let text = HEADER + current.yaml;
      let lastInvalid: string | null = null;
      for (;;) {
        writeFileSync(file, text, { mode: 0o600 });
        const r = spawnSync(`${editor} "$K8SUP_EDIT_FILE"`, { shell: true, stdio: 'inherit', env: { ...ctx.env, K8SUP_EDIT_FILE: file } as NodeJS.ProcessEnv });
        if (r.status !== 0) throw new OperationError(`editor "${editor}" exited with ${r.status ?? r.signal}; nothing was saved`, { hint: 'set $VISUAL or $EDITOR to an editor that exits 0 on save' });
        const edited = stripComments(readFileSync(file, 'utf8'));
        if (edited.trim() === '') {
          ctx.note('Edit cancelled (empty file); nothing was saved.');
          return 0;
        }
        let cluster: Cluster;
        try {
          cluster = parseClusterText(edited, 'edited spec');
          assertSameName(cluster, name, 'edited spec');
        } catch (e) {
          if (!(e instanceof K8supError)) throw e;
          if (edited === lastInvalid) {
            ctx.note(`Edit cancelled: the spec is still invalid (${e.message}); nothing was saved.`);
            return 2;
          }
          lastInvalid = edited;
          ctx.note(`The edited spec is invalid and was not saved: ${e.message}`);
          text = `${HEADER}# ERROR: ${e.message}\n# Fix it and save, or save unchanged to cancel.\n${edited}`;
          continue;
        }
        const { revision, changed } = await writeSpec(cs, cluster, current.revision, ctx.actor, 'edit');
        ctx.note(changed ? `Saved ${name}: revision ${revision} changes\n${describeChanges(specChanges(current.cluster, cluster))}\nApply it with: ${suggest(ctx, `update cluster ${name} --yes`)}` : 'No changes.');
        return 0;
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
