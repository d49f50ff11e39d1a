#!/usr/bin/env bash
# mreg benchmark (issue 18, Performance).
#
# In one run, on one machine, against the Release build serving a fresh data directory on 127.0.0.1:
#   1. push: `mreg push` of a directory holding one 1 GiB file (random bytes, its first 32 bytes new before every push
#      by either tool, so every push stores a blob the registry lacks; a new model each round, so nothing is reused) ÷ `curl -T` of the same file with its SHA-256 header (target ≤ 1.1). mreg reads the file once, hashing
#      it while it goes through tus, the final PATCH naming the SHA-256 (docs/decisions/0027); its hash cache
#      (hashes.json in the config directory) is deleted before every push round, so no round starts with the hash
#      known. curl is handed the hash for free; `sha256sum` + `curl -T` is reported beside it for reference;
#   2. pull: `mreg pull --parallel 4` of a 4-file, 2 GiB version (4 × 512 MiB) ÷ one `curl` fetching the same four
#      files one after the other to files (target ≤ 1.0); mreg verifies every byte by SHA-256 as it writes;
#      The fixed cost of any push (start-up, JIT, the API calls) is measured as a push of a 3-byte file and reported
#      beside it, with the transfer alone: (mreg push − fixed cost) ÷ curl -T;
#   3. mreg's peak resident memory during each push and pull (GNU time's maximum RSS; target < 100 MB).
#
# Usage: bench/mreg.sh      (~3–6 minutes on 2 cores, needs ~6 GiB free in /tmp)
# Environment: ROUNDS=5 PUSH_MIB=1024 SHARD_MIB=512 WARMUP=40 PIN=1 SKIP_BUILD=1 MREG_JIT=1 REPORT=path.md
# Exit status: 0 when every target holds, 1 when one fails, 2 on a setup error.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
helper="$repo/bench/paging_helper.py"
dll="$repo/ModelRegistry.Web/bin/Release/net10.0/ModelRegistry.Web.dll"
mreg_dll="$repo/ModelRegistry.Client/bin/Release/net10.0/mreg.dll"
mreg_native="$repo/ModelRegistry.Client/bin/Release/net10.0/linux-x64/publish/mreg"
ROUNDS="${ROUNDS:-5}"
PUSH_MIB="${PUSH_MIB:-1024}"
SHARD_MIB="${SHARD_MIB:-512}"
EMAIL=bench@example.com
PASSWORD=bench-password-1
MODEL=bench-pull

work="$(mktemp -d "${TMPDIR:-/tmp}/mr-mreg.XXXXXX")"
server_pid=""
wrapper_pid=""
. "$repo/bench/upload_lib.sh"

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
ok() { awk -v v="$1" -v lim="$2" 'BEGIN { if (v <= lim) print "yes"; else print "**no**" }'; }

cleanup() {
  stop_server
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 2' INT TERM

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  say "Building ModelRegistry.Web and ModelRegistry.Client (Release) …"
  dotnet build "$repo/ModelRegistry.Web" -c Release --nologo -v quiet >&2
  dotnet build "$repo/ModelRegistry.Client" -c Release --nologo -v quiet >&2
  if [ "${MREG_JIT:-0}" != 1 ]; then
    say "Publishing mreg as it ships: compiled ahead of time (~1 minute) …"
    dotnet publish "$repo/ModelRegistry.Client" -c Release -r linux-x64 --nologo -v quiet >&2
  fi
fi
# mreg as it ships (native, ahead-of-time compiled: docs/decisions/0031); MREG_JIT=1 measures the framework-dependent build.
if [ "${MREG_JIT:-0}" = 1 ]; then mreg_cmd=(dotnet "$mreg_dll"); mreg_kind="framework-dependent (JIT)"; else mreg_cmd=("$mreg_native"); mreg_kind="native (AOT)"; fi
[ -f "$dll" ] && [ -f "${mreg_cmd[-1]}" ] || { say "missing $dll or ${mreg_cmd[-1]}"; exit 2; }

# PIN=1 (the default on 2+ cores): the server runs on CPU 0 and every timed client (mreg, curl) on CPU 1, as if the
# pipeline and the registry were separate machines — which they are in use. Unpinned, both share the two cores and
# the comparison measures how the server and the client fight over them: mreg verifies SHA-256 on the client (~0.6 s
# of CPU per GiB here) where curl does nothing, and on a saturated machine that CPU is taken from the server.
PIN="${PIN:-$([ "$(nproc)" -ge 2 ] && echo 1 || echo 0)}"
if [ "$PIN" = 1 ]; then SERVER_CPUS=0; client=(taskset -c 1); placement="server on CPU 0, clients on CPU 1"
else SERVER_CPUS=""; client=(); placement="server and clients sharing all $(nproc) CPUs"; fi
client_api() { "${client[@]}" curl -sS --fail-with-body -H "Authorization: Bearer $token" "$@"; }   # api, on the clients' CPU
export ASPNETCORE_ENVIRONMENT=Production DOTNET_ENVIRONMENT=Production DOTNET_CLI_TELEMETRY_OPTOUT=1
start_registry
export MREG_URL="$base" MREG_TOKEN="$token" HOME="$work/home" MREG_CONFIG_DIR="$work/home/mreg-config"
mkdir -p "$HOME" "$MREG_CONFIG_DIR"

# mreg_timed OUT_RSS ARGS…: runs mreg, prints the seconds; its peak RSS (KiB) goes to OUT_RSS.
mreg_timed() {
  local rss_file=$1; shift
  local s e
  s=$(now)
  "${client[@]}" /usr/bin/time -f '%M' -o "$rss_file" "${mreg_cmd[@]}" "$@" >"$work/mreg.out" 2>"$work/mreg.err" \
    || { say "mreg $* failed:"; cat "$work/mreg.err" >&2; exit 2; }
  e=$(now)
  elapsed "$s" "$e"
}

say "Making a ${PUSH_MIB} MiB file and a 4-file model (4 × ${SHARD_MIB} MiB) …"
mkdir -p "$work/push" "$work/model"
head -c "${PUSH_MIB}M" /dev/urandom >"$work/push/weights.bin"
push_sha=$(sha256sum "$work/push/weights.bin" | cut -d' ' -f1)
names=()
for i in 1 2 3 4; do
  f="model-0000$i-of-00004.safetensors"
  head -c "${SHARD_MIB}M" /dev/urandom >"$work/model/$f"
  names+=("$f")
done
(cd "$work/model" && sha256sum "${names[@]}" | sort -k2) >"$work/model.sha256"
pull_mib=$((4 * SHARD_MIB))

say "Pushing the 4-file model once with mreg (the pull's source; also the warm-up) …"
"${mreg_cmd[@]}" push "$work/model" --model "$MODEL" >"$work/mreg.out" 2>"$work/mreg.err" || { cat "$work/mreg.err" >&2; exit 2; }
read -r pull_version _ <"$work/mreg.out"   # start_registry made an empty version 1 of this model; this is the next
curl_args=()
for f in "${names[@]}"; do curl_args+=(-o "$work/curl/$f" "$base/api/v1/models/$MODEL/versions/$pull_version/files/$f"); done

# fresh: new bytes at the start of the push file, so that every push stores a blob the registry does not have (a
# push of bytes it holds already only drops its staged copy, which is not what is measured); its hash for curl.
fresh() {
  head -c 32 /dev/urandom | dd of="$work/push/weights.bin" bs=32 count=1 conv=notrunc status=none
  push_sha=$(sha256sum "$work/push/weights.bin" | cut -d' ' -f1)
}
pull_blobs=()
for sha in $(cut -d' ' -f1 "$work/model.sha256"); do pull_blobs+=("$data/artifacts/blobs/${sha:0:2}/${sha:2:2}/$sha"); done
for blob in "${pull_blobs[@]}"; do [ -f "$blob" ] || { say "no stored blob at $blob"; exit 2; }; done

curl_push() {   # a new version of a curl-only model each round: PUT with the SHA-256 header
  local n out
  fresh
  n=$(api -H 'Content-Type: application/json' -d '{}' "$base/api/v1/models/bench-curl/versions" | python3 -c 'import json,sys; print(json.load(sys.stdin)["number"])')
  settle "$work/push/weights.bin"
  out=$(client_api -T "$work/push/weights.bin" -H "X-Checksum-Sha256: $push_sha" -o /dev/null -w '%{time_total}' \
    "$base/api/v1/models/bench-curl/versions/$n/files/weights.bin")
  awk -v t="$out" 'BEGIN { printf "%.3f\n", t }'
}
sha_time() { local s e; s=$(now); "${client[@]}" sha256sum "$work/push/weights.bin" >/dev/null; e=$(now); elapsed "$s" "$e"; }
curl_pull() {
  local s e
  settle "${pull_blobs[@]}"
  mkdir -p "$work/curl"
  s=$(now)
  client_api "${curl_args[@]}"
  e=$(now)
  [ "$(cat "$work/curl/"* | wc -c)" = $((pull_mib * 1048576)) ] || { say "curl fetched the wrong number of bytes"; exit 2; }
  elapsed "$s" "$e"
}
mreg_pull() {
  settle "${pull_blobs[@]}"
  mreg_timed "$work/rss" pull "$MODEL@$pull_version" "$work/pulled" --parallel 4
}

api -H 'Content-Type: application/json' -d '{"name":"bench-curl"}' "$base/api/v1/models" >/dev/null
# The server's code is compiled in tiers: a method is recompiled fully optimised only after ~30 calls, and a fresh
# server spends ~0.4 s of CPU per push recompiling for the first half-dozen pushes (measured with
# DOTNET_JitDisasmSummary). A registry that has run for a day has done that long ago, so both upload paths (tus for
# mreg, PUT for curl) are warmed the same way before anything is measured: WARMUP small pushes each (9 MiB, large
# enough for mreg to send through tus and hash while sending), then one full-size push, pull and mreg pull.
WARMUP="${WARMUP:-40}"
say "Warm-up: $WARMUP small pushes with each tool, then one full-size curl push and pull, one mreg pull …"
mkdir -p "$work/small"
api -H 'Content-Type: application/json' -d '{"name":"bench-curl-small"}' "$base/api/v1/models" >/dev/null
for i in $(seq 1 "$WARMUP"); do
  head -c 9M /dev/urandom >"$work/small/w.bin"
  rm -f "$MREG_CONFIG_DIR/hashes.json"
  "${mreg_cmd[@]}" push "$work/small" --model "bench-warm-$i" >/dev/null 2>"$work/mreg.err" || { cat "$work/mreg.err" >&2; exit 2; }
  n=$(api -H 'Content-Type: application/json' -d '{}' "$base/api/v1/models/bench-curl-small/versions" | python3 -c 'import json,sys; print(json.load(sys.stdin)["number"])')
  api -T "$work/small/w.bin" -H "X-Checksum-Sha256: $(sha256sum "$work/small/w.bin" | cut -d' ' -f1)" -o /dev/null \
    "$base/api/v1/models/bench-curl-small/versions/$n/files/w.bin"
done
curl_push >/dev/null; curl_pull >/dev/null; mreg_pull >/dev/null

mkdir -p "$work/tiny"; printf 'hi\n' >"$work/tiny/a.txt"
declare -a t_mpush t_cpush t_sha t_fixed t_mpull t_cpull rss_push rss_pull
for round in $(seq 1 "$ROUNDS"); do
  say "Round $round/$ROUNDS …"
  if [ $((round % 2)) = 1 ]; then t_cpush+=("$(curl_push)"); t_sha+=("$(sha_time)"); fi
  fresh; rm -f "$MREG_CONFIG_DIR/hashes.json"   # no round may start with the file's hash known
  settle "$work/push/weights.bin"
  t_mpush+=("$(mreg_timed "$work/rss" push "$work/push" --model "bench-push-$round" --json)")
  grep -q '"hashed":"while sending"' "$work/mreg.out" || { say "mreg did not hash the file while sending it:"; cat "$work/mreg.out" >&2; exit 2; }
  rss_push+=("$(cat "$work/rss")")
  if [ $((round % 2)) = 0 ]; then t_cpush+=("$(curl_push)"); t_sha+=("$(sha_time)"); fi
  t_fixed+=("$(mreg_timed "$work/rss-tiny" push "$work/tiny" --model "bench-tiny-$round" --json)")

  if [ $((round % 2)) = 0 ]; then t_cpull+=("$(curl_pull)"); fi
  t_mpull+=("$(mreg_pull)")
  rss_pull+=("$(cat "$work/rss")")
  if [ $((round % 2)) = 1 ]; then t_cpull+=("$(curl_pull)"); fi
done

say "Pulling once more and checking the result byte for byte …"
mreg_pull >/dev/null
(cd "$work/pulled" && sha256sum "${names[@]}" | sort -k2) >"$work/got.sha256"
diff -q "$work/model.sha256" "$work/got.sha256" >/dev/null || { say "the pulled bytes differ from what was pushed"; exit 2; }
stop_server

mp=$(median "${t_mpush[@]}"); cp_=$(median "${t_cpush[@]}"); sh=$(median "${t_sha[@]}")
ml=$(median "${t_mpull[@]}"); cl=$(median "${t_cpull[@]}")
push_ratio=$(ratio "$mp" "$cp_"); push_sha_ratio=$(awk -v m="$mp" -v c="$cp_" -v s="$sh" 'BEGIN { printf "%.3f", m / (c + s) }')
pull_ratio=$(ratio "$ml" "$cl")
fx=$(median "${t_fixed[@]}"); transfer_ratio=$(awk -v m="$mp" -v f="$fx" -v c="$cp_" 'BEGIN { printf "%.3f", (m - f) / c }')
rss_max_mb=$(printf '%s\n' "${rss_push[@]}" "${rss_pull[@]}" | sort -g | tail -n 1 | awk '{ printf "%.0f", $1 * 1024 / 1000000 }')
mb() { printf '%s\n' "$@" | awk '{ printf "%s%.0f", (NR > 1 ? " " : ""), $1 * 1024 / 1000000 }'; }
verdicts=("$(ok "$push_ratio" 1.1)" "$(ok "$pull_ratio" 1.0)" "$(awk -v v="$rss_max_mb" 'BEGIN { print (v < 100) ? "yes" : "**no**" }')")

report() {
  echo "Run: $(date -u '+%Y-%m-%d %H:%M UTC') · $(nproc) cores · $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo | cut -d' ' -f1-2) ·" \
    "$(dotnet --version) · $(curl --version | head -n 1 | cut -d' ' -f1-2) · commit $(git -C "$repo" rev-parse --short HEAD)$(git -C "$repo" diff --quiet || echo +changes)"
  echo "Settings: mreg $mreg_kind; $placement; page cache settled before each transfer; server warmed by $WARMUP small pushes per tool; push ${PUSH_MIB} MiB; pull 4 × ${SHARD_MIB} MiB; $ROUNDS interleaved rounds (medians); load average $(cut -d' ' -f1-3 /proc/loadavg)."
  echo
  echo "| measurement | median | all rounds | target | holds |"
  echo "|---|---|---|---|---|"
  echo "| \`mreg push\` (${PUSH_MIB} MiB, no hash cache: hashed while sent through tus, one read) | $mp s | ${t_mpush[*]} | | |"
  echo "| \`curl -T\` with the SHA-256 header (hash known beforehand) | $cp_ s | ${t_cpush[*]} | | |"
  echo "| \`sha256sum\` of the file | $sh s | ${t_sha[*]} | | |"
  echo "| mreg push ÷ curl -T | **$push_ratio** | | ≤ 1.1 | ${verdicts[0]} |"
  echo "| mreg push ÷ (sha256sum + curl -T) | $push_sha_ratio | | | |"
  echo "| \`mreg push\` of a 3-byte file: the fixed cost (start-up, JIT, the API calls of a push) | $fx s | ${t_fixed[*]} | | |"
  echo "| (mreg push − the fixed cost) ÷ curl -T: the transfer alone | $transfer_ratio | | | |"
  echo "| \`mreg pull --parallel 4\` (4 files, ${pull_mib} MiB, verified) | $ml s ($(mbps "$pull_mib" "$ml") MB/s) | ${t_mpull[*]} | | |"
  echo "| one \`curl\` fetching the 4 files one after the other | $cl s ($(mbps "$pull_mib" "$cl") MB/s) | ${t_cpull[*]} | | |"
  echo "| mreg pull ÷ sequential curl | **$pull_ratio** | | ≤ 1.0 | ${verdicts[1]} |"
  echo "| mreg peak RSS, push / pull (MB) | **$rss_max_mb MB** (largest) | $(mb "${rss_push[@]}") / $(mb "${rss_pull[@]}") | < 100 MB | ${verdicts[2]} |"
}
report | tee "${REPORT:-/dev/null}"
case " ${verdicts[*]} " in *no*) exit 1 ;; *) exit 0 ;; esac
