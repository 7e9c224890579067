// Starts a real moto_server (Python moto) on 127.0.0.1 for AWS integration tests, with an AMI list that includes
// a current Canonical Ubuntu image so the provider's real image lookup runs.

import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { freePort, waitFor } from './net.js';

export const CANONICAL_OWNER = '099720109477';
export const UBUNTU_AMI_ID = 'ami-0b1d2c3e4f5a6b7c8';
export const UBUNTU_AMI_NAME = 'ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20261101';

export interface Moto {
  endpoint: string;
  /** Environment for the AWS SDK (and for child k8sup processes). */
  env: Record<string, string>;
  reset(): Promise<void>;
  /** The last few KB moto wrote to stderr (its request log and Python tracebacks), for failure messages. */
  log(): string;
  /** CPU time (user + system, ms) moto_server has used so far (Linux /proc): what the server itself costs a benchmark. */
  cpuMs(): number;
  /** An S3 bucket in us-east-2 (a state store or a cluster's node store), made through the real SDK. */
  createBucket(name: string): Promise<void>;
  stop(): Promise<void>;
}

function motoDefaultAmis(): unknown[] {
  // find_spec locates the package without importing it: `import moto` cost ~0.6 s of CPU per test file.
  const pkgDir = execFileSync('python3', ['-c', 'import importlib.util, os; print(os.path.dirname(importlib.util.find_spec("moto").origin))'], { encoding: 'utf8' }).trim();
  return JSON.parse(gunzipSync(readFileSync(join(pkgDir, 'ec2/resources/amis.json.gz'))).toString('utf8'));
}

function amiFile(dir: string): string {
  const ubuntu = (id: string, name: string) => ({
    ami_id: id,
    state: 'available',
    public: true,
    owner_id: CANONICAL_OWNER,
    image_location: `${CANONICAL_OWNER}/${name}`,
    sriov: 'simple',
    root_device_type: 'ebs',
    root_device_name: '/dev/sda1',
    description: 'Canonical, Ubuntu, 24.04, amd64 noble image',
    image_type: 'machine',
    platform: 'Linux/UNIX',
    architecture: 'x86_64',
    name,
    virtualization_type: 'hvm',
    hypervisor: 'xen',
  });
  const amis = [
    ...motoDefaultAmis(),
    ubuntu('ami-0a0a0a0a0a0a0a0a0', 'ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20260101'),
    ubuntu(UBUNTU_AMI_ID, UBUNTU_AMI_NAME),
  ];
  const path = join(dir, 'amis.json');
  writeFileSync(path, JSON.stringify(amis));
  return path;
}

export async function startMoto(): Promise<Moto> {
  const dir = mkdtempSync(join(tmpdir(), 'k8sup-moto-'));
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], {
    env: { ...process.env, MOTO_AMIS_PATH: amiFile(dir), MOTO_ALLOW_NONEXISTENT_REGION: 'false' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d) => {
    stderr = (stderr + d).slice(-16_000);
  });
  try {
    await waitFor(async () => (await fetch(`${endpoint}/moto-api/`)).ok, { timeoutMs: 30_000, what: 'moto_server' });
  } catch (e) {
    child.kill('SIGKILL');
    throw new Error(`moto_server did not start: ${stderr}`, { cause: e });
  }
  const env = {
    AWS_ENDPOINT_URL: endpoint,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_REGION: 'us-east-2',
    AWS_EC2_METADATA_DISABLED: 'true',
  };
  return {
    endpoint,
    env,
    async reset() {
      await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
    },
    log: () => stderr,
    async createBucket(name) {
      const { S3Client, CreateBucketCommand } = await import('@aws-sdk/client-s3');
      const s3 = new S3Client({ endpoint, region: 'us-east-2', forcePathStyle: true, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
      try {
        await s3.send(new CreateBucketCommand({ Bucket: name, CreateBucketConfiguration: { LocationConstraint: 'us-east-2' } }));
      } finally {
        s3.destroy();
      }
    },
    cpuMs() {
      // Fields 14 and 15 of /proc/PID/stat (after the parenthesised command name): utime and stime in clock ticks (100 Hz).
      const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
      return (Number(fields[11]) + Number(fields[12])) * 10;
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(t);
    },
  };
}

/**
 * moto 5.2 stores the UserData of CreateLaunchTemplateVersion unparsed, so launching from any version after the
 * first fails inside moto (AssertionError in LaunchTemplateVersion.user_data → HTTP 500); real EC2 launches it.
 * moto_server inherits PYTHONPATH, so a sitecustomize module parses it the way CreateLaunchTemplate already does.
 */
export function motoLaunchTemplateVersionFix(): string {
  const dir = mkdtempSync(join(tmpdir(), 'k8sup-moto-fix-'));
  writeFileSync(
    join(dir, 'sitecustomize.py'),
    [
      'from moto.core.types import Base64EncodedString',
      'from moto.ec2.models.launch_templates import LaunchTemplate',
      'from moto.ec2.utils import parse_user_data',
      '_create_version = LaunchTemplate.create_version',
      'def create_version(self, data, description):',
      '    if data.get("UserData") is not None and not isinstance(data["UserData"], Base64EncodedString):',
      '        data["UserData"] = parse_user_data(data["UserData"])',
      '    return _create_version(self, data, description)',
      'LaunchTemplate.create_version = create_version',
      '',
    ].join('\n'),
  );
  return dir;
}
