// EC2 key pair imported from spec.ssh.publicKey. AWS reports a fingerprint in a format that depends on the key
// type, so the public key's sha256 is kept in a tag and compared instead (a changed key replaces the pair).

import type { KeyPairInfo } from '@aws-sdk/client-ec2';
import { clusterFilter, ec2Retag, errorCode, paginate, tagMap, tagSpec, type Tags } from './common.js';
import { defineHandler, defineKind } from './define.js';

export interface KeyPairFields {
  keyName: string;
  publicKey: string;
  publicKeySha256: string;
  tags: Tags;
}
export type KeyPairOutputs = { key_name: string; id: string };
export const keyPair = defineKind<KeyPairFields, KeyPairOutputs>('key-pair', 'aws_key_pair');

const KEY_HASH_TAG = 'k8sup.io/public-key-sha256';

type LiveKeyPair = KeyPairInfo & { KeyName: string };

export const keyPairHandler = defineHandler({
  kind: keyPair,
  service: 'ec2',
  immutable: ['keyName', 'publicKeySha256'],
  writeOnly: ['publicKey'],
  describe: async (ctx, id) =>
    (await paginate(ctx.clients.ec2, 'DescribeKeyPairs', { Filters: clusterFilter(ctx.cluster, id) }, 'KeyPairs')).filter((k): k is LiveKeyPair => !!k.KeyName),
  tags: (k) => tagMap(k.Tags),
  cloudId: (k) => k.KeyPairId ?? k.KeyName,
  fields(k) {
    const { [KEY_HASH_TAG]: hash, ...tags } = tagMap(k.Tags);
    return { keyName: k.KeyName, publicKeySha256: hash ?? null, tags };
  },
  outputs: (k) => ({ key_name: k.KeyName, id: k.KeyPairId ?? k.KeyName }),
  adopt: {
    duplicate: (err) => errorCode(err) === 'InvalidKeyPair.Duplicate',
    // Adopt only our own pair with the same key (a retried import); anything else is a real conflict.
    async find(ctx, f) {
      const k = (await ctx.clients.ec2.call('DescribeKeyPairs', { KeyNames: [f.keyName] })).KeyPairs?.[0];
      return k?.KeyName && tagMap(k.Tags)[KEY_HASH_TAG] === f.publicKeySha256 ? (k as LiveKeyPair) : undefined;
    },
  },
  async create(f, ctx) {
    const tags = { ...f.tags, [KEY_HASH_TAG]: String(f.publicKeySha256) };
    const k = await ctx.clients.ec2.call('ImportKeyPair', { KeyName: f.keyName, PublicKeyMaterial: Buffer.from(String(f.publicKey)), TagSpecifications: tagSpec('key-pair', tags) });
    return { ...k, KeyName: k.KeyName ?? f.keyName };
  },
  retag: ec2Retag,
  async delete(cur, ctx) {
    await ctx.clients.ec2.call('DeleteKeyPair', { KeyName: String(cur.outputs.key_name) });
  },
  terraform: (f) => ({ body: { key_name: f.keyName, public_key: f.publicKey, tags: f.tags } }),
});
