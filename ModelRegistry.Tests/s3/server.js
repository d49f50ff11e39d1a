'use strict';
// A real S3-protocol server for the tests and benchmarks: s3rver 3.7.1 on loopback, with the three calls it
// lacks and the artifact store uses (AWS S3, MinIO and Ceph all have them): ListMultipartUploads,
// AbortMultipartUpload and UploadPartCopy; and CopyObject with a percent-encoded source (as the AWS SDK for .NET
// sends it; s3rver decodes only unreserved characters). They work on s3rver's own files through its store, ahead
// of its signature check: a test server on loopback only.
// s3rver accepts any signature-version-4 presigned URL; as S3 does, this one checks them (AWS's own SigV4 code,
// @smithy/signature-v4) and refuses a URL whose signature does not match or that has expired.
//   node --openssl-legacy-provider server.js --directory DIR --bucket NAME [--port N]
// (s3rver's list continuation tokens use DES, which Node's OpenSSL 3 has only in its legacy provider.)
// Prints "listening PORT" once it accepts requests; stops on SIGTERM or when standard input closes.
const fs = require('fs-extra');
const path = require('path');
const S3rver = require('s3rver');
const { SignatureV4 } = require('@smithy/signature-v4');
const { Hash } = require('@smithy/hash-node');

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const directory = option('directory');
const bucket = option('bucket', 'registry');
const port = Number(option('port', '0'));

const escape = s => String(s).replace(/[<>&'"]/g, c => `&#${c.charCodeAt(0)};`);
const xml = body => `<?xml version="1.0" encoding="UTF-8"?>\n${body}`;

const server = new S3rver({ address: '127.0.0.1', port, directory, silent: true, configureBuckets: [{ name: bucket }] });
const store = server.store;
const uploadsDir = name => store.getResourcePath(name, undefined, 'uploads');

function copySource(ctx) {
  const source = decodeURIComponent(ctx.headers['x-amz-copy-source'].replace(/^\//, '').split('?')[0]);
  const slash = source.indexOf('/');
  return [source.slice(0, slash), source.slice(slash + 1)];
}

// s3rver's one account.
const secrets = { S3RVER: 'S3RVER' };

function denied(ctx, code, message) {
  ctx.status = 403;
  ctx.type = 'application/xml';
  ctx.body = xml(`<Error><Code>${code}</Code><Message>${escape(message)}</Message></Error>`);
}

// A presigned request (signature version 4 in the query): recomputed over the headers it names, its payload unsigned.
async function presigned(ctx) {
  const q = ctx.query;
  const [accessKeyId, shortDate, region, service] = String(q['X-Amz-Credential'] || '').split('/');
  const longDate = String(q['X-Amz-Date'] || '');
  const date = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(longDate);
  if (!secrets[accessKeyId] || !date || !longDate.startsWith(shortDate)) {
    denied(ctx, 'AuthorizationQueryParametersError', 'Malformed presigned URL.');
    return false;
  }
  const signedAt = Date.UTC(+date[1], +date[2] - 1, +date[3], +date[4], +date[5], +date[6]);
  if (Date.now() > signedAt + Number(q['X-Amz-Expires']) * 1000) {
    denied(ctx, 'AccessDenied', 'Request has expired');
    return false;
  }
  const names = String(q['X-Amz-SignedHeaders'] || '').split(';');
  const headers = Object.fromEntries(names.map(name => [name, String(ctx.get(name)).trim().replace(/\s+/g, ' ')]));
  const credentials = { accessKeyId, secretAccessKey: secrets[accessKeyId] };
  const signer = new SignatureV4({ service, region, credentials, sha256: Hash.bind(null, 'sha256'), uriEscapePath: false });
  const query = { ...q };
  delete query['X-Amz-Signature'];
  const canonical = signer.createCanonicalRequest({ method: ctx.method, path: ctx.path, query }, headers, 'UNSIGNED-PAYLOAD');
  const expected = await signer.getSignature(longDate, `${shortDate}/${region}/${service}/aws4_request`,
    signer.getSigningKey(credentials, region, shortDate, service), canonical);
  if (expected !== q['X-Amz-Signature']) {
    denied(ctx, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.');
    return false;
  }
  return true;
}

async function shims(ctx, next) {
  if ((ctx.method === 'GET' || ctx.method === 'HEAD') && 'X-Amz-Algorithm' in ctx.query && !(await presigned(ctx))) {
    return;
  }

  const [, name, ...rest] = ctx.path.split('/');
  const key = decodeURIComponent(rest.join('/'));
  const q = ctx.query;
  if (ctx.method === 'GET' && name && !key && 'uploads' in q) {
    const dir = uploadsDir(name);
    const ids = (await fs.pathExists(dir)) ? await fs.readdir(dir) : [];
    const uploads = [];
    for (const id of ids) {
      const file = path.join(dir, id, 'key');
      if (!(await fs.pathExists(file))) continue;
      const uploadKey = (await fs.readFile(file)).toString();
      if (q.prefix && !uploadKey.startsWith(q.prefix)) continue;
      const initiated = (await fs.stat(file)).mtime.toISOString();
      uploads.push(`<Upload><Key>${escape(uploadKey)}</Key><UploadId>${id}</UploadId><Initiated>${initiated}</Initiated>` +
        `<StorageClass>STANDARD</StorageClass></Upload>`);
    }
    ctx.type = 'application/xml';
    ctx.body = xml(`<ListMultipartUploadsResult><Bucket>${escape(name)}</Bucket><IsTruncated>false</IsTruncated>` +
      `<MaxUploads>1000</MaxUploads>${uploads.join('')}</ListMultipartUploadsResult>`);
    return;
  }
  if (ctx.method === 'DELETE' && key && q.uploadId) {
    const dir = path.join(uploadsDir(name), path.basename(q.uploadId));
    if (!(await fs.pathExists(dir))) {
      ctx.status = 404;
      ctx.type = 'application/xml';
      ctx.body = xml('<Error><Code>NoSuchUpload</Code><Message>The specified upload does not exist.</Message></Error>');
      return;
    }
    await fs.remove(dir);
    ctx.status = 204;
    return;
  }
  if (ctx.method === 'PUT' && key && !q.uploadId && ctx.headers['x-amz-copy-source']) {
    const [sourceBucket, sourceKey] = copySource(ctx);
    if (!(await store.existsObject(sourceBucket, sourceKey))) {
      ctx.status = 404;
      ctx.type = 'application/xml';
      ctx.body = xml('<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>');
      return;
    }
    const metadata = await store.copyObject(sourceBucket, sourceKey, name, key, null);
    ctx.type = 'application/xml';
    ctx.body = xml(`<CopyObjectResult><LastModified>${new Date(metadata['last-modified']).toISOString()}</LastModified>` +
      `<ETag>${escape(metadata.etag)}</ETag></CopyObjectResult>`);
    return;
  }
  if (ctx.method === 'PUT' && key && q.uploadId && q.partNumber && ctx.headers['x-amz-copy-source']) {
    const [sourceBucket, sourceKey] = copySource(ctx);
    const range = /^bytes=(\d+)-(\d+)$/.exec(ctx.headers['x-amz-copy-source-range'] || '');
    const object = await store.getObject(sourceBucket, sourceKey,
      range ? { start: Number(range[1]), end: Number(range[2]) } : undefined);
    if (!object) {
      ctx.status = 404;
      ctx.type = 'application/xml';
      ctx.body = xml('<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>');
      return;
    }
    const { md5 } = await store.putPart(name, path.basename(q.uploadId), Number(q.partNumber), object.content);
    ctx.type = 'application/xml';
    ctx.body = xml(`<CopyPartResult><LastModified>${new Date().toISOString()}</LastModified>` +
      `<ETag>"${md5}"</ETag></CopyPartResult>`);
    return;
  }
  await next();
}

// Before s3rver's own middleware (the composed handler is built when the server starts).
server.middleware.unshift(shims);

server.run((err, address) => {
  if (err) {
    console.error(err);
    process.exit(1);
  }
  console.log(`listening ${address.port}`);
});

const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.resume();
