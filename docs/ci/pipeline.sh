#!/usr/bin/env bash
# A worked CI/CD pipeline against the Model Registry, with `mreg` (the registry's client; see docs/cli.md).
#
#   training job: push the model directory as a new version (the model is registered on the first push; files the
#                 registry already stores are not sent again; a rerun after a cut resumes), post evaluation results,
#                 ask for Staging and wait for the reviewers' decision
#   deploy job:   pull what the registry says is in Staging (every file verified by SHA-256) and record the deployment
#
# Environment:
#   REGISTRY_URL   e.g. https://registry.example.com            (required)
#   REGISTRY_TOKEN a DataScientist's API token (make one under API tokens, or `tokens create`)   (required)
#   MODEL          model name (default: support-assistant)
#   FILES_DIR      directory pushed as the version, subfolders included (default: ./model)
#   DEPLOY_DIR     where the deploy job pulls the approved files (default: a temporary directory)
#   ENVIRONMENT    deployment environment (default: staging)
#   WAIT_SECONDS   how long to wait for the reviewers (default: 3600)
#   CI_RUN_URL     link to this pipeline run, stored as the version's source and with the deployment
#   MREG           how to run mreg (default: mreg, after `dotnet tool install --global ModelRegistry.Client`)
# Exit status: 0 deployed; otherwise mreg's exit code (1 usage, 2 not found, 3 refused, rejected or not decided in
# time, 4 verification failed, 5 registry unreachable).
set -euo pipefail

: "${REGISTRY_URL:?set REGISTRY_URL}" "${REGISTRY_TOKEN:?set REGISTRY_TOKEN}"
MODEL="${MODEL:-support-assistant}"
FILES_DIR="${FILES_DIR:-./model}"
ENVIRONMENT="${ENVIRONMENT:-staging}"
WAIT_SECONDS="${WAIT_SECONDS:-3600}"
CI_RUN_URL="${CI_RUN_URL:-}"
read -r -a MREG <<<"${MREG:-mreg}"
export MREG_URL="$REGISTRY_URL" MREG_TOKEN="$REGISTRY_TOKEN"   # mreg reads these instead of a saved login

# --- training job ---------------------------------------------------------------------------------------------------
# 1. Push: prints "NUMBER DIGEST"; progress goes to standard error.
read -r VERSION DIGEST < <("${MREG[@]}" push "$FILES_DIR" --model "$MODEL" --source "${CI_RUN_URL:-ci}")
echo "pushed $MODEL v$VERSION ($DIGEST)" >&2

# 2. Evaluation results.
"${MREG[@]}" metrics add "$MODEL" "$VERSION" accuracy=0.74 --dataset MMLU --split test >/dev/null

# 3. Ask for Staging (the registry checks its gates at once) and wait for the reviewers (exit 3 when rejected or
#    not decided within the time).
"${MREG[@]}" promote "$MODEL" "$VERSION" --to Staging \
  --comment "CI run ${CI_RUN_URL:-local}: accuracy 0.74 on MMLU." --wait --timeout "${WAIT_SECONDS}s" >/dev/null

# --- deploy job -----------------------------------------------------------------------------------------------------
# 4. Pull what is in Staging now (prints "NUMBER DIGEST"; a file whose SHA-256 differs fails with exit 4).
DEPLOY_DIR="${DEPLOY_DIR:-$(mktemp -d)}"
read -r STAGED STAGED_DIGEST < <("${MREG[@]}" pull "$MODEL@staging" "$DEPLOY_DIR")
echo "pulled $MODEL v$STAGED ($STAGED_DIGEST) into $DEPLOY_DIR" >&2

# 5. … hand $DEPLOY_DIR to the serving stack here, then record the deployment (plain REST: mreg has no deploy verb).
status=$(curl -sS -o /dev/stderr -w '%{http_code}' -X POST -H "Authorization: Bearer $REGISTRY_TOKEN" \
  -H 'Content-Type: application/json' "${REGISTRY_URL%/}/api/v1/models/$MODEL/versions/$STAGED/deployments" \
  -d "{\"environment\":\"$ENVIRONMENT\",\"status\":\"Deployed\",\"target\":\"https://llm.example.com/$ENVIRONMENT/$MODEL\",\"externalRef\":\"${CI_RUN_URL:-https://ci.example.com/local}\"}")
[ "$status" -lt 400 ] || { echo "recording the deployment failed with HTTP $status" >&2; exit 3; }
echo "deployed $MODEL v$STAGED to $ENVIRONMENT" >&2
echo "$STAGED"
