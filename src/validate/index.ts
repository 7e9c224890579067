// `validate cluster`: cluster health through the Kubernetes API. The CLI wires these; nothing here prints.

export type { KubeTarget, NodeStatus, ValidationFailure, ValidationReport } from './types.js';
export { FailureType } from './types.js';
export { validateOnce, type ValidateOnceOptions } from './once.js';
export { validateCluster, pollUntilValid, DEFAULT_COUNT, DEFAULT_INTERVAL_MS, type ValidateClusterOptions, type CheckFn } from './wait.js';
export { renderValidationTable } from './table.js';
