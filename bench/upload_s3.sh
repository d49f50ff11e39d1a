#!/usr/bin/env bash
# Upload benchmark of the S3 artifact store (issue 8, Benchmark).
#
# In one run, on one machine, against the Release build serving a fresh data directory on 127.0.0.1 with
# Registry:Artifacts:Store = S3 on a local S3-protocol server (s3rver, ModelRegistry.Tests/s3/server.js):
#   1. a 1 GiB file (random bytes, in /tmp) is uploaded with `curl -T` to PUT …/files/{path} (with its
#      X-Checksum-Sha256), and the same file is uploaded to the same server with the S3 client alone
#      (bench/S3Upload: the AWS SDK's TransferUtility multipart upload, client configured as the registry's);
#      target: registry upload wall time ≤ 1.5 × the S3 client's;
#   2. the registry server's resident memory (VmRSS, sampled every 25 ms) may grow by ≤ 64 MiB over its value
#      just before the upload.
# Each measurement runs ROUNDS times, interleaved with its baseline; medians are compared. The registry's time
# includes everything it does before answering: receiving, hashing, the multipart upload to a temporary key,
# the checksum check, reading the header, the database commit and the server-side copy under the hash.
#
# Usage: bench/upload_s3.sh         (~2–4 minutes on 2 cores, needs ~5 GiB free in /tmp)
# Environment: ROUNDS=3 SIZE_MIB=1024 SKIP_BUILD=1 REPORT=path.md
# Exit status: 0 when every target holds, 1 when one fails, 2 on a setup error.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
helper="$repo/bench/paging_helper.py"
dll="$repo/ModelRegistry.Web/bin/Release/net10.0/ModelRegistry.Web.dll"
baseline_dll="$repo/bench/S3Upload/bin/Release/net10.0/S3Upload.dll"
s3dir="$repo/ModelRegistry.Tests/s3"
ROUNDS="${ROUNDS:-3}"
SIZE_MIB="${SIZE_MIB:-1024}"
EMAIL=bench@example.com
PASSWORD=bench-password-1
MODEL=bench-upload
BUCKET=registry
export S3_ACCESS_KEY=S3RVER S3_SECRET_KEY=S3RVER

work="$(mktemp -d "${TMPDIR:-/tmp}/mr-upload-s3.XXXXXX")"
server_pid=""
wrapper_pid=""
. "$repo/bench/upload_lib.sh"
s3_pid=""


cleanup() {
  stop_server
  [ -n "$s3_pid" ] && kill "$s3_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 2' INT TERM

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  say "Building ModelRegistry.Web and bench/S3Upload (Release) …"
  dotnet build "$repo/ModelRegistry.Web" -c Release --nologo -v quiet >&2
  dotnet build "$repo/bench/S3Upload" -c Release --nologo -v quiet >&2
fi
[ -f "$dll" ] && [ -f "$baseline_dll" ] || { say "missing $dll or $baseline_dll"; exit 2; }
if [ ! -d "$s3dir/node_modules/s3rver" ]; then
  say "Installing s3rver (npm ci) …"
  (cd "$s3dir" && npm ci --ignore-scripts --no-audit --no-fund >&2)
fi

say "Starting s3rver …"
mkdir -p "$work/s3"
exec {s3out}< <(cd "$s3dir" && exec node --openssl-legacy-provider server.js --directory "$work/s3" --bucket "$BUCKET" </dev/zero 2>"$work/s3.err")
s3_pid=$!
read -r -t 30 -u "$s3out" line || { say "s3rver did not start: $(cat "$work/s3.err")"; exit 2; }
s3_port="${line#listening }"
s3_url="http://127.0.0.1:$s3_port"

export ASPNETCORE_ENVIRONMENT=Production DOTNET_ENVIRONMENT=Production DOTNET_CLI_TELEMETRY_OPTOUT=1
export Registry__Artifacts__Store=S3 Registry__Artifacts__S3__ServiceUrl="$s3_url" Registry__Artifacts__S3__Bucket="$BUCKET" \
  Registry__Artifacts__S3__AccessKey="$S3_ACCESS_KEY" Registry__Artifacts__S3__SecretKey="$S3_SECRET_KEY"
start_registry

# direct FILE KEY: the same file with the S3 client alone; prints the seconds.
direct() { dotnet "$baseline_dll" "$s3_url" "$BUCKET" "$2" "$1" 16; }

say "Making a ${SIZE_MIB} MiB file of random bytes …"
big="$work/upload-${SIZE_MIB}m.dat"
head -c "${SIZE_MIB}M" /dev/urandom >"$big"
big_sha=$(sha256sum "$big" | cut -d' ' -f1)   # also puts the file in the page cache for every side alike

say "Warm-up: three 64 MiB uploads each way …"
head -c 64M /dev/urandom >"$work/warm.dat"
warm_sha=$(sha256sum "$work/warm.dat" | cut -d' ' -f1)
for i in 1 2 3; do
  upload "$work/warm.dat" "warm-$i.dat" "$warm_sha" >/dev/null
  direct "$work/warm.dat" "direct/warm-$i" >/dev/null
done
rm -f "$work/warm.dat"

declare -a t_up t_direct rss_growth
for round in $(seq 1 "$ROUNDS"); do
  say "Round $round/$ROUNDS: S3 client alone, registry upload …"
  t_direct+=("$(direct "$big" "direct/round-$round")")

  before=$(rss_kib)
  rm -f "$work/stop"
  sample_rss "$work/rss" "$work/stop" &
  sampler=$!
  t_up+=("$(upload "$big" "weights/round-$round.dat" "$big_sha")")
  touch "$work/stop"
  wait "$sampler"
  rss_growth+=("$(awk -v a="$before" -v b="$(cat "$work/rss")" 'BEGIN { g = (b - a) / 1024; printf "%.1f", g < 0 ? 0 : g }')")
  # The next round must copy the blob into place again rather than find it stored: remove it behind the
  # registry's back (s3rver keeps an object as <key>._S3rver_object and two side files).
  find "$work/s3/$BUCKET/blobs" -name "${big_sha}._S3rver_*" -delete 2>/dev/null || true
  rm -rf "$work/s3/$BUCKET/direct"
done

verify=$(curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" "$files/warm-1.dat")
[ "$verify" = 200 ] || { say "download of an uploaded file failed: $verify"; exit 2; }
rm -f "$big"
stop_server

up=$(median "${t_up[@]}"); direct_t=$(median "${t_direct[@]}")
ratio=$(awk -v a="$up" -v b="$direct_t" 'BEGIN { printf "%.2f", a / b }')
rss_max=$(printf '%s\n' "${rss_growth[@]}" | sort -g | tail -n 1)
ok() { awk -v v="$1" -v lim="$2" 'BEGIN { if (v <= lim) print "yes"; else print "**no**" }'; }
verdicts=("$(ok "$ratio" 1.5)" "$(ok "$rss_max" 64)")

{
  echo "Run: $(date -u '+%Y-%m-%d %H:%M UTC') · $(nproc) cores · $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //') ·" \
    "$(awk '/MemTotal/ {printf "%.0f GiB RAM", $2/1048576}' /proc/meminfo) · .NET $(dotnet --version) · node $(node --version) · s3rver 3.7.1 ·" \
    "$(df -T "$work" | awk 'NR == 2 { print $2 }') at $work · commit $(git -C "$repo" rev-parse --short HEAD)$(git -C "$repo" diff --quiet HEAD -- . ':!bench' ':!docs' || echo '+changes')"
  echo "Settings: ${SIZE_MIB} MiB file, $ROUNDS rounds (medians), 16 MiB parts on both sides; load average $(cut -d' ' -f1-3 /proc/loadavg)."
  echo
  echo "| measurement | median | all rounds | target | holds |"
  echo "|---|---|---|---|---|"
  echo "| registry upload to S3, \`curl -T\` (${SIZE_MIB} MiB) | $up s ($(mbps "$SIZE_MIB" "$up") MB/s) | ${t_up[*]} | | |"
  echo "| S3 client alone (AWS SDK TransferUtility) | $direct_t s ($(mbps "$SIZE_MIB" "$direct_t") MB/s) | ${t_direct[*]} | | |"
  echo "| registry ÷ S3 client alone | **$ratio** | | ≤ 1.5 | ${verdicts[0]} |"
  echo "| server RSS growth during the upload | **$rss_max MiB** (largest) | ${rss_growth[*]} MiB | ≤ 64 MiB | ${verdicts[1]} |"
} | tee -a "${REPORT:-/dev/null}"

for v in "${verdicts[@]}"; do
  [ "$v" = yes ] || exit 1
done
