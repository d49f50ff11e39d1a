// Drives the real @huggingface/hub client (package.json pins it) against a registry's /hf routes for the Hub
// compatibility tests. Reads {hubUrl, accessToken, steps: [{op, ...}]} as JSON on standard input and prints one JSON
// array on standard output: for each step {ok: true, value, ms} or {ok: false, error: {name, statusCode, message}, ms}.
// Bytes are reported as sizes and SHA-256 digests so the test can compare every byte with what it uploaded
// (snapshotDownload with hash: false lists sizes only: bench/hub.sh times the download alone).
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { readdir, realpath, stat } from "node:fs/promises";
import { join, relative } from "node:path";
import * as hub from "@huggingface/hub";

// The client logs progress with console.debug/info ("Downloading …"): keep standard output for the results.
for (const level of ["log", "info", "debug"]) {
	console[level] = (...args) => process.stderr.write(args.join(" ") + "\n");
}

const input = JSON.parse(await new Promise((resolve, reject) => {
	let text = "";
	process.stdin.setEncoding("utf8");
	process.stdin.on("data", (chunk) => (text += chunk));
	process.stdin.on("end", () => resolve(text));
	process.stdin.on("error", reject);
}));

const common = () => ({ hubUrl: input.hubUrl, ...(input.accessToken ? { accessToken: input.accessToken } : {}) });

async function sha256OfFile(path) {
	const hash = createHash("sha256");
	for await (const chunk of createReadStream(path)) {
		hash.update(chunk);
	}
	return hash.digest("hex");
}

async function filesUnder(root, hash) {
	const found = [];
	async function walk(dir) {
		for (const entry of await readdir(dir, { withFileTypes: true })) {
			const path = join(dir, entry.name);
			if (entry.isDirectory()) {
				await walk(path);
			} else {
				// Snapshot files are symlinks into blobs/: follow them, as a loader would.
				const target = await realpath(path);
				const info = await stat(target);
				found.push({ path: relative(root, path).split("\\").join("/"), size: info.size, sha256: hash ? await sha256OfFile(target) : null, symlink: entry.isSymbolicLink() });
			}
		}
	}
	await walk(root);
	return found.sort((a, b) => (a.path < b.path ? -1 : 1));
}

async function collect(iterator) {
	const items = [];
	for await (const item of iterator) {
		items.push(item);
	}
	return items;
}

const ops = {
	whoAmI: () => hub.whoAmI(common()),
	modelInfo: (s) => hub.modelInfo({ ...common(), name: s.name, revision: s.revision, additionalFields: s.additionalFields }),
	listModels: (s) => collect(hub.listModels({ ...common(), search: s.search, limit: s.limit, additionalFields: s.additionalFields })),
	listFiles: (s) => collect(hub.listFiles({ ...common(), repo: s.repo, revision: s.revision, recursive: s.recursive, path: s.path, expand: s.expand })),
	pathsInfo: (s) => hub.pathsInfo({ ...common(), repo: s.repo, revision: s.revision, paths: s.paths, expand: s.expand }),
	fileExists: (s) => hub.fileExists({ ...common(), repo: s.repo, path: s.path, revision: s.revision }),
	downloadFile: async (s) => {
		const blob = await hub.downloadFile({ ...common(), repo: s.repo, path: s.path, revision: s.revision, raw: s.raw });
		if (blob === null) {
			return null;
		}
		const bytes = Buffer.from(await blob.arrayBuffer());
		return { size: bytes.length, sha256: createHash("sha256").update(bytes).digest("hex"), text: bytes.length <= 4096 ? bytes.toString("utf8") : null };
	},
	snapshotDownload: async (s) => {
		const folder = await hub.snapshotDownload({ ...common(), repo: s.repo, revision: s.revision, cacheDir: s.cacheDir });
		const downloaded = performance.now();
		const files = await filesUnder(folder, s.hash !== false);
		return { folder: relative(s.cacheDir, folder).split("\\").join("/"), files, downloadMs: downloaded - started };
	},
};

const results = [];
let started = 0;
for (const step of input.steps) {
	started = performance.now();
	try {
		const op = ops[step.op];
		if (!op) {
			throw new Error(`unknown op ${step.op}`);
		}
		const value = await op(step);
		results.push({ ok: true, value, ms: performance.now() - started });
	} catch (e) {
		results.push({ ok: false, ms: performance.now() - started, error: { name: e?.constructor?.name ?? "Error", statusCode: e?.statusCode ?? null, message: String(e?.message ?? e) } });
	}
}

process.stdout.write(JSON.stringify(results));
