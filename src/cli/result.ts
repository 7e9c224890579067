// How a run ends on stderr. bin/k8sup maps the outcome to an exit code and calls this once: with `--progress ndjson`
// the last line is the `result` event of the catalogue; otherwise a failure is the two lines people read (what is
// wrong, how to fix it), and a success prints nothing.

import { ndjsonLine } from './render/progress.js';
import { withStateFlag } from './suggest.js';

/** A global option's value in argv, read the way the option parser does (last one wins); for runs that failed to parse. */
function optionValue(argv: readonly string[], flag: string): string | undefined {
  let value: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--') break;
    if (argv[i] === flag) value = argv[++i];
    else if (argv[i].startsWith(`${flag}=`)) value = argv[i].slice(flag.length + 1);
  }
  return value;
}

/** The progress mode of a run: the flag, else K8SUP_PROGRESS. */
export function progressModeOf(argv: readonly string[], env: Record<string, string | undefined>): string {
  return optionValue(argv, '--progress') ?? env.K8SUP_PROGRESS ?? 'auto';
}

function oneLine(text: string): string {
  return text.split('\n').map((l) => l.trim()).filter(Boolean).join(' ');
}

interface ReportedError {
  message?: string;
  hint?: string;
  code?: string;
  stack?: string;
  cause?: { stack?: string } | unknown;
}

export function reportResult(opts: {
  argv: readonly string[];
  env: Record<string, string | undefined>;
  stderr: NodeJS.WritableStream;
  exitCode: number;
  error?: unknown;
  verbose: boolean;
}): void {
  const err = opts.error as ReportedError | undefined;
  // One line each, whatever the error carries: SDK and API messages can span lines (the whole text stays in -v's stack).
  const message = err === undefined ? undefined : oneLine(err?.message ?? String(err));
  // Commands in hints from below the CLI get this run's --state, like the CLI's own suggestions.
  const hint = err === undefined ? undefined : oneLine(withStateFlag(err?.hint ?? 'run again with -v for details', optionValue(opts.argv, '--state')));
  const cause = err?.cause as { stack?: string } | undefined;
  const stack = opts.verbose && err?.stack ? `${err.stack}${cause ? `\ncause: ${cause.stack ?? String(cause)}` : ''}` : undefined;
  if (progressModeOf(opts.argv, opts.env) === 'ndjson') {
    const failed = err !== undefined;
    opts.stderr.write(
      ndjsonLine(
        {
          code: 'result',
          level: opts.exitCode === 0 ? 'info' : 'error',
          message: failed ? message! : `exit ${opts.exitCode}`,
          data: {
            exitCode: opts.exitCode,
            ...(failed ? { error: message, hint, ...(typeof err?.code === 'string' ? { errorCode: err.code } : {}) } : {}),
            ...(stack ? { stack } : {}),
          },
        },
        new Date(),
      ),
    );
    return;
  }
  if (err !== undefined) opts.stderr.write(`error: ${message}\nhint: ${hint}\n`);
  if (stack) opts.stderr.write(`${stack}\n`);
}
