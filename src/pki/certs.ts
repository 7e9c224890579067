// X.509 certificates the way Go's crypto/x509 (kubectl, kube-apiserver, etcd) wants them: sha256WithRSA, positive
// minimally-encoded serials, explicit key usages, SANs typed as IP or DNS, key identifiers for chain building.
// Keys come from node:crypto (fast, native); node-forge only builds and signs the certificate structures.

import { createHash, generateKeyPair, generateKeyPairSync, randomBytes, sign, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import forge from 'node-forge';
import { InvalidInputError } from '../core/errors.js';

export interface CertKeyPem {
  certPem: string;
  keyPem: string;
}

/** Backdating notBefore tolerates clock skew between the machine that signs and the ones that verify. */
export const CLOCK_SKEW_MS = 5 * 60 * 1000;

const RSA_BITS = 2048;

export interface RsaKeyPairPem {
  publicKeyPem: string;
  /** PKCS#1 (`RSA PRIVATE KEY`), the format kubeadm writes and every Kubernetes component reads. */
  privateKeyPem: string;
}

const RSA_OPTIONS = {
  modulusLength: RSA_BITS,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
} as const;

export function generateRsaKeyPair(): RsaKeyPairPem {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', RSA_OPTIONS);
  return { publicKeyPem: publicKey, privateKeyPem: privateKey };
}

/**
 * `count` key pairs at once on libuv's thread pool: a 2048-bit key is ~0.1 s of one core, so a cluster's four take
 * about half as long on two cores as one after another.
 */
export function generateRsaKeyPairs(count: number): Promise<RsaKeyPairPem[]> {
  const one = () =>
    new Promise<RsaKeyPairPem>((resolve, reject) =>
      generateKeyPair('rsa', RSA_OPTIONS, (err, publicKey, privateKey) => (err ? reject(err) : resolve({ publicKeyPem: publicKey, privateKeyPem: privateKey }))),
    );
  return Promise.all(Array.from({ length: count }, one));
}

/**
 * 16 random bytes, top bit cleared so the INTEGER is positive, and the first byte non-zero so the DER encoding is
 * minimal (Go's parser rejects a leading 0x00 that is not needed for the sign).
 */
export function randomSerialHex(): string {
  const bytes = randomBytes(16);
  bytes[0] &= 0x7f;
  if (bytes[0] === 0) bytes[0] = 0x01;
  return bytes.toString('hex');
}

type Attribute = { shortName: string; value: string };

interface SubjectInput {
  commonName: string;
  organizations?: string[];
  organizationalUnit?: string;
}

function subjectAttributes(s: SubjectInput): Attribute[] {
  const attrs: Attribute[] = [];
  for (const o of s.organizations ?? []) attrs.push({ shortName: 'O', value: o });
  if (s.organizationalUnit) attrs.push({ shortName: 'OU', value: s.organizationalUnit });
  attrs.push({ shortName: 'CN', value: s.commonName });
  return attrs;
}

interface SignInput {
  subject: SubjectInput;
  publicKeyPem: string;
  notBefore: Date;
  notAfter: Date;
  extensions: object[];
  /** Absent for a self-signed CA. */
  issuer?: { cert: forge.pki.Certificate; keyPem: string };
  selfKeyPem?: string;
}

function signCertificate(input: SignInput): string {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(input.publicKeyPem);
  cert.serialNumber = randomSerialHex();
  cert.validity.notBefore = input.notBefore;
  cert.validity.notAfter = input.notAfter;
  const attrs = subjectAttributes(input.subject);
  cert.setSubject(attrs);
  cert.setIssuer(input.issuer ? input.issuer.cert.subject.attributes : attrs);
  const authorityKeyId = input.issuer ? subjectKeyIdBytes(input.issuer.cert) : cert.generateSubjectKeyIdentifier().getBytes();
  cert.setExtensions([
    ...input.extensions,
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: authorityKeyId },
  ]);
  const signingKeyPem = input.issuer ? input.issuer.keyPem : input.selfKeyPem;
  if (!signingKeyPem) throw new Error('signCertificate: no signing key');
  signSha256WithRsa(cert, signingKeyPem);
  return forge.pki.certificateToPem(cert);
}

/**
 * What forge's `cert.sign(key, sha256)` does, with the RSA signature made by Node's crypto: forge signs in JavaScript
 * (about 90 ms a certificate, every CA and every admin credential), OpenSSL in about 4.
 */
function signSha256WithRsa(cert: forge.pki.Certificate, keyPem: string): void {
  // getTBSCertificate is forge's public pki function (cert.sign calls it); its type declarations leave it out.
  const { getTBSCertificate } = forge.pki as unknown as { getTBSCertificate(c: forge.pki.Certificate): forge.asn1.Asn1 };
  cert.signatureOid = cert.siginfo.algorithmOid = forge.pki.oids.sha256WithRSAEncryption;
  cert.tbsCertificate = getTBSCertificate(cert);
  const tbs = Buffer.from(forge.asn1.toDer(cert.tbsCertificate).getBytes(), 'binary');
  cert.signature = sign('sha256', tbs, keyPem).toString('binary');
}

/** The CA's own subjectKeyIdentifier, so the leaf's authorityKeyIdentifier matches it byte for byte. */
function subjectKeyIdBytes(cert: forge.pki.Certificate): string {
  const ext = cert.getExtension('subjectKeyIdentifier') as { subjectKeyIdentifier?: string } | undefined;
  if (ext?.subjectKeyIdentifier) return forge.util.hexToBytes(ext.subjectKeyIdentifier);
  return cert.generateSubjectKeyIdentifier().getBytes();
}

function parseCertPem(certPem: string, what: string): forge.pki.Certificate {
  try {
    return forge.pki.certificateFromPem(certPem);
  } catch (e) {
    throw new InvalidInputError(`${what} is not a PEM X.509 certificate`, {
      cause: e,
      hint: 'Pass the PEM text that starts with -----BEGIN CERTIFICATE-----.',
    });
  }
}

export interface CaOptions {
  commonName: string;
  organizationalUnit?: string;
  now?: Date;
  validityYears?: number;
}

/** `keys`: a key pair made beforehand (generateRsaKeyPairs), else one is generated here. */
export function createCertificateAuthority(opts: CaOptions, keys: RsaKeyPairPem = generateRsaKeyPair()): CertKeyPem {
  const now = opts.now ?? new Date();
  const years = opts.validityYears ?? 10;
  if (!(years > 0)) throw new InvalidInputError(`CA validity must be positive, got ${years} years`);
  const notAfter = new Date(now.getTime());
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + years);
  const certPem = signCertificate({
    subject: { commonName: opts.commonName, organizationalUnit: opts.organizationalUnit },
    publicKeyPem: keys.publicKeyPem,
    notBefore: new Date(now.getTime() - CLOCK_SKEW_MS),
    notAfter,
    selfKeyPem: keys.privateKeyPem,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', critical: true, keyCertSign: true, cRLSign: true, digitalSignature: true },
    ],
  });
  return { certPem, keyPem: keys.privateKeyPem };
}

interface LeafOptions {
  commonName: string;
  organizations?: string[];
  dnsNames?: string[];
  ipAddresses?: string[];
  ttlMs: number;
  now?: Date;
  serverAuth: boolean;
  clientAuth: boolean;
}

function issueLeaf(ca: CertKeyPem, opts: LeafOptions): CertKeyPem {
  if (!Number.isFinite(opts.ttlMs) || opts.ttlMs <= 0) {
    throw new InvalidInputError(`certificate lifetime must be positive, got ${opts.ttlMs} ms`, {
      hint: 'Use a duration such as 18h or 30m.',
    });
  }
  if (!opts.commonName) throw new InvalidInputError('certificate common name must not be empty');
  const caCert = parseCertPem(ca.certPem, 'CA certificate');
  const now = opts.now ?? new Date();
  // A leaf that outlives its CA would only fail later and more confusingly; cap it.
  const notAfter = new Date(Math.min(now.getTime() + opts.ttlMs, caCert.validity.notAfter.getTime()));
  const keys = generateRsaKeyPair();
  const extensions: object[] = [
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', critical: true, digitalSignature: true, keyEncipherment: true },
    { name: 'extKeyUsage', serverAuth: opts.serverAuth, clientAuth: opts.clientAuth },
  ];
  const altNames = [
    ...(opts.dnsNames ?? []).map((value) => ({ type: 2, value })),
    ...(opts.ipAddresses ?? []).map((ip) => ({ type: 7, ip: checkedIp(ip) })),
  ];
  if (altNames.length > 0) extensions.push({ name: 'subjectAltName', altNames });
  const certPem = signCertificate({
    subject: { commonName: opts.commonName, organizations: opts.organizations },
    publicKeyPem: keys.publicKeyPem,
    notBefore: new Date(now.getTime() - CLOCK_SKEW_MS),
    notAfter,
    issuer: { cert: caCert, keyPem: ca.keyPem },
    extensions,
  });
  return { certPem, keyPem: keys.privateKeyPem };
}

function checkedIp(ip: string): string {
  // forge would encode some malformed addresses (e.g. 300.1.1.1) as wrong bytes; refuse them here instead.
  if (isIP(ip) === 0) {
    throw new InvalidInputError(`"${ip}" is not an IP address`, { hint: 'Put host names in dnsNames, addresses in ipAddresses.' });
  }
  return ip;
}

export function issueClientCert(
  ca: CertKeyPem,
  opts: { commonName: string; organizations?: string[]; ttlMs: number; now?: Date },
): CertKeyPem {
  return issueLeaf(ca, { ...opts, serverAuth: false, clientAuth: true });
}

export function issueServerCert(
  ca: CertKeyPem,
  opts: { commonName: string; dnsNames?: string[]; ipAddresses?: string[]; ttlMs: number; now?: Date },
): CertKeyPem {
  return issueLeaf(ca, { ...opts, serverAuth: true, clientAuth: false });
}

/** kubeadm's discovery hash: `sha256:<hex>` of the DER SubjectPublicKeyInfo of the CA certificate. */
export function caCertHash(caCertPem: string): string {
  let spki: Buffer;
  try {
    spki = new X509Certificate(caCertPem).publicKey.export({ type: 'spki', format: 'der' });
  } catch (e) {
    throw new InvalidInputError('CA certificate is not a PEM X.509 certificate', { cause: e });
  }
  return `sha256:${createHash('sha256').update(spki).digest('hex')}`;
}

export interface CertInfo {
  /** Attributes in certificate order, e.g. `O=system:masters, CN=kubernetes-admin`. */
  subject: string;
  serialHex: string;
  notBefore: Date;
  notAfter: Date;
  isCa: boolean;
}

export function certInfo(certPem: string): CertInfo {
  const cert = parseCertPem(certPem, 'certificate');
  const basic = cert.getExtension('basicConstraints') as { cA?: boolean } | undefined;
  return {
    subject: cert.subject.attributes.map((a) => `${a.shortName ?? a.name ?? a.type}=${String(a.value)}`).join(', '),
    serialHex: cert.serialNumber,
    notBefore: cert.validity.notBefore,
    notAfter: cert.validity.notAfter,
    isCa: basic?.cA === true,
  };
}
