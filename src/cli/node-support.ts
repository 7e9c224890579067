// Which Node.js k8sup supports, and the one notice a run on an end-of-life Node gets. bin/k8sup calls this before
// any command runs; it is pure (the launcher passes in the version, argv and environment) and loads nothing.

/** Set to 1 to hide the notice (for example in a pipeline that knows, and has a date to move). */
export const NODE_NOTICE_OFF = 'K8SUP_NO_NODE_NOTICE';
/** The oldest Node.js major that k8sup keeps supporting once the AWS SDK drops Node 20 in January 2027. */
export const SUPPORTED_NODE_MAJOR = 22;

interface NoticeInput {
  /** `process.versions.node`, e.g. "20.20.2". */
  nodeVersion: string;
  argv: string[];
  env: Record<string, string | undefined>;
  now?: () => Date;
}

/**
 * The line(s) to write on stderr, or undefined on a supported Node. In NDJSON progress mode the notice is one JSON
 * event like every other stderr line, so a machine reading the stream never meets free text.
 */
export function nodeSupportNotice(input: NoticeInput): string | undefined {
  const major = Number(input.nodeVersion.split('.')[0]);
  if (!(major < SUPPORTED_NODE_MAJOR) || input.env[NODE_NOTICE_OFF] === '1') return undefined;
  const message =
    `Node.js ${input.nodeVersion} is past its end of life; k8sup supports it only until the AWS SDK releases of January 2027. ` +
    `Use Node.js ${SUPPORTED_NODE_MAJOR} or 24 (${NODE_NOTICE_OFF}=1 hides this).`;
  if (progressMode(input.argv, input.env) === 'ndjson') {
    const time = (input.now ?? (() => new Date()))().toISOString();
    const event = { v: 1, time, code: 'node.eol', level: 'warn', message, data: { node: input.nodeVersion, supportedMajor: SUPPORTED_NODE_MAJOR } };
    return `${JSON.stringify(event)}\n`;
  }
  return `warning: ${message}\n`;
}

/** The progress mode the command will use, read the way commander and the context read it: the flag, then the env. */
function progressMode(argv: string[], env: Record<string, string | undefined>): string | undefined {
  let mode: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--') break;
    if (argv[i] === '--progress') mode = argv[++i];
    else if (argv[i].startsWith('--progress=')) mode = argv[i].slice('--progress='.length);
  }
  return mode ?? env.K8SUP_PROGRESS;
}
