// Starts a real OpenSSH server (/usr/sbin/sshd) on 127.0.0.1 for metal-provider tests: its own temp dir, its own
// host keys (ssh-keygen), its own authorized_keys, running as the current user. Nothing outside the temp dir is
// touched. When the tests run as root and /run/sshd (sshd's compiled-in privilege-separation dir) is missing, sshd
// runs in a private mount namespace with a tmpfs over /run, so the machine's /run is not modified either.

import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from './net.js';

export const SSHD_PATH = '/usr/sbin/sshd';

export type KeyType = 'ed25519' | 'ecdsa' | 'rsa';

export interface KeyPair {
  privateKeyPath: string;
  /** OpenSSH public key line (`ssh-ed25519 AAAA… comment`). */
  publicKey: string;
}

/** Generates a key pair with ssh-keygen into `dir/name` (no passphrase). */
export function makeKeyPair(dir: string, name: string, type: KeyType = 'ed25519'): KeyPair {
  const path = join(dir, name);
  const args = ['-q', '-t', type, '-N', '', '-C', `k8sup-test-${name}`, '-f', path];
  if (type === 'rsa') args.push('-b', '2048');
  execFileSync('ssh-keygen', args, { stdio: 'ignore' });
  return { privateKeyPath: path, publicKey: readFileSync(`${path}.pub`, 'utf8').trim() };
}

/** `SHA256:…` fingerprint of a public key file, as ssh-keygen prints it. */
export function sshKeygenFingerprint(pubKeyPath: string): string {
  const out = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', pubKeyPath], { encoding: 'utf8' });
  return out.split(/\s+/)[1];
}

export interface SshdOptions {
  /** Reuse a port (to simulate a reinstalled host with a new key on the same address). Default: a free one. */
  port?: number;
  /** Public keys allowed to log in. */
  authorizedKeys: string[];
  /** Host key types to generate (default ed25519). */
  hostKeyTypes?: KeyType[];
  /** Use these host keys instead of generating new ones (a host that restarts keeps its identity). */
  hostKeys?: KeyPair[];
  /** Extra sshd_config lines; they take precedence over the defaults (e.g. `LogLevel VERBOSE`). */
  extraConfig?: string[];
}

export interface Sshd {
  host: '127.0.0.1';
  port: number;
  /** The login user (the current user: sshd can only log in as itself when it is not root). */
  user: string;
  dir: string;
  /** Host public key files (`*.pub`), one per type, in the order of hostKeyTypes. */
  hostPublicKeyPaths: string[];
  /** Host public key lines. */
  hostPublicKeys: string[];
  /** What sshd wrote to stderr so far (-e). */
  log(): string;
  /** Kill every session process this sshd spawned (simulates a dropped connection mid-command). */
  killSessions(): void;
  stop(): Promise<void>;
}

function needsPrivateRun(): boolean {
  return process.getuid?.() === 0 && !existsSync('/run/sshd');
}

export async function startSshd(opts: SshdOptions): Promise<Sshd> {
  const dir = mkdtempSync(join(tmpdir(), 'k8sup-sshd-'));
  const port = opts.port ?? (await freePort());
  const types = opts.hostKeyTypes ?? ['ed25519'];
  const hostKeys = opts.hostKeys ?? types.map((t) => makeKeyPair(dir, `ssh_host_${t}_key`, t));
  writeFileSync(join(dir, 'authorized_keys'), opts.authorizedKeys.join('\n') + '\n', { mode: 0o600 });
  // sshd uses the FIRST value of a keyword, so the caller's lines go first and override the defaults below.
  const config = [
    ...(opts.extraConfig ?? []),
    `Port ${port}`,
    'ListenAddress 127.0.0.1',
    ...hostKeys.map((k) => `HostKey ${k.privateKeyPath}`),
    `PidFile ${join(dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
    'StrictModes no',
    'UsePAM no',
    'PermitRootLogin prohibit-password',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PubkeyAuthentication yes',
    'AllowTcpForwarding yes',
    'AllowAgentForwarding no',
    'X11Forwarding no',
    'PrintMotd no',
    'MaxStartups 50',
    'MaxSessions 50',
    'LogLevel ERROR',
  ];
  const configPath = join(dir, 'sshd_config');
  writeFileSync(configPath, config.join('\n') + '\n');
  const sshdArgs = ['-D', '-e', '-f', configPath];
  const child: ChildProcess = needsPrivateRun()
    ? spawn('unshare', ['--mount', 'sh', '-c', `mount -t tmpfs tmpfs /run && mkdir -m 0755 /run/sshd && exec ${SSHD_PATH} "$@"`, 'sshd', ...sshdArgs], {
        stdio: ['ignore', 'ignore', 'pipe'],
      })
    : spawn(SSHD_PATH, sshdArgs, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += String(d)));
  let exited = false;
  const exitedPromise = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));

  try {
    await waitFor(
      async () => {
        if (exited) throw new Error(`sshd exited: ${stderr}`);
        return bannerSeen(port);
      },
      { timeoutMs: 10_000, intervalMs: 50, what: `sshd on 127.0.0.1:${port}` },
    );
  } catch (e) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`sshd did not start: ${stderr}`, { cause: e });
  }

  const killSessions = () => {
    // sshd forks one process per connection; they are children of the listener (matched by parent pid only).
    try {
      execFileSync('pkill', ['-KILL', '-P', String(child.pid)], { stdio: 'ignore' });
    } catch {
      // no sessions
    }
  };

  return {
    host: '127.0.0.1',
    port,
    user: userInfo().username,
    dir,
    hostPublicKeyPaths: hostKeys.map((k) => `${k.privateKeyPath}.pub`),
    hostPublicKeys: hostKeys.map((k) => k.publicKey),
    killSessions,
    log: () => stderr,
    async stop() {
      if (!exited) {
        killSessions();
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
        await exitedPromise;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** True once something on the port speaks SSH (sends its identification string). */
function bannerSeen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(1000, () => done(false));
    sock.once('data', (d) => done(String(d).startsWith('SSH-')));
    sock.once('error', () => done(false));
  });
}

// One stub script for every command the bootstrap runs. It appends "<cmd> <args>" to $K8SUP_ROOT/calls.log and
// imitates the few effects later steps rely on. FAIL_ONCE / SLOW_ONCE files in the root inject faults.
const BOOTSTRAP_STUB = `#!/bin/bash
cmd="$(basename "$0")"
printf '%s %s\\n' "$cmd" "$*" >> "$K8SUP_ROOT/calls.log"
case "$cmd" in
  curl)
    out=""; while [ $# -gt 0 ]; do [ "$1" = "-o" ] && out="$2"; shift; done
    [ -n "$out" ] && : > "$out"
    exit 0 ;;
  sha256sum) cat >/dev/null; exit 0 ;;
  kubeadm)
    case "$1" in
      init|join)
        if [ -f "$K8SUP_ROOT/FAIL_ONCE_$1" ]; then rm -f "$K8SUP_ROOT/FAIL_ONCE_$1"; echo "injected $1 failure" >&2; exit 1; fi
        if [ -f "$K8SUP_ROOT/SLOW_ONCE_$1" ]; then rm -f "$K8SUP_ROOT/SLOW_ONCE_$1"; touch "$K8SUP_ROOT/SLOWING"; sleep 2; fi
        mkdir -p "$K8SUP_ROOT/etc/kubernetes"
        : > "$K8SUP_ROOT/etc/kubernetes/kubelet.conf"
        [ "$1" = init ] && : > "$K8SUP_ROOT/etc/kubernetes/admin.conf"
        [ "$1" = join ] && cp "$K8SUP_ROOT/etc/k8sup/bootstrap-token" "$K8SUP_ROOT/token-seen" 2>/dev/null
        exit 0 ;;
      reset) rm -f "$K8SUP_ROOT/etc/kubernetes/kubelet.conf" "$K8SUP_ROOT/etc/kubernetes/admin.conf"; exit 0 ;;
      upgrade)
        if [ -f "$K8SUP_ROOT/FAIL_ONCE_upgrade" ]; then rm -f "$K8SUP_ROOT/FAIL_ONCE_upgrade"; echo "injected upgrade failure" >&2; exit 1; fi
        exit 0 ;;
      *) exit 0 ;;
    esac ;;
  apt-get)
    # The kubelet package an install puts on the host: what the kubelet stub then reports.
    for a in "$@"; do case "$a" in kubelet=*) v="\${a#kubelet=}"; printf '%s\n' "\${v%-*}" > "$K8SUP_ROOT/kubelet-version" ;; esac; done
    exit 0 ;;
  kubelet)
    [ "$1" = --version ] && printf 'Kubernetes v%s\n' "$(cat "$K8SUP_ROOT/kubelet-version" 2>/dev/null)"
    exit 0 ;;
  *) exit 0 ;;
esac
`;
export const STUBBED_COMMANDS = ['curl', 'sha256sum', 'gpg', 'apt-get', 'apt-mark', 'systemctl', 'modprobe', 'sysctl', 'swapoff', 'tar', 'kubeadm', 'kubectl', 'cilium', 'kubelet', 'k8sup-etcd-backup', 'timedatectl'];

/**
 * Writes stub commands for everything the bootstrap script runs into `dir` (prepend it to the remote PATH). Each
 * call is appended to $K8SUP_ROOT/calls.log; kubeadm init/join create kubelet.conf (and admin.conf) under K8SUP_ROOT.
 * Files FAIL_ONCE_<init|join|upgrade> / SLOW_ONCE_<init|join> in K8SUP_ROOT make the next kubeadm init/join/upgrade fail /
 * take 2 s. apt-get records the kubelet version it installs, and `kubelet --version` reports it.
 */
export function writeBootstrapStubs(dir: string): void {
  mkdirSync(dir, { recursive: true });
  for (const c of STUBBED_COMMANDS) {
    writeFileSync(join(dir, c), BOOTSTRAP_STUB);
    chmodSync(join(dir, c), 0o755);
  }
}
