// The engine never prints. It emits typed events to an injected IoHost; src/cli renders them
// (listr2 on a TTY, plain lines or NDJSON otherwise). It never asks: without --yes a mutating command only plans.
// Every code and its fields are in the catalogue, src/core/events.ts.

export type { EventCode, EventFields, EventLevel, K8supEvent } from './events.js';
import type { K8supEvent } from './events.js';

export interface IoHost {
  emit(event: K8supEvent): void;
}

/** An IoHost that drops everything: for library use and tests that do not care. */
export const silentIo: IoHost = { emit() {} };

/** An IoHost that records events: for tests. */
export class RecordingIo implements IoHost {
  readonly events: K8supEvent[] = [];
  emit(event: K8supEvent): void {
    this.events.push(event);
  }
}
