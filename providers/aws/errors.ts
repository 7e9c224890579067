// The AWS provider's errors: the SDK's error classes (shared with the S3 state store, src/core/aws-sdk-errors.ts) and
// the provider's own marker for eventual consistency.

export { classifyAwsError, errorCode } from '../../src/core/aws-sdk-errors.js';

/** Marks an error that is expected to go away by itself (eventual consistency right after a create). */
export class EventualConsistencyError extends Error {
  constructor(message: string, opts?: { cause?: unknown }) {
    super(message, opts);
    this.name = 'EventualConsistencyError';
  }
}
