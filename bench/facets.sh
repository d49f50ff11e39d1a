#!/usr/bin/env bash
# Model list facets benchmark (issue 20; docs/decisions/0029).
#
# Seeds one registry with `seed-demo` (10,000 models × 10 versions by default: tasks, licences, formats, base models,
# tags and stages as the demo spreads them), serves it from the Release build on 127.0.0.1, and times — interleaved in
# rounds, on one server — what the model list asks for: its first page without facets, the facet counts, and the same
# two with a filter chosen. The page loads both, so the cost of facets is (list + facets) ÷ list.
#
# Usage: bench/facets.sh        Environment: MODELS=10000 VPM=10 REQUESTS=200 SKIP_BUILD=1 REPORT=path.md
# Exit status: 0 on a completed run (this benchmark reports; it has no target), 2 on a setup error.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
helper="$repo/bench/paging_helper.py"
dll="$repo/ModelRegistry.Web/bin/Release/net10.0/ModelRegistry.Web.dll"
MODELS="${MODELS:-10000}"
VPM="${VPM:-10}"
REQUESTS="${REQUESTS:-200}"
work="$(mktemp -d "${TMPDIR:-/tmp}/mr-facets.XXXXXX")"
pid=""
say() { printf '%s\n' "$*" >&2; }
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 2' INT TERM

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  say "Building ModelRegistry.Web (Release) …"
  dotnet build "$repo/ModelRegistry.Web" -c Release --nologo -v quiet >&2
fi
[ -f "$dll" ] || { say "missing $dll"; exit 2; }

export ASPNETCORE_ENVIRONMENT=Production DOTNET_ENVIRONMENT=Production DOTNET_CLI_TELEMETRY_OPTOUT=1
export Registry__DataDirectory="$work/data"
mkdir -p "$work/data"
cd "$work"
say "Seeding $MODELS models × $VPM versions …"
timeout 900 dotnet "$dll" seed-demo --models "$MODELS" --versions-per-model "$VPM" 2>"$work/seed.err" || { cat "$work/seed.err" >&2; exit 2; }
timeout 120 dotnet "$dll" users create --email bench@example.com --password bench-password-1 --role DataScientist 2>>"$work/seed.err"
timeout 120 dotnet "$dll" tokens create --email bench@example.com --name bench 2>>"$work/seed.err" >"$work/token"
[ -s "$work/token" ] || { cat "$work/seed.err" >&2; exit 2; }

port=$(python3 "$helper" free-port)
timeout 1800 dotnet "$dll" --urls "http://127.0.0.1:$port" >"$work/server.log" 2>&1 &
pid=$!
python3 "$helper" wait --port "$port" || { tail -n 40 "$work/server.log" >&2; exit 2; }

# A filter value the data has: the licence of the first model in the list.
license=$(curl -sS -H "Authorization: Bearer $(cat "$work/token")" "http://127.0.0.1:$port/api/v1/models?page=1&pageSize=1&sort=name" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0].get("license") or "")')
[ -n "$license" ] || { say "the seeded models have no licence to filter by"; exit 2; }

list="/api/v1/models?page=1&pageSize=25"
facets="/api/v1/facets/models"
say "Timing ($REQUESTS requests each, interleaved) …"
table=$(python3 "$helper" compare --port "$port" --token "$work/token" --requests "$REQUESTS" \
  --paths "$list $facets $list&license=$license $facets?license=$license")
p50() { printf '%s\n' "$table" | awk -F'|' -v n="$1" 'NR == n + 2 { gsub(/ /, "", $4); print $4 }'; }
both=$(awk -v a="$(p50 1)" -v b="$(p50 2)" 'BEGIN { printf "%.2f", (a + b) / a }')
both_filtered=$(awk -v a="$(p50 3)" -v b="$(p50 4)" 'BEGIN { printf "%.2f", (a + b) / a }')

report() {
  echo "Run: $(date -u '+%Y-%m-%d %H:%M UTC') · $(nproc) cores · $(dotnet --version) · commit $(git -C "$repo" rev-parse --short HEAD)$(git -C "$repo" diff --quiet || echo +changes)"
  echo "Data: $MODELS models × $VPM versions (seed-demo), SQLite; load average $(cut -d' ' -f1-3 /proc/loadavg)."
  echo
  printf '%s\n' "$table"
  echo
  echo "The list page's data with facets ÷ without (p50 of list + facets ÷ p50 of list): **$both** unfiltered, **$both_filtered** with licence=$license."
}
report | tee "${REPORT:-/dev/null}"
