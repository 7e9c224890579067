// Runs a rendered bootstrap script against a temporary root (K8SUP_ROOT) with stub executables on PATH. Each stub
// appends "<name> <args>" to a log and fakes just enough behaviour (metadata answers, kubeadm writing kubelet.conf,
// a state store holding bootstrap/* objects) for the script to take its real paths. Nothing here touches the real machine outside the temporary folder.

import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const STUB_COMMANDS = [
  'apt-get', 'apt-mark', 'systemctl', 'kubeadm', 'kubectl', 'curl', 'modprobe', 'sysctl', 'swapoff', 'containerd',
  'gpg', 'sha256sum', 'tar', 'cilium', 'sleep', 'ip', 'k8sup-etcd-backup', 'timedatectl',
] as const;

/** What the fake metadata services hand out; tests assert these never reach a command line. */
export const FAKE_AWS_SECRET = 'FAKEsecretFROMimdsDoNotLeak';
export const FAKE_GCE_TOKEN = 'ya29.FAKEtokenFROMmetadata';
export const FAKE_BOOTSTRAP_TOKEN = 'abcdef.0123456789abcdef';

// The one stub script, installed under every name in STUB_COMMANDS (it switches on its own name).
const STUB = readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'stub-command.sh'), 'utf8');

export interface StubRun {
  status: number | null;
  stdout: string;
  stderr: string;
  /** The stub calls of this run, one "<command> <args>" per entry, in order. */
  calls: string[];
}

export interface StubRoot {
  /** The temporary root the script writes into (K8SUP_ROOT). */
  root: string;
  /** The folder of stub commands first on the script's PATH (tests may add their own); its parent is $STUB_DIR. */
  bin: string;
  /** Everything curl stubs received on stdin (the credentials config), across runs. */
  curlStdin(): string;
  run(script: string): StubRun;
  /** The same without blocking the event loop (for a test process that also serves fakes while the script runs). */
  runAsync(script: string): Promise<StubRun>;
  /** path (relative to root) → sha256 of content and mode, to prove a run changed nothing. */
  snapshot(): Map<string, string>;
  writeFile(relativePath: string, content: string, mode?: number): void;
  /** Puts an object into the fake state store, e.g. 'bootstrap/token' (the cluster's key prefix is implied). */
  putStoreObject(key: string, content: string): void;
  /** An object of the fake state store (what the script uploaded), or undefined. */
  storeObject(key: string): string | undefined;
  /** From now on the fake state store answers bootstrap/* requests with HTTP 503. */
  storeUnavailable(): void;
  /**
   * The next `times` occurrences of a fault: 'kubeadm-init' / 'kubeadm-join' (fails after writing kubelet.conf, as
   * kubeadm does), 'kubectl-apply', 'cilium-install', or 'store-<key with / as _>' (the store answers HTTP 403, as
   * before IAM has propagated), e.g. 'store-pki_ca.crt'.
   */
  failNext(fault: string, times: number): void;
  /** A store object that lands (putStoreObject) during the script's `sleeps`-th sleep (stub `sleep`), counted across runs. */
  putStoreObjectAfterSleeps(sleeps: number, key: string, content: string): void;
  /** unattended-upgrades holds the dpkg lock for this many seconds (apt-get fails unless it waits at least as long). */
  holdDpkgLock(seconds: number): void;
  /** Mode (octal digits) of /etc/k8sup/bootstrap-token when the stub `kubeadm join` ran, or undefined. */
  tokenModeAtJoin(): string | undefined;
  /** A file of /etc/kubernetes/manifests as it was when the stub `kubeadm init|join` ran, or undefined. */
  manifestAtKubeadm(verb: 'init' | 'join', name: string): string | undefined;
  cleanup(): void;
}

export function createStubRoot(): StubRoot {
  const base = mkdtempSync(join(tmpdir(), 'k8sup-stub-'));
  const root = join(base, 'root');
  const bin = join(base, 'bin');
  mkdirSync(root);
  mkdirSync(bin);
  // A supported image (the bootstrap checks /etc/os-release first); tests overwrite it to try others.
  mkdirSync(join(root, 'etc'));
  writeFileSync(join(root, 'etc/os-release'), 'NAME="Ubuntu"\nVERSION_ID="24.04"\nID=ubuntu\nID_LIKE=debian\n');
  for (const name of STUB_COMMANDS) {
    writeFileSync(join(bin, name), STUB);
    chmodSync(join(bin, name), 0o755);
  }
  const log = join(base, 'calls.log');
  let runs = 0;
  const prepare = (script: string) => {
    const scriptPath = join(base, `bootstrap-${++runs}.sh`);
    writeFileSync(scriptPath, script);
    writeFileSync(log, '');
    const env = { PATH: `${bin}:/usr/bin:/bin`, K8SUP_ROOT: root, STUB_LOG: log, STUB_DIR: base, STUB_SCRIPT: scriptPath, HOME: base, LANG: 'C' };
    return { scriptPath, env };
  };
  const calls = () => readFileSync(log, 'utf8').split('\n').filter((l) => l !== '');
  return {
    root,
    bin,
    curlStdin: () => {
      try {
        return readFileSync(join(base, 'curl-stdin.log'), 'utf8');
      } catch {
        return '';
      }
    },
    run(script: string): StubRun {
      const { scriptPath, env } = prepare(script);
      const result = spawnSync('bash', [scriptPath], { env, encoding: 'utf8', timeout: 20_000 });
      return { status: result.status, stdout: result.stdout, stderr: result.stderr, calls: calls() };
    },
    runAsync(script: string): Promise<StubRun> {
      const { scriptPath, env } = prepare(script);
      return new Promise((resolve, reject) => {
        const child = spawn('bash', [scriptPath], { env, stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d) => (stdout += d));
        child.stderr.on('data', (d) => (stderr += d));
        const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
        child.on('error', reject);
        child.on('close', (status) => {
          clearTimeout(timer);
          resolve({ status, stdout, stderr, calls: calls() });
        });
      });
    },
    snapshot(): Map<string, string> {
      const files = new Map<string, string>();
      const walk = (dir: string) => {
        for (const entry of readdirSync(dir, { withFileTypes: true })) {
          const path = join(dir, entry.name);
          if (entry.isDirectory()) walk(path);
          else {
            const st = statSync(path);
            const hash = createHash('sha256').update(readFileSync(path)).digest('hex');
            files.set(relative(root, path), `${hash} ${(st.mode & 0o777).toString(8)}`);
          }
        }
      };
      walk(root);
      return files;
    },
    writeFile(relativePath: string, content: string, mode = 0o600): void {
      const path = join(root, relativePath);
      mkdirSync(join(path, '..'), { recursive: true });
      writeFileSync(path, content, { mode });
    },
    putStoreObject(key: string, content: string): void {
      const path = join(base, 'store', key);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, content);
    },
    storeObject(key: string): string | undefined {
      try {
        return readFileSync(join(base, 'store', key), 'utf8');
      } catch {
        return undefined;
      }
    },
    storeUnavailable: () => writeFileSync(join(base, 'store-down'), ''),
    failNext(fault: string, times: number): void {
      mkdirSync(join(base, 'fail'), { recursive: true });
      writeFileSync(join(base, 'fail', fault), `${times}\n`);
    },
    putStoreObjectAfterSleeps(sleeps: number, key: string, content: string): void {
      const path = join(base, 'later', String(sleeps), key);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, content);
    },
    holdDpkgLock: (seconds: number) => writeFileSync(join(base, 'dpkg-lock-held'), `${seconds}\n`),
    tokenModeAtJoin(): string | undefined {
      try {
        return readFileSync(join(base, 'token-mode-at-join'), 'utf8').trim();
      } catch {
        return undefined;
      }
    },
    manifestAtKubeadm(verb: 'init' | 'join', name: string): string | undefined {
      try {
        return readFileSync(join(base, `manifests-at-${verb}`, name), 'utf8');
      } catch {
        return undefined;
      }
    },
    cleanup: () => rmSync(base, { recursive: true, force: true }),
  };
}
