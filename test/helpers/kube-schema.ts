// Checks Kubernetes objects against the API schema of a Kubernetes minor, offline, with two published packages
// (devDependencies: the check runs in tests only). Both are generated from the Kubernetes OpenAPI spec:
//
// - fields: the official JavaScript client (@kubernetes/client-node), whose models list every field of every type
//   of the OpenAPI spec it was generated from (1.3.0 from v1.33.0, 1.4.0 from v1.34.0; installed under the aliases
//   k8s-models-1.33 and k8s-models-1.34). An unknown field anywhere in the object is an error, as it is for
//   `kubectl apply --validate=strict` and server-side apply.
// - values: kubernetes-models 4.5.1 (the OpenAPI spec of v1.33.0, compiled to JSON-schema validators): required
//   fields, value types, enums and formats. Its 5.x line (v1.36.0) needs Node 22; k8sup supports Node 20.
//
// No package on the npm registry carries the OpenAPI spec of 1.35 and runs on Node 20 (@kubernetes/client-node 2.x
// is generated from release-1.36 and needs Node 22): 1.35 is checked against the 1.34 field set, so a field new in
// 1.35 would be refused, never let through (docs/addons.md "How manifests are checked").
//
// kubeadm, kubelet, kube-proxy, audit and encryption configuration are not API objects: they are not in the OpenAPI
// spec, so only their apiVersion and kind are checked (CONFIG_KINDS).

interface AttributeType {
  baseName: string;
  type: string;
}
interface Model {
  getAttributeTypeMap(): AttributeType[];
}
type Models = Record<string, unknown>;

export interface SchemaSource {
  /** The Kubernetes version whose OpenAPI spec the field set comes from. */
  fields: string;
  /** The Kubernetes version whose OpenAPI spec the value checks (required, types, enums) come from. */
  values: string;
  /** The client release generated from `fields` (a devDependency alias of @kubernetes/client-node). */
  modelsPackage: string;
}

/** Which published schema checks each supported minor (a new minor in src/api/version.ts needs a row here). */
export const SCHEMA_OF_MINOR: Readonly<Record<number, SchemaSource>> = {
  33: { fields: '1.33.0', values: '1.33.0', modelsPackage: 'k8s-models-1.33' },
  34: { fields: '1.34.0', values: '1.33.0', modelsPackage: 'k8s-models-1.34' },
  35: { fields: '1.34.0', values: '1.33.0', modelsPackage: 'k8s-models-1.34' },
};

const loadedModels = new Map<string, Promise<Models>>();

/**
 * The client's model classes, loaded on first use (about a second each). Imported by a computed name so that tsc does
 * not read the thousands of declaration files of each release.
 */
function modelsOf(source: SchemaSource): Promise<Models> {
  let models = loadedModels.get(source.modelsPackage);
  if (!models) {
    const specifier = `${source.modelsPackage}/dist/gen/models/all.js`;
    models = import(specifier) as Promise<Models>;
    loadedModels.set(source.modelsPackage, models);
  }
  return models;
}

/** Configuration files k8sup writes that look like API objects but are not served by the API (no OpenAPI schema). */
export const CONFIG_KINDS: Readonly<Record<string, readonly string[]>> = {
  'kubeadm.k8s.io/v1beta4': ['InitConfiguration', 'ClusterConfiguration', 'JoinConfiguration'],
  'kubelet.config.k8s.io/v1beta1': ['KubeletConfiguration'],
  'kubelet.config.k8s.io/v1': ['CredentialProviderConfig'],
  'kubeproxy.config.k8s.io/v1alpha1': ['KubeProxyConfiguration'],
  'audit.k8s.io/v1': ['Policy'],
  'apiserver.config.k8s.io/v1': ['EncryptionConfiguration'],
};

export function isConfigKind(apiVersion: unknown, kind: unknown): boolean {
  return typeof apiVersion === 'string' && typeof kind === 'string' && (CONFIG_KINDS[apiVersion] ?? []).includes(kind);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

const pascal = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

/**
 * The client's model of a top-level object: `V1Deployment` for apps/v1 Deployment (the client's own naming, see its
 * getSerializationType), or the group-prefixed name where two groups share a kind (`EventsV1Event`).
 */
function modelName(models: Models, apiVersion: string, kind: string): string | undefined {
  const { group, version } = splitApiVersion(apiVersion);
  const groupPrefix = (group.split('.')[0] ?? '').replace(/^./, (c) => c.toUpperCase());
  const candidates = [`${groupPrefix || 'Core'}${pascal(version)}${kind}`, `${pascal(version)}${kind}`];
  return candidates.find((name) => isModel(models[name]));
}

function isModel(value: unknown): value is Model {
  return typeof value === 'function' && typeof (value as Partial<Model>).getAttributeTypeMap === 'function';
}

/** Unknown fields and wrong shapes (object, list, map) against the client's models, depth first. */
function fieldErrors(models: Models, value: unknown, type: string, path: string, errors: string[]): void {
  const list = /^Array<(.+)>$/.exec(type);
  if (list) {
    if (!Array.isArray(value)) return void errors.push(`${path}: must be a list`);
    value.forEach((item, i) => fieldErrors(models, item, list[1], `${path}[${i}]`, errors));
    return;
  }
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map) {
    if (!isRecord(value)) return void errors.push(`${path}: must be a map`);
    for (const [key, item] of Object.entries(value)) fieldErrors(models, item, map[1], `${path}.${key}`, errors);
    return;
  }
  const model = models[type];
  // Scalars (string, number, boolean, Date, IntOrString) and free-form fields (any, object): their values are checked
  // by the value schema.
  if (!isModel(model)) return;
  if (!isRecord(value)) return void errors.push(`${path}: must be an object (${type})`);
  const attributes = new Map(model.getAttributeTypeMap().map((a) => [a.baseName, a.type]));
  for (const [key, item] of Object.entries(value)) {
    const attributeType = attributes.get(key);
    if (attributeType === undefined) errors.push(`${path}.${key}: unknown field`);
    else fieldErrors(models, item, attributeType, `${path}.${key}`, errors);
  }
}

interface ValueModel {
  new (data: unknown): { validate(): void };
}
interface AjvError {
  instancePath: string;
  message?: string;
}

/** kubernetes-models' class for apiVersion/kind (`kubernetes-models/apps/v1` Deployment), or null. */
async function valueModel(apiVersion: string, kind: string): Promise<ValueModel | null> {
  const { group, version } = splitApiVersion(apiVersion);
  if (!/^[a-z0-9.-]*$/.test(group) || !/^v\d+((alpha|beta)\d+)?$/.test(version)) return null;
  try {
    const mod = (await import(`kubernetes-models/${group ? `${group}/` : ''}${version}`)) as Record<string, unknown>;
    const cls = mod[kind];
    return typeof cls === 'function' ? (cls as ValueModel) : null;
  } catch {
    return null;
  }
}

/** A JSON pointer (/spec/containers/0/name) as the field layer writes paths (.spec.containers[0].name). */
function fieldPath(pointer: string): string {
  const segments = pointer.split('/').slice(1).map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
  return segments.map((s) => (/^\d+$/.test(s) ? `[${s}]` : `.${s}`)).join('') || '.';
}

function valueErrors(cls: ValueModel, object: Record<string, unknown>): string[] {
  try {
    new cls(structuredClone(object)).validate();
    return [];
  } catch (e) {
    const ajvErrors = (e as { errors?: AjvError[] }).errors;
    if (!Array.isArray(ajvErrors)) return [String(e)];
    return ajvErrors.map((err) => `${fieldPath(err.instancePath)}: ${err.message ?? 'invalid'}`);
  }
}

/**
 * Every problem of one object against the schema of Kubernetes 1.<minor> ([] when it is valid). An object whose
 * apiVersion/kind the API does not serve is a problem too, unless it is one of the configuration kinds or a custom
 * resource of one of `customResources` (its CRD's schema, customResourceSchemas()).
 */
export async function schemaErrors(object: unknown, minor: number, customResources: CustomResourceSchemas = new Map()): Promise<string[]> {
  const source = SCHEMA_OF_MINOR[minor];
  if (!source) return [`no schema pinned for Kubernetes 1.${minor}`];
  if (!isRecord(object)) return ['not an object'];
  const { apiVersion, kind } = object;
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') return ['apiVersion and kind must be strings'];
  if (isConfigKind(apiVersion, kind)) return [];
  const models = await modelsOf(source);
  const custom = customResources.get(crdKey(apiVersion, kind));
  if (custom) return customResourceErrors(models, object, custom);
  const name = modelName(models, apiVersion, kind);
  const cls = await valueModel(apiVersion, kind);
  if (name === undefined || cls === null) return [`${apiVersion} ${kind} is not in the Kubernetes ${source.fields} OpenAPI spec`];
  const errors: string[] = [];
  fieldErrors(models, object, name, '', errors);
  errors.push(...valueErrors(cls, object));
  return errors;
}

/** A tag that is a release version (v0.7.2, 3.10.1, v1.33.0-eksbuild.1), never latest, a branch or nothing. */
const VERSION_TAG = /^v?\d+\.\d+(\.\d+){0,2}([-+][0-9A-Za-z][0-9A-Za-z.-]*)?$/;
const SHA256_DIGEST = /^sha256:[0-9a-f]{64}$/;

/** Why an image reference floats (null when it is pinned): a version tag, and a sha256 digest if any. */
export function floatingImageProblem(image: string): string | null {
  const at = image.indexOf('@');
  const name = at < 0 ? image : image.slice(0, at);
  const digest = at < 0 ? null : image.slice(at + 1);
  if (digest !== null && !SHA256_DIGEST.test(digest)) return `${image}: the digest must be sha256:<64 hex digits>`;
  const lastSlash = name.lastIndexOf('/');
  const colon = name.indexOf(':', lastSlash + 1);
  if (colon < 0) return `${image}: no tag (floats to latest)`;
  const tag = name.slice(colon + 1);
  if (!VERSION_TAG.test(tag)) return `${image}: tag "${tag}" is not a release version`;
  return null;
}

/** Every container image in an object: containers, initContainers and ephemeralContainers at any depth. */
export function imagesIn(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(imagesIn);
  if (!isRecord(value)) return [];
  const own = ['containers', 'initContainers', 'ephemeralContainers'].flatMap((key) => {
    const list = value[key];
    return Array.isArray(list) ? list.filter(isRecord).map((c) => c.image).filter((i): i is string => typeof i === 'string') : [];
  });
  return [...own, ...Object.values(value).flatMap(imagesIn)];
}

/**
 * Custom resources (a VolumeSnapshotClass) are in no OpenAPI spec of Kubernetes: the API server checks them against
 * the openAPIV3Schema of their CRD. customResourceSchemas() takes the CRDs k8sup ships (the rendered manifests), and
 * schemaErrors() then checks an object of a kind one of them serves against that schema with ajv (a maintained
 * JSON-schema validator, devDependency), as strictly as the API server's server-side apply: an unknown field is an
 * error (strict field validation), not pruned away; the object's metadata is checked against ObjectMeta.
 */
export type CustomResourceSchemas = ReadonlyMap<string, Record<string, unknown>>;

const crdKey = (apiVersion: string, kind: string) => `${apiVersion} ${kind}`;

/** The served versions of every CustomResourceDefinition among `objects`, by `<group>/<version> <Kind>`. */
export function customResourceSchemas(objects: readonly unknown[]): CustomResourceSchemas {
  const schemas = new Map<string, Record<string, unknown>>();
  for (const crd of objects) {
    if (!isRecord(crd) || crd.apiVersion !== 'apiextensions.k8s.io/v1' || crd.kind !== 'CustomResourceDefinition') continue;
    const spec = crd.spec as { group: string; names: { kind: string }; versions: { name: string; served: boolean; schema?: { openAPIV3Schema?: Record<string, unknown> } }[] };
    for (const v of spec.versions) {
      const schema = v.schema?.openAPIV3Schema;
      if (v.served && schema) schemas.set(crdKey(`${spec.group}/${v.name}`, spec.names.kind), schema);
    }
  }
  return schemas;
}

/**
 * The CRD schema as a JSON schema ajv enforces like the API server: objects that list their properties take no other
 * (unless x-kubernetes-preserve-unknown-fields), int-or-string fields take both, and the root's metadata is left to
 * the ObjectMeta check. The x-kubernetes-* keywords are otherwise annotations (ajv's strict mode is off for them).
 */
function enforcedSchema(schema: unknown, root = true): unknown {
  if (Array.isArray(schema)) return schema.map((s) => enforcedSchema(s, false));
  if (!isRecord(schema)) return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'properties' && isRecord(value)) {
      out.properties = Object.fromEntries(Object.entries(value).map(([name, s]) => [name, root && name === 'metadata' ? {} : enforcedSchema(s, false)]));
    } else out[key] = ['items', 'additionalProperties', 'allOf', 'anyOf', 'oneOf', 'not'].includes(key) ? enforcedSchema(value, false) : value;
  }
  if (schema['x-kubernetes-int-or-string'] === true) delete out.type;
  if (isRecord(schema.properties) && schema.additionalProperties === undefined && schema['x-kubernetes-preserve-unknown-fields'] !== true) out.additionalProperties = false;
  return out;
}

let ajvInstance: import('ajv').Ajv | undefined;

async function customResourceErrors(models: Models, object: Record<string, unknown>, schema: Record<string, unknown>): Promise<string[]> {
  if (!ajvInstance) {
    const { Ajv } = await import('ajv');
    ajvInstance = new Ajv({ allErrors: true, strict: false, validateFormats: false });
  }
  const validate = ajvInstance.compile(enforcedSchema(schema) as object);
  const errors: string[] = [];
  if (!validate(object)) {
    for (const e of validate.errors ?? []) {
      const extra = (e.params as { additionalProperty?: string }).additionalProperty;
      errors.push(extra ? `${fieldPath(e.instancePath)}.${extra}: unknown field`.replace(/^\.\./, '.') : `${fieldPath(e.instancePath)}: ${e.message ?? 'invalid'}`);
    }
  }
  if (!isRecord(object.metadata)) errors.push('.metadata: must be an object (V1ObjectMeta)');
  else fieldErrors(models, object.metadata, 'V1ObjectMeta', '.metadata', errors);
  return errors;
}
