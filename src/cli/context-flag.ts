import { InvalidInputError } from '../core/errors.js';

/**
 * `--context` of the commands that reach the API (validate, get addons, toolbox dump). Without `--kubeconfig` they
 * use a fresh admin credential whose one context is named after the cluster: any other context can only be in a
 * kubeconfig file, so it is refused before anything is read (with `--kubeconfig`, the kubeconfig's reader names the
 * contexts it has).
 */
export function checkContextFlag(opts: { kubeconfig?: string; context?: string }, cluster: string, command: string): void {
  if (!opts.kubeconfig && opts.context !== undefined && opts.context !== cluster) {
    throw new InvalidInputError(`--context ${opts.context}: without --kubeconfig, ${command} uses a fresh admin credential whose only context is ${cluster}`, {
      hint: 'add --kubeconfig PATH (the file that has that context), or drop --context',
    });
  }
}
