#!/usr/bin/env bash
# Where the time of a pull and a push goes. Pull: `curl` fetching a 4-file model one file after the other against
# `mreg pull --parallel 4` of the same version; push: `curl -T` of a 1 GiB file with its SHA-256 header (hash known
# beforehand) against `mreg push` of it (hashed while sent). Each from a settled page cache; prints the wall time, the
# client's user and system CPU (GNU time), the server's user and system CPU (/proc/PID/stat before and after) and how
# long each CPU was busy and idle (/proc/stat). A transfer that leaves every CPU idle part of the time is waiting, not
# working: that is how decision 33's ext4 close flush showed up. Not a pass/fail benchmark (bench/mreg.sh is); a
# profile to rerun after changing either side of a transfer.
#
# Usage: bench/mreg_cpu.sh           (after `dotnet build -c Release` and `dotnet publish ModelRegistry.Client -c Release -r linux-x64`)
# Environment: ROUNDS=3 SHARD_MIB=512 PUSH_MIB=1024 PARALLEL=4 WARMUP=30 PIN=1 (server on CPU 0, clients on CPU 1;
#              PIN=0 shares both) MREG=path (default: the native mreg from the publish above)
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
helper="$repo/bench/paging_helper.py"
dll="$repo/ModelRegistry.Web/bin/Release/net10.0/ModelRegistry.Web.dll"
MREG="${MREG:-$repo/ModelRegistry.Client/bin/Release/net10.0/linux-x64/publish/mreg}"
ROUNDS="${ROUNDS:-3}"
SHARD_MIB="${SHARD_MIB:-512}"
PUSH_MIB="${PUSH_MIB:-1024}"
WARMUP="${WARMUP:-30}"
PARALLEL="${PARALLEL:-4}"
EMAIL=bench@example.com
PASSWORD=bench-password-1
MODEL=bench-pull
work="$(mktemp -d "${TMPDIR:-/tmp}/mr-mregcpu.XXXXXX")"
server_pid=""
wrapper_pid=""
. "$repo/bench/upload_lib.sh"
cleanup() { stop_server; rm -rf "$work"; }
trap cleanup EXIT
trap 'exit 2' INT TERM
[ -f "$dll" ] && [ -x "$MREG" ] || { say "missing $dll or $MREG (build and publish first)"; exit 2; }
[ -w /proc/sys/vm/drop_caches ] || { say "run as root: every pull starts from a dropped page cache"; exit 2; }

PIN="${PIN:-$([ "$(nproc)" -ge 2 ] && echo 1 || echo 0)}"
if [ "$PIN" = 1 ]; then SERVER_CPUS=0; client=(taskset -c 1); else SERVER_CPUS=""; client=(); fi
export ASPNETCORE_ENVIRONMENT=Production DOTNET_ENVIRONMENT=Production DOTNET_CLI_TELEMETRY_OPTOUT=1
start_registry
export MREG_URL="$base" MREG_TOKEN="$token" HOME="$work/home" MREG_CONFIG_DIR="$work/home/mreg-config"
mkdir -p "$HOME" "$MREG_CONFIG_DIR" "$work/model" "$work/push" "$work/small"

names=()
for i in 1 2 3 4; do
  f="model-0000$i-of-00004.safetensors"
  head -c "${SHARD_MIB}M" /dev/urandom >"$work/model/$f"
  names+=("$f")
done
"$MREG" push "$work/model" --model "$MODEL" >"$work/push.out" 2>"$work/push.err" || { cat "$work/push.err" >&2; exit 2; }
read -r version _ <"$work/push.out"
curl_args=()
inputs=()   # what settle reads back in before a transfer: the stored blobs for a pull, the file for a push
for f in "${names[@]}"; do
  curl_args+=(-o "$work/curl/$f" "$base/api/v1/models/$MODEL/versions/$version/files/$f")
  sha=$(sha256sum "$work/model/$f" | cut -d' ' -f1)
  inputs+=("$data/artifacts/blobs/${sha:0:2}/${sha:2:2}/$sha")
done

server_cpu() { awk '{ print $14, $15 }' "/proc/$server_pid/stat"; }
cpu_ticks() { awk '/^cpu[0-9]+ / { printf "%s %s ", $2 + $3 + $4 + $7 + $8, $5 + $6 }' /proc/stat; }

# profile LABEL COMMAND…
profile() {
  local label=$1; shift
  local su0 ss0 su1 ss1 before after e u s m
  settle "${inputs[@]}"
  mkdir -p "$work/curl"
  read -r su0 ss0 < <(server_cpu)
  before=$(cpu_ticks)
  "${client[@]}" /usr/bin/time -f '%e %U %S %M' -o "$work/time" "$@" >/dev/null 2>"$work/err" || { cat "$work/err" >&2; exit 2; }
  after=$(cpu_ticks)
  read -r su1 ss1 < <(server_cpu)
  read -r e u s m <"$work/time"
  awk -v l="$label" -v e="$e" -v u="$u" -v s="$s" -v m="$m" -v su="$((su1 - su0))" -v ss="$((ss1 - ss0))" -v b="$before" -v a="$after" 'BEGIN {
    printf "| %s | %.2f | %.2f | %.2f | %.0f | %.2f | %.2f |", l, e, u, s, m * 1024 / 1e6, su / 100, ss / 100
    nb = split(b, x, " "); split(a, y, " ")
    for (i = 1; i <= nb; i += 2) printf " %.2f / %.2f |", (y[i] - x[i]) / 100, (y[i + 1] - x[i + 1]) / 100
    printf "\n" }'
}

# Every push stores new bytes: a fresh start of the file, so the registry never has the blob already.
fresh() { head -c 32 /dev/urandom | dd of="$1" bs=32 count=1 conv=notrunc status=none; }
# curl_version FILE: a new version of the curl-only model; prints "SHA-256 NUMBER" (the hash is curl's, before the clock).
curl_version() {
  local sha number
  sha=$(sha256sum "$1" | cut -d' ' -f1)
  number=$(api -H 'Content-Type: application/json' -d '{}' "$base/api/v1/models/bench-curl/versions" | python3 -c 'import json,sys; print(json.load(sys.stdin)["number"])')
  echo "$sha $number"
}
curl_put() { client_curl -T "$1" -H "X-Checksum-Sha256: $2" -o /dev/null "$base/api/v1/models/bench-curl/versions/$3/files/$(basename "$1")"; }
client_curl() { curl -sS --fail -H "Authorization: Bearer $token" "$@"; }
api -H 'Content-Type: application/json' -d '{"name":"bench-curl"}' "$base/api/v1/models" >/dev/null
head -c "${PUSH_MIB}M" /dev/urandom >"$work/push/weights.bin"
head -c 9M /dev/urandom >"$work/small/weights.bin"
pushes=0

# As bench/mreg.sh: the server compiles its upload paths fully only after dozens of pushes.
say "Warm-up: $WARMUP small pushes with each tool, two pulls with each tool …"
for _ in $(seq "$WARMUP"); do
  pushes=$((pushes + 1))
  fresh "$work/small/weights.bin"
  rm -f "$MREG_CONFIG_DIR/hashes.json"
  "$MREG" push "$work/small" --model "bench-warm-$pushes" >/dev/null 2>&1
  read -r sha number < <(curl_version "$work/small/weights.bin")
  curl_put "$work/small/weights.bin" "$sha" "$number"
done
for _ in 1 2; do
  profile warm curl -sS --fail -H "Authorization: Bearer $token" "${curl_args[@]}" >/dev/null
  profile warm "$MREG" pull "$MODEL@$version" "$work/pulled" --parallel "$PARALLEL" >/dev/null
done

cpus=$(awk '/^cpu[0-9]+ / { printf " cpu%s busy / idle (s) |", substr($1, 4) }' /proc/stat)
echo "Pull of 4 × ${SHARD_MIB} MiB and push of ${PUSH_MIB} MiB, $([ "$PIN" = 1 ] && echo "server on CPU 0, clients on CPU 1" || echo "sharing all CPUs"); load average $(cut -d' ' -f1-3 /proc/loadavg)."
echo
echo "| run | wall (s) | client user | client sys | client RSS (MB) | server user | server sys |$cpus"
echo "|---|---|---|---|---|---|---|$(awk '/^cpu[0-9]+ / { printf "---|" }' /proc/stat)"
for _ in $(seq "$ROUNDS"); do
  profile "sequential curl" curl -sS --fail -H "Authorization: Bearer $token" "${curl_args[@]}"
  profile "mreg pull --parallel $PARALLEL" "$MREG" pull "$MODEL@$version" "$work/pulled" --parallel "$PARALLEL"
done
inputs=("$work/push/weights.bin")
for _ in $(seq "$ROUNDS"); do
  pushes=$((pushes + 1))
  fresh "$work/push/weights.bin"
  rm -f "$MREG_CONFIG_DIR/hashes.json"
  profile "mreg push (${PUSH_MIB} MiB)" "$MREG" push "$work/push" --model "bench-push-$pushes"
  fresh "$work/push/weights.bin"
  read -r sha number < <(curl_version "$work/push/weights.bin")
  profile "curl -T (${PUSH_MIB} MiB)" curl -sS --fail -H "Authorization: Bearer $token" -T "$work/push/weights.bin" \
    -H "X-Checksum-Sha256: $sha" -o /dev/null "$base/api/v1/models/bench-curl/versions/$number/files/weights.bin"
done
