// Baseline for bench/hub.sh: node's own fetch of the given URLs, each body piped to a file the way
// @huggingface/hub's snapshotDownload writes it (response body → TransformStream → Readable.fromWeb → file), with no
// Hub API calls around it. Prints the seconds. Usage: node hub_fetch.mjs DIR TOKEN URL...
import { createWriteStream } from "node:fs";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";

const [dir, token, ...urls] = process.argv.slice(2);
const start = performance.now();
let i = 0;
for (const url of urls) {
	const response = await fetch(url, { headers: { Authorization: `Bearer ${token}` } });
	if (!response.ok) {
		throw new Error(`${url}: ${response.status}`);
	}
	const through = new TransformStream();
	response.body.pipeThrough(through);
	await pipeline(Readable.fromWeb(through.readable), createWriteStream(`${dir}/${i++}`));
}
console.log(((performance.now() - start) / 1000).toFixed(3));
