#!/usr/bin/env bash
# Rewrites docs/openapi.json from the document the API serves (OpenApiTests compares the two), then lints it with
# Redocly's recommended rules as .ci/run does.
set -euo pipefail
cd "$(dirname "$0")/.."

dotnet build ModelRegistry.sln -c Release -warnaserror --nologo -v quiet
UPDATE_OPENAPI=1 dotnet test --project ModelRegistry.Tests -c Release --no-build \
  --filter-method '*OpenApiTests.Checked_in_document_is_the_served_document'
git --no-pager diff --stat -- docs/openapi.json

npm ci --prefix ModelRegistry.Tests/openapi --ignore-scripts --no-audit --no-fund >/dev/null
(cd ModelRegistry.Tests/openapi && npx --no-install redocly lint ../../docs/openapi.json --config redocly.yaml)
