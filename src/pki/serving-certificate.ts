// The certificate an API server presents, read from the TLS handshake (no request is made, nothing is trusted or
// sent): `certs check` on clouds and validate's expiry warning use it where the nodes' files are not reachable.

import type { X509Certificate } from 'node:crypto';
import { connect } from 'node:tls';

export function servingCertificate(url: string, timeoutMs = 10_000): Promise<X509Certificate> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: u.hostname, port: Number(u.port || 443), servername: /^[\d.]+$|:/.test(u.hostname) ? undefined : u.hostname, rejectUnauthorized: false });
    const timer = setTimeout(() => socket.destroy(new Error(`no TLS handshake with ${u.host} within ${timeoutMs} ms`)), timeoutMs);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      const cert = socket.getPeerX509Certificate();
      socket.end();
      if (cert) resolve(cert);
      else reject(new Error(`${u.host} presented no certificate`));
    });
    socket.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}
