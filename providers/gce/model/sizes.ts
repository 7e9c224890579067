// How a node group's sizes spread over its zones (one managed instance group per zone): light, so the addons
// (cluster-autoscaler's per-group bounds, providers/gce/addons.ts) and the compute model share one rule.

/** `count` spread evenly over `zones`, earlier zones get the remainder. */
export function spread(count: number, zones: string[]): Map<string, number> {
  const out = new Map<string, number>();
  zones.forEach((z, i) => out.set(z, Math.floor(count / zones.length) + (i < count % zones.length ? 1 : 0)));
  return out;
}
