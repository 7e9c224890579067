// Typed errors. Everything below src/cli throws these; bin/k8sup is the only place that maps them to exit codes.

export const ExitCode = {
  OK: 0,
  FAILED: 1,
  INVALID_INPUT: 2,
  CONFLICT: 3,
  INVALID_CLUSTER: 4,
  CHANGES_PENDING: 5,
} as const;

export interface ErrorOptions {
  /** One line that tells the user how to fix it. */
  hint?: string;
  cause?: unknown;
}

export class K8supError extends Error {
  readonly code: string;
  readonly exitCode: number;
  readonly hint?: string;
  constructor(code: string, exitCode: number, message: string, opts: ErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    this.exitCode = exitCode;
    this.hint = opts.hint;
  }
}

/** A problem in one field of the spec or of a flag; `path` names it (e.g. `spec.zones[1]`). */
export interface FieldIssue {
  path: string;
  message: string;
  /** How to fix this issue, where it knows better than the command's general hint. */
  hint?: string;
}

/** Bad input: usage, flag, spec, state-store URL. Nothing was written anywhere. Exit 2. */
export class InvalidInputError extends K8supError {
  readonly issues: FieldIssue[];
  constructor(message: string, opts: ErrorOptions & { issues?: FieldIssue[] } = {}) {
    super('InvalidInput', ExitCode.INVALID_INPUT, message, opts);
    this.issues = opts.issues ?? [];
  }
  static fromIssues(issues: FieldIssue[], hint?: string): InvalidInputError {
    const first = issues[0];
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more: ${issues.slice(1).map((i) => i.path).join(', ')})` : '';
    return new InvalidInputError(`${first.path}: ${first.message}${more}`, { issues, hint: first.hint ?? hint });
  }
}

/** The cluster is locked by another run, or changed under us (lost compare-and-swap). Exit 3. */
export class ConflictError extends K8supError {
  constructor(message: string, opts: ErrorOptions = {}) {
    super('Conflict', ExitCode.CONFLICT, message, opts);
  }
}

/** The operation failed: cloud/API/SSH error, timeout. Exit 1. */
export class OperationError extends K8supError {
  constructor(message: string, opts: ErrorOptions & { code?: string } = {}) {
    super(opts.code ?? 'OperationFailed', ExitCode.FAILED, message, opts);
  }
}

/** validate cluster: checked and not valid. Exit 4. */
export class ClusterInvalidError extends K8supError {
  constructor(message: string, opts: ErrorOptions = {}) {
    super('ClusterInvalid', ExitCode.INVALID_CLUSTER, message, opts);
  }
}

/**
 * The command names something the state store does not hold (a cluster, a lock): invalid input, exit 2 — nothing was
 * written, and running it again will not help; fix the name or --state.
 */
export class NotFoundError extends K8supError {
  constructor(message: string, opts: ErrorOptions & { code?: string } = {}) {
    super(opts.code ?? 'NotFound', ExitCode.INVALID_INPUT, message, opts);
  }
}
