// SSH connections for bare metal, through ssh2: key-file or agent auth, one optional bastion hop, host keys verified
// against known_hosts BEFORE authentication (ssh2's hostVerifier runs during key exchange), commands with stdin,
// file upload with a mode, timeouts, bounded retries on connection failure. Private key material is read here and
// handed to ssh2 only: it never appears in errors, events or logs.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Client, ClientChannel, ConnectConfig } from 'ssh2';
import { OperationError, InvalidInputError } from '../../src/core/errors.js';
import { backoffDelay } from '../../src/core/executor.js';
import { sleep } from '../../src/core/sleep.js';
import { knownHostsName, knownKeyTypes, preferredHostKeyAlgorithms, readKnownHosts, verifyHostKey, type HostKeyPolicy } from './known-hosts.js';

export interface SshEndpoint {
  host: string;
  port: number;
  user: string;
}

/** Parses a bastion spec `user@host[:port]` (IPv6 as `user@[::1]:22`). */
export function parseBastion(spec: string): SshEndpoint {
  const m = /^([^@\s]+)@(\[[^\]]+\]|[^:\s]+)(?::(\d+))?$/.exec(spec.trim());
  if (!m) throw new InvalidInputError(`bastion "${spec}" is not user@host[:port]`, { hint: 'write the bastion as user@host:port, e.g. ops@203.0.113.10:22' });
  const port = m[3] === undefined ? 22 : Number(m[3]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new InvalidInputError(`bastion "${spec}" has an invalid port`);
  return { user: m[1], host: m[2].replace(/^\[|\]$/g, ''), port };
}

export interface SshConnectOptions {
  hostKeys: HostKeyPolicy;
  /** The operator's home directory (injected; used for the default key ~/.ssh/id_ed25519). */
  homeDir: string;
  /** Private key file; default `<homeDir>/.ssh/id_ed25519` when it exists. */
  privateKeyPath?: string;
  passphrase?: string;
  /** ssh-agent socket (SSH_AUTH_SOCK), tried as well when set. */
  agentSocket?: string;
  /** One jump host; the same key / agent is used for it. */
  bastion?: SshEndpoint;
  /** Handshake deadline per attempt. Default 15 s. */
  readyTimeoutMs?: number;
  /** Connection attempts (>= 1) with exponential backoff; host-key and auth failures are never retried. Default 3. */
  attempts?: number;
  retryDelayMs?: number;
  signal?: AbortSignal;
  /** Told about each retry (for progress events); never receives secrets. */
  onRetry?: (attempt: number, error: Error) => void;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  /** Exit status; null when the command died by a signal. */
  code: number | null;
  signal?: string;
}

export interface ExecOptions {
  stdin?: string | Buffer;
  /** Default 10 minutes: package installs and kubeadm init are slow. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** Error codes that mean "the network failed, trying again may work". */
export const SSH_TRANSIENT_CODES = new Set(['SshConnectFailed', 'SshConnectionLost', 'SshTimeout']);

export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Shell that writes stdin to `path` with `mode` atomically; umask 077 so it is never briefly world-readable. */
export function uploadCommand(path: string, mode: number): string {
  const dir = path.replace(/\/[^/]*$/, '') || '/';
  const tmp = `${path}.k8sup-tmp`;
  const m = mode.toString(8).padStart(4, '0');
  return `umask 077 && mkdir -p -- ${shellQuote(dir)} && cat > ${shellQuote(tmp)} && chmod ${m} -- ${shellQuote(tmp)} && mv -f -- ${shellQuote(tmp)} ${shellQuote(path)}`;
}

/**
 * A script (fed to `sh -s` on stdin) that writes several files at once, each atomically with its mode: one round
 * trip for the whole PKI. Contents travel base64-encoded on stdin, never on a command line (visible in `ps`).
 */
export function uploadFilesScript(files: { path: string; content: string | Buffer; mode: number }[]): string {
  const lines = ['set -e', 'umask 077'];
  files.forEach((f, i) => {
    const dir = f.path.replace(/\/[^/]*$/, '') || '/';
    const tmp = `${f.path}.k8sup-tmp`;
    const b64 = Buffer.from(f.content).toString('base64').replace(/(.{76})/g, '$1\n');
    lines.push(
      `mkdir -p -- ${shellQuote(dir)}`,
      `base64 -d > ${shellQuote(tmp)} <<'K8SUP_FILE_${i}'`,
      b64,
      `K8SUP_FILE_${i}`,
      `chmod ${f.mode.toString(8).padStart(4, '0')} -- ${shellQuote(tmp)}`,
      `mv -f -- ${shellQuote(tmp)} ${shellQuote(f.path)}`,
    );
  });
  return lines.join('\n') + '\n';
}

export class SshConnection {
  constructor(
    readonly target: SshEndpoint,
    private readonly client: Client,
    private readonly jump?: Client,
  ) {
    client.on('close', () => (this.closed = true));
  }
  closed = false;

  get label(): string {
    return `${this.target.user}@${knownHostsName(this.target.host, this.target.port)}`;
  }

  /** Runs a command (through the login shell), feeding `stdin`; resolves with output and status, whatever the status. */
  exec(command: string, opts: ExecOptions = {}): Promise<ExecResult> {
    const timeoutMs = opts.timeoutMs ?? 10 * 60_000;
    return new Promise<ExecResult>((resolve, reject) => {
      if (this.closed) return reject(lost(this.label, 'connection already closed'));
      let stream: ClientChannel | undefined;
      let settled = false;
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      const finish = (err: Error | undefined, result?: ExecResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
        this.client.removeListener('close', onClientClose);
        if (err) {
          stream?.close();
          reject(err);
        } else resolve(result!);
      };
      const timer = setTimeout(
        () => finish(new OperationError(`command on ${this.label} timed out after ${Math.round(timeoutMs / 1000)} s`, { code: 'SshTimeout' })),
        timeoutMs,
      );
      const onAbort = () => finish(new OperationError(`command on ${this.label} cancelled`, { code: 'Cancelled' }));
      const onClientClose = () => finish(lost(this.label, 'connection closed while the command ran'));
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      this.client.once('close', onClientClose);
      this.client.exec(command, (err, ch) => {
        if (err) return finish(lost(this.label, err.message, err));
        stream = ch;
        ch.on('data', (d: Buffer) => stdout.push(d));
        ch.stderr.on('data', (d: Buffer) => stderr.push(d));
        let code: number | null = null;
        let signal: string | undefined;
        ch.on('exit', (c: number | null, s?: string) => {
          code = c;
          signal = s ?? undefined;
        });
        ch.on('close', () => {
          const out = { stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') };
          // No exit status and no signal: the session was torn down under us (sshd killed, network drop).
          if (code === null && signal === undefined) return finish(lost(this.label, 'the remote session ended without an exit status'));
          finish(undefined, { ...out, code, signal });
        });
        ch.end(opts.stdin ?? '');
      });
    });
  }

  /** exec, and throw OperationError naming the host and the last lines of stderr when the status is not 0. */
  async run(command: string, opts: ExecOptions & { what?: string } = {}): Promise<ExecResult> {
    const r = await this.exec(command, opts);
    if (r.code !== 0) {
      const tail = (r.stderr.trim() || r.stdout.trim()).split('\n').slice(-5).join(' | ');
      throw new OperationError(`${opts.what ?? 'command'} failed on ${this.label} (exit ${r.code ?? r.signal}): ${tail}`, { code: 'RemoteCommandFailed' });
    }
    return r;
  }

  /** Writes `content` to `path` with `mode`; `wrap` adds sudo / environment around the shell snippet. */
  async upload(path: string, content: string | Buffer, mode: number, wrap: (cmd: string) => string = (c) => c): Promise<void> {
    await this.run(wrap(uploadCommand(path, mode)), { stdin: content, what: `upload of ${path}`, timeoutMs: 60_000 });
  }

  /** Writes several files in one command (see uploadFilesScript). */
  async uploadFiles(files: { path: string; content: string | Buffer; mode: number }[], wrap: (cmd: string) => string = (c) => c): Promise<void> {
    if (files.length === 0) return;
    await this.run(wrap('sh -s'), { stdin: uploadFilesScript(files), what: `upload of ${files.length} file(s)`, timeoutMs: 120_000 });
  }

  close(): void {
    this.client.end();
    this.jump?.end();
  }
}

function lost(label: string, why: string, cause?: unknown): OperationError {
  return new OperationError(`SSH connection to ${label} lost: ${why}`, { code: 'SshConnectionLost', cause, hint: 'check the host and network; re-running resumes where it stopped' });
}

async function loadPrivateKey(opts: SshConnectOptions): Promise<Buffer | undefined> {
  const explicit = opts.privateKeyPath !== undefined;
  const path = opts.privateKeyPath ?? join(opts.homeDir, '.ssh', 'id_ed25519');
  try {
    return await readFile(path);
  } catch (e) {
    if (!explicit && opts.agentSocket) return undefined; // the agent will do
    throw new OperationError(`cannot read SSH private key ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, {
      code: 'SshKeyUnreadable',
      hint: 'set sshKey for the host in the hosts file, or load the key into ssh-agent',
    });
  }
}

interface Hop {
  endpoint: SshEndpoint;
  /** A forwarded channel through the bastion. */
  sock?: ClientChannel;
}

/** One SSH handshake + auth. Host key verified first; its refusal surfaces as the policy's OperationError. */
async function handshake(hop: Hop, key: Buffer | undefined, opts: SshConnectOptions): Promise<Client> {
  const { Client } = await import('ssh2');
  const { host, port, user } = hop.endpoint;
  const entries = await readKnownHosts(opts.hostKeys.knownHostsPath);
  const client = new Client();
  let hostKeyError: Error | undefined;
  const config: ConnectConfig = {
    host,
    port,
    username: user,
    readyTimeout: opts.readyTimeoutMs ?? 15_000,
    keepaliveInterval: 10_000,
    keepaliveCountMax: 3,
    algorithms: { serverHostKey: preferredHostKeyAlgorithms(knownKeyTypes(entries, host, port)) },
    hostVerifier: (presented: Buffer, verify: (ok: boolean) => void) => {
      verifyHostKey(opts.hostKeys, host, port, presented).then(
        () => verify(true),
        (e: Error) => {
          hostKeyError = e;
          verify(false);
        },
      );
    },
  };
  if (key) config.privateKey = key;
  if (key && opts.passphrase) config.passphrase = opts.passphrase;
  if (opts.agentSocket) config.agent = opts.agentSocket;
  if (hop.sock) config.sock = hop.sock;

  return new Promise<Client>((resolve, reject) => {
    const label = `${user}@${knownHostsName(host, port)}`;
    client.once('ready', () => {
      client.removeAllListeners('error');
      client.on('error', () => {}); // later errors surface through exec/close
      resolve(client);
    });
    client.once('error', (err: Error & { level?: string }) => {
      client.end();
      reject(hostKeyError ?? connectError(label, err));
    });
    try {
      client.connect(config);
    } catch (e) {
      // ssh2 throws synchronously for keys it cannot parse (e.g. encrypted without a passphrase).
      reject(connectError(label, e as Error));
    }
  });
}

function connectError(label: string, err: Error & { level?: string }): OperationError {
  if (err.level === 'client-authentication') {
    return new OperationError(`SSH authentication to ${label} failed (publickey)`, {
      code: 'SshAuthFailed',
      hint: "check the user and sshKey in the hosts file, and that the public key is in the host's authorized_keys",
    });
  }
  if (/passphrase|Cannot parse privateKey|Unsupported key format/i.test(err.message)) {
    // ssh2's message names the problem, never the key's content.
    return new OperationError(`cannot use the SSH private key for ${label}: ${err.message}`, {
      code: 'SshKeyUnusable',
      hint: 'give the passphrase through K8SUP_SSH_PASSPHRASE, or load the key into ssh-agent',
    });
  }
  return new OperationError(`cannot connect to ${label}: ${err.message}`, { code: 'SshConnectFailed', cause: err });
}

function forwardOut(jump: Client, to: SshEndpoint): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    jump.forwardOut('127.0.0.1', 0, to.host, to.port, (err, stream) => {
      if (err) reject(new OperationError(`bastion cannot reach ${to.host}:${to.port}: ${err.message}`, { code: 'SshConnectFailed', cause: err }));
      else resolve(stream);
    });
  });
}

async function connectOnce(target: SshEndpoint, key: Buffer | undefined, opts: SshConnectOptions): Promise<SshConnection> {
  if (!opts.bastion) return new SshConnection(target, await handshake({ endpoint: target }, key, opts));
  const jump = await handshake({ endpoint: opts.bastion }, key, opts);
  try {
    const sock = await forwardOut(jump, target);
    const client = await handshake({ endpoint: target, sock }, key, opts);
    client.on('close', () => jump.end());
    return new SshConnection(target, client, jump);
  } catch (e) {
    jump.end();
    throw e;
  }
}

/** Connects (with bounded retries on network failures) and returns a ready connection. */
export async function connectSsh(target: SshEndpoint, opts: SshConnectOptions): Promise<SshConnection> {
  const key = await loadPrivateKey(opts);
  const attempts = Math.max(1, opts.attempts ?? 3);
  for (let attempt = 1; ; attempt++) {
    try {
      return await connectOnce(target, key, opts);
    } catch (e) {
      const retryable = e instanceof OperationError && SSH_TRANSIENT_CODES.has(e.code);
      if (!retryable || attempt >= attempts || opts.signal?.aborted) throw e;
      opts.onRetry?.(attempt, e as Error);
      await sleep(backoffDelay(attempt, opts.retryDelayMs ?? 500, 10_000, Math.random), opts.signal);
    }
  }
}
