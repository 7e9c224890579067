// Apply: runs a plan. The schedule (schedule.ts) says which tasks there are and what each waits for; this module
// attaches the work to each task — journal intent, cloud call, outputs, journal record — and runs them as a DAG.

import { handlerFor, handlerMap, matchLive, summarize } from './diff.js';
import { deleteTolerantly, executorOptions, handlerContext, type EngineDeps } from './engine-deps.js';
import { OperationError } from './errors.js';
import { runDag, type DagTask } from './executor.js';
import { buildGraph, resolveRefs } from './graph.js';
import { intentName, journalWriter } from './journal-writer.js';
import { ApplyError, describeFailures, failures, rethrowInvalidInput, type ApplyResult } from './outcome.js';
import type { FieldChange, LiveResource, Plan, ResourceNode } from './resource.js';
import { scheduleApply, type ScheduledTask } from './schedule.js';

/** Executes a plan as a DAG. Throws ApplyError (an OperationError, with `failed` listed) if anything could not be applied. */
export async function apply<C>(plan: Plan, nodes: ResourceNode[], live: LiveResource[], deps: EngineDeps<C>): Promise<ApplyResult> {
  const graph = buildGraph(nodes);
  const handlers = handlerMap(deps.handlers);
  const schedule = scheduleApply({ plan, graph, live, handlers });
  const outputs = new Map<string, Record<string, unknown>>();
  for (const [id, l] of matchLive(live).byId) outputs.set(id, { ...l.outputs });
  const record = journalWriter(deps);

  /** The work of one scheduled task. Up tasks resolve with the cloud ID they created or updated (task.done reports it). */
  const work = (t: ScheduledTask) => async (signal: AbortSignal): Promise<string | void> => {
    const ctx = handlerContext(deps, signal);
    if (t.op === 'delete') {
      await deleteTolerantly(handlerFor(handlers, t.live.kind, t.live.id), t.live, ctx, deps.classifyError);
      await record({ id: t.live.id, kind: t.live.kind, cloudId: t.live.cloudId, action: 'deleted' });
      if (t.dropsOutputs) outputs.delete(t.resource);
      return;
    }
    const { node, step } = t;
    const handler = handlerFor(handlers, node.kind, node.id);
    const fields = resolveRefs(node.fields, outputs) as Record<string, unknown>;
    if (t.op === 'update') {
      if (!handler.update) throw new OperationError(`${node.id}: the plan updates it but kind ${node.kind} cannot be updated: plan again`, { code: 'StalePlan' });
      if (!t.live) throw new OperationError(`${step.id}: the plan says it exists (${step.cloudId ?? '?'}) but it was not discovered: plan again`, { code: 'StalePlan' });
      const changes: FieldChange[] = step.changes.map((c) => ({ ...c, to: fields[c.field] }));
      const result = await handler.update(node, fields, t.live, changes, ctx);
      outputs.set(node.id, { ...result.outputs });
      await record({ id: node.id, kind: node.kind, cloudId: result.cloudId, action: 'updated' });
      return result.cloudId;
    }
    // Intent before action: the create call waits until its intent is durable.
    await record({ id: node.id, kind: node.kind, cloudId: '', action: 'intent', name: intentName(fields) });
    const result = await handler.create(node, fields, ctx);
    outputs.set(node.id, { ...result.outputs });
    await record({ id: node.id, kind: node.kind, cloudId: result.cloudId, action: 'created' });
    return result.cloudId;
  };

  const tasks: DagTask<string | void>[] = schedule.map((t) => ({
    id: t.id,
    resource: t.resource,
    service: t.service,
    deps: t.after.map((e) => e.on),
    meta: t.meta,
    ...(t.op === 'delete' ? {} : { doneFields: (cloudId: string | void) => (cloudId ? { cloudId } : {}) }),
    run: work(t),
  }));

  const counts = summarize(plan);
  deps.io.emit({ code: 'apply.start', level: 'info', message: `applying ${tasks.length} tasks`, data: { ...counts, tasks: tasks.length } });
  const started = performance.now();
  const outcomes = await runDag(tasks, executorOptions(deps));
  rethrowInvalidInput([...outcomes.values()]);
  const failed = failures(outcomes, tasks);
  const outputsObject = Object.fromEntries([...outputs].filter(([id]) => graph.nodes.has(id)).sort(([a], [b]) => (a < b ? -1 : 1)));
  deps.io.emit({
    code: 'apply.done',
    level: failed.length ? 'error' : 'info',
    message: failed.length ? `apply finished with ${failed.length} unfinished resources` : 'apply complete',
    data: { durationMs: Math.round(performance.now() - started), failed: failed.length },
  });
  if (failed.length) {
    const cancelled = deps.signal?.aborted === true;
    throw new ApplyError(
      cancelled ? `apply cancelled; not finished: ${failed.map((f) => f.id).join(', ')}` : `apply failed for ${failed.length} resource(s): ${describeFailures(failed)}`,
      failed,
      outputsObject,
      cancelled ? 'Cancelled' : 'ApplyFailed',
    );
  }
  return { outputs: outputsObject, failed: [] };
}
