#!/usr/bin/env bash
# Concurrent writers benchmark (issue 9): WRITERS workers (32) write for SECONDS (60) against the Release build on
# 127.0.0.1, each cycling through a metadata edit (PATCH), a 64 KiB upload (PUT), an evaluation-result post and a
# stage transition (new version, request Staging, approval by a reviewer) — see bench/writers_driver.py.
# Reports writes per second, p50/p95/p99/max latency of a write, statuses; and fails (exit 1) on any 5xx, any
# "database is locked", any request that failed outright, any acknowledged write missing afterwards, or a broken
# audit chain.
#
# Usage: bench/writers.sh        (~2 minutes on 2 cores)
# Environment: WRITERS=32 SECONDS_=60 SKIP_BUILD=1 OUT=path.json DLL=other/ModelRegistry.Web.dll (compare a build)
# Exit status: 0 when everything held, 1 when something did not, 2 on a setup error.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
helper="$repo/bench/paging_helper.py"
dll="${DLL:-$repo/ModelRegistry.Web/bin/Release/net10.0/ModelRegistry.Web.dll}"
WRITERS="${WRITERS:-32}"
SECONDS_="${SECONDS_:-60}"
work="$(mktemp -d "${TMPDIR:-/tmp}/mr-writers.XXXXXX")"
server_pid=""

say() { printf '%s\n' "$*" >&2; }
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
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
# Versions here have no files, cards or results: the stage gates are not what is measured.
export Registry__Policy__Staging__RequireArtifact=false
# 32 writers from one address would otherwise meet the per-user limit of 1200 calls a minute.
export Registry__RateLimits__ApiPerMinute=1000000
mkdir -p "$Registry__DataDirectory"
cli() { (cd "$work" && timeout 120 dotnet "$dll" "$@" 2>>"$work/cli.err"); }
cli users create --email ds@bench.example --password bench-password-1 --role DataScientist
cli users create --email reviewer@bench.example --password bench-password-1 --role Reviewer
cli users create --email auditor@bench.example --password bench-password-1 --role Auditor
ds=$(cli tokens create --email ds@bench.example --name bench)
reviewer=$(cli tokens create --email reviewer@bench.example --name bench)
auditor=$(cli tokens create --email auditor@bench.example --name bench)
[ -n "$ds" ] && [ -n "$reviewer" ] && [ -n "$auditor" ] || { say "no tokens"; cat "$work/cli.err" >&2; exit 2; }

port=$(python3 "$helper" free-port)
base="http://127.0.0.1:$port"
(cd "$work" && exec dotnet "$dll" --urls "$base" >"$work/server.log" 2>&1) &
server_pid=$!
python3 "$helper" wait --port "$port" || { tail -n 40 "$work/server.log" >&2; exit 2; }

say "Warm-up: 4 writers for 5 s …"
python3 "$repo/bench/writers_driver.py" --url "$base" --ds-token "$ds" --reviewer-token "$reviewer" --auditor-token "$auditor" \
  --writers 4 --seconds 5 >/dev/null || { say "warm-up failed"; exit 2; }

say "$WRITERS writers for $SECONDS_ s (load average before: $(cut -d' ' -f1-3 /proc/loadavg)) …"
status=0
python3 "$repo/bench/writers_driver.py" --url "$base" --ds-token "$ds" --reviewer-token "$reviewer" --auditor-token "$auditor" \
  --writers "$WRITERS" --seconds "$SECONDS_" >"$work/summary.json" || status=$?
say "load average after: $(cut -d' ' -f1-3 /proc/loadavg); database $(du -h "$Registry__DataDirectory/registry.db" | cut -f1)"
cat "$work/summary.json"
[ -n "${OUT:-}" ] && cp "$work/summary.json" "$OUT"
if grep -qi "database is locked" "$work/server.log"; then
  say "the server log mentions \"database is locked\""
  status=1
fi
[ "$status" -eq 0 ] && say "PASS: no 5xx, no \"database is locked\", nothing acknowledged lost, audit chain valid" || say "FAIL (exit $status)"
exit "$status"
