// Where k8sup puts things on a host and how a command is wrapped (sudo, environment). `root` prefixes every path
// k8sup touches, like the bootstrap script's K8SUP_ROOT, so tests run the whole flow against a temporary root
// through a real sshd without touching the machine's /etc. Real hosts use root '' (the real filesystem).

import { shellQuote } from './ssh.js';

export interface RemoteEnvironment {
  /**
   * Prefix for every path on the host ('' on real hosts), exported to scripts as K8SUP_ROOT. `{host}` is replaced by
   * the node name, so several simulated hosts on one test machine keep separate roots.
   */
  root: string;
  /** PATH for remote commands (tests prepend a dir of stub commands); unset: the login PATH. */
  path?: string;
  /** 'auto': sudo -n for non-root users. 'never': run as the login user (tests). */
  sudo: 'auto' | 'never';
}

export const REAL_HOST: RemoteEnvironment = { root: '', sudo: 'auto' };

export type Step = 'prepared' | 'kubeadm-init' | 'joined';

export type RemotePaths = ReturnType<typeof remotePaths>;

export function remotePaths(root: string) {
  const state = `${root}/var/lib/k8sup`;
  return {
    root,
    stateDir: state,
    /** One JSON file per finished step: what `list()` reports as the live resource. */
    marker: (step: Step) => `${state}/steps/${step}.json`,
    markerDir: `${state}/steps`,
    /** Serialises scripts on a host, so a retry waits for an orphaned earlier run instead of racing it. */
    lock: `${state}/lock`,
    script: (step: Step) => `${state}/bootstrap-${step}.sh`,
    pkiDir: `${root}/etc/kubernetes/pki`,
    kubeletConf: `${root}/etc/kubernetes/kubelet.conf`,
    adminConf: `${root}/etc/kubernetes/admin.conf`,
    /** Where the bootstrap script expects a join token (`token=…`) on metal. */
    tokenFile: `${root}/etc/k8sup/bootstrap-token`,
    k8supEtc: `${root}/etc/k8sup`,
    /** Registry pull credentials k8sup copies before each bootstrap run (the script assembles containerd's drop-in). */
    registryCredentials: `${root}/etc/k8sup/registry-credentials`,
    /** containerd's root-only drop-in with those credentials (src/bootstrap/registries.ts CONTAINERD_AUTH_DROP_IN). */
    containerdAuth: `${root}/etc/containerd/conf.d/k8sup-registry-auth.toml`,
    cniConf: `${root}/etc/cni/net.d`,
    kubernetesEtc: `${root}/etc/kubernetes`,
  };
}

export function rootFor(env: RemoteEnvironment, host: string): string {
  return env.root.replaceAll('{host}', host);
}

/** Wraps a shell snippet: environment (PATH, K8SUP_ROOT) and, for non-root users, `sudo -n`. */
export function wrapCommand(env: RemoteEnvironment, host: string, user: string, snippet: string): string {
  const vars = [`K8SUP_ROOT=${shellQuote(rootFor(env, host))}`];
  if (env.path !== undefined) vars.push(`PATH=${shellQuote(env.path)}`);
  const sudo = env.sudo === 'auto' && user !== 'root' ? 'sudo -n ' : '';
  return `${sudo}env ${vars.join(' ')} sh -c ${shellQuote(snippet)}`;
}
