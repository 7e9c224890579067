// The loader (kops' nodeup idea): cloud user data / the GCE startup script is a small fixed-size script that fetches
// the node's full bootstrap bundle from the state store with the instance's own identity, checks it against the
// sha256 pinned in the loader, and installs it as k8sup-bootstrap.service. The bundle can grow (addons, more files)
// without meeting EC2's 16 KB user-data limit, and a changed bundle changes the loader (its key and sha256), so
// launch templates / instance templates change and rolling-update sees the new version. Metal has no loader: k8sup
// uploads the script over SSH.

import { createHash } from 'node:crypto';
import { resolveBootstrapInput } from './inputs.js';
import { shellQuote } from './quote.js';
import { s3Address } from './script.js';
import { loadTemplate, renderTemplate } from './template.js';
import type { BootstrapInput } from './types.js';

/** One node's bootstrap script as stored in the state store. */
export interface BootstrapBundle {
  /** Store key relative to the cluster's folder (`<prefix>/<cluster>/`): `bootstrap/bundles/<sha256>.sh`. */
  key: string;
  content: string;
  /** Hex sha256 of content: what the loader checks before it runs the bundle. */
  sha256: string;
}

/** Where a cluster's bundles live, relative to `<prefix>/<cluster>/` (nodes may read `bootstrap/*`). */
export const BUNDLE_FOLDER = 'bootstrap/bundles/';

/**
 * A bundle is stored under its content hash: it never changes once written, so a node that reboots (GCE runs the
 * loader at every boot) finds the bundle it was launched with, and groups with the same script share one object.
 */
export function bootstrapBundle(script: string): BootstrapBundle {
  const sha256 = createHash('sha256').update(script).digest('hex');
  return { key: `${BUNDLE_FOLDER}${sha256}.sh`, content: script, sha256 };
}

/** The distinct bundles of a cluster's instance groups (groups with the same bootstrap share one). */
export function distinctBundles(bundles: Iterable<BootstrapBundle>): BootstrapBundle[] {
  return [...new Map([...bundles].map((b) => [b.key, b])).values()];
}

export interface LoaderOptions {
  /**
   * Environment the bundle runs with: values known only at launch (AWS: the load balancers' DNS names, which the
   * launch template substitutes into the user data). The bundle checks and uses them.
   */
  env?: Record<string, string>;
}

/**
 * The user data / startup script of one instance group: a loader pinned to `bundle`, which is the installer the user
 * data used to be (renderBootstrapInstaller: it writes bootstrap.sh and k8sup-bootstrap.service and starts it).
 */
export function renderLoader(input: BootstrapInput, bundle: BootstrapBundle, opts: LoaderOptions = {}): string {
  const r = resolveBootstrapInput(input);
  if (!r.isCloud) throw new Error('metal hosts get their bootstrap script over SSH: they have no loader');
  const env = Object.entries(opts.env ?? {});
  for (const [k] of env) if (!/^K8SUP_[A-Z0-9_]+$/.test(k)) throw new Error(`bad loader variable ${k}`);
  const region = input.stateStoreRegion ?? input.cluster.spec.region;
  // The same state-store functions the bootstrap uses (templates/bootstrap/store-*.sh), without their comments.
  const store = renderTemplate(loadTemplate(`bootstrap/store-${input.provider.name}.sh`), { guardInit: false, storePut: false, ...s3Address(r.store.bucket, region) }, shellQuote, `store-${input.provider.name}.sh`);
  const vars = {
    clusterNameRaw: input.cluster.metadata.name,
    role: input.role,
    nodeGroup: input.nodeGroup,
    statePrefix: r.clusterKeyPrefix,
    storeNeedsRegion: input.provider.store?.regionExample !== undefined,
    stateRegion: region,
    stateBucket: r.store.bucket,
    bundleFolder: BUNDLE_FOLDER,
    bundleSha256: bundle.sha256,
    storeFunctions: compact(onlyFunctions(store, LOADER_STORE_FUNCTIONS)).replace(/\n+$/, ''),
    env: env.map(([k, v]) => `${k}=${shellQuote(v)} `).join(''),
  };
  return renderTemplate(loadTemplate('bootstrap/loader.sh'), vars, shellQuote, 'loader.sh');
}

/** What the loader needs of store-*.sh: reading one object (store_get and what it calls). */
const LOADER_STORE_FUNCTIONS = new Set(['imds_get', 'json_field', 'sha256_hex', 'hex_bytes', 'text_hex', 'hmac_sha256', 'sigv4_config', 's3_config', 'store_get', 'metadata_get', 'gcs_curl_credentials', 'gcs_object']);

/**
 * Keeps the top-level shell functions named in `keep` and the variable assignments; drops other functions. A
 * function starts at `name() {` at column 0 and ends at the next `}` at column 0 (or on its own line when it is a
 * one-liner), which is how templates/bootstrap/store-*.sh is written.
 */
function onlyFunctions(script: string, keep: Set<string>): string {
  const out: string[] = [];
  let current: { name: string; keep: boolean } | null = null;
  for (const line of script.split('\n')) {
    if (current) {
      if (current.keep) out.push(line);
      if (line === '}') current = null;
      continue;
    }
    const fn = /^([a-z0-9_]+)\(\) \{(.*)$/.exec(line);
    if (fn) {
      const oneLine = /\}\s*$/.test(fn[2]);
      if (keep.has(fn[1])) out.push(line);
      if (!oneLine) current = { name: fn[1], keep: keep.has(fn[1]) };
      continue;
    }
    out.push(line);
  }
  return out.join('\n');
}

/** Drops comment-only and blank lines and indentation (the inputs have no heredocs or multi-line strings). */
function compact(text: string): string {
  return (
    text
      .split('\n')
      .map((l) => l.trimStart())
      .filter((l) => l !== '' && !l.startsWith('#'))
      .join('\n') + '\n'
  );
}

