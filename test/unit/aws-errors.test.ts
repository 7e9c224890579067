import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyAwsError, EventualConsistencyError } from '../../providers/aws/errors.js';

const aws = (name: string, status = 400, message = '') => Object.assign(new Error(message || name), { name, $metadata: { httpStatusCode: status } });

test('classifyError maps AWS error shapes to retry classes', () => {
  const cases: [unknown, string][] = [
    [aws('Throttling'), 'throttled'],
    [aws('RequestLimitExceeded', 503), 'throttled'],
    [aws('TooManyRequestsException', 429), 'throttled'],
    [aws('SlowDown', 503), 'throttled'],
    [aws('InternalError', 500), 'transient'],
    [aws('ServiceUnavailable', 503), 'transient'],
    [Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), 'transient'],
    [new EventualConsistencyError('profile not yet visible'), 'transient'],
    [aws('DependencyViolation'), 'dependency'],
    [aws('ResourceInUse'), 'dependency'],
    [aws('DeleteConflict', 409), 'dependency'],
    [aws('InvalidVpcID.NotFound'), 'not-found'],
    [aws('InvalidGroup.NotFound'), 'not-found'],
    [aws('NoSuchEntity', 404), 'not-found'],
    [aws('LoadBalancerNotFoundException'), 'not-found'],
    [aws('ValidationError', 400, "AutoScalingGroup name not found - AutoScalingGroup 'x' not found"), 'not-found'],
    [aws('ValidationError', 400, 'MinSize must be <= MaxSize'), 'fatal'],
    [aws('UnauthorizedOperation', 403), 'fatal'],
    [Object.assign(new Error('aborted'), { name: 'AbortError' }), 'fatal'],
    // A reply the SDK could not parse (the fault soak met it under dropped replies): retried, not fatal.
    [new Error('  Deserialization error: to see the raw response, inspect the hidden field {error}.$response on this object.'), 'transient'],
  ];
  for (const [err, want] of cases) assert.equal(classifyAwsError(err), want, (err as Error).name);
});
