// Launch templates. A change creates a new template version and makes it the default; the Auto Scaling group
// follows `$Latest`, so running instances keep their configuration until a rolling update replaces them.

import { isDeepStrictEqual } from 'node:util';
import { gunzipSync, gzipSync } from 'node:zlib';
import { isRef, type ResourceHandler, type TerraformBlock } from '../../../src/core/resource.js';
import { terraformExpression } from '../../../src/core/terraform.js';
import type { AwsClients } from '../clients.js';
import { UBUNTU_NAME_PATTERN, UBUNTU_OWNER } from '../model/names.js';
import { placeholder, renderUserData } from '../model/user-data.js';
import { isImageLookup, lookupImage, type ImageLookup } from './image.js';
import { clusterFilter, creating, isOurs, live, ownedId, sameSet, tagList, tagMap, tagSpec, tagsEqual, tfName, tfRefExpr, type Ctx } from './common.js';

/** EC2 limit on raw user data. */
export const USER_DATA_LIMIT = 16 * 1024;

/**
 * Gzipped, then base64: the bootstrap script is larger than EC2's 16 KB user-data limit, and cloud-init unpacks
 * gzip content by itself. Node's gzip output is deterministic (mtime 0), but the diff compares decoded text anyway.
 */
export function encodeUserData(script: string): string {
  const packed = gzipSync(Buffer.from(script, 'utf8'), { level: 9 });
  if (packed.length > USER_DATA_LIMIT) throw new Error(`user data is ${packed.length} bytes gzipped, over EC2's ${USER_DATA_LIMIT}-byte limit`);
  return packed.toString('base64');
}

export function decodeUserData(b64: string): string {
  const raw = Buffer.from(b64, 'base64');
  return raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw).toString('utf8') : raw.toString('utf8');
}

const DEFAULT_IMAGE: ImageLookup = { owner: UBUNTU_OWNER, namePattern: UBUNTU_NAME_PATTERN, architecture: 'x86_64' };

async function resolveImage(ctx: Ctx, image: unknown): Promise<string> {
  return isImageLookup(image) ? (await lookupImage(ctx, image.lookup)).ImageId : String(image);
}

async function launchTemplateData(ctx: Ctx, f: Record<string, any>) {
  const tags = tagList(f.instanceTags);
  return {
    ImageId: await resolveImage(ctx, f.imageId),
    InstanceType: f.instanceType,
    ...(f.keyName ? { KeyName: f.keyName } : {}),
    IamInstanceProfile: { Arn: f.iamInstanceProfileArn },
    SecurityGroupIds: f.securityGroupIds,
    BlockDeviceMappings: [
      {
        DeviceName: f.rootVolume.deviceName,
        Ebs: { VolumeSize: f.rootVolume.sizeGiB, VolumeType: f.rootVolume.volumeType, Encrypted: f.rootVolume.encrypted, DeleteOnTermination: true },
      },
    ],
    MetadataOptions: { HttpEndpoint: f.metadataOptions.httpEndpoint, HttpTokens: f.metadataOptions.httpTokens, HttpPutResponseHopLimit: f.metadataOptions.httpPutResponseHopLimit },
    UserData: encodeUserData(renderUserData(f.userData)),
    TagSpecifications: [
      { ResourceType: 'instance', Tags: tags },
      { ResourceType: 'volume', Tags: tags },
    ],
  };
}

/** Launch template data → the model's field shape, for the diff. */
export function fieldsFromData(d: any): Record<string, unknown> {
  const root = d.BlockDeviceMappings?.[0];
  const md = d.MetadataOptions ?? {};
  return {
    imageId: d.ImageId,
    instanceType: d.InstanceType,
    keyName: d.KeyName ?? null,
    iamInstanceProfileArn: d.IamInstanceProfile?.Arn ?? null,
    securityGroupIds: d.SecurityGroupIds ?? [],
    rootVolume: root
      ? { deviceName: root.DeviceName, sizeGiB: Number(root.Ebs?.VolumeSize), volumeType: root.Ebs?.VolumeType, encrypted: root.Ebs?.Encrypted === true || root.Ebs?.Encrypted === 'true' }
      : null,
    metadataOptions: { httpEndpoint: md.HttpEndpoint ?? 'enabled', httpTokens: md.HttpTokens ?? 'optional', httpPutResponseHopLimit: Number(md.HttpPutResponseHopLimit ?? 1) },
    userData: d.UserData ? decodeUserData(d.UserData) : '',
    instanceTags: tagMap(d.TagSpecifications?.find((t: any) => t.ResourceType === 'instance')?.Tags),
  };
}

async function latestData(ctx: Ctx, templateId: string) {
  const res = await ctx.clients.ec2.call('DescribeLaunchTemplateVersions', { LaunchTemplateId: templateId, Versions: ['$Latest'] });
  return res.LaunchTemplateVersions?.[0];
}

async function newVersion(ctx: Ctx, templateId: string, f: Record<string, any>) {
  const data = await launchTemplateData(ctx, f);
  const v = (await creating(`launch template version ${templateId}`, () => ctx.clients.ec2.call('CreateLaunchTemplateVersion', { LaunchTemplateId: templateId, LaunchTemplateData: data })))
    .LaunchTemplateVersion;
  await ctx.clients.ec2.call('ModifyLaunchTemplate', { LaunchTemplateId: templateId, DefaultVersion: String(v.VersionNumber) });
  return v.VersionNumber as number;
}

export const launchTemplateHandler: ResourceHandler<AwsClients> = {
  kind: 'launch-template',
  service: 'ec2',
  immutable: ['name'],
  async list(ctx) {
    const res = await ctx.clients.ec2.call('DescribeLaunchTemplates', { Filters: clusterFilter(ctx.cluster) });
    const out = [];
    // The image is reported as the lookup when it is what the lookup yields today: a pinned-by-lookup template
    // stays unchanged until Canonical publishes a newer build.
    const current = ctx.clients.settings.imageLookup && (res.LaunchTemplates ?? []).length ? (await lookupImage(ctx, DEFAULT_IMAGE)).ImageId : null;
    for (const t of res.LaunchTemplates ?? []) {
      const tags = tagMap(t.Tags);
      const id = ownedId(tags, ctx, `launch template ${t.LaunchTemplateName} (${t.LaunchTemplateId})`);
      if (!id) continue;
      const v = await latestData(ctx, t.LaunchTemplateId);
      const fields: Record<string, unknown> = { name: t.LaunchTemplateName, ...fieldsFromData(v?.LaunchTemplateData ?? {}), tags };
      if (current && fields.imageId === current) fields.imageId = { lookup: DEFAULT_IMAGE };
      out.push(live('launch-template', id, t.LaunchTemplateId, fields, { id: t.LaunchTemplateId, name: t.LaunchTemplateName, latest_version: t.LatestVersionNumber }));
    }
    return out;
  },
  async create(_node, f, ctx) {
    const data = await launchTemplateData(ctx, f);
    try {
      const t = (
        await creating(`create launch template ${f.name}`, () =>
          ctx.clients.ec2.call('CreateLaunchTemplate', { LaunchTemplateName: f.name, LaunchTemplateData: data, TagSpecifications: tagSpec('launch-template', f.tags) }),
        )
      ).LaunchTemplate;
      return { cloudId: t.LaunchTemplateId, outputs: { id: t.LaunchTemplateId, name: t.LaunchTemplateName, latest_version: t.LatestVersionNumber } };
    } catch (err) {
      if (!/AlreadyExists/.test(String((err as { name?: string }).name))) throw err;
      // Retried create: adopt our template (same cluster tag) and bring it to the desired data.
      const res = await ctx.clients.ec2.call('DescribeLaunchTemplates', { LaunchTemplateNames: [f.name] });
      const t = res.LaunchTemplates?.[0];
      if (!t || !isOurs(tagMap(t.Tags), ctx, `launch template ${f.name} (${t.LaunchTemplateId})`)) throw err;
      // The lost call usually made exactly what we want: a new version only when the latest one differs (a version
      // per retry would grow the template and read as a change to rolling-update).
      const latest = await latestData(ctx, t.LaunchTemplateId);
      const same = latest && isDeepStrictEqual(fieldsFromData(latest.LaunchTemplateData ?? {}), fieldsFromData(data));
      const version = same ? Number(latest.VersionNumber) : await newVersion(ctx, t.LaunchTemplateId, f);
      return { cloudId: t.LaunchTemplateId, outputs: { id: t.LaunchTemplateId, name: t.LaunchTemplateName, latest_version: version } };
    }
  },
  async update(_node, f, cur, changes, ctx) {
    let version = cur.outputs.latest_version;
    if (changes.some((c) => c.field !== 'tags')) version = await newVersion(ctx, cur.cloudId, f);
    if (changes.some((c) => c.field === 'tags')) await ctx.clients.ec2.call('CreateTags', { Resources: [cur.cloudId], Tags: tagList(f.tags) });
    return { cloudId: cur.cloudId, outputs: { ...cur.outputs, latest_version: version } };
  },
  async delete(cur, ctx) {
    await ctx.clients.ec2.call('DeleteLaunchTemplate', { LaunchTemplateId: cur.cloudId });
  },
  equal(field, d, l) {
    if (field === 'tags' || field === 'instanceTags') return tagsEqual(d, l);
    if (field === 'securityGroupIds') return sameSet(d, l);
    if (field === 'userData' && d && typeof d === 'object' && typeof l === 'string') return renderUserData(d as any) === l;
    return false;
  },
  // Plans show the script a node runs, not the template and variables it is built from.
  present: (field, v) => (field === 'userData' && v && typeof v === 'object' ? renderUserData(v as any) : v),
  terraform(node) {
    const f = node.fields as Record<string, any>;
    const name = tfName(node.id);
    const file = `${name}.user-data.sh`;
    // user_data = gzip+base64 of the template with each var's placeholder replaced by the referenced attribute.
    let expr = `file("\${path.module}/data/${file}")`;
    for (const [k, v] of Object.entries(f.userData.vars ?? {})) {
      const value = isRef(v) ? tfRefExpr(v) : JSON.stringify(String(v));
      expr = `replace(${expr}, ${JSON.stringify(placeholder(k))}, ${value})`;
    }
    const tags = tagList(f.instanceTags);
    const lookup = isImageLookup(f.imageId) ? f.imageId.lookup : null;
    const imageBlock: TerraformBlock[] = lookup
      ? [{ type: 'data.aws_ami', name: `${name}_image`, body: { most_recent: true, owners: [lookup.owner], filter: [{ name: 'name', values: [lookup.namePattern] }, { name: 'architecture', values: [lookup.architecture] }] } }]
      : [];
    const template: TerraformBlock = {
      type: 'aws_launch_template',
      name,
      files: { [file]: f.userData.template },
      body: {
        name: f.name,
        image_id: lookup ? terraformExpression(`data.aws_ami.${name}_image.id`) : f.imageId,
        instance_type: f.instanceType,
        ...(f.keyName ? { key_name: f.keyName } : {}),
        iam_instance_profile: [{ arn: f.iamInstanceProfileArn }],
        vpc_security_group_ids: f.securityGroupIds,
        block_device_mappings: [{ device_name: f.rootVolume.deviceName, ebs: [{ volume_size: f.rootVolume.sizeGiB, volume_type: f.rootVolume.volumeType, encrypted: f.rootVolume.encrypted, delete_on_termination: true }] }],
        metadata_options: [{ http_endpoint: f.metadataOptions.httpEndpoint, http_tokens: f.metadataOptions.httpTokens, http_put_response_hop_limit: f.metadataOptions.httpPutResponseHopLimit }],
        user_data: terraformExpression(`base64gzip(${expr})`),
        tag_specifications: [
          { resource_type: 'instance', tags: Object.fromEntries(tags.map((t) => [t.Key, t.Value])) },
          { resource_type: 'volume', tags: Object.fromEntries(tags.map((t) => [t.Key, t.Value])) },
        ],
        tags: f.tags,
      },
    };
    // The template comes first: Refs to this node resolve against the first block.
    return [template, ...imageBlock];
  },
};
