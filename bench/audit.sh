#!/usr/bin/env bash
# Audit trail benchmark (issue 6): verification rate, filtered-page latency at 1M vs 10k events, export memory.
#
# 1. Two fresh registries (temporary data directories): an Auditor and a token through the CLI, then 10k and 1M
#    audit events appended in bulk by bench/audit_helper.py, which computes each hash from the canonical form exactly
#    as docs/audit.md describes it — so the registry accepting the chain also checks the documentation.
# 2. Verification: `verify-audit` (wall and CPU seconds, process start included) and GET /api/v1/audit/verify on a
#    warm server (3 runs, median), against two baselines measured in the same run on the same rows: Python recomputing
#    the same canonical forms from the database file (an outside verifier), and hashlib.sha256 over as many bytes as
#    those forms (the ceiling: hashing alone). Target: ≥ 200k events/s.
# 3. Latency: the same filtered page (pageSize=50, with its total as the API counts it: up to 1,000, "1,000+" beyond;
#    decision 13) on both servers, interleaved request by request so
#    load drift on a shared machine hits both alike; p50 ratio 1M / 10k per filter. Target: ≤ 2×.
# 4. Memory: the server's VmRSS sampled every 25 ms while the full 1M-event export streams (csv, then json).
#    Target: flat (growth ≤ 64 MiB, the bound the upload benchmark uses).
#
# Usage: bench/audit.sh                      (from anywhere; ~5–8 minutes on 2 shared cores)
# Environment: EVENTS=1000000 SMALL_EVENTS=10000 REQUESTS=100 WARMUP=10 SKIP_BUILD=1 REPORT=path.md
# Exit status: 0 when every target holds, 1 when one fails, 2 on a setup error.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
helper="$repo/bench/audit_helper.py"
dll="$repo/ModelRegistry.Web/bin/Release/net10.0/ModelRegistry.Web.dll"
EVENTS="${EVENTS:-1000000}"
SMALL_EVENTS="${SMALL_EVENTS:-10000}"
REQUESTS="${REQUESTS:-100}"
WARMUP="${WARMUP:-10}"

work="$(mktemp -d "${TMPDIR:-/tmp}/mr-audit.XXXXXX")"
pids=()
cleanup() {
  local pid i
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for i in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -9 "$pid" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 2' INT TERM
say() { printf '%s\n' "$*" >&2; }
field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  say "Building ModelRegistry.Web (Release) …"
  dotnet build "$repo/ModelRegistry.Web" -c Release --nologo -v quiet >&2
fi
[ -f "$dll" ] || { say "missing $dll"; exit 2; }
export ASPNETCORE_ENVIRONMENT=Production DOTNET_ENVIRONMENT=Production DOTNET_CLI_TELEMETRY_OPTOUT=1

cli() { local dir="$1"; shift; (cd "$dir" && Registry__DataDirectory="$dir" timeout 600 dotnet "$dll" "$@"); }

# prepare DIR EVENTS: a registry with an Auditor, a token, and EVENTS bulk audit events.
prepare() {
  local dir="$1" events="$2" start end
  mkdir -p "$dir"
  cli "$dir" users create --email bench@example.com --password bench-password-1 --role Auditor 2>>"$dir/setup.err"
  cli "$dir" tokens create --email bench@example.com --name bench 2>>"$dir/setup.err" >"$dir/token"
  [ -s "$dir/token" ] || { say "no token"; cat "$dir/setup.err" >&2; exit 2; }
  start=$(date +%s.%N)
  python3 "$helper" generate --db "$dir/registry.db" --events "$events"
  end=$(date +%s.%N)
  say "  $events events generated in $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }') s"
}

say "Preparing registries ($SMALL_EVENTS and $EVENTS events) …"
small="$work/small"; large="$work/large"
prepare "$small" "$SMALL_EVENTS"
prepare "$large" "$EVENTS"
window_from=$(date -u -d '-30 minutes' '+%Y-%m-%dT%H:%M:%SZ')
window_to=$(date -u -d '-29 minutes' '+%Y-%m-%dT%H:%M:%SZ')

say "Verifying outside the registry (Python, the baseline) …"
py=$(python3 "$helper" verify --db "$large/registry.db")
[ "$(field "$py" valid)" = True ] || { say "generated chain does not verify: $py"; exit 2; }
sha=$(python3 "$helper" sha-baseline --bytes "$(field "$py" bytes)")

say "verify-audit (command line) …"
cli_out="$work/cli.json"
/usr/bin/time -f '%e %U %S' -o "$work/cli.time" env Registry__DataDirectory="$large" timeout 600 dotnet "$dll" verify-audit >"$cli_out" 2>"$work/cli.err" \
  || { say "verify-audit failed"; cat "$cli_out" "$work/cli.err" >&2; exit 2; }
read -r cli_wall cli_user cli_sys <"$work/cli.time"

serve() {
  local dir="$1"
  port=$(python3 "$helper" free-port)
  (cd "$dir" && Registry__DataDirectory="$dir" exec dotnet "$dll" --urls "http://127.0.0.1:$port" >"$dir/server.log" 2>&1) &
  pids+=("$!")
}
serve "$small"; sport=$port
serve "$large"; lport=$port; lpid=${pids[-1]}
python3 "$helper" wait --port "$sport" || { tail -n 40 "$small/server.log" >&2; exit 2; }
python3 "$helper" wait --port "$lport" || { tail -n 40 "$large/server.log" >&2; exit 2; }

say "GET /api/v1/audit/verify (warm server, 3 runs) …"
cpu_before=$(awk '{ print $14 + $15 }' "/proc/$lpid/stat")
server_runs=$(python3 "$helper" server-verify --port "$lport" --token "$large/token" --repeat 3)
cpu_after=$(awk '{ print $14 + $15 }' "/proc/$lpid/stat")

say "Filtered pages, interleaved ($REQUESTS requests per filter and side) …"
latency=$(python3 "$helper" latency --small-port "$sport" --small-token "$small/token" --large-port "$lport" --large-token "$large/token" \
  --requests "$REQUESTS" --warmup "$WARMUP" --window-from "$window_from" --window-to "$window_to")

say "Full export while sampling the server's RSS …"
export_csv=$(python3 "$helper" export-rss --port "$lport" --token "$large/token" --pid "$lpid" --format csv)
export_json=$(python3 "$helper" export-rss --port "$lport" --token "$large/token" --pid "$lpid" --format json)

python3 - "$py" "$sha" "$(cat "$cli_out")" "$cli_wall" "$cli_user" "$cli_sys" "$server_runs" "$cpu_before" "$cpu_after" \
  "$latency" "$export_csv" "$export_json" "$EVENTS" "$SMALL_EVENTS" "$REQUESTS" "$repo" <<'PY' | tee "${REPORT:-/dev/null}"
import json, os, statistics, subprocess, sys
(py, sha, cli, cli_wall, cli_user, cli_sys, server_runs, cpu_before, cpu_after, latency, export_csv, export_json,
 events, small_events, requests, repo) = sys.argv[1:]
py, sha, cli, latency = json.loads(py), json.loads(sha), json.loads(cli), json.loads(latency)
runs = [json.loads(l) for l in server_runs.splitlines() if l.strip()]
exports = [json.loads(export_csv), json.loads(export_json)]
n = cli["events"]
tick = os.sysconf("SC_CLK_TCK")
server_cpu = (float(cpu_after) - float(cpu_before)) / tick / len(runs)
server_rate = statistics.median(r["rate"] for r in runs)
cli_rate, cli_cpu_rate = n / float(cli_wall), n / (float(cli_user) + float(cli_sys))
sha_rate = n / sha["seconds"]
ok = lambda good: "✅" if good else "❌"
failed = []
def check(name, good):
    if not good:
        failed.append(name)
    return ok(good)
commit = subprocess.run(["git", "-C", repo, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
dirty = subprocess.run(["git", "-C", repo, "diff", "--quiet", "HEAD", "--", ".", ":!bench", ":!docs"]).returncode != 0
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
load = open("/proc/loadavg").read().split()[:3]
print(f"Run: {subprocess.run(['date', '-u', '+%Y-%m-%d %H:%M UTC'], capture_output=True, text=True).stdout.strip()} · "
      f"{os.cpu_count()} cores · {cpu} · load average {' '.join(load)} at the end · commit {commit}{'+changes' if dirty else ''}")
print(f"Chain: {n:,} events ({int(events):,} generated + the setup's), {py['bytes'] / 2**20:.0f} MiB of canonical forms; "
      f"small registry {int(small_events):,} events.\n")
print("| verification | events/s | seconds | vs Python verifier | vs sha256 alone | target | |")
print("|---|---|---|---|---|---|---|")
print(f"| `GET /api/v1/audit/verify`, warm server (median of {len(runs)}) | **{server_rate:,.0f}** | "
      f"{statistics.median(r['seconds'] for r in runs):.2f} (CPU {server_cpu:.2f}) | {server_rate / py['rate']:.1f}× | "
      f"{server_rate / sha_rate:.2f}× | ≥ 200,000 | {check('verify rate', server_rate >= 200_000)} |")
print(f"| `verify-audit` command, process start included | {cli_rate:,.0f} (per CPU second: {cli_cpu_rate:,.0f}) | "
      f"{float(cli_wall):.2f} (CPU {float(cli_user) + float(cli_sys):.2f}) | {cli_rate / py['rate']:.1f}× | {cli_rate / sha_rate:.2f}× | | |")
print(f"| baseline: Python sqlite3 + hashlib, same canonical forms | {py['rate']:,} | {py['seconds']:.2f} | 1× | | | |")
print(f"| baseline: hashlib.sha256 over the same number of bytes | {sha_rate:,.0f} | {sha['seconds']:.2f} | | 1× | | |")
print(f"\nFiltered page (`GET /api/v1/audit?…&page=1&pageSize=50`, with its total), p50 over {requests} interleaved requests per side:\n")
print("| filter | matches 10k / 1M | p50 10k | p50 1M | ratio | p95 10k / 1M | target | |")
print("|---|---|---|---|---|---|---|---|")
for label, r in latency.items():
    ratio = r["large_p50"] / r["small_p50"]
    print(f"| {label} (`{r['query']}`) | {r['small_total']} / {r['large_total']} | {r['small_p50']:.1f} ms | {r['large_p50']:.1f} ms | "
          f"**{ratio:.2f}×** | {r['small_p95']:.1f} / {r['large_p95']:.1f} ms | "
          + ("— | |" if "reported only" in label else f"≤ 2× | {check('latency ' + label, ratio <= 2)} |"))
print("\nFull export of the 1M-event log, server RSS sampled every 25 ms:\n")
print("| format | size | seconds | RSS before | RSS peak | growth | target | |")
print("|---|---|---|---|---|---|---|---|")
for e in exports:
    print(f"| {e['format']} | {e['bytes'] / 2**20:.0f} MiB | {e['seconds']:.1f} | {e['rss_before_mib']} MiB | {e['rss_peak_mib']} MiB | "
          f"**{e['growth_mib']} MiB** | ≤ 64 MiB | {check('export ' + e['format'], e['growth_mib'] <= 64)} |")
print(f"\n{'All targets met.' if not failed else 'Missed: ' + ', '.join(failed) + '.'}")
sys.exit(1 if failed else 0)
PY
exit "${PIPESTATUS[0]}"
