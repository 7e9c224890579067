// The command tree. Only commander is loaded up front; each command's implementation is imported when it runs, and
// the flags built from the clouds' facts are added when a command that has them is reached (deferredFlags below), so
// `k8sup version` and `--help` load no cloud SDK and no cloud's facts (test/integration/cli-startup.test.ts).

import { Command, CommanderError, Option } from 'commander';
import { InvalidInputError } from '../core/errors.js';
import type { CliContext } from './context.js';
import { addExamples } from './help-examples.js';

export { nodeSupportNotice } from './node-support.js';
import { exitCodeFor, watchInterrupts } from './interrupts.js';
import type { BlobStore } from '../state/blob.js';
import { progressModeOf } from './result.js';

export { reportResult } from './result.js';

declare const K8SUP_VERSION: string;
export const VERSION = typeof K8SUP_VERSION === 'string' ? K8SUP_VERSION : '0.0.0-dev';

/** Environment and streams a run uses; tests inject their own. */
export interface RunDeps {
  env?: Record<string, string | undefined>;
  stdout?: NodeJS.WritableStream & { isTTY?: boolean };
  stderr?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Wraps the state store the run opens (tests count its writes); the URL is still parsed and validated first. */
  wrapStore?: (store: BlobStore) => BlobStore;
}

/** `command` is the running subcommand; its `.parent` chain leads to the whole tree (completion walks it). */
type Action = (ctx: CliContext, args: string[], opts: Record<string, any>, command: Command) => Promise<number | void>;
type Loader = () => Promise<{ default: Action }>;

/** What some commands' options are built from: the clouds' names and contributed flags, the CNIs. */
async function loadFlagFacts() {
  const [{ allClouds, CLOUD_NAMES }, { cloudCreateFlags }, { cniChoices }] = await Promise.all([
    import('../../providers/facts.js'),
    import('./cluster-flags.js'),
    import('../api/cni.js'),
  ]);
  return { allClouds, CLOUD_NAMES, cloudCreateFlags, cniChoices };
}
type FlagFacts = Awaited<ReturnType<typeof loadFlagFacts>>;

/**
 * Options built from those facts are added once the facts are loaded: when the root dispatches to a command at or
 * above them, and for completion and usage-error hints (addDeferredFlags). Each such command declares its first
 * option at once and the rest after it, so its help reads as if all were declared together (`[options]` in the
 * parent's list, the options in their declared order).
 */
const deferredFlags = new WeakMap<Command, { command: Command; add(facts: FlagFacts): void }[]>();

/** Adds the deferred options of `program`'s commands at or under `under` (every command by default). */
async function addDeferredFlags(program: Command, under: Command = program): Promise<void> {
  const pending = deferredFlags.get(program) ?? [];
  const due = pending.filter(({ command }) => {
    for (let c: Command | null = command; c; c = c.parent) if (c === under) return true;
    return false;
  });
  if (!due.length) return;
  const facts = await loadFlagFacts();
  for (const d of due) {
    d.add(facts);
    pending.splice(pending.indexOf(d), 1);
  }
}

/** The flags after `--zones` (declared with the command). */
const clusterFlags = (c: Command, { CLOUD_NAMES, cloudCreateFlags, cniChoices }: FlagFacts) => {
  c
    .addOption(new Option('--cloud <cloud>', 'cloud provider (inferred from --zones)').choices(CLOUD_NAMES))
    .option('--control-plane-zones <zones>', 'zones for control-plane nodes (one per zone)')
    .option('--control-plane-count <n>', 'number of control-plane nodes (odd)')
    .option('--node-count <n>', 'number of worker nodes')
    .option('--node-size <type>', 'worker machine type')
    .option('--control-plane-size <type>', 'control-plane machine type')
    .option('--kubernetes-version <x.y.z>', 'Kubernetes version')
    .option('--networking <cni>', `CNI: ${cniChoices()}`)
    .option('--ssh-public-key <path>', 'OpenSSH public key installed on nodes')
    .option('--admin-access <cidrs>', 'CIDRs allowed to reach the API')
    .option('--ssh-access <cidrs>', 'CIDRs allowed to reach SSH')
    .option('--project <id>', 'GCE project')
    .option('--image <id>', 'machine image (default: current Ubuntu LTS)')
    .addOption(new Option('--topology <topology>', 'public: instances with public addresses; private: none, egress through NAT').choices(['public', 'private']))
    .option('--bastion', 'private topology: an SSH bastion host in the public subnets')
    .addOption(new Option('--nat <mode>', 'private topology: NAT gateways per zone or a single one').choices(['per-zone', 'single']))
    .option('--network-id <id>', 'use an existing VPC or network; never changed or deleted')
    .option('--subnets <ids>', 'existing subnets of --network-id (see docs/aws.md, docs/gce.md)')
    .addOption(new Option('--api-loadbalancer-type <type>', 'public: an internet-facing API load balancer; internal: only the in-network one').choices(['public', 'internal']));
  // Flags only one cloud takes (bare metal's --hosts) come from its cloud.ts.
  for (const { flag } of cloudCreateFlags()) c.option(flag.flags, flag.description);
  return c.option('--dns-zone <zone>', 'DNS zone to publish api.<name> in');
};

const applyFlags = (c: Command) =>
  c
    .addOption(new Option('--target <target>', 'where changes go').choices(['direct', 'terraform']).default('direct'))
    .option('--out <dir>', 'output folder for --target terraform')
    .option('--ssh-accept-new', 'bare metal: record unknown SSH host keys in ~/.ssh/known_hosts')
    .option('--admin [duration]', 'with --yes: also write an admin context to the kubeconfig, valid this long (default 18h; put it last or use --admin=8h)');

export interface ProgramOutput {
  writeOut(s: string): void;
  writeErr(s: string): void;
}

const discard: ProgramOutput = { writeOut() {}, writeErr() {} };

export function buildProgram(actions: (loader: Loader) => (...a: any[]) => Promise<void>, output: ProgramOutput = discard): Command {
  const program = new Command('k8sup')
    // Set before any subcommand is added: subcommands copy these settings when they are created.
    .configureOutput({ writeOut: (s) => output.writeOut(s), writeErr: (s) => output.writeErr(s) })
    // Every command's help lists the global options (--yes, -o, --state…) too.
    .configureHelp({ showGlobalOptions: true })
    .description('Provision production Kubernetes clusters on AWS, GCE and bare metal')
    .option('--state <url>', 'state store: file:///path, s3://bucket[/prefix], gs://bucket[/prefix] (env K8SUP_STATE_STORE)')
    .option('--name <name>', 'cluster name (env K8SUP_CLUSTER_NAME)')
    .addOption(new Option('-o, --output <format>', 'output format (name: one name a line, for lists)').choices(['table', 'json', 'yaml', 'name']))
    .option('--no-headers', 'tables without their header row')
    .option('-y, --yes', 'actually make changes (default: only show what would change)')
    // Both at once would be a contradiction the run could only resolve by ignoring one: exit 2 instead.
    .addOption(new Option('-v, --verbose', 'more progress output and stack traces').conflicts('quiet'))
    .option('--quiet', 'less progress output')
    .addOption(new Option('--progress <mode>', 'progress output (env K8SUP_PROGRESS)').choices(['auto', 'plain', 'ndjson']))
    .option('--lock-timeout <duration>', "wait up to this long for another run's lock instead of exiting 3 at once (env K8SUP_LOCK_TIMEOUT, default 0)")
    // `--version` is `k8sup version`, -o included (which may come after it, so it is read from the words themselves).
    // Registered before commander's own handler, which then never runs.
    .on('option:version', function (this: Command) {
      output.writeOut(versionText(outputFormatIn((this as Command & { rawArgs: string[] }).rawArgs))); // the words parse() was given
      throw new CommanderError(0, 'commander.version', VERSION);
    })
    .version(`k8sup ${VERSION}`, '--version', 'print the k8sup version')
    .showSuggestionAfterError(true)
    .exitOverride();
  const deferred: { command: Command; add(facts: FlagFacts): void }[] = [];
  deferredFlags.set(program, deferred);
  /** `command`'s further options, added by `add` once the facts are loaded. */
  const withFlagFacts = (command: Command, add: (c: Command, facts: FlagFacts) => void) => {
    deferred.push({ command, add: (facts) => add(command, facts) });
    return command;
  };
  program.hook('preSubcommand', (_root, command) => addDeferredFlags(program, command));

  program.command('version').description('print the k8sup version').action((_opts, cmd: Command) => {
    // Printed here, without loading anything else (not even the YAML library): this is the start-up benchmark.
    const format = cmd.optsWithGlobals().output;
    output.writeOut(versionText(format));
  });

  const create = program
    .command('create')
    .description('create a cluster from flags (create cluster NAME) or from a file (create -f FILE)')
    .option('-f, --filename <file>', 'cluster spec file (YAML or JSON)')
    .action(actions(() => import('./create-file.js')));
  const createCluster = create.command('cluster [name]').description('create a cluster: store its spec and PKI, print the plan; --yes applies it')
    .option('--zones <zones>', 'zones for the cluster, comma-separated (us-east-2a,us-east-2b)');
  withFlagFacts(createCluster, (c, facts) => applyFlags(clusterFlags(c, facts)))
    .action(actions(() => import('./create-cluster.js')));
  applyFlags(create);
  create.command('secret').description('store a secret of a cluster in the state store')
    .command('registry <secret>').description('store pull credentials for a registry of spec.assets.registries (never printed, never in user data)')
    .requiredOption('--registry <host>', 'the registry (host[:port] of spec.assets.registries)')
    .option('--username <user>', 'registry user name (the password comes on stdin)')
    .option('--password-stdin', 'read the password from stdin')
    .option('--docker-config <file>', "take the registry's entry from a docker config.json (after docker login)")
    .option('--force', 'replace a stored secret that holds another credential')
    .action(actions(() => import('./create-secret.js')));

  program
    .command('replace')
    .description('replace a cluster spec with the one in a file (a new revision)')
    .requiredOption('-f, --filename <file>', 'cluster spec file')
    .option('--force', 'replace even if the file was read at an older revision (undoes the changes made since)')
    .action(actions(() => import('./replace.js')));

  const get = program.command('get').description('show clusters');
  get.command('clusters').description('list clusters in the state store').action(actions(() => import('./get-clusters.js')));
  get.command('cluster [name]').description('print a cluster spec').action(actions(() => import('./get-cluster.js')));
  get.command('assets [name]').description('list every file (URL, sha256) and image the cluster needs, for mirroring').action(actions(() => import('./get-assets.js')));
  get.command('backups [name]').description("list the cluster's etcd backups in the state store").action(actions(() => import('./get-backups.js')));
  get.command('instances [name]').description("list the cluster's instances: cloud state, whether each runs the current bootstrap, and how far its bootstrap got").action(actions(() => import('./get-instances.js')));
  get.command('addons [name]').description("list the cluster's addons: what the spec wants and, with a reachable API, what runs")
    .option('--kubeconfig <file>', 'reach the API with this kubeconfig (default: short-lived admin credentials from the state store)')
    .option('--context <name>', 'kubeconfig context to use')
    .action(actions(() => import('./get-addons.js')));

  program.command('edit').description('edit a cluster spec').command('cluster [name]').description('edit the spec in $VISUAL / $EDITOR; invalid edits are re-offered, never saved')
    .action(actions(() => import('./edit-cluster.js')));

  applyFlags(program.command('update').description('plan / apply the cluster spec').command('cluster [name]').description('show the changes to reach the spec; --yes applies them'))
    .option('--detailed-exitcode', 'exit 5 when changes are pending (without --yes)')
    .option('--out-plan <file>', 'save the plan for review (without --yes); apply exactly it later with --plan FILE --yes')
    .option('--plan <file>', 'apply this saved plan (with --yes); exit 3 if the spec or the cloud changed since it was saved')
    .action(actions(() => import('./update-cluster.js')));

  program.command('validate').description('check cluster health').command('cluster [name]').description('check the cluster through the Kubernetes API')
    .option('--wait <duration>', 'keep checking until valid or this long has passed (e.g. 10m)')
    .option('--count <n>', 'consecutive successful checks required', '1')
    .option('--interval <duration>', 'time between checks', '1s')
    .option('--kubeconfig <path>', 'kubeconfig to use instead of a fresh admin credential from the state store')
    .option('--context <ctx>', 'kubeconfig context')
    .action(actions(() => import('./validate-cluster.js')));

  const deleteCluster = program.command('delete').description('delete a cluster').command('cluster [name]').description('list (and with --yes delete) every resource of the cluster, then its state')
    .option('--ssh-accept-new', 'bare metal: record unknown SSH host keys');
  withFlagFacts(deleteCluster, (c, { allClouds }) =>
    c
      .addOption(new Option('--cloud <cloud>', 'no state: delete what carries the cluster\'s ownership tags in this cloud').choices(allClouds().filter((cloud) => cloud.orphanScope).map((cloud) => cloud.name)))
      .option('--region <region>', 'no state: the region to look in')
      .option('--project <id>', 'no state, gce: the project to look in')
      .option('--cluster-id <id>', 'delete only the objects of this cluster id (metadata.uid)'))
    .action(actions(() => import('./delete-cluster.js')));

  program.command('rolling-update').description('replace nodes').command('cluster [name]').description('replace nodes whose configuration is out of date')
    .option('--instance-group <group>', 'only this group').option('--force', 'replace even up-to-date nodes')
    .action(actions(() => import('./rolling-update.js')));

  program.command('upgrade').description('upgrade Kubernetes').command('cluster [name]').description("kubeadm's upgrade procedure to a new Kubernetes version (a plan of steps; --yes runs it)")
    .requiredOption('--kubernetes-version <x.y.z>', 'target version')
    .option('--ssh-accept-new', 'bare metal: record unknown SSH host keys in ~/.ssh/known_hosts')
    .action(actions(() => import('./upgrade-cluster.js')));
  const certs = program.command('certs').description("kubeadm's certificates");
  certs.command('check [name]').description('when each certificate of the cluster expires')
    .option('--ssh-accept-new', 'bare metal: record unknown SSH host keys in ~/.ssh/known_hosts')
    .action(actions(() => import('./certs-check.js')));
  certs.command('renew [name]').description('renew the certificates on the control planes, one at a time (--yes)')
    .option('--ssh-accept-new', 'bare metal: record unknown SSH host keys in ~/.ssh/known_hosts')
    .action(actions(() => import('./certs-renew.js')));

  program.command('backup').description('etcd backups').command('cluster [name]').description('take an etcd snapshot now and store it (metal: over SSH; clouds: through the control folder)')
    .option('--ssh-accept-new', 'bare metal: record unknown SSH host keys').option('--wait <duration>', 'clouds: how long to wait for a control plane to answer (default 10m)').action(actions(() => import('./backup-cluster.js')));
  program.command('restore').description('restore from a backup').command('cluster [name]').description("restore every control plane's etcd from a backup; --yes applies it")
    .requiredOption('--backup <id>', 'backup id (k8sup get backups NAME)').option('--ssh-accept-new', 'bare metal: record unknown SSH host keys')
    .option('--wait <duration>', 'clouds: how long to wait for each control-plane step (a single restore; an HA seed, then each rejoin) (default 15m)')
    .action(actions(() => import('./restore-cluster.js')));

  program.command('toolbox').description('diagnostics').command('dump [name]').description('the cluster in one document for a support ticket: cloud resources, instances, nodes, pods, recent events (secrets redacted; YAML by default)')
    .option('--kubeconfig <path>', 'reach the API with this kubeconfig (default: a short-lived admin credential from the state store)')
    .option('--context <ctx>', 'kubeconfig context')
    .option('--events-since <duration>', 'events newer than this', '1h')
    .option('--max-events <n>', 'at most this many events, newest first', '200')
    .option('--ssh-accept-new', 'bare metal: record unknown SSH host keys in ~/.ssh/known_hosts')
    .action(actions(() => import('./toolbox-dump.js')));

  program.command('export').description('export credentials').command('kubeconfig [name]').description('merge an admin context into ~/.kube/config')
    .option('--kubeconfig <path>', 'kubeconfig file to write (default ~/.kube/config or $KUBECONFIG)')
    .option('--admin <duration>', 'lifetime of the admin credential', '18h')
    .action(actions(() => import('./export-kubeconfig.js')));

  program.command('history').description('spec revisions').command('cluster [name]').description('list spec revisions')
    .action(actions(() => import('./history.js')));
  program.command('rollback').description('restore a spec revision').command('cluster [name]').description('write revision N again as a new revision')
    .requiredOption('--revision <n>', 'revision to restore')
    .option('--force', 'roll back even to a Kubernetes version that upgrade would refuse (a downgrade)')
    .action(actions(() => import('./rollback.js')));
  program.command('unlock').description('release a lock').command('cluster [name]').description('release a stale lock')
    .requiredOption('--lock-id <id>', 'id of the lock (shown in the conflict error)')
    .action(actions(() => import('./unlock.js')));

  program.command('completion').description('shell completion script').argument('<shell>', 'bash, zsh or fish')
    .action(actions(() => import('./completion.js')));
  addExamples(program);
  return program;
}

/** What `k8sup version` prints in each format (without loading anything, not even the YAML library). */
function versionText(format: string | undefined): string {
  if (format === 'name') throw new InvalidInputError('-o name: `k8sup version` does not print a list of names', { hint: 'use -o table, json or yaml' });
  if (format !== undefined && !['table', 'json', 'yaml'].includes(format)) throw new InvalidInputError(`-o ${format}: not an output format`, { hint: 'use -o table, json or yaml' });
  return format === 'json' ? `${JSON.stringify({ version: VERSION }, null, 2)}\n` : format === 'yaml' ? `version: ${VERSION}\n` : `k8sup ${VERSION}\n`;
}

/** The -o / --output value among command-line words (the last one wins, as in parsing). */
function outputFormatIn(words: readonly string[]): string | undefined {
  let format: string | undefined;
  for (let i = 0; i < words.length && words[i] !== '--'; i++) {
    const w = words[i];
    if (w === '-o' || w === '--output') format = words[++i];
    else if (w.startsWith('--output=')) format = w.slice('--output='.length);
    else if (/^-o./.test(w)) format = w.slice(2);
  }
  return format;
}

/** The command words of a subcommand, e.g. `get clusters`. */
function commandPath(cmd: Command): string {
  const words: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) words.unshift(c.name());
  return words.join(' ');
}

/**
 * The known command words in argv (`get clusters`), followed by a space, or '' — for "see `k8sup … --help`" hints.
 * Option values are skipped (`--progress weird get` → `get`); an unknown word ends the path (`bogus` → '').
 */
function commandWords(program: Command, argv: string[]): string {
  const words: string[] = [];
  let cmd = program;
  const takesValue = (flag: string) => {
    for (let c: Command | null = cmd; c; c = c.parent) {
      const o = c.options.find((x) => x.long === flag || x.short === flag);
      if (o) return o.required || o.optional;
    }
    return false;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') break;
    if (a.startsWith('-')) {
      if (!a.includes('=') && takesValue(a)) i++;
      continue;
    }
    const sub = cmd.commands.find((c) => c.name() === a || c.aliases().includes(a));
    if (!sub) break;
    words.push(a);
    cmd = sub;
  }
  return words.length ? `${words.join(' ')} ` : '';
}

/**
 * Runs the CLI; returns the exit code for success paths and throws K8supError for failures (bin/k8sup maps them).
 * A run stopped by a signal or a closed output pipe ends with an InterruptedError (exit 128+n) once the command has
 * unwound, whatever the command itself returned: see interrupts.ts.
 */
export async function run(argv: string[], deps: RunDeps = {}): Promise<number> {
  const env = deps.env ?? process.env;
  const stdout = deps.stdout ?? process.stdout;
  const stderr = deps.stderr ?? process.stderr;
  const interrupts = watchInterrupts({ stdout, stderr, signals: process, quit: (code) => process.exit(code) });
  try {
    const outcome = await runCommand(argv, env, stdout, stderr, interrupts.signal, deps.wrapStore);
    // A write to a closed pipe reports its EPIPE a tick after the write: let it arrive before judging the run.
    await new Promise((resolve) => setImmediate(resolve));
    if (interrupts.interruption) {
      // `k8sup … --help | head -1`: the reader took what it wanted and help changed nothing, so there is nothing to
      // report or resume: exit 141 without a word, as `yes | head` does.
      if (outcome === HELP_SHOWN && interrupts.interruption.interruptCause === 'EPIPE') return exitCodeFor('EPIPE');
      throw interrupts.interruption.outcome();
    }
    return outcome === HELP_SHOWN ? 0 : outcome;
  } catch (err) {
    throw interrupts.interruption ? interrupts.interruption.outcome(err) : err;
  } finally {
    interrupts.dispose();
  }
}

/** runCommand printed help or the version (exit 0): nothing else happened. */
const HELP_SHOWN = 'help-shown';

async function runCommand(
  argv: string[],
  env: Record<string, string | undefined>,
  stdout: NodeJS.WritableStream,
  stderr: NodeJS.WritableStream,
  signal: AbortSignal,
  wrapStore: RunDeps['wrapStore'],
): Promise<number | typeof HELP_SHOWN> {
  let exitCode = 0;
  let commanderErr = '';
  const actions = (loader: Loader) => async (...a: any[]) => {
    const cmd = a[a.length - 1] as Command;
    const opts = cmd.optsWithGlobals();
    const args = a.slice(0, -2).filter((x) => typeof x === 'string' || Array.isArray(x)).flat();
    const [{ createContext }, { checkOutputFormat }] = await Promise.all([import('./context.js'), import('./render/output.js')]);
    checkOutputFormat(commandPath(cmd), opts.output);
    const ctx = createContext({ env, stdout, stderr, globals: opts, signal, wrapStore });
    const mod = await loader();
    exitCode = (await mod.default(ctx, args, opts, cmd)) ?? 0;
  };
  const program = buildProgram(actions, {
    writeOut: (s) => stdout.write(s),
    writeErr: (s) => {
      commanderErr += s;
    },
  });
  if (argv[0] === '__complete') {
    // Hidden, for the completion scripts: its words are data, not options for commander to parse.
    const { complete, formatCompletion } = await import('./complete.js');
    await addDeferredFlags(program);
    const { homedir } = await import('node:os');
    stdout.write(formatCompletion(await complete(program, argv.slice(1), env, env.HOME || homedir())));
    return 0;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return HELP_SHOWN;
      if (err.code === 'commander.help') {
        // Asked for (`k8sup help create`): printed on stdout, a success like `k8sup create --help`.
        if (err.exitCode === 0) return HELP_SHOWN;
        // A command word with no subcommand (`k8sup`, `k8sup get`): the help went to the captured stderr — except
        // under --progress ndjson, where every stderr line is an event.
        if (progressModeOf(argv, env) === 'ndjson') throw new InvalidInputError('no command given', { hint: `see \`k8sup ${commandWords(program, argv)}--help\`` });
        stderr.write(commanderErr);
        return 2;
      }
      // The hint's command words skip option values, which needs every option (a parse can fail before the root
      // dispatched and added the deferred ones).
      await addDeferredFlags(program);
      // commander puts its suggestion for a typo on a second line, `(Did you mean --zones?)`: it belongs in the hint.
      const [what, ...rest] = err.message.replace(/^error: /, '').split('\n');
      const suggestion = /\(Did you mean (.+)\?\)/.exec(rest.join(' '))?.[1];
      // kubectl's and kubeadm's --dry-run is k8sup's default (kops' idiom): say so rather than list every flag.
      if (/^unknown option '--dry-run(=[^']*)?'$/.test(what)) {
        throw new InvalidInputError(what, { hint: 'k8sup previews by default: without --yes a command only shows what it would change (only `create cluster` stores its spec); drop --dry-run' });
      }
      if (err.code === 'commander.conflictingOption') throw new InvalidInputError(what, { hint: 'give only one of them' });
      throw new InvalidInputError(what, { hint: `${suggestion ? `did you mean ${suggestion}? ` : ''}see \`k8sup ${commandWords(program, argv)}--help\`` });
    }
    throw err;
  }
  return exitCode;
}
