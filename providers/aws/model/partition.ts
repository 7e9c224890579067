// The AWS partition of a region: ARNs, service principals and the global-service endpoints differ per partition.
// Pure, so the model builders use it without importing the SDK clients.

export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}
