// Runs the CLI in-process for bare-metal tests: the file state store and the remote roots live in `dir`, the
// remote PATH points at the stub commands in `dir/bin` (test/helpers/sshd.ts writeBootstrapStubs), so no real host
// is ever changed.

import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { run } from '../../src/cli/main.js';
import { K8supError } from '../../src/core/errors.js';

export interface InProcessResult {
  code: number;
  stdout: string;
  stderr: string;
  error?: K8supError;
}

export function metalCli(home: string, dir: string): (args: string[]) => Promise<InProcessResult> {
  return async (args) => {
    const out = new PassThrough();
    const err = new PassThrough();
    let stdout = '';
    let stderr = '';
    out.on('data', (d) => (stdout += String(d)));
    err.on('data', (d) => (stderr += String(d)));
    const env = {
      HOME: home,
      PATH: process.env.PATH,
      K8SUP_STATE_STORE: `file://${join(dir, 'state')}`,
      K8SUP_PROGRESS: 'plain',
      K8SUP_METAL_REMOTE_ROOT: join(dir, 'roots', '{host}'),
      K8SUP_METAL_REMOTE_PATH: `${join(dir, 'bin')}:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin`,
      K8SUP_METAL_SUDO: 'never',
    };
    try {
      const code = await run(args, { env, stdout: out, stderr: err });
      return { code, stdout, stderr };
    } catch (e) {
      if (!(e instanceof K8supError)) throw e;
      return { code: e.exitCode, stdout, stderr, error: e };
    }
  };
}
