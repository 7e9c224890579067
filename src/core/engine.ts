// The engine API that providers and the CLI call, one module per stage of the pipeline:
//   discover.ts  list what exists            plan.ts     discover + diff → a plan (a value)
//   schedule.ts  plan + graph → tasks (pure)  apply.ts    run those tasks; destroy.ts  delete everything, in rounds
// plus the terraform target. Cloud-agnostic: everything cloud-specific comes in through ResourceHandlers.
// See docs/engine.md for how plans, apply, resume, retries and the terraform target behave.

export type { EngineDeps } from './engine-deps.js';
export { ApplyError, type ApplyResult } from './outcome.js';
export { discover } from './discover.js';
export { plan } from './plan.js';
export { apply } from './apply.js';
export { destroy } from './destroy.js';
export { unresolvedIntents } from './journal-writer.js';
export { renderTerraform, terraformFile } from './terraform.js';
export { KNOWN_AFTER_APPLY, diff, isEmptyPlan, summarize } from './diff.js';
export type { Journal, JournalEntry } from './journal.js';
