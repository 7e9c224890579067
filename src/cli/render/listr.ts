// Progress on a terminal: while the engine applies or deletes, listr2 shows one live task with a spinner, the
// count of finished resources in its title and the resources in flight below it. Everything else (notes, warnings,
// retries) is printed as plain lines by the fallback host. listr2 is imported only when a run starts.

import { PHASE_EVENTS, TASK_END_EVENTS, type EventCode } from '../../core/events.js';
import type { IoHost, K8supEvent } from '../../core/io.js';

const PHASES: Partial<Record<EventCode, { end: EventCode; verb: string }>> = PHASE_EVENTS;

export function createListrProgress(stream: NodeJS.WritableStream, fallback: IoHost): IoHost {
  let phase: { end: EventCode; verb: string; done: number; total?: number; running: Set<string>; update(): void; finish(ok: boolean): void } | null = null;

  function start(verb: string, end: EventCode, total: number | undefined): void {
    let finish!: (ok: boolean) => void;
    const finished = new Promise<boolean>((r) => (finish = r));
    // The phase exists at once, so task events that arrive while listr2 is still loading are counted, not printed.
    const state = { end, verb, done: 0, total, running: new Set<string>(), update: () => {}, finish };
    phase = state;
    void render(state, finished);
  }

  async function render(state: NonNullable<typeof phase>, finished: Promise<boolean>): Promise<void> {
    const { verb } = state;
    const { Listr } = await import('listr2');
    const list = new Listr(
      [
        {
          title: `${verb}…`,
          task: async (_ctx, task) => {
            state.update = () => {
              task.title = `${verb}: ${state.done}${state.total ? `/${state.total}` : ''} done`;
              task.output = [...state.running].slice(0, 6).join(', ');
            };
            state.update();
            if (!(await finished)) throw new Error(`${verb} did not complete`);
          },
        },
      ],
      { renderer: 'default', rendererOptions: { outputBar: 1, collapseErrors: false }, exitOnError: false, registerSignalListeners: false } as any,
    );
    (list as any).options.outputStream = stream;
    void list.run().catch(() => {});
  }

  return {
    emit(e: K8supEvent) {
      const begins = PHASES[e.code];
      if (begins && !phase) {
        const total = e.code === 'apply.start' ? e.data?.tasks : undefined;
        start(begins.verb, begins.end, total);
        return;
      }
      if (phase && e.code === phase.end) {
        phase.finish(e.level !== 'error');
        phase = null;
        return;
      }
      if (phase && e.task) {
        if (e.code === 'task.start') phase.running.add(e.task);
        if (TASK_END_EVENTS.has(e.code)) {
          phase.running.delete(e.task);
          if (e.code === 'task.done') phase.done++;
        }
        phase.update();
        if (e.level === 'debug' || e.code === 'task.start' || e.code === 'task.done') return;
      }
      fallback.emit(e);
    },
  };
}
