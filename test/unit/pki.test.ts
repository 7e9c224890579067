// Certificates checked by the real consumers: openssl for structure and chain, Go's TLS stack (kubectl) against a live
// node:https server that requires client certificates. One PKI is generated for the whole file (RSA keygen is slowish).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createPublicKey, X509Certificate } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { InvalidInputError } from '../../src/core/errors.js';
import {
  ADMIN_COMMON_NAME,
  buildAdminKubeconfig,
  buildKubeconfig,
  caCertHash,
  certInfo,
  CLOCK_SKEW_MS,
  generateClusterPki,
  issueAdminCert,
  issueClientCert,
  issueServerCert,
  type CertKeyPem,
  type ClusterPki,
} from '../../src/pki/index.js';
import { randomSerialHex } from '../../src/pki/certs.js';

interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a tool asynchronously: the https server under test lives in this process and must keep answering. */
function run(cmd: string, args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { timeout: 20_000, env: opts.env ?? process.env, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

const HOUR = 3600_000;
const NOW = new Date('2025-03-01T12:00:00.000Z');

let dir: string;
let pki: ClusterPki;
let admin: CertKeyPem;
let server: CertKeyPem;
let file: (name: string, content: string) => Promise<string>;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'k8sup-pki-'));
  file = async (name, content) => {
    const p = join(dir, name);
    await writeFile(p, content, { mode: 0o600 });
    return p;
  };
  pki = await generateClusterPki('demo.k8s.local');
  admin = issueAdminCert(pki.ca, { ttlMs: 18 * HOUR });
  server = issueServerCert(pki.ca, { commonName: 'kube-apiserver', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'], ttlMs: HOUR });
});

after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('generateClusterPki', () => {
  test('three distinct CAs with distinct keys, each a CA by openssl', async () => {
    const cas = [pki.ca, pki.frontProxyCa, pki.etcdCa];
    assert.equal(new Set(cas.map((c) => c.certPem)).size, 3);
    assert.equal(new Set(cas.map((c) => c.keyPem)).size, 3);
    assert.equal(new Set(cas.map((c) => caCertHash(c.certPem))).size, 3, 'CAs must not share a key');
    for (const [i, ca] of cas.entries()) {
      assert.equal(certInfo(ca.certPem).isCa, true);
      const p = await file(`ca-${i}.crt`, ca.certPem);
      const text = await run('openssl', ['x509', '-in', p, '-noout', '-text']);
      assert.equal(text.code, 0, text.stderr);
      assert.match(text.stdout, /Basic Constraints: critical\s+CA:TRUE/);
      assert.match(text.stdout, /Key Usage: critical\s+Digital Signature, Certificate Sign, CRL Sign/);
      assert.match(text.stdout, /Signature Algorithm: sha256WithRSAEncryption/);
      assert.match(text.stdout, /Public-Key: \(2048 bit\)/);
      // A self-signed CA verifies against itself.
      const v = await run('openssl', ['verify', '-CAfile', p, p]);
      assert.equal(v.code, 0, v.stderr);
    }
    assert.match(certInfo(pki.ca.certPem).subject, /CN=kubernetes$/);
    assert.match(certInfo(pki.etcdCa.certPem).subject, /CN=etcd-ca$/);
    assert.match(certInfo(pki.frontProxyCa.certPem).subject, /CN=front-proxy-ca$/);
  });

  test('service-account key pair: the public key belongs to the private key', () => {
    const derived = createPublicKey(pki.serviceAccount.privateKeyPem).export({ type: 'spki', format: 'pem' });
    assert.equal(derived, pki.serviceAccount.publicKeyPem);
    assert.equal(createPublicKey(pki.serviceAccount.publicKeyPem).asymmetricKeyDetails?.modulusLength, 2048);
    assert.notEqual(pki.serviceAccount.privateKeyPem, pki.ca.keyPem);
  });

  test('the clock is injectable: notBefore is backdated 5 minutes, lifetime is validityYears', async () => {
    const short = await generateClusterPki('clock.k8s.local', { now: NOW, validityYears: 2 });
    const info = certInfo(short.ca.certPem);
    assert.equal(info.notBefore.getTime(), NOW.getTime() - CLOCK_SKEW_MS);
    assert.equal(info.notAfter.toISOString(), '2027-03-01T12:00:00.000Z');
  });
});

describe('leaf certificates', () => {
  test('admin cert: O=system:masters, passes openssl verify as sslclient, not as sslserver, not against another CA', async () => {
    assert.equal(certInfo(admin.certPem).subject, `O=system:masters, CN=${ADMIN_COMMON_NAME}`);
    const ca = await file('ca.crt', pki.ca.certPem);
    const etcdCa = await file('etcd-ca.crt', pki.etcdCa.certPem);
    const crt = await file('admin.crt', admin.certPem);
    const ok = await run('openssl', ['verify', '-CAfile', ca, '-purpose', 'sslclient', crt]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /admin\.crt: OK/);
    const asServer = await run('openssl', ['verify', '-CAfile', ca, '-purpose', 'sslserver', crt]);
    assert.notEqual(asServer.code, 0, 'a client-only cert must not pass as a server cert');
    const wrongCa = await run('openssl', ['verify', '-CAfile', etcdCa, '-purpose', 'sslclient', crt]);
    assert.notEqual(wrongCa.code, 0);
  });

  test('server cert: SANs typed as IP and DNS, passes as sslserver, sha256 and a positive serial', async () => {
    const ca = await file('ca.crt', pki.ca.certPem);
    const crt = await file('server.crt', server.certPem);
    const ok = await run('openssl', ['verify', '-CAfile', ca, '-purpose', 'sslserver', crt]);
    assert.equal(ok.code, 0, ok.stderr);
    const text = (await run('openssl', ['x509', '-in', crt, '-noout', '-text'])).stdout;
    assert.match(text, /Subject Alternative Name:\s+DNS:localhost, IP Address:127\.0\.0\.1\n/);
    assert.match(text, /Signature Algorithm: sha256WithRSAEncryption/);
    assert.match(text, /Extended Key Usage:\s+TLS Web Server Authentication\n/);
    assert.match(text, /Key Usage: critical\s+Digital Signature, Key Encipherment/);
    assert.doesNotMatch(text, /Serial Number: \(Negative\)|Serial Number:\s+-/);
    // Authority key id of the leaf is the CA's subject key id: chain building by key, not just by name.
    const caText = (await run('openssl', ['x509', '-in', ca, '-noout', '-text'])).stdout;
    const caSki = /Subject Key Identifier:\s+([0-9A-F:]+)/.exec(caText)?.[1];
    assert.ok(caSki);
    assert.match(text, new RegExp(`Authority Key Identifier:\\s+(keyid:)?${caSki}`));
    assert.ok(new X509Certificate(server.certPem).checkIP('127.0.0.1'));
    assert.ok(new X509Certificate(server.certPem).checkHost('localhost'));
  });

  test('serials: 16 bytes, positive, minimally encoded, unique', async () => {
    for (const pem of [admin.certPem, server.certPem, pki.ca.certPem]) {
      const p = await file('serial.crt', pem);
      const out = (await run('openssl', ['x509', '-in', p, '-noout', '-serial'])).stdout.trim();
      const hex = out.replace(/^serial=/, '');
      assert.equal(hex.toLowerCase(), certInfo(pem).serialHex);
      assert.equal(hex.length, 32, `serial ${hex} is not 16 bytes`);
      assert.ok(parseInt(hex.slice(0, 2), 16) < 0x80, `serial ${hex} would be negative`);
    }
    const serials = Array.from({ length: 500 }, () => randomSerialHex());
    assert.equal(new Set(serials).size, serials.length);
    for (const s of serials) {
      const first = parseInt(s.slice(0, 2), 16);
      assert.ok(first >= 0x01 && first <= 0x7f, `serial ${s}`);
    }
  });

  test('lifetime follows ttlMs and the clock, and is capped at the CA expiry', () => {
    const c = issueClientCert(pki.ca, { commonName: 'ci', ttlMs: 2 * HOUR, now: NOW });
    const info = certInfo(c.certPem);
    assert.equal(info.notBefore.getTime(), NOW.getTime() - CLOCK_SKEW_MS);
    assert.equal(info.notAfter.getTime(), NOW.getTime() + 2 * HOUR);
    assert.equal(info.isCa, false);
    const caNotAfter = certInfo(pki.ca.certPem).notAfter;
    const long = issueClientCert(pki.ca, { commonName: 'long', ttlMs: 50 * 365 * 24 * HOUR });
    assert.equal(certInfo(long.certPem).notAfter.getTime(), caNotAfter.getTime());
  });

  test('bad input is refused with InvalidInputError', () => {
    assert.throws(() => issueClientCert(pki.ca, { commonName: 'x', ttlMs: 0 }), InvalidInputError);
    assert.throws(() => issueServerCert(pki.ca, { commonName: 'x', ipAddresses: ['300.1.1.1'], ttlMs: HOUR }), InvalidInputError);
    assert.throws(() => issueClientCert({ certPem: 'nope', keyPem: 'nope' }, { commonName: 'x', ttlMs: HOUR }), InvalidInputError);
    assert.throws(() => caCertHash('not a cert'), InvalidInputError);
  });

  test('caCertHash equals the openssl discovery-hash pipeline', async () => {
    const p = await file('hash-ca.crt', pki.ca.certPem);
    const r = await run('sh', ['-c', `openssl x509 -in '${p}' -pubkey -noout | openssl pkey -pubin -outform der | sha256sum`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(caCertHash(pki.ca.certPem), `sha256:${r.stdout.split(' ')[0]}`);
  });
});

describe('Go TLS (real kubectl) accepts the CA, server cert and client cert', () => {
  let https: Server;
  let url: string;
  const seenClients: string[] = [];
  let kubectlEnv: NodeJS.ProcessEnv;

  before(async () => {
    https = createServer(
      { key: server.keyPem, cert: server.certPem, ca: pki.ca.certPem, requestCert: true, rejectUnauthorized: true },
      (req, res) => {
        const peer = (req.socket as TLSSocket).getPeerCertificate();
        seenClients.push(`${peer.subject.O}/${peer.subject.CN}`);
        // The gcloud kubectl dispatcher asks /version?timeout=5s first to pick a kubectl matching the server.
        if (new URL(req.url ?? '/', 'https://x').pathname === '/version') {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ major: '1', minor: '31', gitVersion: 'v1.31.4', platform: 'linux/amd64' }));
        } else {
          res.writeHead(404, { 'content-type': 'application/json' });
          res.end('{}');
        }
      },
    );
    await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve));
    url = `https://127.0.0.1:${(https.address() as { port: number }).port}`;
    // kubectl writes caches under $HOME/.kube; keep it away from the real home and from any ambient KUBECONFIG.
    kubectlEnv = { PATH: process.env.PATH, HOME: dir };
  });

  after(async () => {
    https.closeAllConnections();
    await new Promise<void>((resolve) => https.close(() => resolve()));
  });

  const kubectl = (kubeconfig: string, args: string[]) =>
    run('kubectl', ['--kubeconfig', kubeconfig, '--request-timeout=10s', ...args], { env: kubectlEnv });

  test('config view --raw parses the kubeconfig, get --raw /version succeeds over mutual TLS', async () => {
    const { yaml } = buildAdminKubeconfig(pki.ca, { clusterName: 'demo.k8s.local', server: url, ttlMs: HOUR });
    const kc = await file('admin.kubeconfig', yaml);
    const view = await kubectl(kc, ['config', 'view', '--raw', '-o', 'json']);
    assert.equal(view.code, 0, view.stderr);
    const cfg = JSON.parse(view.stdout);
    assert.equal(cfg['current-context'], 'demo.k8s.local');
    assert.equal(cfg.clusters[0].cluster.server, url);
    assert.equal(Buffer.from(cfg.clusters[0].cluster['certificate-authority-data'], 'base64').toString(), pki.ca.certPem);

    const version = await kubectl(kc, ['get', '--raw', '/version']);
    assert.equal(version.code, 0, version.stderr);
    assert.equal(JSON.parse(version.stdout).gitVersion, 'v1.31.4');
    assert.deepEqual(seenClients.at(-1), `system:masters/${ADMIN_COMMON_NAME}`);
  });

  test('buildKubeconfig with an explicit context name works the same way', async () => {
    const yaml = buildKubeconfig({
      clusterName: 'demo',
      server: url,
      caCertPem: pki.ca.certPem,
      user: 'demo-admin',
      clientCertPem: admin.certPem,
      clientKeyPem: admin.keyPem,
      contextName: 'admin@demo',
    });
    assert.equal(parse(yaml)['current-context'], 'admin@demo');
    const kc = await file('ctx.kubeconfig', yaml);
    const r = await kubectl(kc, ['get', '--raw', '/version']);
    assert.equal(r.code, 0, r.stderr);
  });

  test('negative controls: a client cert from another CA, or a kubeconfig trusting another CA, is refused', async () => {
    const foreign = issueClientCert(pki.etcdCa, { commonName: 'intruder', organizations: ['system:masters'], ttlMs: HOUR });
    const before = seenClients.length;
    const badClient = await file(
      'bad-client.kubeconfig',
      buildKubeconfig({ clusterName: 'c', server: url, caCertPem: pki.ca.certPem, user: 'u', clientCertPem: foreign.certPem, clientKeyPem: foreign.keyPem }),
    );
    const r1 = await kubectl(badClient, ['get', '--raw', '/version']);
    assert.notEqual(r1.code, 0, 'the server must reject a client cert from another CA');
    assert.match(r1.stderr, /Unable to connect|tls|EOF/);

    const badTrust = await file(
      'bad-trust.kubeconfig',
      buildKubeconfig({ clusterName: 'c', server: url, caCertPem: pki.frontProxyCa.certPem, user: 'u', clientCertPem: admin.certPem, clientKeyPem: admin.keyPem }),
    );
    const r2 = await kubectl(badTrust, ['get', '--raw', '/version']);
    assert.notEqual(r2.code, 0, 'kubectl must reject a server cert not signed by the trusted CA');
    assert.match(r2.stderr, /certificate signed by unknown authority|x509/);
    assert.equal(seenClients.length, before, 'no request may have been served');
  });
});
