#!/usr/bin/env bash
# Digest and signing cost (issue 15): p50/p99 of a metadata PATCH, a 64 KiB upload and a final approval, on this
# tree (HEAD: digests recomputed in the write's transaction, approvals frozen and signed) against a build of BASE
# (default 05448bf, the last commit before digests), both Release, side by side on 127.0.0.1, interleaved
# (bench/digest_driver.py). Target: each write's p50 grows by less than 5 ms.
#
# Usage: bench/digest.sh                 (~3-5 minutes on 2 cores, most of it building BASE)
# Environment: BASE=commit FILES=200 ROUNDS=10 PER_ROUND=20 MAX_ADDED_P50_MS=5 SKIP_BUILD=1
# Exit status: 0 when the target holds, 1 when it does not, 2 on a setup error.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
helper="$repo/bench/paging_helper.py"
BASE="${BASE:-05448bf}"
work="$(mktemp -d "${TMPDIR:-/tmp}/mr-digest.XXXXXX")"
pids=()

say() { printf '%s\n' "$*" >&2; }
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; done
  git -C "$repo" worktree remove --force "$work/base-src" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 2' INT TERM

head_dll="$repo/ModelRegistry.Web/bin/Release/net10.0/ModelRegistry.Web.dll"
base_dll="$work/base-src/ModelRegistry.Web/bin/Release/net10.0/ModelRegistry.Web.dll"
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  say "Building HEAD (Release) …"
  dotnet build "$repo/ModelRegistry.Web" -c Release --nologo -v quiet >&2
fi
say "Building BASE $BASE (Release) …"
git -C "$repo" worktree add --detach "$work/base-src" "$BASE" >/dev/null 2>&1
dotnet build "$work/base-src/ModelRegistry.Web" -c Release --nologo -v quiet >&2
[ -f "$head_dll" ] && [ -f "$base_dll" ] || { say "missing a build"; exit 2; }

export ASPNETCORE_ENVIRONMENT=Production DOTNET_ENVIRONMENT=Production DOTNET_CLI_TELEMETRY_OPTOUT=1
export Registry__Policy__Staging__RequireArtifact=false Registry__RateLimits__ApiPerMinute=1000000

# start SIDE DLL: a fresh data directory, two users with tokens, a server on a free port; prints "port ds reviewer".
start() {
  local side="$1" dll="$2" dir="$work/$1"
  mkdir -p "$dir/data"
  local cli=(env Registry__DataDirectory="$dir/data" timeout 120 dotnet "$dll")
  (cd "$dir" && "${cli[@]}" users create --email ds@bench.example --password bench-password-1 --role DataScientist >/dev/null 2>>"$dir/cli.err")
  (cd "$dir" && "${cli[@]}" users create --email rv@bench.example --password bench-password-1 --role Reviewer >/dev/null 2>>"$dir/cli.err")
  local ds rv port
  ds=$(cd "$dir" && "${cli[@]}" tokens create --email ds@bench.example --name bench 2>>"$dir/cli.err")
  rv=$(cd "$dir" && "${cli[@]}" tokens create --email rv@bench.example --name bench 2>>"$dir/cli.err")
  [ -n "$ds" ] && [ -n "$rv" ] || { cat "$dir/cli.err" >&2; return 1; }
  port=$(python3 "$helper" free-port)
  echo "$port $ds $rv"
}

read -r base_port base_ds base_rv < <(start base "$base_dll") || exit 2
read -r head_port head_ds head_rv < <(start head "$head_dll") || exit 2
(cd "$work/base" && Registry__DataDirectory="$work/base/data" exec dotnet "$base_dll" --urls "http://127.0.0.1:$base_port" >"$work/base/server.log" 2>&1) &
pids+=($!)
(cd "$work/head" && Registry__DataDirectory="$work/head/data" exec dotnet "$head_dll" --urls "http://127.0.0.1:$head_port" >"$work/head/server.log" 2>&1) &
pids+=($!)
python3 "$helper" wait --port "$base_port" && python3 "$helper" wait --port "$head_port" || { tail -n 30 "$work"/*/server.log >&2; exit 2; }

say "Measuring (interleaved) …"
summary=$(python3 "$repo/bench/digest_driver.py" --base-port "$base_port" --base-ds "$base_ds" --base-reviewer "$base_rv" \
  --head-port "$head_port" --head-ds "$head_ds" --head-reviewer "$head_rv" \
  --files "${FILES:-200}" --rounds "${ROUNDS:-10}" --per-round "${PER_ROUND:-20}")
echo "$summary"
max="${MAX_ADDED_P50_MS:-5}"
python3 - "$max" <<PY
import json, sys
s = json.loads('''$summary''')
worst = max(r["added_p50_ms"] for r in s["operations"].values())
print(f"largest p50 added by digests and signing: {worst} ms (target < {sys.argv[1]} ms)", file=sys.stderr)
sys.exit(0 if worst < float(sys.argv[1]) else 1)
PY
