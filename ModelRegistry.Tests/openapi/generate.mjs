// Generates the TypeScript types of the registry's API from an OpenAPI document with openapi-typescript:
//   node generate.mjs ../../docs/openapi.json generated/registry.ts
// Binary bodies (files) are typed as Blob, what fetch sends and answers, instead of openapi-typescript's default string.
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import openapiTS, { astToString } from "openapi-typescript";
import ts from "typescript";

const [input, output] = process.argv.slice(2);
if (!input || !output) {
  console.error("usage: node generate.mjs OPENAPI.json OUTPUT.ts");
  process.exit(2);
}

const blob = ts.factory.createTypeReferenceNode(ts.factory.createIdentifier("Blob"));
const ast = await openapiTS(pathToFileURL(path.resolve(input)), {
  transform(schema) {
    return schema.format === "binary" ? blob : undefined;
  },
});
fs.mkdirSync(path.dirname(output), { recursive: true });
fs.writeFileSync(output, astToString(ast));
