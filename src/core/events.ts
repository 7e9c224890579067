// The event catalogue: every event k8sup emits, its code and its fields. The engine, the providers and the CLI emit
// only these (the types refuse anything else); the renderers switch on the codes; `--progress ndjson` prints each as
// one JSON line `{"v":1,"time","code","level","message","task"?, ...fields}`. docs/ci.md lists the same catalogue.
// Adding a field is compatible; renaming or removing one, or changing its meaning, bumps EVENT_SCHEMA_VERSION.

export const EVENT_SCHEMA_VERSION = 1;

export type EventLevel = 'debug' | 'info' | 'warn' | 'error';

/** What every event of one executor task carries (from the task's description). */
export interface TaskFields {
  /** Resource kind, e.g. `vpc`. */
  kind: string;
  /** create | update | replace | delete | list. */
  action: string;
  /** replace: which half this task is. */
  phase?: 'create' | 'delete';
  /** destroy: the discover-and-delete round. */
  round?: number;
  /** The cloud ID the task works on: known up front for deletes, on task.done for creates. */
  cloudId?: string;
  attempt?: number;
}

interface TaskFailure extends TaskFields {
  errorClass?: string;
  error?: string;
}

/** Code → fields. */
export interface EventFields {
  // Executor tasks (apply and destroy).
  'task.start': TaskFields;
  'task.attempt': TaskFields;
  'task.done': TaskFields & { durationMs: number };
  'task.retry': TaskFields & { delayMs: number; errorClass: string; error: string };
  'task.failed': TaskFailure;
  'task.skipped': TaskFields & { because: string };
  'task.cancelled': TaskFailure;
  // Executor tasks of discovery (one list call per resource kind): debug level, shown with -v.
  'discover.start': TaskFields;
  'discover.attempt': TaskFields;
  'discover.done': TaskFields & { durationMs: number };
  'discover.retry': TaskFields & { delayMs: number; errorClass: string; error: string };
  'discover.failed': TaskFailure;
  'discover.skipped': TaskFields & { because: string };
  'discover.cancelled': TaskFailure;
  'discover.summary': { count: number };
  // Engine phases.
  'plan.summary': { create: number; update: number; replace: number; delete: number; noop?: number };
  'plan.journal-missing': { kind: string; cloudId: string };
  'apply.start': { create: number; update: number; replace: number; delete: number; noop?: number; tasks: number };
  'apply.done': { durationMs: number; failed: number };
  'destroy.start': Record<string, never>;
  'destroy.done': { left: number };
  /** An intent in the journal whose object the cloud never reported (a create that was probably never made). */
  'destroy.intent-unseen': { kind: string; name: string | null };
  // validate cluster.
  'validate.start': { waitMs: number; count: number; intervalMs: number };
  'validate.attempt': { attempt: number };
  'validate.result': { attempt: number; valid: boolean; streak: number; count: number; failures: { type: string; name: string; message: string }[] };
  'validate.done': { valid: boolean; attempts: number; elapsedMs: number; failures: number };
  // rolling-update cluster.
  'rolling-update.cloud-only': Record<string, never>;
  'rolling-update.invalid-before': Record<string, never>;
  'rolling-update.etcd-snapshot': { backup: string };
  'rolling-update.no-snapshot': Record<string, never>;
  'rolling-update.group': { group: string; count: number };
  'rolling-update.instance.start': { group: string; instance: string; version: string; current: string };
  'rolling-update.no-node': Record<string, never>;
  'rolling-update.cordon': Record<string, never>;
  'rolling-update.evict': Record<string, never>;
  'rolling-update.evict-blocked': Record<string, never>;
  'rolling-update.drain-incomplete': Record<string, never>;
  'rolling-update.node-deleted': Record<string, never>;
  'rolling-update.etcd-member': { node: string };
  'rolling-update.terminated': { instance: string };
  'rolling-update.surge': { desired: number };
  'rolling-update.replaced': Record<string, never>;
  'rolling-update.instance.done': Record<string, never>;
  // Bare metal.
  'metal.step': { host: string; step: string; phase: 'start' | 'done' | 'failed'; elapsedMs?: number };
  'metal.script.log': { host: string; step: string };
  'metal.ssh.retry': { host: string; attempt: number };
  'metal.host.forgotten': { host: string };
  // upgrade cluster.
  'upgrade.step': { step: string; action: string; target: string; phase: 'start' | 'done' | 'skipped' | 'failed' };
  'upgrade.done': { cluster: string; from: string; to: string; revision: number };
  'upgrade.revision': { cluster: string; from: string; to: string; revision: number };
  // etcd backups (docs/backups.md).
  'etcd.backup.stored': { cluster: string; backup: string; size: number; sha256: string };
  'etcd.restore.member': { host: string; backup: string };
  'etcd.restored': { cluster: string; backup: string };
  'etcd.restore.resumed': { cluster: string; restore: string };
  'etcd.restore.seeded': { cluster: string; node: string; member?: string };
  'etcd.restore.rejoined': { cluster: string; node: string; member?: string };
  'etcd.control.requested': { cluster: string; command: string; action: string };
  'etcd.control.adopted': { cluster: string; command: string };
  'etcd.control.claimed': { cluster: string; command: string; node?: string };
  'etcd.control.cancelled': { cluster: string; command: string };
  // The CLI: what a command did to the state store, and what to run next.
  'cluster.stored': { cluster: string; revision: number; store: string };
  'cluster.applied': { cluster: string; revision: number };
  'cluster.deleted': { cluster: string };
  'cluster.preview': { cluster: string; revision?: number };
  'spec.revision': { cluster: string; revision: number; changed: boolean };
  'lock.released': { cluster: string; lockId: string };
  /** create secret registry stored (or found already stored) a registry credential; the credential itself is never in an event. */
  'secret.stored': { cluster: string; secret: string; registry: string; action: 'created' | 'unchanged' | 'replaced' };
  /** --lock-timeout: another run holds the lock; this run waits up to waitMs. */
  'state.lock.wait': { cluster: string; lockId: string; holder: string; pid: number; waitMs: number };
  /** The lock of a process of this host that no longer exists was taken over. */
  'state.lock.takeover': { cluster: string; lockId: string; holder: string; pid: number; command: string };
  /** A signal or a closed output pipe is stopping the run (the tasks in flight finish first). */
  'run.interrupted': { cause: 'SIGINT' | 'SIGTERM' | 'SIGHUP' | 'EPIPE' };
  /** On Node < 22: support ends with the AWS SDK releases of January 2027 (K8SUP_NO_NODE_NOTICE=1 hides it). */
  'node.eol': { node: string };
  'terraform.written': { cluster: string; files: string[] };
  /** A command a person would run next (apply, validate, --yes); `command` is ready to paste. */
  'next': { command: string };
  /** Any other message for people (a warning at level warn). */
  'note': Record<string, never>;
  /** edit cluster under --progress ndjson: one line the editor printed (the line is the message). */
  'editor.output': { stream: 'stdout' | 'stderr' };
  /** Always the last event of a run. */
  'result': { exitCode: number; error?: string; errorCode?: string; hint?: string; stack?: string };
}

export type EventCode = keyof EventFields;

/** The events of one executor task, from its start to its end. */
export type TaskEvent = 'start' | 'attempt' | 'done' | 'retry' | 'failed' | 'skipped' | 'cancelled';

/** The codes of one family of task events: writes (`task.*`) or discovery's list calls (`discover.*`). */
export type TaskEventCodes = { readonly [E in TaskEvent]: `task.${E}` | `discover.${E}` };

export const TASK_EVENTS: TaskEventCodes = { start: 'task.start', attempt: 'task.attempt', done: 'task.done', retry: 'task.retry', failed: 'task.failed', skipped: 'task.skipped', cancelled: 'task.cancelled' };
export const DISCOVER_EVENTS: TaskEventCodes = {
  start: 'discover.start',
  attempt: 'discover.attempt',
  done: 'discover.done',
  retry: 'discover.retry',
  failed: 'discover.failed',
  skipped: 'discover.skipped',
  cancelled: 'discover.cancelled',
};

/** The codes that end a task (the progress display counts them). */
export const TASK_END_EVENTS: ReadonlySet<EventCode> = new Set<EventCode>(['task.done', 'task.failed', 'task.skipped', 'task.cancelled']);

/** The phases a progress display shows as one live task: the code that starts each and the code that ends it. */
export const PHASE_EVENTS = {
  'apply.start': { end: 'apply.done', verb: 'Applying' },
  'destroy.start': { end: 'destroy.done', verb: 'Deleting' },
} as const satisfies Partial<Record<EventCode, { end: EventCode; verb: string }>>;

type EventOf<C extends EventCode> = {
  code: C;
  level: EventLevel;
  message: string;
  /** The resource or step the event is about. */
  task?: string;
  data?: EventFields[C];
};

/** One event of the catalogue: `code` decides the type of `data`. */
export type K8supEvent = { [C in EventCode]: EventOf<C> }[EventCode];

/** What each code means: the runtime list the docs and tests hold against the types. */
export const EVENT_CATALOGUE: { readonly [C in EventCode]: string } = {
  'task.start': 'a resource task starts (apply, destroy)',
  'task.attempt': 'a task tries again after a retryable error (debug)',
  'task.done': 'a task finished; creates and deletes carry the cloudId',
  'task.retry': 'a task hit a throttling, transient or dependency error and waits delayMs before trying again',
  'task.failed': 'a task gave up; error says why',
  'task.skipped': 'a task did not run because a task it depends on did not complete',
  'task.cancelled': 'a task was not started or was stopped by an interrupt',
  'discover.start': 'listing one resource kind starts (debug)',
  'discover.attempt': 'a listing tries again (debug)',
  'discover.done': 'a listing finished (debug)',
  'discover.retry': 'a listing waits before trying again',
  'discover.failed': 'a listing gave up',
  'discover.skipped': 'a listing did not run',
  'discover.cancelled': 'a listing was stopped by an interrupt',
  'discover.summary': 'all live resources of the cluster were listed (debug)',
  'plan.summary': 'the plan was computed: counts per action',
  'plan.journal-missing': 'the journal records a resource the cloud does not report; it will be created again',
  'apply.start': 'apply starts: counts per action and the number of tasks',
  'apply.done': 'apply finished (level error when resources are left unfinished)',
  'destroy.start': 'delete cluster starts deleting resources',
  'destroy.done': 'delete finished; left counts what could not be deleted',
  'destroy.intent-unseen': 'the journal says a create was under way when a run stopped, but the cloud has no such object',
  'validate.start': 'validate --wait starts',
  'validate.attempt': 'one validation pass starts (debug)',
  'validate.result': 'one validation pass finished, with its failures',
  'validate.done': 'validation finished',
  'rolling-update.cloud-only': '--force without a reachable API: instances are replaced without draining',
  'rolling-update.invalid-before': '--force on a cluster that was not valid before the roll',
  'rolling-update.etcd-snapshot': 'the etcd backup taken (or found recent) before the first control plane is touched',
  'rolling-update.no-snapshot': 'control planes are replaced without an etcd snapshot: the spec schedules no backups',
  'rolling-update.group': 'a group starts rolling',
  'rolling-update.instance.start': 'an instance is about to be replaced',
  'rolling-update.no-node': 'an instance has no Kubernetes node to drain',
  'rolling-update.cordon': 'a node was cordoned',
  'rolling-update.evict': 'a pod was evicted (debug)',
  'rolling-update.evict-blocked': 'an eviction is blocked by a disruption budget (debug)',
  'rolling-update.drain-incomplete': '--force: a drain timed out and the instance is replaced anyway',
  'rolling-update.node-deleted': 'a drained node was deleted from the API',
  'rolling-update.etcd-member': 'how a replaced control plane leaves etcd',
  'rolling-update.terminated': 'the cloud was asked to replace an instance',
  'rolling-update.surge': 'a group grows by one instance on its current configuration beside the running ones (upgrade cluster)',
  'rolling-update.replaced': 'the group is back to its size on the current configuration',
  'rolling-update.instance.done': 'an instance was replaced (and the cluster validated)',
  'metal.step': 'a step on a bare-metal host starts, finishes or fails',
  'metal.script.log': 'one line of a script running on a host (debug)',
  'metal.ssh.retry': 'an SSH connection attempt failed and is retried',
  'metal.host.forgotten': 'a host no longer carries the cluster and is dropped from the inventory',
  'upgrade.step': 'a step of upgrade cluster starts, finishes, was already done (skipped) or fails',
  'upgrade.done': 'every step of the upgrade finished and the spec revision with the new version was written',
  'upgrade.revision': 'clouds: the apply step wrote the spec revision with the new version (its instances are replaced next)',
  'etcd.backup.stored': 'an etcd snapshot and its manifest were written to the state store',
  'etcd.restore.member': 'a control plane is being restored from an etcd backup',
  'etcd.restored': 'every control plane runs etcd from the backup again',
  'etcd.restore.resumed': 'clouds: a re-run continues an unfinished HA restore where it stopped',
  'etcd.restore.seeded': 'clouds, HA restore: one control plane runs the backup as a one-member etcd (the seed)',
  'etcd.restore.rejoined': 'clouds, HA restore: one more control plane joined the seed as a new member',
  'etcd.control.requested': 'clouds: an etcd command was left in the control folder for the control planes',
  'etcd.control.adopted': 'clouds: a re-run waits for the open backup command instead of asking for a second backup',
  'etcd.control.claimed': 'clouds: a control plane took the etcd command (level warn: it did before it could be cancelled)',
  'etcd.control.cancelled': 'clouds: an unanswered etcd command was cancelled (Ctrl-C or time out): no control plane carries it out',
  'cluster.stored': 'create stored the first revision of the spec and the PKI',
  'cluster.applied': 'the cloud matches the spec revision',
  'cluster.deleted': 'every resource and the state of the cluster are gone',
  'cluster.preview': 'a command without --yes showed what it would do and wrote nothing',
  'spec.revision': 'a command wrote a new spec revision (changed: false when the spec was already that)',
  'lock.released': 'unlock released the lock',
  'secret.stored': 'create secret registry stored a registry credential (created, unchanged or replaced); never its value',
  'state.lock.wait': 'another run holds the lock: waiting for it (--lock-timeout)',
  'state.lock.takeover': 'took over the lock of a process of this host that no longer exists',
  'run.interrupted': 'a signal or a closed pipe is stopping the run; tasks in flight finish and the lock is released',
  'node.eol': 'the running Node.js is older than 22: support ends with the AWS SDK releases of January 2027',
  'terraform.written': '--target terraform wrote its files',
  'next': 'a command to run next, ready to paste',
  'note': 'any other message for people; level warn for warnings',
  'editor.output': '`edit cluster` under --progress ndjson: one line the editor printed (on its stdout or stderr)',
  'result': 'the last event of every run: the exit code, and for a failure the error and the hint',
};
