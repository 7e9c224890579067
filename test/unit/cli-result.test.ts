// How a failed run ends on stderr (src/cli/result.ts): two lines in plain mode — what is wrong, how to fix it — even
// when the error's message spans lines, as AWS SDK deserialization errors do; the same single lines in the result event.

import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { reportResult } from '../../src/cli/result.js';
import { OperationError } from '../../src/core/errors.js';

function report(argv: string[], error: unknown, verbose = false): string {
  const stderr = new PassThrough();
  let text = '';
  stderr.on('data', (d) => (text += d));
  reportResult({ argv, env: {}, stderr, exitCode: 1, error, verbose });
  return text;
}

// What the SDK threw for a region the endpoint did not know (seen against moto with --region mars-1).
const sdkError = () =>
  new OperationError('ec2:DescribeAvailabilityZones in mars-1 failed: error: @aws-sdk XML parse error: mismatched tags <html> and </title>.\n  Deserialization error: to see the raw response, inspect the hidden field {error}.$response on this object.', {
    hint: 'check the region\nand try again',
  });

test('plain: a multi-line message and hint are one line each', () => {
  const text = report(['get', 'clusters'], sdkError());
  assert.deepEqual(text.split('\n'), [
    'error: ec2:DescribeAvailabilityZones in mars-1 failed: error: @aws-sdk XML parse error: mismatched tags <html> and </title>. Deserialization error: to see the raw response, inspect the hidden field {error}.$response on this object.',
    'hint: check the region and try again',
    '',
  ]);
});

test('ndjson: the result event carries the same single lines', () => {
  const lines = report(['get', 'clusters', '--progress', 'ndjson'], sdkError()).split('\n').filter(Boolean);
  assert.equal(lines.length, 1);
  const result = JSON.parse(lines[0]);
  assert.equal(result.code, 'result');
  assert.doesNotMatch(result.error, /\n/);
  assert.match(result.error, /mismatched tags <html> and <\/title>\. Deserialization error/);
  assert.equal(result.hint, 'check the region and try again');
});

test('-v still prints the whole message in the stack', () => {
  const text = report(['get', 'clusters', '-v'], sdkError(), true);
  assert.match(text, /\n {2}Deserialization error/);
});
