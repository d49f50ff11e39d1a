# Sourced by bench/upload.sh, bench/upload_s3.sh, bench/mreg.sh and bench/mreg_cpu.sh: a registry from the Release
# build on a fresh data directory, a data scientist's token, one model with version 1, and the helpers they measure with.
# The sourcing script sets repo, work, dll, helper, EMAIL, PASSWORD, MODEL, server_pid="" and wrapper_pid="",
# exports the Registry__* settings it needs, then calls start_registry.

say() { printf '%s\n' "$*" >&2; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
mbps() { awk -v mib="$1" -v s="$2" 'BEGIN { printf "%.0f", mib * 1.048576 / s }'; }

stop_server() {
  local i
  [ -n "$wrapper_pid" ] || return 0
  kill "$wrapper_pid" 2>/dev/null || true
  for i in $(seq 1 40); do kill -0 "$wrapper_pid" 2>/dev/null || break; sleep 0.25; done
  [ -n "$server_pid" ] && kill -9 "$server_pid" 2>/dev/null || true
  wrapper_pid=""
}

data="$work/data"
cli() { (cd "$work" && Registry__DataDirectory="$data" timeout 120 dotnet "$dll" "$@"); }

# start_registry: the user and token through the command line, the server on a free loopback port (on the CPUs listed
# in SERVER_CPUS when set, e.g. "0"), the model and its version through the API. Sets token, base, files, wrapper_pid and server_pid.
start_registry() {
  mkdir -p "$data"
  cli users create --email "$EMAIL" --password "$PASSWORD" --role DataScientist 2>>"$work/cli.err"
  token="$(cli tokens create --email "$EMAIL" --name bench 2>>"$work/cli.err")"
  [ -n "$token" ] || { say "no token"; cat "$work/cli.err" >&2; exit 2; }

  port=$(python3 "$helper" free-port)
  base="http://127.0.0.1:$port"
  (cd "$work" && Registry__DataDirectory="$data" exec ${SERVER_CPUS:+taskset -c "$SERVER_CPUS"} timeout 1800 dotnet "$dll" --urls "$base" >"$work/server.log" 2>&1) &
  wrapper_pid=$!
  python3 "$helper" wait --port "$port" || { tail -n 40 "$work/server.log" >&2; exit 2; }
  server_pid=$(pgrep -P "$wrapper_pid" | head -n 1)
  [ -n "$server_pid" ] && [ -r "/proc/$server_pid/status" ] || { say "cannot find the server process"; exit 2; }
  api -H 'Content-Type: application/json' -d "{\"name\":\"$MODEL\"}" "$base/api/v1/models" >/dev/null
  api -H 'Content-Type: application/json' -d '{}' "$base/api/v1/models/$MODEL/versions" >/dev/null
  files="$base/api/v1/models/$MODEL/versions/1/files"
}

api() { curl -sS --fail-with-body -H "Authorization: Bearer $token" "$@"; }
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$server_pid/status"; }

# sample_rss OUT STOP: the largest VmRSS seen until STOP exists (at most 12 000 samples, 25 ms apart). Bash
# builtins only, so that sampling does not itself load the 2 cores with a process every few milliseconds.
sample_rss() {
  local max=0 key value rest i tick
  exec {tick}<> <(:)
  for ((i = 0; i < 12000; i++)); do
    [ -e "$2" ] && break
    while read -r key value rest; do
      if [ "$key" = "VmRSS:" ]; then
        [ "$value" -gt "$max" ] && max=$value
        break
      fi
    done <"/proc/$server_pid/status"
    read -r -t 0.025 -u "$tick" _ || true
  done
  exec {tick}<&-
  echo "$max" >"$1"
}

# upload FILE PATH SHA: prints the seconds; fails unless the registry answers 200/201.
upload() {
  local out
  out=$(api -T "$1" -H "X-Checksum-Sha256: $3" -o "$work/upload.json" -w '%{time_total} %{http_code}' "$files/$2")
  case "${out#* }" in 200|201) ;; *) say "upload of $2 failed: $out $(cat "$work/upload.json")"; exit 2 ;; esac
  awk -v t="${out% *}" 'BEGIN { printf "%.3f\n", t }'
}

# settle FILE…: every timed transfer of bench/mreg.sh and bench/mreg_cpu.sh starts from the same page cache. On this
# machine writing into the page cache costs the writer up to three times the CPU when another 1–2 GiB were just
# written (measured with pull rounds in either order: whichever tool ran second paid 3–6 s of system time instead of
# ~1.5 s), so the order of the tools in a round decided the result. Dirty pages are written back, the cache is dropped (as root; otherwise only the write-back),
# and the next transfer's inputs are read back in: each transfer starts with only its inputs cached.
settle() {
  rm -rf "$work/curl" "$work/pulled"
  sync
  if [ -w /proc/sys/vm/drop_caches ]; then echo 1 >/proc/sys/vm/drop_caches; fi
  cat "$@" >/dev/null
}
