import { readSpec } from '../lifecycle/spec-store.js';
import { ClusterInvalidError, InvalidInputError } from '../core/errors.js';
import { ClusterStore } from '../state/cluster-store.js';
import type { CliContext } from './context.js';
import { checkContextFlag } from './context-flag.js';
import { adminKubeconfig } from '../lifecycle/admin-credential.js';
import { readInputFile } from './paths.js';
import { printData } from './render/output.js';

/** Credentials for validation live only as long as a long --wait needs them. */
const VALIDATE_CREDENTIAL_TTL = '2h';

export default async function validateClusterCommand(ctx: CliContext, args: string[], opts: Record<string, any>): Promise<number> {
  const name = ctx.clusterName(args[0]);
  const { parseDuration } = await import('../pki/duration.js');
  const waitMs = opts.wait ? parseDuration(opts.wait, '--wait') : 0;
  const intervalMs = parseDuration(opts.interval, '--interval');
  // No pause between checks would poll the API as fast as it answers.
  if (intervalMs <= 0) throw new InvalidInputError(`--interval: must be more than 0, got "${opts.interval}"`, { hint: 'e.g. --interval 1s' });
  if (!/^\d+$/.test(String(opts.count)) || Number(opts.count) < 1) {
    throw new InvalidInputError(`--count: "${opts.count}" is not a whole number >= 1`, { hint: 'e.g. --count 3' });
  }
  checkContextFlag(opts, name, 'validate');
  const cs = new ClusterStore(await ctx.openStore(), name);
  const { cluster } = await readSpec(cs, name);

  let kubeconfigYaml: string;
  if (opts.kubeconfig) {
    kubeconfigYaml = await readInputFile('--kubeconfig', opts.kubeconfig, ctx);
  } else {
    const kc = await adminKubeconfig(cs, name, VALIDATE_CREDENTIAL_TTL);
    if (!kc.recorded) ctx.note(`warning: ${name} has no recorded API endpoint (not applied?); trying ${kc.server}`);
    kubeconfigYaml = kc.yaml;
  }

  const { validateCluster, renderValidationTable } = await import('../validate/index.js');
  const { readNodeReports } = await import('../bootstrap/node-status.js');
  const store = cs.store;
  // Nodes report their bootstrap to the state store; a report that cannot be read is a warning, not a failure.
  const readBootstrapReports = () =>
    readNodeReports(store, name).catch((e) => {
      ctx.note(`warning: cannot read the nodes' bootstrap reports: ${e instanceof Error ? e.message : e}`);
      return [];
    });
    const report = await validateCluster(cluster, { kubeconfigYaml, context: opts.context }, { waitMs, count: Number(opts.count), intervalMs, io: ctx.io, signal: ctx.signal, readBootstrapReports });
    printData(ctx, report, { table: () => renderValidationTable(report) });
    if (!report.failures.some((f) => f.type === 'api')) {
      const { servingCertificateWarning } = await import('../validate/certificate-expiry.js');
      const warning = await servingCertificateWarning(kubeconfigYaml, opts.context).catch(() => undefined);
      if (warning) ctx.note(warning);
    }
    if (!report.valid) {
      throw new ClusterInvalidError(`cluster ${name} is not valid: ${report.failures.length} failure(s)`, {
        hint: waitMs ? 'see the failures above' : 'see the failures above; --wait 10m keeps checking while the cluster comes up',
      });
    }
    return 0;
}
