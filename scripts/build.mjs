// Bundles the CLI with esbuild. Code splitting keeps every command and every provider's SDK in its own chunk,
// loaded by `await import()` only when needed, so `k8sup version` starts about as fast as node itself.
import { build } from 'esbuild';
import { cpSync, readFileSync, rmSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
// The oldest Node that package.json's engines field supports (">=20.19" → "node20.19"): esbuild then emits no
// syntax that Node lacks, and the floor is written once.
const floor = /^>=\s*(\d+(?:\.\d+){0,2})$/.exec(pkg.engines.node)?.[1];
if (!floor) throw new Error(`package.json engines.node must be ">=X.Y", not ${JSON.stringify(pkg.engines.node)}`);
rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
await build({
  entryPoints: { main: 'src/cli/main.ts' },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: `node${floor}`,
  sourcemap: 'linked',
  minify: true,
  keepNames: true,
  chunkNames: 'chunks/[name]-[hash]',
  // Cloud SDKs and native modules stay in node_modules: they are large, use dynamic requires, and are only
  // reached through dynamic imports.
  external: ['@aws-sdk/*', '@smithy/*', '@google-cloud/*', '@kubernetes/client-node', 'ssh2', 'cpu-features', 'listr2'],
  define: { K8SUP_VERSION: JSON.stringify(pkg.version) },
  banner: { js: "import { createRequire as __k8supCreateRequire } from 'node:module'; const require = __k8supCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
// The templates the bundle renders, copied beside it: the code finds dist/templates before the checkout's templates/
// (src/bootstrap/template.ts), so a build is always code and templates of one moment. A checkout pulled without a
// rebuild then runs the old build whole, instead of old code rendering new templates (a template naming a value the
// old code does not give fails every plan).
cpSync(new URL('../templates', import.meta.url), new URL('../dist/templates', import.meta.url), { recursive: true });
