#!/usr/bin/env bash
# A worked CI/CD pipeline against the Model Registry REST API, with curl (and python3 to read JSON).
#
#   training job: register the model (once), create a version, upload its files, post evaluation
#                 results, ask for Staging
#   release job:  wait for a reviewer's decision, resolve the version now in Staging, record its deployment
#
# Environment:
#   REGISTRY_URL   e.g. https://registry.example.com            (required)
#   REGISTRY_TOKEN a DataScientist's API token (make one under API tokens, or `tokens create`)   (required)
#   MODEL          model name (default: support-assistant)
#   FILES_DIR      directory whose files are uploaded (default: ./model)
#   ENVIRONMENT    deployment environment (default: staging)
#   WAIT_SECONDS   how long to wait for the reviewer (default: 3600)
#   CI_RUN_URL     link to this pipeline run, stored with the deployment
# Exit status: 0 deployed; 1 refused, rejected or timed out; 2 bad setup.
set -euo pipefail

: "${REGISTRY_URL:?set REGISTRY_URL}" "${REGISTRY_TOKEN:?set REGISTRY_TOKEN}"
MODEL="${MODEL:-support-assistant}"
FILES_DIR="${FILES_DIR:-./model}"
ENVIRONMENT="${ENVIRONMENT:-staging}"
WAIT_SECONDS="${WAIT_SECONDS:-3600}"
CI_RUN_URL="${CI_RUN_URL:-}"
API="${REGISTRY_URL%/}/api/v1"

# api METHOD PATH [curl args…]: prints the body; fails (showing the problem details) on HTTP >= 400.
api() {
  local method=$1 path=$2; shift 2
  local out status
  out=$(mktemp)
  status=$(curl -sS -o "$out" -w '%{http_code}' -X "$method" -H "Authorization: Bearer $REGISTRY_TOKEN" "$@" "$API$path")
  if [ "$status" -ge 400 ]; then
    echo "$method $path → HTTP $status: $(cat "$out")" >&2
    rm -f "$out"
    return 1
  fi
  cat "$out"
  rm -f "$out"
}
field() { python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

# 1. Register the model the first time (409 = it exists: fine).
if ! curl -sS -f -o /dev/null -H "Authorization: Bearer $REGISTRY_TOKEN" "$API/models/$MODEL"; then
  api POST /models -H 'Content-Type: application/json' \
    -d "{\"name\":\"$MODEL\",\"task\":\"text-generation\",\"tags\":[\"ci\"]}" >/dev/null
fi

# 2. A new version, with where it came from.
VERSION=$(api POST "/models/$MODEL/versions" -H 'Content-Type: application/json' \
  -d "{\"source\":\"${CI_RUN_URL:-ci}\",\"baseModel\":\"meta-llama/Llama-3.1-8B-Instruct\",\"datasets\":[{\"name\":\"support-tickets\",\"split\":\"train\"}]}" \
  | field number)
echo "created $MODEL v$VERSION" >&2

# 3. Upload every file, with its checksum (a mismatch is refused with 422 and nothing is kept).
for f in "$FILES_DIR"/*; do
  [ -f "$f" ] || continue
  name=$(basename "$f")
  api PUT "/models/$MODEL/versions/$VERSION/files/$name" -T "$f" \
    -H "X-Checksum-Sha256: $(sha256sum "$f" | cut -d' ' -f1)" >/dev/null
  echo "uploaded $name" >&2
done

# 4. Evaluation results.
api POST "/models/$MODEL/versions/$VERSION/metrics" -H 'Content-Type: application/json' \
  -d '[{"name":"accuracy","value":0.74,"dataset":"MMLU","split":"test"},{"name":"p95 latency","value":388,"unit":"ms","higherIsBetter":false}]' >/dev/null

# 5. Ask for Staging; the registry checks its gates at once (409 with unmetGates when something is missing).
REQUEST=$(api POST "/models/$MODEL/versions/$VERSION/transitions" -H 'Content-Type: application/json' \
  -d "{\"toStage\":\"Staging\",\"comment\":\"CI run ${CI_RUN_URL:-local}: accuracy 0.74 on MMLU.\"}" | field id)
echo "transition request $REQUEST is waiting for a reviewer" >&2

# 6. Wait for the decision (bounded).
deadline=$(( $(date +%s) + WAIT_SECONDS ))
while :; do
  STATUS=$(api GET "/transitions/$REQUEST" | field status)
  case "$STATUS" in
    Approved) break ;;
    Rejected|Cancelled) echo "request $REQUEST was $STATUS" >&2; exit 1 ;;
  esac
  if [ "$(date +%s)" -ge "$deadline" ]; then echo "no decision within $WAIT_SECONDS s" >&2; exit 1; fi
  sleep 2
done

# 7. Deploy what the registry says is in Staging, and record it.
STAGED=$(api GET "/models/$MODEL/stages/Staging" | field number)
api POST "/models/$MODEL/versions/$STAGED/deployments" -H 'Content-Type: application/json' \
  -d "{\"environment\":\"$ENVIRONMENT\",\"status\":\"Deployed\",\"target\":\"https://llm.example.com/$ENVIRONMENT/$MODEL\",\"externalRef\":\"${CI_RUN_URL:-https://ci.example.com/local}\"}" >/dev/null
echo "deployed $MODEL v$STAGED to $ENVIRONMENT" >&2
echo "$STAGED"
