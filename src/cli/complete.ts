// `k8sup __complete WORD…` (hidden): the one completion engine behind the bash, zsh and fish scripts, in the manner of
// cobra's __complete. The shells pass the words typed after `k8sup` (the last one is the word being completed, maybe
// empty); this prints one candidate a line and then a directive line: `:files` (complete file paths), `:dirs`, or
// `:nofiles`. Flag values are skipped when finding the command, flag values are completed (choices, files), and
// cluster names and a cluster's backup ids (`restore cluster NAME --backup`) come from the state store (--state on
// the line, else K8SUP_STATE_STORE, else the default). It loads
// commander and, for file stores, nothing else: it runs on every TAB.

import type { Command, Option } from 'commander';
import { CNI_NAMES } from '../api/cni.js';
import { cloudCreateFlags } from './cluster-flags.js';

/** Options whose value is a file path (or, for --out, a folder). */
// Plus the file flags the clouds contribute (bare metal's --hosts).
const FILE_OPTIONS = new Set(['--filename', '--docker-config', '--ssh-public-key', '--kubeconfig', '--out-plan', '--plan', ...cloudCreateFlags().filter(({ flag }) => flag.file).map(({ flag }) => flag.flags.split(' ')[0])]);
const DIR_OPTIONS = new Set(['--out']);
const STATE_SCHEMES = ['file://', 's3://', 'gs://'];
const SHELLS = ['bash', 'zsh', 'fish'];

export type Directive = ':files' | ':dirs' | ':nofiles';

export interface Completion {
  candidates: string[];
  directive: Directive;
}

const takesValue = (o: Option) => o.required || o.optional;

function findOption(cmds: Command[], word: string): Option | undefined {
  for (const c of cmds) {
    const o = c.options.find((x) => x.long === word || x.short === word);
    if (o) return o;
  }
  return undefined;
}

/** Commands whose first argument is a cluster name. */
const takesClusterName = (c: Command) => (c.registeredArguments ?? []).some((a) => a.name() === 'name');

async function clusterNames(state: string | undefined, env: Record<string, string | undefined>, home: string): Promise<string[]> {
  try {
    const { openBlobStore } = await import('../state/open.js');
    const { ClusterStore } = await import('../state/cluster-store.js');
    return await ClusterStore.listClusters(await openBlobStore(state ?? env.K8SUP_STATE_STORE, env, home));
  } catch {
    return []; // completion never fails loudly: no store, no names
  }
}

/** The complete backups of a cluster (the ones `restore cluster --backup` accepts), newest first. */
async function backupIds(state: string | undefined, cluster: string | undefined, env: Record<string, string | undefined>, home: string): Promise<string[]> {
  if (!cluster) return [];
  try {
    const { openBlobStore } = await import('../state/open.js');
    const { listBackups } = await import('../lifecycle/etcd-backup.js');
    const backups = await listBackups(await openBlobStore(state ?? env.K8SUP_STATE_STORE, env, home), cluster);
    return backups.filter((b) => b.complete).map((b) => b.id).reverse();
  } catch {
    return []; // as for cluster names: no store, no cluster, no backups
  }
}

function valuesFor(option: Option, names: () => Promise<string[]>, backups: () => Promise<string[]>): Promise<Completion> | Completion {
  const long = option.long ?? '';
  if (option.argChoices?.length) return { candidates: option.argChoices, directive: ':nofiles' };
  if (long === '--backup') return backups().then((candidates) => ({ candidates, directive: ':nofiles' }));
  if (FILE_OPTIONS.has(long)) return { candidates: [], directive: ':files' };
  if (DIR_OPTIONS.has(long)) return { candidates: [], directive: ':dirs' };
  if (long === '--name') return names().then((candidates) => ({ candidates, directive: ':nofiles' }));
  if (long === '--state') return { candidates: STATE_SCHEMES, directive: ':nofiles' };
  if (long === '--networking') return { candidates: [...CNI_NAMES], directive: ':nofiles' };
  return { candidates: [], directive: ':nofiles' };
}

export async function complete(program: Command, words: string[], env: Record<string, string | undefined>, home: string): Promise<Completion> {
  const typed = words.length ? words : [''];
  const cur = typed[typed.length - 1];
  let node = program;
  let pending: Option | undefined;
  let positionals = 0;
  let state: string | undefined;
  // The cluster the line is about (its argument, else --name, else K8SUP_CLUSTER_NAME): for values that belong to one cluster.
  let cluster: string | undefined;
  let nameFlag: string | undefined;
  const scopes = () => {
    const chain: Command[] = [];
    for (let c: Command | null = node; c; c = c.parent) chain.push(c);
    return chain;
  };
  for (const w of typed.slice(0, -1)) {
    if (pending) {
      if (pending.long === '--state') state = w;
      if (pending.long === '--name') nameFlag = w;
      pending = undefined;
      continue;
    }
    if (w.startsWith('-') && w.length > 1) {
      const [flag, value] = w.includes('=') ? [w.slice(0, w.indexOf('=')), w.slice(w.indexOf('=') + 1)] : [w, undefined];
      const o = findOption(scopes(), flag);
      if (o?.long === '--state' && value !== undefined) state = value;
      if (o?.long === '--name' && value !== undefined) nameFlag = value;
      if (o && takesValue(o) && value === undefined) pending = o;
      continue;
    }
    const sub = node.commands.find((c) => c.name() === w || c.aliases().includes(w));
    if (sub && positionals === 0) node = sub;
    else {
      if (positionals === 0 && takesClusterName(node)) cluster = w;
      positionals++;
    }
  }
  const names = () => clusterNames(state, env, home);
  const backups = () => backupIds(state, cluster ?? nameFlag ?? env.K8SUP_CLUSTER_NAME, env, home);
  const filter = async (c: Completion | Promise<Completion>, prefix = ''): Promise<Completion> => {
    const r = await c;
    const typedValue = cur.slice(prefix.length);
    return { candidates: r.candidates.filter((x) => x.startsWith(typedValue)).map((x) => prefix + x), directive: r.directive };
  };

  if (pending) return filter(valuesFor(pending, names, backups));
  if (cur.startsWith('--') && cur.includes('=')) {
    const flag = cur.slice(0, cur.indexOf('='));
    const o = findOption(scopes(), flag);
    return o && takesValue(o) ? filter(valuesFor(o, names, backups), `${flag}=`) : { candidates: [], directive: ':nofiles' };
  }
  if (cur.startsWith('-')) {
    const flags = scopes().flatMap((c) => c.options.filter((o) => !o.hidden).map((o) => o.long ?? o.short ?? ''));
    return filter({ candidates: [...new Set(flags)].filter(Boolean).sort(), directive: ':nofiles' });
  }
  const subs = node.commands.filter((c) => !(c as unknown as { _hidden?: boolean })._hidden).map((c) => c.name());
  if (subs.length && positionals === 0) return filter({ candidates: subs, directive: ':nofiles' });
  if (node.name() === 'completion' && positionals === 0) return filter({ candidates: SHELLS, directive: ':nofiles' });
  if (takesClusterName(node) && positionals === 0) return filter(names().then((candidates) => ({ candidates, directive: ':nofiles' as const })));
  return { candidates: [], directive: ':nofiles' };
}

export function formatCompletion(c: Completion): string {
  return [...c.candidates, c.directive].join('\n') + '\n';
}
