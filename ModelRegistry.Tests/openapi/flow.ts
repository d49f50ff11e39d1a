// The core flow of a pipeline, through a client generated from docs/openapi.json (openapi-typescript types,
// openapi-fetch calls): register a model, create a version, upload files (one nested), list them, download the nested
// one, record a metric, request a transition. Run by Api/TypeScriptClientTests against the app on a real port:
//   REGISTRY_URL=http://127.0.0.1:PORT REGISTRY_TOKEN=… REGISTRY_MODEL=name node generated/out/flow.js
// Prints one JSON line with what it did; any unexpected answer ends it with exit code 1.
import { createHash } from "node:crypto";
import createClient from "openapi-fetch";
import type { components, paths } from "./generated/registry.js";

type Problem = components["schemas"]["ProblemDetails"];

const url = required("REGISTRY_URL");
const token = required("REGISTRY_TOKEN");
const model = required("REGISTRY_MODEL");

const client = createClient<paths>({ baseUrl: url, headers: { Authorization: `Bearer ${token}` } });

const registered = check("createModel", await client.POST("/api/v1/models", {
  body: { name: model, displayName: "TypeScript client", task: "text-generation", tags: ["generated-client"] },
}));

const version = check("createVersion", await client.POST("/api/v1/models/{name}/versions", {
  params: { path: { name: model } },
  body: { baseModel: "meta-llama/Llama-3.1-8B", parameterCount: 8_030_261_248, contextLength: 131_072, format: "safetensors" },
}));
// Numbers are numbers in the generated types: this is arithmetic, not string concatenation.
const number: number = version.number;
const next: number = number + 1;

const files: Record<string, Uint8Array<ArrayBuffer>> = {
  "config.json": new TextEncoder().encode(JSON.stringify({ model_type: "llama", num_hidden_layers: 32 })),
  // A nested path: openapi-fetch percent-encodes its slashes (tokenizer%2Fnested%2Fvocab.bin).
  "tokenizer/nested/vocab.bin": Uint8Array.from({ length: 70_000 }, (_, i) => (i * 31 + 7) % 251),
};
const uploaded: { path: string; status: number; sha256: string }[] = [];
for (const [path, bytes] of Object.entries(files)) {
  const sha256 = sha(bytes);
  const result = await client.PUT("/api/v1/models/{name}/versions/{number}/files/{path}", {
    params: { path: { name: model, number, path }, header: { "X-Checksum-Sha256": sha256 } },
    body: new Blob([bytes]),
    bodySerializer: (body) => body,
    headers: { "Content-Type": "application/octet-stream" },
  });
  const answer = check("uploadFile", result);
  if (answer.artifact.path !== path || answer.artifact.sha256 !== sha256 || answer.artifact.size !== bytes.length) {
    fail("uploadFile", `stored ${answer.artifact.path} ${answer.artifact.sha256} ${answer.artifact.size}`);
  }
  uploaded.push({ path, status: result.response.status, sha256 });
}

const listed = check("listFiles", await client.GET("/api/v1/models/{name}/versions/{number}/files", {
  params: { path: { name: model, number: String(number) } },
}));
const paths_ = listed.map((f) => f.path).sort();
const totalSize: number = listed.reduce((sum, f) => sum + f.size, 0);

const download = await client.GET("/api/v1/models/{name}/versions/{number}/files/{path}", {
  params: { path: { name: model, number: String(number), path: "tokenizer/nested/vocab.bin" } },
  parseAs: "arrayBuffer",
});
const downloaded = new Uint8Array(check("downloadFile", download));
const nested = files["tokenizer/nested/vocab.bin"]!;
if (sha(downloaded) !== sha(nested) || download.response.headers.get("X-Checksum-Sha256") !== sha(nested)) {
  fail("downloadFile", `got ${downloaded.length} bytes with SHA-256 ${sha(downloaded)}`);
}

const metrics = check("recordMetrics", await client.POST("/api/v1/models/{name}/versions/{number}/metrics", {
  params: { path: { name: model, number } },
  body: [{ name: "accuracy", value: 0.683, dataset: "MMLU", split: "test" }],
}));

const transition = check("requestTransition", await client.POST("/api/v1/models/{name}/versions/{number}/transitions", {
  params: { path: { name: model, number } },
  body: { toStage: "Staging", comment: "Requested by the generated TypeScript client." },
}));

console.log(JSON.stringify({
  model: registered.name,
  version: number,
  nextVersion: next,
  uploaded,
  listed: paths_,
  totalSize,
  downloadedBytes: downloaded.length,
  metrics: metrics.map((m) => ({ name: m.name, value: m.value })),
  transition: { id: transition.id, toStage: transition.toStage, status: transition.status },
}));

function check<T>(operation: string, result: { data?: T; error?: unknown; response: Response }): T {
  if (result.error !== undefined || result.data === undefined) {
    const problem = result.error as Problem | undefined;
    fail(operation, `${result.response.status} ${problem?.title ?? ""} ${problem?.detail ?? ""}`);
  }

  return result.data;
}

function fail(operation: string, message: string): never {
  console.error(`${operation}: ${message}`);
  process.exit(1);
}

function sha(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) {
    fail("setup", `${name} is not set`);
  }

  return value;
}
