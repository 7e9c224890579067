// create secret registry SECRET --registry HOST (--username U --password-stdin | --docker-config FILE) [--force]:
// stores a registry pull credential in the cluster's state (src/lifecycle/registry-secrets.ts; docs/airgap.md). Like
// `create cluster`, storing is the command's purpose, so it needs no --yes. Everything is checked before the lock is
// taken: bad input writes nothing at all. The credential is never printed; output names the secret and the registry.

import { storeRegistrySecretFlow } from '../lifecycle/registry-secret-flow.js';
import { dockerConfigCredential, passwordCredential } from '../lifecycle/registry-secrets.js';
import { renderRegistryCredential, type RegistryCredential } from '../bootstrap/registries.js';
import { InvalidInputError } from '../core/errors.js';
import type { CliContext } from './context.js';
import { readInputFile } from './paths.js';
import { printData } from './render/output.js';
import { suggest } from './suggest.js';

async function credentialFrom(ctx: CliContext, host: string, opts: Record<string, any>): Promise<RegistryCredential> {
  const fromFile = opts.dockerConfig !== undefined;
  const fromFlags = opts.username !== undefined || opts.passwordStdin === true;
  if (fromFile === fromFlags) {
    throw new InvalidInputError(fromFile ? '--docker-config and --username/--password-stdin exclude each other' : 'no credential given', {
      hint: 'give either --username USER --password-stdin (the password on stdin) or --docker-config ~/.docker/config.json',
    });
  }
  if (fromFile) {
    const path = String(opts.dockerConfig);
    return dockerConfigCredential(await readInputFile('--docker-config', path, { home: ctx.home, cwd: ctx.cwd }), host, path);
  }
  if (opts.username === undefined || opts.passwordStdin !== true) {
    throw new InvalidInputError(opts.username === undefined ? '--password-stdin needs --username' : '--username needs --password-stdin', {
      hint: 'printf %s "$PASSWORD" | k8sup create secret registry NAME --registry HOST --username USER --password-stdin (passwords never go on the command line)',
    });
  }
  // Like `docker login --password-stdin`: the trailing newline of `echo` is not part of the password.
  const password = (await readInputFile('--password-stdin', '-', { home: ctx.home, cwd: ctx.cwd })).replace(/\r?\n$/, '');
  return passwordCredential(String(opts.username), password);
}

export default async function createSecret(ctx: CliContext, args: string[], opts: Record<string, any>): Promise<number> {
  const secret = String(args[0] ?? '');
  const name = ctx.clusterName();
  const host = opts.registry === undefined ? undefined : String(opts.registry);
  const store = await ctx.openStore();
  const { action, index, secretRef: ref } = await storeRegistrySecretFlow(
    { store, name, actor: ctx.actor, secret, host, force: opts.force === true },
    async () => renderRegistryCredential(await credentialFrom(ctx, host!, opts)),
  );
  const what = { created: 'Stored', unchanged: 'Unchanged:', replaced: 'Replaced' }[action];
  // -o json|yaml: what was stored and whether the spec uses it (never the credential); -o table: the notes below only.
  printData(ctx, { cluster: name, secret, registry: host!, action, usedBySpec: ref === secret }, { table: () => '' });
  ctx.io.emit({ code: 'secret.stored', level: 'info', message: `${what} registry secret ${secret} of ${name} (for ${host}).`, data: { cluster: name, secret, registry: host!, action } });
  if (ref !== secret) {
    const now = ref === undefined ? 'does not use it yet' : `uses secret ${ref}, not this one`;
    ctx.io.emit({ code: 'note', level: 'warn', message: `spec.assets.registries[${index}] (${host}) ${now}: set its credentials to {secretRef: ${secret}} (${suggest(ctx, `edit cluster ${name}`)})`, data: {} });
  } else {
    const command = suggest(ctx, action === 'replaced' ? `rolling-update cluster ${name} --force --yes` : `update cluster ${name} --yes`);
    ctx.io.emit({ code: 'next', level: 'info', message: action === 'replaced' ? `Nodes read it when they bootstrap; replace the running ones with: ${command}` : `Apply with: ${command}`, data: { command } });
  }
  return 0;
}
