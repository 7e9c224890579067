// The cloud-agnostic executor: the DAG scheduler (scheduler.ts) and the retry runner of one task (retry-runner.ts).
// This module is what the engine and the state store import.

export { runDag, type DagTask, type ExecutorOptions } from './scheduler.js';
export { backoffDelay, DEFAULTS, ENGINE_FATAL_CODES, errorMessage, TaskTimeoutError, type RetryOptions, type TaskOutcome, type TaskStatus } from './retry-runner.js';
export { DISCOVER_EVENTS, TASK_EVENTS, type TaskEventCodes } from './events.js';
