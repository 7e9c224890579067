// When certificates expire: kubeadm's leaf certificates last one year (its CAs ten), and nothing renews them on a
// cluster that is never upgraded. Parsed with Node's own X509Certificate (no node-forge), so `certs check` and the
// validate warning stay light. The sources differ per provider (files on a host over SSH, the API server's serving
// certificate, the CAs in the state store); the report is the same.

import { X509Certificate } from 'node:crypto';
import { parse } from 'yaml';

/** validate warns and `certs check` flags a certificate that expires within this many days. */
export const EXPIRY_WARNING_DAYS = 30;
const DAY_MS = 24 * 60 * 60 * 1000;

export interface CertificateExpiry {
  /** What it is: a file under /etc/kubernetes (`pki/apiserver.crt`, `admin.conf`), `apiserver (serving)`, `state: ca.crt`. */
  name: string;
  /** Where it was read: a host, the API endpoint, the state store. */
  source: string;
  subject: string;
  isCa: boolean;
  notAfter: string;
  daysLeft: number;
  expiresSoon: boolean;
}

export function expiryOf(name: string, source: string, cert: X509Certificate | string | Buffer, now = new Date()): CertificateExpiry {
  const x = cert instanceof X509Certificate ? cert : new X509Certificate(cert);
  const notAfter = new Date(x.validTo);
  const daysLeft = Math.floor((notAfter.getTime() - now.getTime()) / DAY_MS);
  return { name, source, subject: x.subject.replaceAll('\n', ', '), isCa: x.ca, notAfter: notAfter.toISOString(), daysLeft, expiresSoon: daysLeft < EXPIRY_WARNING_DAYS };
}

/** The client certificates embedded in a kubeconfig (admin.conf, scheduler.conf…), first one per user. */
export function kubeconfigClientCertificates(yaml: string): X509Certificate[] {
  const doc = parse(yaml) as { users?: { user?: { 'client-certificate-data'?: string } }[] } | null;
  return (doc?.users ?? [])
    .map((u) => u.user?.['client-certificate-data'])
    .filter((d): d is string => typeof d === 'string' && d.length > 0)
    .map((d) => new X509Certificate(Buffer.from(d, 'base64')));
}

/**
 * Reads the `<path> <base64 of the file>` lines the host snippet prints (one per certificate or kubeconfig under
 * /etc/kubernetes) into expiries. A file that is neither is skipped: it says nothing about expiry.
 */
export function expiriesFromListing(listing: string, source: string, now = new Date()): CertificateExpiry[] {
  const out: CertificateExpiry[] = [];
  for (const line of listing.split('\n')) {
    const m = /^(\S+) ([A-Za-z0-9+/=]+)$/.exec(line.trim());
    if (!m) continue;
    const content = Buffer.from(m[2], 'base64');
    try {
      const certs = m[1].endsWith('.conf') ? kubeconfigClientCertificates(content.toString('utf8')) : [new X509Certificate(content)];
      for (const c of certs) out.push(expiryOf(m[1], source, c, now));
    } catch {
      // not a certificate (a kubeconfig with a file reference, a torn file): nothing to report for it
    }
  }
  return out;
}

export function soonest(expiries: CertificateExpiry[]): CertificateExpiry | undefined {
  return [...expiries].sort((a, b) => a.daysLeft - b.daysLeft)[0];
}
