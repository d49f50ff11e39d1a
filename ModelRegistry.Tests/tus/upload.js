'use strict';
// Uploads one file to the registry with the reference tus client, tus-js-client 4.3.1 (package.json), the way a
// pipeline or a laptop would: the upload URL is kept in a URL storage file under the file's fingerprint, so running
// the script again for the same file resumes the upload instead of starting a new one.
//   node upload.js --endpoint URL --token TOKEN --file PATH --path PATH_IN_VERSION --storage FILE
//                  [--chunk-size BYTES] [--stop-after BYTES] [--sha256 HEX]
// --stop-after aborts the upload once the server has accepted at least that many bytes (as a client that is stopped
// partway). Prints one JSON object a line: {event: "request", method, offset?}, {event: "resumed", url},
// {event: "stopped", offset, url}, {event: "done", url} or {event: "error", message}.
const fs = require('fs');
const tus = require('tus-js-client');

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const print = event => process.stdout.write(JSON.stringify(event) + '\n');

const file = option('file');
const storage = option('storage');
const stopAfter = Number(option('stop-after', '0'));
const metadata = { path: option('path') };
if (option('sha256')) metadata.sha256 = option('sha256');
if (!fs.existsSync(storage)) fs.writeFileSync(storage, '{}');

const upload = new tus.Upload(fs.createReadStream(file), {
  endpoint: option('endpoint'),
  headers: { Authorization: `Bearer ${option('token')}` },
  metadata,
  chunkSize: Number(option('chunk-size', 'Infinity')),
  retryDelays: [0, 500, 1000, 2000],
  urlStorage: new tus.FileUrlStorage(storage),
  removeFingerprintOnSuccess: true,
  onBeforeRequest(req) {
    const event = { event: 'request', method: req.getMethod() };
    if (req.getMethod() === 'PATCH') event.offset = Number(req.getHeader('Upload-Offset'));
    print(event);
  },
  onChunkComplete(_chunk, accepted) {
    if (stopAfter > 0 && accepted >= stopAfter) {
      upload.abort().then(() => {
        print({ event: 'stopped', offset: accepted, url: upload.url });
        process.exit(0);
      });
    }
  },
  onSuccess() {
    print({ event: 'done', url: upload.url });
    process.exit(0);
  },
  onError(error) {
    print({ event: 'error', message: String(error && error.message || error) });
    process.exit(1);
  },
});

upload.findPreviousUploads().then(previous => {
  if (previous.length > 0) {
    upload.resumeFromPreviousUpload(previous[0]);
    print({ event: 'resumed', url: previous[0].uploadUrl });
  }
  upload.start();
}, error => {
  print({ event: 'error', message: String(error && error.message || error) });
  process.exit(1);
});
