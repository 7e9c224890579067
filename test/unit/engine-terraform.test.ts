import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { renderTerraform } from '../../src/core/engine.js';
import { escapeTemplate } from '../../src/core/terraform.js';
import type { ResourceNode, TerraformBlock } from '../../src/core/resource.js';
import { exampleGraph, MEMORY_KINDS, MemoryCloud, memoryHandlers } from '../fakes/memory-provider.js';
import { expectGoldenFiles } from '../helpers/golden.js';

const preamble = { terraform: { required_version: '>= 1.5.0' }, provider: { memory: { region: 'local' } } };

function fixture(): ResourceNode[] {
  return [
    ...exampleGraph(),
    // A literal that looks like a template must stay literal; dependsOn must become depends_on.
    { kind: 'task', id: 'templated', fields: { note: 'literal ${not_interpolated} and %{ if x }' }, dependsOn: ['network', 'lb/api'] },
  ];
}

/** The `${…}` expressions in every string of a rendered body, with `$${` escapes skipped and nested braces matched. */
function interpolations(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') {
    for (let i = 0; i < value.length; i++) {
      if (value.startsWith('$${', i)) {
        i += 2;
        continue;
      }
      if (!value.startsWith('${', i)) continue;
      let depth = 0;
      let j = i + 1;
      for (; j < value.length; j++) {
        if (value[j] === '{') depth++;
        else if (value[j] === '}' && --depth === 0) break;
      }
      out.push(value.slice(i + 2, j));
      i = j;
    }
  } else if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) interpolations(v, out);
  }
  return out;
}

describe('terraform target', () => {
  it('renders the fixture graph as Terraform JSON (golden)', async () => {
    const cloud = new MemoryCloud();
    const files = renderTerraform(fixture(), memoryHandlers(), preamble);
    assert.equal(cloud.writes, 0);
    await expectGoldenFiles('test/golden/terraform-fixture', files);
  });

  it('produces valid Terraform JSON syntax whose interpolations all resolve', () => {
    const files = renderTerraform([...fixture()].reverse(), memoryHandlers(), preamble);
    const main = JSON.parse(files['main.tf.json']);
    assert.deepEqual(Object.keys(main), ['terraform', 'provider', 'resource']);
    const declared = new Set(Object.entries(main.resource as Record<string, Record<string, unknown>>).flatMap(([t, byName]) => Object.keys(byName).map((n) => `${t}.${n}`)));
    assert.equal(declared.size, fixture().length);
    // Every interpolation is either a resource attribute or a file() of a rendered data file.
    const expressions = interpolations(main.resource);
    assert.ok(expressions.length > 10);
    for (const expr of expressions) {
      const file = /^file\("\$\{path\.module\}\/(data\/[^"]+)"\)$/.exec(expr);
      if (expr.startsWith('file(')) {
        assert.ok(file && files[file[1]] !== undefined, `file reference ${expr} has a data file`);
      } else {
        const [type, name, attr] = expr.split('.');
        assert.ok(declared.has(`${type}.${name}`) && attr, `interpolation ${expr} refers to a declared resource`);
      }
    }
    // Refs map through terraformOutputs (networkId → id) and otherwise keep the output name (cidr).
    const fw = main.resource.memory_firewall.firewall_nodes;
    assert.equal(fw.networkId, '${memory_network.network.id}');
    assert.equal(fw.rules[0].from, '${memory_network.network.cidr}');
    const lb = main.resource.memory_load_balancer.lb_api;
    assert.equal(lb.listeners[0].targets[0].instanceId, '${memory_instance.instance_control_plane_0.id}');
    assert.deepEqual(main.resource.memory_task.templated.depends_on, ['memory_load_balancer.lb_api', 'memory_network.network']);
    assert.equal(main.resource.memory_task.templated.note, 'literal $${not_interpolated} and %%{ if x }');
    // Large values went to data/ and are read back verbatim (no escaping inside files).
    const userData = main.resource.memory_instance['instance_worker_0'].userData;
    assert.equal(userData, '${file("${path.module}/data/instance_worker_0.userData.txt")}');
    assert.match(files['data/instance_worker_0.userData.txt'], /echo "joining as \$\{NODE_ROLE\}"/);
  });

  it('renders the same output whatever order the nodes come in', () => {
    assert.deepEqual(renderTerraform([...fixture()].reverse(), memoryHandlers(), preamble), renderTerraform(fixture(), memoryHandlers(), preamble));
  });

  it('refuses kinds without terraform support, naming them', () => {
    const handlers = memoryHandlers().map((h) => (h.kind === 'dnsRecord' ? { ...h, terraform: undefined } : h));
    assert.throws(() => renderTerraform(fixture(), handlers, preamble), /does not support resource kind\(s\): dnsRecord/);
  });

  it('escapes template sequences in literals', () => {
    assert.equal(escapeTemplate('a ${b} %{c} $d'), 'a $${b} %%{c} $d');
  });
});

describe('terraform target with the real terraform binary', () => {
  const terraform = ['/usr/local/bin/terraform', '/usr/bin/terraform'].find((p) => existsSync(p));

  it('validates and plans (offline, built-in terraform_data resources)', { skip: terraform ? false : 'terraform not installed', timeout: 60_000 }, async () => {
    // Same graph, rendered as terraform_data blocks (built into Terraform: no provider download) so that
    // Terraform itself checks the syntax, the interpolations, the escapes and the file() references.
    const handlers = memoryHandlers().map((h) => {
      const outputsOf = MEMORY_KINDS.find((k) => k.kind === h.kind)!.outputs('x-000001', {});
      return {
        ...h,
        terraformOutputs: Object.fromEntries(Object.keys(outputsOf).map((o) => [o, 'id'])),
        terraform: (node: ResourceNode) => {
          const block = h.terraform!(node) as TerraformBlock;
          return { type: 'terraform_data', name: block.name, body: { input: block.body }, files: block.files };
        },
      };
    });
    const dir = await mkdtemp(join(tmpdir(), 'k8sup-tf-'));
    try {
      const files = renderTerraform(fixture(), handlers, { terraform: { required_version: '>= 1.5.0' } });
      for (const [name, content] of Object.entries(files)) {
        await mkdir(dirname(join(dir, name)), { recursive: true });
        await writeFile(join(dir, name), content);
      }
      const env = { ...process.env, TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1', TF_CLI_CONFIG_FILE: '/dev/null', HOME: dir };
      const run = (...args: string[]) => execFileSync(terraform!, [`-chdir=${dir}`, ...args], { env, encoding: 'utf8', timeout: 45_000, stdio: ['ignore', 'pipe', 'pipe'] });
      run('init', '-backend=false', '-input=false', '-no-color');
      const validation = JSON.parse(run('validate', '-json', '-no-color'));
      assert.equal(validation.valid, true, JSON.stringify(validation.diagnostics));
      run('plan', '-input=false', '-no-color', '-lock=false', '-out=tfplan');
      const planned = JSON.parse(run('show', '-json', 'tfplan'));
      const changes = planned.resource_changes as { address: string; change: { after: { input: Record<string, unknown> } } }[];
      assert.equal(changes.length, fixture().length);
      const byAddress = new Map(changes.map((c) => [c.address, c.change.after.input]));
      // The escaped literal comes out literal, and the file() contents are read back verbatim.
      assert.equal(byAddress.get('terraform_data.templated')!.note, 'literal ${not_interpolated} and %{ if x }');
      assert.equal(byAddress.get('terraform_data.instance_worker_0')!.userData, files['data/instance_worker_0.userData.txt']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
