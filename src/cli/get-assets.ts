// `get assets NAME`: every file (upstream URL, where nodes fetch it, sha256) and image (upstream, where nodes pull
// it) the cluster needs, so an operator can fill the mirrors of spec.assets (docs/airgap.md).

import { readSpec } from '../lifecycle/spec-store.js';
import { clusterAssets } from '../bootstrap/assets.js';
import { ClusterStore } from '../state/cluster-store.js';
import type { CliContext } from './context.js';
import { printData } from './render/output.js';
import { renderTable } from './render/table.js';

export default async function getAssets(ctx: CliContext, args: string[]): Promise<number> {
  const name = ctx.clusterName(args[0]);
  const store = await ctx.openStore();
  const { cluster } = await readSpec(new ClusterStore(store, name), name);
  const assets = clusterAssets(cluster);
  const headers = !ctx.globals.noHeaders;
  printData(ctx, assets, {
    table: () =>
      [
        renderTable(
          ['FILE', 'ARCH', 'SHA256', 'URL', 'FETCHED FROM'],
          [
            ...assets.files.map((f) => [f.name, f.arch ?? '-', f.sha256 ?? '(not pinned)', f.url, f.fetchedFrom]),
            ...assets.repositories.map((r) => [r.name, '-', '(signed repository)', r.url, r.fetchedFrom]),
          ],
          { headers },
        ),
        renderTable(['IMAGE', 'UPSTREAM', 'PULLED FROM', 'NOTE'], assets.images.map((i) => [i.name, i.image, i.pulledFrom, i.note ?? '']), { headers }),
      ].join('\n'),
  });
  return 0;
}
