import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { InvalidInputError } from '../../src/core/errors.js';
import { FileBlobStore } from '../../src/state/file.js';
import { openBlobStore, parseStateUrl } from '../../src/state/open.js';
import { S3BlobStore, s3ClientConfig } from '../../src/state/s3.js';

const home = mkdtempSync(join(tmpdir(), 'k8sup-home-'));
after(() => rmSync(home, { recursive: true, force: true }));

function filePath(url: string): string {
  const location = parseStateUrl(url, '/h');
  assert.equal(location.scheme, 'file');
  return location.scheme === 'file' ? location.path : '';
}

describe('parseStateUrl', () => {
  it('defaults to file://$HOME/.k8sup/state', () => {
    assert.deepEqual(parseStateUrl(undefined, '/home/ann'), { scheme: 'file', url: 'file:///home/ann/.k8sup/state', path: '/home/ann/.k8sup/state' });
    assert.equal(parseStateUrl('  ', '/home/ann').url, 'file:///home/ann/.k8sup/state');
  });

  it('accepts absolute file URLs, normalising them', () => {
    assert.deepEqual(parseStateUrl('file:///var/lib/k8sup/', '/h'), { scheme: 'file', url: 'file:///var/lib/k8sup', path: '/var/lib/k8sup' });
    assert.equal(filePath('file://localhost/srv/state'), '/srv/state');
    assert.equal(filePath('file:///srv/my%20state'), '/srv/my state');
    assert.equal(filePath('file:///srv/a/../b'), '/srv/b');
  });

  it('accepts s3:// and gs:// with optional prefixes', () => {
    assert.deepEqual(parseStateUrl('s3://my-bucket', '/h'), { scheme: 's3', url: 's3://my-bucket', bucket: 'my-bucket', prefix: '' });
    assert.deepEqual(parseStateUrl('s3://my.bucket.1/teams/infra/', '/h'), {
      scheme: 's3', url: 's3://my.bucket.1/teams/infra', bucket: 'my.bucket.1', prefix: 'teams/infra',
    });
    assert.deepEqual(parseStateUrl('gs://gcs_bucket/p', '/h'), { scheme: 'gs', url: 'gs://gcs_bucket/p', bucket: 'gcs_bucket', prefix: 'p' });
  });

  const rejected: [string, RegExp][] = [
    ['http://example.com/state', /unsupported state store URL scheme "http:"/],
    ['ftp://x', /unsupported/],
    ['relative/path', /no scheme/],
    ['/abs/path', /no scheme.*did you mean file:\/\/\/abs\/path/],
    ['file://relative/path', /not an absolute file URL/],
    ['file:relative', /not an absolute file URL/],
    ['file:///', /absolute folder other than \//],
    ['file:///srv/state?y=1', /has a query \(\?…\), which a file store cannot use/],
    ['file:///srv/state#x', /has a fragment \(#…\), which a file store cannot use/],
    ['file://localhost/srv/state?', /has a query/],
    ['s3://', /invalid bucket name ""/],
    ['s3://My_Bucket', /invalid bucket name "My_Bucket"/],
    ['s3://ab', /invalid bucket name "ab"/],
    ['s3://192.168.1.1', /invalid bucket name/],
    ['s3://a..b', /invalid bucket name/],
    ['s3://bucket/../x', /invalid prefix segment "\.\."/],
    ['gs://-bad', /invalid bucket name/],
  ];
  for (const [url, message] of rejected) {
    it(`rejects ${url} with exit 2 and a hint listing the accepted forms`, () => {
      assert.throws(
        () => parseStateUrl(url, '/h'),
        (e: unknown) => {
          assert.ok(e instanceof InvalidInputError);
          assert.equal(e.exitCode, 2);
          assert.match(e.message, message);
          assert.match(e.hint ?? '', /file:\/\/\/absolute\/path, s3:\/\/bucket\[\/prefix\] or gs:\/\/bucket\[\/prefix\]/);
          assert.equal(e.issues[0]?.path, '--state');
          return true;
        },
      );
    });
  }
});

describe('parseStateUrl: a bucket URL with a query or a fragment', () => {
  const cases: [string, RegExp, string][] = [
    ['s3://bucket?x=1', /^state store URL s3:\/\/bucket\?x=1 has a query \(\?…\), which a s3:\/\/ store cannot use/, 'drop everything from the ?: --state s3://bucket'],
    ['s3://bucket/team/?versionId=3', /has a query \(\?…\)/, 'drop everything from the ?: --state s3://bucket/team'],
    ['gs://bucket/p#frag', /^state store URL gs:\/\/bucket\/p#frag has a fragment \(#…\), which a gs:\/\/ store cannot use/, 'drop everything from the #: --state gs://bucket/p'],
    ['gs://bucket#', /has a fragment/, 'drop everything from the #: --state gs://bucket'],
  ];
  for (const [url, message, hint] of cases) {
    it(`rejects ${url} naming the part it cannot use, with the URL without it as the hint`, () => {
      assert.throws(
        () => parseStateUrl(url, '/h'),
        (e: unknown) => {
          assert.ok(e instanceof InvalidInputError);
          assert.equal(e.exitCode, 2);
          assert.match(e.message, message);
          assert.equal(e.hint, hint);
          assert.equal(e.issues[0]?.path, '--state');
          return true;
        },
      );
    });
  }
});

describe('openBlobStore', () => {
  it('opens the default file store without touching the disk', async () => {
    const store = await openBlobStore(undefined, {}, home);
    assert.ok(store instanceof FileBlobStore);
    assert.equal(store.url, `file://${home}/.k8sup/state`);
    assert.equal(existsSync(join(home, '.k8sup')), false, 'opening must not create folders');
    assert.deepEqual(await store.list(''), []);
    assert.equal(existsSync(join(home, '.k8sup')), false, 'reading must not create folders either');
  });

  it('falls back to K8SUP_STATE_STORE, and an explicit URL wins over it', async () => {
    assert.equal((await openBlobStore(undefined, { K8SUP_STATE_STORE: 's3://from-env/p' }, home)).url, 's3://from-env/p');
    assert.equal((await openBlobStore('s3://from-flag', { K8SUP_STATE_STORE: 's3://from-env' }, home)).url, 's3://from-flag');
    assert.ok((await openBlobStore('s3://from-flag', {}, home)) instanceof S3BlobStore);
  });

  it('validates before any I/O: a bad URL writes nothing', async () => {
    await assert.rejects(openBlobStore('file://rel/x', {}, home), InvalidInputError);
    await assert.rejects(openBlobStore(undefined, { K8SUP_STATE_STORE: 'nope://x' }, home), InvalidInputError);
    assert.equal(existsSync(join(home, '.k8sup')), false);
  });

  it('a file store whose path is a file (or below one) is refused, and nothing is written', async () => {
    const file = join(home, 'not-a-folder');
    writeFileSync(file, 'x');
    for (const url of [`file://${file}`, `file://${file}/state`]) {
      await assert.rejects(openBlobStore(url, {}, home), (e: unknown) => e instanceof InvalidInputError && /not a folder/.test(e.message) && /--state/.test(e.hint ?? ''));
    }
    assert.equal(readFileSync(file, 'utf8'), 'x');
  });

  it('gs:// is validated, then handed to the GCS backend without any I/O', async () => {
    const store = await openBlobStore('gs://my_bucket/team/', { STORAGE_EMULATOR_HOST: 'http://127.0.0.1:1' }, home);
    assert.equal(store.url, 'gs://my_bucket/team');
    await assert.rejects(openBlobStore('gs://BAD', {}, home), InvalidInputError);
  });
});

describe('s3ClientConfig', () => {
  it('uses path-style addressing and dummy credentials with an endpoint override', () => {
    const c = s3ClientConfig({ AWS_ENDPOINT_URL: 'http://127.0.0.1:5000', AWS_DEFAULT_REGION: 'eu-west-1' });
    assert.equal(c.endpoint, 'http://127.0.0.1:5000');
    assert.equal(c.forcePathStyle, true);
    assert.equal(c.region, 'eu-west-1');
    assert.ok(c.credentials);
    assert.equal(s3ClientConfig({ AWS_ENDPOINT_URL: 'http://a', AWS_ENDPOINT_URL_S3: 'http://s3-only' }).endpoint, 'http://s3-only');
  });

  it('defaults to us-east-1 and the SDK credential chain without an override', () => {
    const c = s3ClientConfig({ AWS_PROFILE: 'prod' });
    assert.equal(c.region, 'us-east-1');
    assert.equal(c.endpoint, undefined);
    assert.equal(c.forcePathStyle, undefined);
    assert.equal(c.credentials, undefined);
    assert.equal(c.profile, 'prod');
    assert.equal(s3ClientConfig({ AWS_REGION: 'us-east-2', AWS_DEFAULT_REGION: 'eu-west-1' }).region, 'us-east-2');
  });
});
