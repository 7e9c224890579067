// The engine never prints. It emits typed events to an injected IoHost; src/cli renders them
// (listr2 on a TTY, plain lines or NDJSON otherwise). It never asks: without --yes a mutating command only plans.

export type EventLevel = 'debug' | 'info' | 'warn' | 'error';

export interface K8supEvent {
  /** Stable machine-readable code, e.g. `task.start`, `task.done`, `task.retry`, `state.lock`. */
  code: string;
  level: EventLevel;
  message: string;
  /** Task id when the event is about one resource/step. */
  task?: string;
  data?: Record<string, unknown>;
}

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
