#!/usr/bin/env bash
# Upload and download benchmark of a version's files (issue 3, Benchmark).
#
# In one run, on one machine, against the Release build serving a fresh data directory on 127.0.0.1:
#   1. a 1 GiB file (random bytes, in /tmp) is uploaded with `curl -T` to PUT …/files/{path} with a bearer
#      token, and compared with `dd if=f of=copy bs=1M conv=fsync` plus `sha256sum f` on the same file;
#      target: upload wall time ≤ 1.0 × (dd + sha256sum);
#   2. the server's resident memory (VmRSS in /proc/<pid>/status, sampled every 25 ms) may grow by
#      ≤ 64 MiB over its value just before the upload;
#   3. the file is downloaded with `curl -o /dev/null`; target: ≤ 1.0 × the `sha256sum` time;
#   4. a 256 MiB file is uploaded through the dashboard's Files tab in headless Chromium (node +
#      playwright-core, bench/upload_browser.mjs) and with curl; target: browser throughput ≥ 50 % of
#      the API's.
# Each measurement runs ROUNDS times, interleaved with its baseline; medians are compared. The page cache
# holds the source file for every side alike (it is read once before the first round).
#
# Usage: bench/upload.sh            (~2–4 minutes on 2 cores, needs ~3 GiB free in /tmp)
# Environment: ROUNDS=3 BROWSER_ROUNDS=3 SIZE_MIB=1024 BROWSER_MIB=256 SKIP_BUILD=1 SKIP_BROWSER=1 REPORT=path.md
# Exit status: 0 when every target holds, 1 when one fails, 2 on a setup error.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
helper="$repo/bench/paging_helper.py"
dll="$repo/ModelRegistry.Web/bin/Release/net10.0/ModelRegistry.Web.dll"
ROUNDS="${ROUNDS:-3}"
BROWSER_ROUNDS="${BROWSER_ROUNDS:-3}"
SIZE_MIB="${SIZE_MIB:-1024}"
BROWSER_MIB="${BROWSER_MIB:-256}"
EMAIL=bench@example.com
PASSWORD=bench-password-1
MODEL=bench-upload

work="$(mktemp -d "${TMPDIR:-/tmp}/mr-upload.XXXXXX")"
server_pid=""
wrapper_pid=""
. "$repo/bench/upload_lib.sh"

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

cleanup() {
  stop_server
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 2' INT TERM

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  say "Building ModelRegistry.Web (Release) …"
  dotnet build "$repo/ModelRegistry.Web" -c Release --nologo -v quiet >&2
fi
[ -f "$dll" ] || { say "missing $dll"; exit 2; }
if [ "${SKIP_BROWSER:-0}" != 1 ] && [ ! -d "$repo/bench/node_modules/playwright-core" ]; then
  say "Installing playwright-core for the browser part (npm ci) …"
  (cd "$repo/bench" && npm ci --no-audit --no-fund >&2)
fi

export ASPNETCORE_ENVIRONMENT=Production DOTNET_ENVIRONMENT=Production DOTNET_CLI_TELEMETRY_OPTOUT=1
start_registry

say "Making a ${SIZE_MIB} MiB file of random bytes …"
big="$work/upload-${SIZE_MIB}m.dat"
head -c "${SIZE_MIB}M" /dev/urandom >"$big"
big_sha=$(sha256sum "$big" | cut -d' ' -f1)   # also puts the file in the page cache for every side alike

say "Warm-up: three 64 MiB uploads and downloads (the JIT optimises the hot loops after a few dozen calls) …"
head -c 64M /dev/urandom >"$work/warm.dat"
warm_sha=$(sha256sum "$work/warm.dat" | cut -d' ' -f1)
for i in 1 2 3; do
  upload "$work/warm.dat" "warm-$i.dat" "$warm_sha" >/dev/null
  curl -sS -o /dev/null -H "Authorization: Bearer $token" "$files/warm-$i.dat"
done
rm -f "$work/warm.dat"

declare -a t_up t_dd t_sha t_down rss_growth
for round in $(seq 1 "$ROUNDS"); do
  say "Round $round/$ROUNDS: dd + sha256sum, API upload, download …"
  s=$(now); dd if="$big" of="$work/copy" bs=1M conv=fsync status=none; e=$(now)
  t_dd+=("$(elapsed "$s" "$e")")
  rm -f "$work/copy"
  s=$(now); sha256sum "$big" >/dev/null; e=$(now)
  t_sha+=("$(elapsed "$s" "$e")")

  before=$(rss_kib)
  rm -f "$work/stop"
  sample_rss "$work/rss" "$work/stop" &
  sampler=$!
  t_up+=("$(upload "$big" "weights/round-$round.dat" "$big_sha")")
  touch "$work/stop"
  wait "$sampler"
  rss_growth+=("$(awk -v a="$before" -v b="$(cat "$work/rss")" 'BEGIN { g = (b - a) / 1024; printf "%.1f", g < 0 ? 0 : g }')")

  out=$(curl -sS -o /dev/null -w '%{time_total} %{size_download} %{http_code}' -H "Authorization: Bearer $token" "$files/weights/round-$round.dat")
  read -r secs size code <<<"$out"
  [ "$code" = 200 ] && [ "$size" = "$((SIZE_MIB * 1024 * 1024))" ] || { say "download failed: $out"; exit 2; }
  t_down+=("$(awk -v t="$secs" 'BEGIN { printf "%.3f", t }')")
done
rm -f "$big"

browser_status="skipped"
declare -a t_api_small t_browser t_sending t_after t_before t_alone
if [ "${SKIP_BROWSER:-0}" != 1 ]; then
  small="$work/browser-${BROWSER_MIB}m.dat"
  head -c "${BROWSER_MIB}M" /dev/urandom >"$small"
  small_sha=$(sha256sum "$small" | cut -d' ' -f1)
  for round in $(seq 1 "$BROWSER_ROUNDS"); do
    say "Browser round $round/$BROWSER_ROUNDS: ${BROWSER_MIB} MiB through the dashboard, and through the API …"
    result=$(cd "$repo/bench" && timeout 600 node upload_browser.mjs "$base" "$EMAIL" "$PASSWORD" "$MODEL" "$small")
    echo "$result" >>"$work/browser.jsonl"
    t_browser+=("$(python3 -c 'import json,sys; r=json.loads(sys.argv[1]); assert r["failed"] == 0, r; print("%.3f" % r["seconds"])' "$result")")
    t_sending+=("$(python3 -c 'import json,sys; print("%.3f" % json.loads(sys.argv[1])["sending"])' "$result")")
    t_alone+=("$(python3 -c 'import json,sys; print("%.3f" % json.loads(sys.argv[1])["chromiumAlone"])' "$result")")
    t_before+=("$(python3 -c 'import json,sys; print("%.3f" % json.loads(sys.argv[1])["beforeSend"])' "$result")")
    t_after+=("$(python3 -c 'import json,sys; print("%.3f" % json.loads(sys.argv[1])["serverAfterLastByte"])' "$result")")
    t_api_small+=("$(upload "$small" "api-${BROWSER_MIB}m-$round.dat" "$small_sha")")
  done
  listed=$(api "$files" | python3 -c "import json,sys; print(sum(1 for f in json.load(sys.stdin) if f['sha256'] == sys.argv[1]))" "$small_sha")
  [ "$listed" -ge 2 ] || { say "the browser upload is not listed with its hash"; exit 2; }
  rm -f "$small"
  browser_status="done"
fi

stop_server

up=$(median "${t_up[@]}"); dd_t=$(median "${t_dd[@]}"); sha_t=$(median "${t_sha[@]}"); down=$(median "${t_down[@]}")
base_t=$(awk -v a="$dd_t" -v b="$sha_t" 'BEGIN { printf "%.3f", a + b }')
up_ratio=$(awk -v a="$up" -v b="$base_t" 'BEGIN { printf "%.2f", a / b }')
down_ratio=$(awk -v a="$down" -v b="$sha_t" 'BEGIN { printf "%.2f", a / b }')
rss_max=$(printf '%s\n' "${rss_growth[@]}" | sort -g | tail -n 1)
ok() { awk -v v="$1" -v lim="$2" -v op="$3" 'BEGIN { if (op == "le" ? v <= lim : v >= lim) print "yes"; else print "**no**" }'; }
verdicts=("$(ok "$up_ratio" 1.0 le)" "$(ok "$rss_max" 64 le)" "$(ok "$down_ratio" 1.0 le)")
if [ "$browser_status" = done ]; then
  browser=$(median "${t_browser[@]}"); api_small=$(median "${t_api_small[@]}")
  browser_mbps=$(mbps "$BROWSER_MIB" "$browser"); api_small_mbps=$(mbps "$BROWSER_MIB" "$api_small"); api_big_mbps=$(mbps "$SIZE_MIB" "$up")
  share=$(awk -v a="$browser_mbps" -v b="$api_big_mbps" 'BEGIN { printf "%.2f", a / b }')
  share_small=$(awk -v a="$browser_mbps" -v b="$api_small_mbps" 'BEGIN { printf "%.2f", a / b }')
  alone=$(median "${t_alone[@]}"); alone_mbps=$(mbps "$BROWSER_MIB" "$alone")
  share_alone=$(awk -v a="$browser_mbps" -v b="$alone_mbps" 'BEGIN { printf "%.2f", a / b }')
  ceiling=$(awk -v a="$alone_mbps" -v b="$api_big_mbps" 'BEGIN { printf "%.2f", a / b }')
  verdicts+=("$(ok "$share" 0.5 ge)" "$(ok "$share_small" 0.5 ge)")
fi

{
  echo "Run: $(date -u '+%Y-%m-%d %H:%M UTC') · $(nproc) cores · $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //') ·" \
    "$(awk '/MemTotal/ {printf "%.0f GiB RAM", $2/1048576}' /proc/meminfo) · .NET $(dotnet --version) · $(sha256sum --version | head -n 1) ·" \
    "$(df -T "$work" | awk 'NR == 2 { print $2 }') at $work · commit $(git -C "$repo" rev-parse --short HEAD)$(git -C "$repo" diff --quiet HEAD -- . ':!bench' ':!docs' || echo '+changes')"
  echo "Settings: ${SIZE_MIB} MiB file, $ROUNDS rounds (medians); browser: ${BROWSER_MIB} MiB, $BROWSER_ROUNDS rounds."
  echo
  echo "| measurement | median | all rounds | target | holds |"
  echo "|---|---|---|---|---|"
  echo "| API upload, \`curl -T\` (${SIZE_MIB} MiB) | $up s ($(mbps "$SIZE_MIB" "$up") MB/s) | ${t_up[*]} | | |"
  echo "| \`dd bs=1M conv=fsync\` | $dd_t s | ${t_dd[*]} | | |"
  echo "| \`sha256sum\` | $sha_t s | ${t_sha[*]} | | |"
  echo "| upload ÷ (dd + sha256sum) | **$up_ratio** | | ≤ 1.0 | ${verdicts[0]} |"
  echo "| server RSS growth during the upload | **$rss_max MiB** (largest) | ${rss_growth[*]} MiB | ≤ 64 MiB | ${verdicts[1]} |"
  echo "| download, \`curl -o /dev/null\` | $down s ($(mbps "$SIZE_MIB" "$down") MB/s) | ${t_down[*]} | | |"
  echo "| download ÷ sha256sum | **$down_ratio** | | ≤ 1.0 | ${verdicts[2]} |"
  if [ "$browser_status" = done ]; then
    echo "| dashboard upload, headless Chromium (${BROWSER_MIB} MiB) | $browser s ($browser_mbps MB/s) | ${t_browser[*]} | | |"
    echo "| … of which the file chosen → XHR started (dashboard queue, .NET round trip) | $(median "${t_before[@]}") s | ${t_before[*]} | | |"
    echo "| … of which the browser sending the bytes (XHR upload start → last byte) | $(median "${t_sending[@]}") s | ${t_sending[*]} | | |"
    echo "| … of which the server finishing after the last byte (hash, fsync, commit → response) | $(median "${t_after[@]}") s | ${t_after[*]} | | |"
    echo "| API upload, \`curl -T\` (${BROWSER_MIB} MiB) | $api_small s ($api_small_mbps MB/s) | ${t_api_small[*]} | | |"
    echo "| dashboard ÷ API throughput (vs the ${SIZE_MIB} MiB API upload) | **$share** | | ≥ 0.5 | ${verdicts[3]} |"
    echo "| dashboard ÷ API throughput (same ${BROWSER_MIB} MiB file) | **$share_small** | | ≥ 0.5 | ${verdicts[4]} |"
    echo "| baseline: Chromium alone, bare XHR of the same file to a server that discards it | $alone s ($alone_mbps MB/s) | ${t_alone[*]} | | |"
    echo "| dashboard ÷ Chromium alone (what the registry keeps of the browser's own upload speed) | **$share_alone** | | | |"
    echo "| Chromium alone ÷ API 1 GiB throughput (the most any dashboard could reach here) | $ceiling | | | |"
  fi
} | tee -a "${REPORT:-/dev/null}"

for v in "${verdicts[@]}"; do
  [ "$v" = yes ] || exit 1
done
