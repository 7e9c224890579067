import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseClusterText, type Cluster } from '../api/index.js';
import { InvalidInputError, K8supError, OperationError } from '../core/errors.js';
import { reviseCluster } from '../lifecycle/revision-flow.js';
import { assertSameName } from '../lifecycle/spec-store.js';
import type { IoHost } from '../core/io.js';
import type { CliContext } from './context.js';
import { describeChanges } from '../api/spec-diff.js';
import { printRevision } from './render/revision.js';
import { suggest } from './suggest.js';

const HEADER = '# Edit the cluster spec. Lines starting with # are ignored; an empty file cancels the edit.\n';

function stripComments(text: string): string {
  return text.split('\n').filter((l) => !l.startsWith('#')).join('\n');
}

/**
 * Runs the editor without blocking the event loop: the lease's keep-alive timer must go on renewing the lock for as
 * long as the editor is open (a synchronous spawn would let a long edit outlive its lock). On an interrupt the
 * editor is asked to stop too.
 */
function runEditor(editor: string, file: string, env: Record<string, string | undefined>, signal: AbortSignal, io: IoHost, ndjson: boolean): Promise<number | string> {
  return new Promise((resolve, reject) => {
    // k8sup's stdout carries only data (`edit cluster -o json > result.json`): where it is not a terminal, what the
    // editor prints goes to stderr, which is also where a terminal editor then finds the screen. Under
    // --progress ndjson every stderr line is an event, so what the editor prints there (and on a stdout that is not
    // a terminal) comes as `editor.output` events instead of raw lines.
    const stdout = process.stdout.isTTY ? 'inherit' : ndjson ? 'pipe' : process.stderr;
    const child = spawn(`${editor} "$K8SUP_EDIT_FILE"`, { shell: true, stdio: ['inherit', stdout, ndjson ? 'pipe' : 'inherit'], env: { ...env, K8SUP_EDIT_FILE: file } as NodeJS.ProcessEnv });
    const wrapped = (['stdout', 'stderr'] as const).flatMap((stream) => {
      const from = child[stream];
      if (!from) return [];
      const lines = createInterface({ input: from, crlfDelay: Infinity });
      lines.on('line', (line) => io.emit({ code: 'editor.output', level: 'info', message: line, data: { stream } }));
      return [once(lines, 'close')];
    });
    const stop = () => child.kill('SIGTERM');
    signal.addEventListener('abort', stop, { once: true });
    child.on('error', (e) => {
      signal.removeEventListener('abort', stop);
      reject(new OperationError(`could not start the editor "${editor}": ${e.message}`, { hint: 'set $VISUAL or $EDITOR to an installed editor' }));
    });
    child.on('close', (code, sig) => {
      signal.removeEventListener('abort', stop);
      // Every line the editor printed is out before the run goes on (and before its result event).
      void Promise.all(wrapped).then(() => resolve(code ?? sig ?? 'unknown'));
    });
  });
}

/**
 * An edit that could not be saved is the user's work: it goes to ~/.k8sup/edits/ (private) rather than away with the
 * temporary folder. Returns where it is, or null if it could not be written there.
 */
function keepEdit(home: string, name: string, text: string): string | null {
  try {
    const dir = join(home, '.k8sup', 'edits');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const path = join(dir, `${name}-${new Date().toISOString().replace(/[:.]/g, '-')}.yaml`);
    writeFileSync(path, text, { mode: 0o600, flag: 'wx' });
    return path;
  } catch {
    return null;
  }
}

/**
 * edit cluster: opens the spec in $VISUAL / $EDITOR. An invalid edit is re-opened with the error on top and is
 * never saved; saving the same invalid text twice, or an empty file, cancels (like kubectl edit). An edit that was
 * not saved (invalid, conflict, lost lock, interrupt, any error) is kept, and the note says where and how to apply it.
 */
export default async function editCluster(ctx: CliContext, args: string[]): Promise<number> {
  const name = ctx.clusterName(args[0]);
  const editor = ctx.env.VISUAL || ctx.env.EDITOR || (process.stdin.isTTY ? 'vi' : undefined);
  // vi without a terminal (a CI job) reads no keys and fills the log with escape codes; a pipeline that means to
  // edit names its own editor (EDITOR="sed -i …"), or replaces the spec.
  if (!editor) {
    throw new InvalidInputError('edit cluster: $VISUAL and $EDITOR are unset and stdin is not a terminal, so there is no editor to open', {
      hint: `set EDITOR, or without an editor: k8sup get cluster ${name} -o yaml > cluster.yaml, change it, then k8sup replace -f cluster.yaml`,
    });
  }
  const store = await ctx.openStore();
  return reviseCluster(store, name, ctx.actor, 'edit cluster', async (session) => {
    const { current } = session;
    const dir = mkdtempSync(join(tmpdir(), 'k8sup-edit-'));
    const file = join(dir, `${name}.yaml`);
    const original = HEADER + current.yaml;
    let leaveTempFile = false;
    /** Keeps the edited file if it holds changes; returns the sentence that says where it is, or ''. */
    const keep = (how: string): string => {
      let edited: string;
      try {
        edited = readFileSync(file, 'utf8');
      } catch {
        return '';
      }
      if (edited === original || stripComments(edited).trim() === '') return '';
      const kept = keepEdit(ctx.home, name, edited);
      if (!kept) leaveTempFile = true;
      const path = kept ?? file;
      return ` It is kept in ${path}; ${how} k8sup replace -f ${path}`;
    };
    try {
      let text = original;
      let lastInvalid: string | null = null;
      for (;;) {
        writeFileSync(file, text, { mode: 0o600 });
        const status = await runEditor(editor, file, ctx.env, ctx.signal, ctx.io, ctx.globals.progress === 'ndjson');
        ctx.signal.throwIfAborted();
        if (status !== 0) throw new OperationError(`editor "${editor}" exited with ${status}; nothing was saved`, { hint: 'set $VISUAL or $EDITOR to an editor that exits 0 on save' });
        const edited = stripComments(readFileSync(file, 'utf8'));
        if (edited.trim() === '') {
          ctx.note('Edit cancelled (empty file); nothing was saved.');
          return 0;
        }
        let cluster: Cluster;
        try {
          cluster = parseClusterText(edited, 'edited spec');
          assertSameName(cluster, name, 'edited spec');
          await session.checkImmutable(cluster, 'edited spec');
        } catch (e) {
          if (!(e instanceof K8supError)) throw e;
          if (edited === lastInvalid) {
            ctx.note(`Edit cancelled: the spec is still invalid (${e.message}); nothing was saved.${keep('fix it, then apply it with')}`);
            return 2;
          }
          lastInvalid = edited;
          ctx.note(`The edited spec is invalid and was not saved: ${e.message}`);
          text = `${HEADER}# ERROR: ${e.message}\n# Fix it and save, or save unchanged to cancel.\n${edited}`;
          continue;
        }
        // The editor may have been open for a long time: prove the lock is still ours (a compare-and-swap on it)
        // right before saving, rather than trust the last renewal.
        await session.renewLock();
        const { revision, changed, changes } = await session.write(cluster, 'edit');
        printRevision(ctx, { cluster: name, revision, changed, written: changed, changes });
        ctx.note(changed ? `Saved ${name}: revision ${revision} changes\n${describeChanges(changes)}\nApply it with: ${suggest(ctx, `update cluster ${name} --yes`)}` : 'No changes.');
        return 0;
      }
    } catch (e) {
      const where = keep(`check \`k8sup history cluster ${name}\`, then apply it with`);
      if (where) ctx.note(`Your edit was not saved: ${(e as Error).message}.${where}`);
      throw e;
    } finally {
      if (!leaveTempFile) rmSync(dir, { recursive: true, force: true });
    }
  });
}
