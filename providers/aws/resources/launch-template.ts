// Launch templates. A change creates a new template version and makes it the default; the Auto Scaling group
// follows `$Latest`, so running instances keep their configuration until a rolling update replaces them.

import { isDeepStrictEqual } from 'node:util';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { _InstanceType, LaunchTemplate, LaunchTemplateHttpTokensState, RequestLaunchTemplateData, ResponseLaunchTemplateData, VolumeType, LaunchTemplateInstanceMetadataEndpointState } from '@aws-sdk/client-ec2';
import { isRef, type TerraformBlock } from '../../../src/core/resource.js';
import { terraformExpression } from '../../../src/core/terraform.js';
import { UBUNTU_NAME_PATTERN, UBUNTU_OWNER } from '../model/names.js';
import { placeholder, renderUserData } from '../model/user-data.js';
import { isImageLookup, lookupImage, type ImageLookup } from './image.js';
import { clusterFilter, creating, ec2Retag, paginate, sameSet, tagList, tagMap, tagSpec, tagsEqual, type Ctx, type Tags } from './common.js';
import { defineHandler, defineKind, tfRefExpr } from './define.js';

export interface RootVolume {
  deviceName: string;
  sizeGiB: number;
  volumeType: string;
  encrypted: boolean;
}
export interface MetadataOptions {
  httpEndpoint: string;
  httpTokens: string;
  httpPutResponseHopLimit: number;
}
export interface LaunchTemplateFields {
  name: string;
  /** A pinned AMI, or the lookup resolved at apply time (reported as the lookup while it still yields the same AMI). */
  imageId: string | { lookup: ImageLookup };
  instanceType: string;
  keyName: string | null;
  /** null: no instance profile (the bastion needs no AWS access). */
  iamInstanceProfileArn: string | null;
  securityGroupIds: string[];
  rootVolume: RootVolume;
  metadataOptions: MetadataOptions;
  /** The bootstrap script as a template plus variables (model/user-data.ts); live templates report the script. */
  userData: { template: string; vars: Record<string, string> } | string;
  instanceTags: Tags;
  tags: Tags;
}
export type LaunchTemplateOutputs = { id: string; name: string; latest_version: number };
export const launchTemplate = defineKind<LaunchTemplateFields, LaunchTemplateOutputs>('launch-template', 'aws_launch_template');

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
/** The API's largest page (EC2 caps MaxResults at 200; moto returns only the first page and no token without it). */
const PAGE = 200;

type LiveTemplate = LaunchTemplate & { LaunchTemplateId: string; data?: ResponseLaunchTemplateData; currentImage?: string | null };

async function resolveImage(ctx: Ctx, image: LaunchTemplateFields['imageId']): Promise<string> {
  return isImageLookup(image) ? (await lookupImage(ctx, image.lookup)).ImageId : String(image);
}

const scriptOf = (u: LaunchTemplateFields['userData']) => (typeof u === 'string' ? u : renderUserData(u));

async function launchTemplateData(ctx: Ctx, f: LaunchTemplateFields): Promise<RequestLaunchTemplateData> {
  const tags = tagList(f.instanceTags);
  return {
    ImageId: await resolveImage(ctx, f.imageId),
    // Enumerations of the SDK: the spec's values are checked by the spec rules, EC2 checks them again.
    InstanceType: f.instanceType as _InstanceType,
    ...(f.keyName ? { KeyName: f.keyName } : {}),
    ...(f.iamInstanceProfileArn ? { IamInstanceProfile: { Arn: f.iamInstanceProfileArn } } : {}),
    SecurityGroupIds: f.securityGroupIds,
    BlockDeviceMappings: [
      {
        DeviceName: f.rootVolume.deviceName,
        Ebs: { VolumeSize: f.rootVolume.sizeGiB, VolumeType: f.rootVolume.volumeType as VolumeType, Encrypted: f.rootVolume.encrypted, DeleteOnTermination: true },
      },
    ],
    MetadataOptions: {
      HttpEndpoint: f.metadataOptions.httpEndpoint as LaunchTemplateInstanceMetadataEndpointState,
      HttpTokens: f.metadataOptions.httpTokens as LaunchTemplateHttpTokensState,
      HttpPutResponseHopLimit: f.metadataOptions.httpPutResponseHopLimit,
    },
    UserData: encodeUserData(scriptOf(f.userData)),
    TagSpecifications: [
      { ResourceType: 'instance', Tags: tags },
      { ResourceType: 'volume', Tags: tags },
    ],
  };
}

/** Launch template data → the model's field shape, for the diff. */
export function fieldsFromData(d: ResponseLaunchTemplateData): Omit<LaunchTemplateFields, 'name' | 'tags' | 'rootVolume'> & { rootVolume: RootVolume | null } {
  const root = d.BlockDeviceMappings?.[0];
  const md = d.MetadataOptions ?? {};
  // Some endpoints report `Encrypted` as the string "true".
  const encrypted: unknown = root?.Ebs?.Encrypted;
  return {
    imageId: d.ImageId ?? '',
    instanceType: d.InstanceType ?? '',
    keyName: d.KeyName ?? null,
    iamInstanceProfileArn: d.IamInstanceProfile?.Arn ?? null,
    securityGroupIds: d.SecurityGroupIds ?? [],
    rootVolume: root
      ? { deviceName: root.DeviceName ?? '', sizeGiB: Number(root.Ebs?.VolumeSize), volumeType: root.Ebs?.VolumeType ?? '', encrypted: encrypted === true || encrypted === 'true' }
      : null,
    metadataOptions: { httpEndpoint: md.HttpEndpoint ?? 'enabled', httpTokens: md.HttpTokens ?? 'optional', httpPutResponseHopLimit: Number(md.HttpPutResponseHopLimit ?? 1) },
    userData: d.UserData ? decodeUserData(d.UserData) : '',
    instanceTags: tagMap(d.TagSpecifications?.find((t) => t.ResourceType === 'instance')?.Tags),
  };
}

/**
 * The `$Latest` data of every template in one paginated call (no template id: EC2 then answers for all of the
 * account's templates), so a plan costs the same number of calls for 1 and for 50 node groups (issue 17).
 */
async function latestData(ctx: Ctx, templateIds: readonly string[]): Promise<Map<string, ResponseLaunchTemplateData>> {
  const out = new Map<string, ResponseLaunchTemplateData>();
  if (!templateIds.length) return out;
  const wanted = new Set(templateIds);
  const versions = await paginate(ctx.clients.ec2, 'DescribeLaunchTemplateVersions', { Versions: ['$Latest'], MaxResults: PAGE }, 'LaunchTemplateVersions');
  for (const v of versions) if (v.LaunchTemplateId && wanted.has(v.LaunchTemplateId) && v.LaunchTemplateData) out.set(v.LaunchTemplateId, v.LaunchTemplateData);
  return out;
}

async function newVersion(ctx: Ctx, templateId: string, f: LaunchTemplateFields): Promise<number> {
  const data = await launchTemplateData(ctx, f);
  const res = await creating(`launch template version ${templateId}`, () => ctx.clients.ec2.call('CreateLaunchTemplateVersion', { LaunchTemplateId: templateId, LaunchTemplateData: data }));
  const version = Number(res.LaunchTemplateVersion?.VersionNumber);
  await ctx.clients.ec2.call('ModifyLaunchTemplate', { LaunchTemplateId: templateId, DefaultVersion: String(version) });
  return version;
}

const outputsOf = (t: LiveTemplate): LaunchTemplateOutputs => ({ id: t.LaunchTemplateId, name: t.LaunchTemplateName ?? '', latest_version: Number(t.LatestVersionNumber) });

export const launchTemplateHandler = defineHandler({
  kind: launchTemplate,
  service: 'ec2',
  immutable: ['name'],
  async describe(ctx, id) {
    // The image lookup goes out beside the listing, even when there are no templates yet: it is memoised per
    // connection, so the first create of an apply finds it done instead of making DescribeImages a step of the
    // apply's longest chain (issue 17). A failed lookup is forgotten (image.ts) and fails the create that needs it.
    const image = ctx.clients.settings.imageLookup ? lookupImage(ctx, DEFAULT_IMAGE) : undefined;
    image?.catch(() => undefined);
    const templates = (await paginate(ctx.clients.ec2, 'DescribeLaunchTemplates', { Filters: clusterFilter(ctx.cluster, id), MaxResults: PAGE }, 'LaunchTemplates')).filter(
      (t): t is LiveTemplate => !!t.LaunchTemplateId,
    );
    if (!templates.length) return [];
    const data = await latestData(ctx, templates.map((t) => t.LaunchTemplateId));
    // The image is reported as the lookup when it is what the lookup yields today: a pinned-by-lookup template
    // stays unchanged until Canonical publishes a newer build.
    const currentImage = image ? (await image).ImageId : null;
    return templates.map((t) => ({ ...t, data: data.get(t.LaunchTemplateId), currentImage }));
  },
  tags: (t) => tagMap(t.Tags),
  cloudId: (t) => t.LaunchTemplateId,
  label: (t) => `launch template ${t.LaunchTemplateName} (${t.LaunchTemplateId})`,
  fields(t) {
    const fields = { name: t.LaunchTemplateName, ...fieldsFromData(t.data ?? {}), tags: tagMap(t.Tags) };
    return t.currentImage && fields.imageId === t.currentImage ? { ...fields, imageId: { lookup: DEFAULT_IMAGE } } : fields;
  },
  outputs: outputsOf,
  adopt: {
    duplicate: (err) => /AlreadyExists/.test(String((err as { name?: string })?.name)),
    async find(ctx, f) {
      const res = await ctx.clients.ec2.call('DescribeLaunchTemplates', { LaunchTemplateNames: [f.name] });
      return res.LaunchTemplates?.find((t): t is LiveTemplate => !!t.LaunchTemplateId);
    },
  },
  async create(f, ctx) {
    const data = await launchTemplateData(ctx, f);
    const res = await creating(`create launch template ${f.name}`, () =>
      ctx.clients.ec2.call('CreateLaunchTemplate', { LaunchTemplateName: f.name, LaunchTemplateData: data, TagSpecifications: tagSpec('launch-template', f.tags) }),
    );
    return res.LaunchTemplate as LiveTemplate;
  },
  // A retried create adopts our template and brings it to the desired data. The lost call usually made exactly what
  // we want: a new version only when the latest one differs (a version per retry would grow the template, and moto
  // stores a version's user data so that its Auto Scaling code then fails every CreateAutoScalingGroup).
  async converge(t, f, ctx, adopted) {
    if (!adopted) return undefined;
    const res = await ctx.clients.ec2.call('DescribeLaunchTemplateVersions', { LaunchTemplateId: t.LaunchTemplateId, Versions: ['$Latest'] });
    const latest = res.LaunchTemplateVersions?.[0];
    const desired = (await launchTemplateData(ctx, f)) as ResponseLaunchTemplateData;
    if (latest?.LaunchTemplateData && isDeepStrictEqual(fieldsFromData(latest.LaunchTemplateData), fieldsFromData(desired))) return { ...t, LatestVersionNumber: latest.VersionNumber };
    return { ...t, LatestVersionNumber: await newVersion(ctx, t.LaunchTemplateId, f) };
  },
  async update(cur, f, _changed, ctx) {
    return { latest_version: await newVersion(ctx, cur.cloudId, f) };
  },
  retag: ec2Retag,
  async delete(cur, ctx) {
    await ctx.clients.ec2.call('DeleteLaunchTemplate', { LaunchTemplateId: cur.cloudId });
  },
  equal(field, d, l) {
    if (field === 'instanceTags') return tagsEqual(d, l);
    if (field === 'securityGroupIds') return sameSet(d, l);
    if (field === 'userData' && isUserDataTemplate(d) && typeof l === 'string') return renderUserData(d) === l;
    return false;
  },
  // Plans show the script a node runs, not the template and variables it is built from.
  present: (field, v) => (field === 'userData' && isUserDataTemplate(v) ? renderUserData(v) : v),
  terraform(f, name) {
    const file = `${name}.user-data.sh`;
    const userData = isUserDataTemplate(f.userData) ? f.userData : { template: String(f.userData), vars: {} };
    // user_data = gzip+base64 of the template with each var's placeholder replaced by the referenced attribute.
    let expr = `file("\${path.module}/data/${file}")`;
    for (const [k, v] of Object.entries(userData.vars ?? {})) {
      const value = isRef(v) ? tfRefExpr(v) : JSON.stringify(String(v));
      expr = `replace(${expr}, ${JSON.stringify(placeholder(k))}, ${value})`;
    }
    const tags = Object.fromEntries(tagList(f.instanceTags as Tags).map((t) => [t.Key, t.Value]));
    const lookup = isImageLookup(f.imageId) ? f.imageId.lookup : null;
    const imageBlock: TerraformBlock[] = lookup
      ? [{ type: 'data.aws_ami', name: `${name}_image`, body: { most_recent: true, owners: [lookup.owner], filter: [{ name: 'name', values: [lookup.namePattern] }, { name: 'architecture', values: [lookup.architecture] }] } }]
      : [];
    const root = f.rootVolume;
    const md = f.metadataOptions;
    return {
      files: { [file]: String(userData.template) },
      body: {
        name: f.name,
        image_id: lookup ? terraformExpression(`data.aws_ami.${name}_image.id`) : f.imageId,
        instance_type: f.instanceType,
        ...(f.keyName ? { key_name: f.keyName } : {}),
        ...(f.iamInstanceProfileArn ? { iam_instance_profile: [{ arn: f.iamInstanceProfileArn }] } : {}),
        vpc_security_group_ids: f.securityGroupIds,
        block_device_mappings: [{ device_name: root.deviceName, ebs: [{ volume_size: root.sizeGiB, volume_type: root.volumeType, encrypted: root.encrypted, delete_on_termination: true }] }],
        metadata_options: [{ http_endpoint: md.httpEndpoint, http_tokens: md.httpTokens, http_put_response_hop_limit: md.httpPutResponseHopLimit }],
        user_data: terraformExpression(`base64gzip(${expr})`),
        tag_specifications: [
          { resource_type: 'instance', tags },
          { resource_type: 'volume', tags },
        ],
        tags: f.tags,
      },
      // The template comes first: Refs to this node resolve against the first block.
      extra: imageBlock,
    };
  },
});

function isUserDataTemplate(v: unknown): v is { template: string; vars: Record<string, unknown> } {
  return typeof v === 'object' && v !== null && typeof (v as { template?: unknown }).template === 'string';
}
