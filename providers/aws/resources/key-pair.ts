// EC2 key pair imported from spec.ssh.publicKey. AWS reports a fingerprint in a format that depends on the key
// type, so the public key's sha256 is kept in a tag and compared instead (a changed key replaces the pair).

import type { ResourceHandler } from '../../../src/core/resource.js';
import type { AwsClients } from '../clients.js';
import { clusterFilter, isOurs, live, ownedId, tagList, tagMap, tagSpec, tagsEqual, tfName } from './common.js';

const KEY_HASH_TAG = 'k8sup.io/public-key-sha256';

export const keyPairHandler: ResourceHandler<AwsClients> = {
  kind: 'key-pair',
  service: 'ec2',
  immutable: ['keyName', 'publicKeySha256'],
  writeOnly: ['publicKey'],
  async list(ctx) {
    const res = await ctx.clients.ec2.call('DescribeKeyPairs', { Filters: clusterFilter(ctx.cluster) });
    return (res.KeyPairs ?? []).flatMap((k: any) => {
      const tags = tagMap(k.Tags);
      const id = ownedId(tags, ctx, `key pair ${k.KeyName}`);
      if (!id) return [];
      const { [KEY_HASH_TAG]: hash, ...rest } = tags;
      return [live('key-pair', id, k.KeyPairId ?? k.KeyName, { keyName: k.KeyName, publicKeySha256: hash ?? null, tags: rest }, { key_name: k.KeyName, id: k.KeyPairId ?? k.KeyName })];
    });
  },
  async create(_node, f, ctx) {
    const tags = { ...(f.tags as Record<string, string>), [KEY_HASH_TAG]: String(f.publicKeySha256) };
    try {
      const k = await ctx.clients.ec2.call('ImportKeyPair', { KeyName: f.keyName, PublicKeyMaterial: Buffer.from(String(f.publicKey)), TagSpecifications: tagSpec('key-pair', tags) });
      return { cloudId: k.KeyPairId ?? k.KeyName, outputs: { key_name: k.KeyName, id: k.KeyPairId ?? k.KeyName } };
    } catch (err) {
      if ((err as { name?: string }).name !== 'InvalidKeyPair.Duplicate') throw err;
      // Adopt only our own pair with the same key (a retried import); anything else is a real conflict.
      const res = await ctx.clients.ec2.call('DescribeKeyPairs', { KeyNames: [f.keyName] });
      const k = res.KeyPairs?.[0];
      const t = tagMap(k?.Tags);
      if (!k || !isOurs(t, ctx, `key pair ${f.keyName}`) || t[KEY_HASH_TAG] !== f.publicKeySha256) throw err;
      return { cloudId: k.KeyPairId ?? k.KeyName, outputs: { key_name: k.KeyName, id: k.KeyPairId ?? k.KeyName } };
    }
  },
  async update(_node, f, cur, _changes, ctx) {
    await ctx.clients.ec2.call('CreateTags', { Resources: [cur.cloudId], Tags: tagList(f.tags) });
    return { cloudId: cur.cloudId, outputs: cur.outputs };
  },
  async delete(cur, ctx) {
    await ctx.clients.ec2.call('DeleteKeyPair', { KeyName: cur.outputs.key_name });
  },
  equal: (field, d, l) => field === 'tags' && tagsEqual(d, l),
  terraform(node) {
    const f = node.fields;
    return { type: 'aws_key_pair', name: tfName(node.id), body: { key_name: f.keyName, public_key: f.publicKey, tags: f.tags } };
  },
};
