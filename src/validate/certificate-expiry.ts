// validate's certificate warning: the API server's serving certificate (read from the TLS handshake) expiring within
// EXPIRY_WARNING_DAYS. A warning, never a failure: the cluster works until the day it expires, and `k8sup certs check`
// lists every certificate (docs/validate.md).

import { parse } from 'yaml';
import { EXPIRY_WARNING_DAYS, expiryOf } from '../pki/expiry.js';
import { servingCertificate } from '../pki/serving-certificate.js';

interface KubeconfigDoc {
  'current-context'?: string;
  contexts?: { name: string; context?: { cluster?: string } }[];
  clusters?: { name: string; cluster?: { server?: string } }[];
}

/** The API server URL the kubeconfig's (or `context`'s) cluster names. */
export function kubeconfigServer(yaml: string, context?: string): string | undefined {
  const doc = (parse(yaml) ?? {}) as KubeconfigDoc;
  const ctxName = context ?? doc['current-context'];
  const clusterName = doc.contexts?.find((c) => c.name === ctxName)?.context?.cluster ?? doc.clusters?.[0]?.name;
  return doc.clusters?.find((c) => c.name === clusterName)?.cluster?.server;
}

/** A warning line when the serving certificate expires within EXPIRY_WARNING_DAYS, else undefined. */
export async function servingCertificateWarning(kubeconfigYaml: string, context?: string, now = new Date()): Promise<string | undefined> {
  const server = kubeconfigServer(kubeconfigYaml, context);
  if (!server?.startsWith('https://')) return undefined;
  const expiry = expiryOf('apiserver (serving)', new URL(server).host, await servingCertificate(server), now);
  if (!expiry.expiresSoon) return undefined;
  const when = expiry.daysLeft < 0 ? `expired on ${expiry.notAfter}` : `expires on ${expiry.notAfter} (${expiry.daysLeft} days left, less than ${EXPIRY_WARNING_DAYS})`;
  return `warning: the API server certificate of ${server} ${when}; see \`k8sup certs check\` and \`k8sup certs renew\``;
}
