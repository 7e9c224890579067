// Zones, judged by a cloud's known zones (its cloud.ts ZoneFacts), so that a typo in --zones is caught before anything
// is written and the cloud can be inferred from a zone's shape. Providers still confirm zones with the cloud API at
// apply time (a zone can exist but be unavailable to an account): assertZonesAvailable is that check.

import { InvalidInputError } from '../core/errors.js';
import type { ZoneFacts } from '../core/provider.js';
import type { Cluster } from './types.js';

/** The region a zone of this cloud is in, judged by its name's shape; null if it is not shaped like one. */
export function zoneRegion(zones: ZoneFacts, zone: string): string | null {
  return zones.shape.exec(zone)?.[1] ?? null;
}

/** True when the zone is one we know for that cloud. */
export function isKnownZone(zones: ZoneFacts, zone: string): boolean {
  const region = zoneRegion(zones, zone);
  const letters = region === null ? undefined : zones.regions[region];
  return letters !== undefined && letters.includes(zone.slice(-1));
}

/** Every zone the cluster uses, spec.zones first, then control-plane and node-group zones, each once. */
export function clusterZones(cluster: Cluster): string[] {
  const s = cluster.spec;
  return [...new Set([...s.zones, ...s.controlPlane.zones, ...s.nodeGroups.flatMap((g) => g.zones)])];
}

/**
 * Connect-time check that every zone the cluster uses is one the cloud API reports available: one issue per missing
 * zone (exit 2). `explain` says, for a missing zone, where and what the API listed.
 */
export function assertZonesAvailable(cluster: Cluster, isAvailable: (zone: string) => boolean, explain: (zone: string) => string): void {
  const missing = clusterZones(cluster).filter((z) => !isAvailable(z));
  if (missing.length === 0) return;
  throw InvalidInputError.fromIssues(
    missing.map((z) => ({ path: `spec.zones[${Math.max(0, cluster.spec.zones.indexOf(z))}]`, message: `zone ${z} ${explain(z)}` })),
    'Pick zones from the list above.',
  );
}
