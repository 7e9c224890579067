// The real terraform binary on rendered `--target terraform` output, offline: the providers come from the machine's
// filesystem mirror (/opt/tf-plugins, DEVELOPERS.md), never from a registry.

import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export const TERRAFORM = ['/usr/local/bin/terraform', '/usr/bin/terraform'].find((p) => existsSync(p));
export const TERRAFORM_PLUGIN_MIRROR = '/opt/tf-plugins';

export interface TerraformValidation {
  valid: boolean;
  warning_count: number;
  error_count: number;
  diagnostics: unknown[];
}

/** Writes the files as a module, runs `terraform init -backend=false` and `terraform validate -json` on it. */
export async function terraformValidate(files: Record<string, string>): Promise<TerraformValidation> {
  if (!TERRAFORM) throw new Error('terraform is not installed');
  const dir = await mkdtemp(join(tmpdir(), 'k8sup-tf-'));
  try {
    const mod = join(dir, 'module');
    for (const [name, content] of Object.entries(files)) {
      await mkdir(dirname(join(mod, name)), { recursive: true });
      await writeFile(join(mod, name), content);
    }
    const cliConfig = join(dir, 'terraform.rc');
    await writeFile(cliConfig, `provider_installation {\n  filesystem_mirror {\n    path    = ${JSON.stringify(TERRAFORM_PLUGIN_MIRROR)}\n    include = ["registry.terraform.io/*/*"]\n  }\n}\n`);
    const env = { ...process.env, TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1', TF_CLI_CONFIG_FILE: cliConfig, TF_DATA_DIR: join(dir, 'tf-data'), HOME: dir, TF_PLUGIN_CACHE_DIR: '' };
    const run = (...args: string[]) => execFileSync(TERRAFORM!, [`-chdir=${mod}`, ...args], { env, encoding: 'utf8', timeout: 90_000, stdio: ['ignore', 'pipe', 'pipe'] });
    run('init', '-backend=false', '-input=false', '-no-color');
    return JSON.parse(run('validate', '-json', '-no-color')) as TerraformValidation;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
