// How a run ends on stderr. bin/k8sup maps the outcome to an exit code and calls this once: with `--progress ndjson`
// the last line is the `result` event of the catalogue; otherwise a failure is the two lines people read (what is
// wrong, how to fix it), and a success prints nothing.

import { ndjsonLine } from './render/progress.js';

/** The progress mode of a run, read from argv and the environment the way the option parser does (last one wins). */
export function progressModeOf(argv: readonly string[], env: Record<string, string | undefined>): string {
  let mode = env.K8SUP_PROGRESS;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--') break;
    if (argv[i] === '--progress') mode = argv[++i];
    else if (argv[i].startsWith('--progress=')) mode = argv[i].slice('--progress='.length);
  }
  return mode ?? 'auto';
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
  const message = err === undefined ? undefined : (err?.message ?? String(err));
  const hint = err === undefined ? undefined : (err?.hint ?? 'run again with -v for details');
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
