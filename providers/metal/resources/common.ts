// Shared by the metal step handlers: markers (what list() reports), running the bootstrap script, progress events.
//
// A step is "live" when its marker /var/lib/k8sup/steps/<step>.json exists on the host and names this cluster. The
// marker is written only after the step succeeded, so an interrupted run leaves no marker and the next run repeats
// the step — safe because every step (and the bootstrap script) checks before it changes anything.

import { OperationError } from '../../../src/core/errors.js';
import type { FieldChange, HandlerContext, LiveResource, ResolvedFields } from '../../../src/core/resource.js';
import type { HostProbe, MetalClients, StepMarker } from '../clients.js';
import type { Step } from '../remote.js';
import { KIND_HOST, stepId } from '../model.js';

export type Ctx = HandlerContext<MetalClients>;

export const cloudIdFor = (host: string, step: Step) => `metal:${host}/${step}`;

/**
 * Every host's marker for `step` (probing hosts in parallel, one command each, shared by all kinds) — the hosts of
 * the spec and those removed from it since they were applied (their markers become deletes in the plan).
 */
export async function listStep(ctx: Ctx, step: Step, kind: string): Promise<LiveResource[]> {
  const c = ctx.clients;
  const found = await Promise.all(
    [...c.hostNames, ...c.retiredHostNames].map(async (name) => {
      const probe = await probeOrExplain(c, name, kind === KIND_HOST);
      // A removed host only answers for steps it ran under its own name (never another host's markers).
      const m = probe.markers.find((x) => x.step === step && x.cluster === ctx.cluster && (!c.isRetired(name) || x.fields.host === name));
      if (!m) return undefined;
      const live: LiveResource = { id: stepId(name, step), kind, cloudId: cloudIdFor(name, step), fields: m.fields, outputs: m.outputs };
      return live;
    }),
  );
  return found.filter((l): l is LiveResource => l !== undefined);
}

/**
 * The probe, or an error that names the host and says what that means. Not retried by the engine: the SSH layer has
 * already retried the connection, and a plan (or delete) must not go on without knowing what is on every host.
 */
async function probeOrExplain(c: MetalClients, name: string, detailed: boolean): Promise<HostProbe> {
  try {
    return await c.probe(name);
  } catch (e) {
    // Only "could not connect at all"; a connection lost mid-probe stays transient (the engine retries the listing).
    if (!(e instanceof OperationError) || e.code !== 'SshConnectFailed') throw e;
    const h = c.host(name);
    const removed = c.isRetired(name) ? ' (removed from spec.hosts, not yet reset)' : '';
    const what = `host ${name} (${h.address}:${h.port})${removed} is unreachable`;
    const message = detailed
      ? `${what}: ${e.message}. k8sup does not assume an unreachable host was reset: bring it back and run the same command again (see docs/metal.md, "Unreachable hosts")`
      : what;
    throw new OperationError(message, { code: 'HostUnreachable', cause: e, hint: 'bring the host back and run the same command again; docs/metal.md, "Unreachable hosts", describes the manual recovery' });
  }
}

export async function writeMarker(ctx: Ctx, host: string, step: Step, fields: ResolvedFields, outputs: StepMarker['outputs']): Promise<void> {
  const c = ctx.clients;
  const marker: StepMarker = { cluster: ctx.cluster, step, fields, outputs, at: new Date().toISOString() };
  await c.upload(host, c.paths(host).marker(step), JSON.stringify(marker) + '\n', 0o644);
  c.forgetProbe(host);
}

/** Per-host progress: `metal.step` events with host, step, phase and elapsed time. */
export async function timed<T>(ctx: Ctx, host: string, step: string, fn: () => Promise<T>): Promise<T> {
  const started = Date.now();
  ctx.io.emit({ code: 'metal.step', level: 'info', task: host, message: `${host}: ${step}…`, data: { host, step, phase: 'start' } });
  try {
    const result = await fn();
    const elapsedMs = Date.now() - started;
    ctx.io.emit({ code: 'metal.step', level: 'info', task: host, message: `${host}: ${step} done in ${(elapsedMs / 1000).toFixed(1)} s`, data: { host, step, phase: 'done', elapsedMs } });
    return result;
  } catch (e) {
    const elapsedMs = Date.now() - started;
    ctx.io.emit({ code: 'metal.step', level: 'error', task: host, message: `${host}: ${step} failed after ${(elapsedMs / 1000).toFixed(1)} s`, data: { host, step, phase: 'failed', elapsedMs } });
    throw e;
  }
}

/**
 * Uploads the rendered script to /var/lib/k8sup/bootstrap-<step>.sh (0700, kept for operators) and runs it under a
 * host-wide flock: if an earlier run was orphaned by a dropped connection, the retry waits for it, then re-runs the
 * idempotent script instead of racing it.
 */
export async function runBootstrap(ctx: Ctx, host: string, step: Step, script: string): Promise<void> {
  const c = ctx.clients;
  const P = c.paths(host);
  const path = P.script(step);
  // Registry credentials go over SSH like the PKI (0600, root only), never inside the script.
  const credentials = await c.registryCredentials();
  if (credentials.length > 0) await c.uploadFiles(host, credentials.map((f) => ({ path: `${P.registryCredentials}/${f.secret}.toml`, content: f.content, mode: 0o600 })));
  await c.upload(host, path, script, 0o700);
  const lockWaitS = Math.ceil((c.settings.scriptTimeoutMs ?? 30 * 60_000) / 1000);
  const r = await c.run(
    host,
    `mkdir -p "${P.stateDir}" && if command -v flock >/dev/null 2>&1; then exec flock -w ${lockWaitS} "${P.lock}" bash "${path}"; else exec bash "${path}"; fi`,
    { what: `bootstrap (${step})`, timeoutMs: c.settings.scriptTimeoutMs ?? 30 * 60_000 },
  );
  for (const line of r.stderr.split('\n').filter(Boolean)) {
    ctx.io.emit({ code: 'metal.script.log', level: 'debug', task: host, message: `${host}: ${line}`, data: { host, step } });
  }
  c.forgetProbe(host);
  const after = await c.probe(host);
  if (!after.kubeletConf) {
    throw new OperationError(`bootstrap (${step}) on ${host} finished but ${P.kubeletConf} does not exist`, {
      code: 'RemoteCommandFailed',
      hint: `look at the script output with -v, or run ${path} on the host by hand`,
    });
  }
}

/** Changes the in-place update can take (they only rewrite the marker); anything else needs a dedicated command. */
export function refuseUnsafeChanges(id: string, changes: FieldChange[], benign: readonly string[]): void {
  const hard = changes.filter((ch) => !benign.includes(ch.field));
  if (hard.length === 0) return;
  const what = hard.map((ch) => `${ch.field}: ${JSON.stringify(ch.from)} → ${JSON.stringify(ch.to)}`).join(', ');
  const version = hard.some((ch) => ch.field === 'kubernetesVersion');
  throw new OperationError(`${id}: cannot change ${what} on an installed host in place`, {
    code: 'UnsupportedChange',
    hint: version ? 'use k8sup upgrade cluster to change the Kubernetes version' : 'reset the host (delete cluster, or remove it from the hosts file and kubeadm reset it) and create it again',
  });
}
