#!/usr/bin/env bash
# Paging benchmark (docs/design.md, "Reads": the database pages; nothing loads a whole table).
#
# For each shape it seeds a 1k-version and a 100k-version registry with `seed-demo` in fresh temporary
# data directories, starts one server on each (loopback, free port), and measures the latency of the
# LAST page of GET /api/v1/models and of GET /api/v1/models/{name}/versions (pageSize=50) on both,
# interleaved in rounds so a shared machine's load drift hits both alike. It prints p50/p95, the
# 100k/1k ratios (target ≤ 2×) and the seeding times, rates and a same-machine baseline.
#
# "Well under a minute" for seeding 100k versions is checked as ≤ MAX_SEED_SECONDS (default 20) of wall
# time for the whole seed-demo process, start-up and migration included.
#
# Usage: bench/paging.sh            (from anywhere; ~1.5–3 minutes on 2 cores)
# Environment: REQUESTS=200 WARMUP=20 ROUNDS=10 MAX_RATIO=2 MAX_SEED_SECONDS=20 SKIP_BUILD=1 REPORT=path.md
#              SHAPES="grid deep wide" (subset to run; "teams" is the team-visibility shape, TEAMS_MAX_RATIO=1.2)
#              DATABASE=Postgres: the same on PostgreSQL — a throwaway cluster (Debian's postgresql package, run as
#              the postgres user when root) on a free loopback port, one database per data set; no SQLite baseline.
# Exit status: 0 when every target holds, 1 when one fails, 2 on a setup error.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
helper="$repo/bench/paging_helper.py"
dll="$repo/ModelRegistry.Web/bin/Release/net10.0/ModelRegistry.Web.dll"
REQUESTS="${REQUESTS:-200}"
WARMUP="${WARMUP:-20}"
ROUNDS="${ROUNDS:-10}"
MAX_RATIO="${MAX_RATIO:-2}"
MAX_SEED_SECONDS="${MAX_SEED_SECONDS:-20}"
SHAPES="${SHAPES:-grid deep wide}"
DATABASE="${DATABASE:-Sqlite}"

# shape → "label models versions-per-model" for the 1k and the 100k side, and the endpoints to time.
# teams (run it with SHAPES=teams): the same 10,000 models × 10 versions on both sides; on the "teams" side 1,000
# teams, half the models Restricted to one of them, the bench user in 20 teams. Target: TEAMS_MAX_RATIO (1.2×) of
# the plain side's p50 — today's model list against the list filtered by visibility (docs/design.md, "Teams").
declare -A SMALL=([grid]="1k 10 100" [deep]="1k 1 1000" [wide]="1k 50 20" [teams]="plain 10000 10")
declare -A LARGE=([grid]="100k 1000 100" [deep]="100k 1 100000" [wide]="100k 5000 20" [teams]="teams 10000 10")
declare -A ENDPOINTS=([grid]="models,versions" [deep]="models,versions" [wide]="models,versions" [teams]="models")

work="$(mktemp -d "${TMPDIR:-/tmp}/mr-paging.XXXXXX")"
pids=()

cleanup() {
  stop_servers
  stop_postgres
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 2' INT TERM

say() { printf '%s\n' "$*" >&2; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  say "Building ModelRegistry.Web (Release) …"
  dotnet build "$repo/ModelRegistry.Web" -c Release --nologo -v quiet >&2
fi
[ -f "$dll" ] || { say "missing $dll"; exit 2; }

# PostgreSQL: a throwaway cluster in the work directory, trust authentication on 127.0.0.1 only.
pg_bin=""
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
stop_postgres() {
  [ -n "$pg_bin" ] && [ -d "$work/pg/data" ] && as_postgres "$pg_bin/pg_ctl" -D "$work/pg/data" -m immediate -w stop >/dev/null 2>&1 || true
}
if [ "$DATABASE" = Postgres ]; then
  pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -x "$pg_bin/initdb" ] || { say "PostgreSQL is not installed (apt-get install -y postgresql)"; exit 2; }
  mkdir -p "$work/pg"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$work" "$work/pg"
  pg_port=$(python3 "$helper" free-port)
  as_postgres "$pg_bin/initdb" -D "$work/pg/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null
  as_postgres "$pg_bin/pg_ctl" -D "$work/pg/data" -l "$work/pg/server.log" -w \
    -o "-p $pg_port -k $work/pg -c listen_addresses=127.0.0.1" start >/dev/null
fi

# db_env DIR: the configuration of the data set in DIR (its data directory and, on PostgreSQL, its own database).
db_env() {
  export Registry__DataDirectory="$1"
  if [ "$DATABASE" = Postgres ]; then
    export Registry__Database=Postgres
    export ConnectionStrings__Registry="Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=$(basename "$1" | tr -c 'a-z0-9\n' '_')"
  fi
}

export ASPNETCORE_ENVIRONMENT=Production DOTNET_ENVIRONMENT=Production DOTNET_CLI_TELEMETRY_OPTOUT=1
results="$work/results.jsonl"
seeds="$work/seeds.jsonl"
: >"$results"
: >"$seeds"

# seed DIR LABEL MODELS VPM: fresh data directory, timed seed-demo, a DataScientist and a token.
seed() {
  local dir="$1" label="$2" models="$3" vpm="$4" start end seeder
  mkdir -p "$dir"
  start=$(date +%s.%N)
  (cd "$dir" && db_env "$dir" && timeout 600 dotnet "$dll" seed-demo --models "$models" --versions-per-model "$vpm" 2>"$dir/seed.err")
  end=$(date +%s.%N)
  seeder=$(grep -o 'in [0-9.]* s' "$dir/seed.err" | grep -o '[0-9.]*' || echo '?')
  printf '{"label":"%s (%s×%s)","versions":%d,"wall":%s,"seeder":"%s"}\n' "$label" "$models" "$vpm" \
    $((models * vpm)) "$(elapsed "$start" "$end")" "$seeder" >>"$seeds"
  say "  seeded $label: $models models × $vpm versions in $(elapsed "$start" "$end") s (seeder: $seeder s)"
  (cd "$dir" && db_env "$dir" && timeout 120 dotnet "$dll" users create --email bench@example.com \
    --password bench-password-1 --role DataScientist 2>>"$dir/seed.err")
  (cd "$dir" && db_env "$dir" && timeout 120 dotnet "$dll" tokens create --email bench@example.com \
    --name bench 2>>"$dir/seed.err") >"$dir/token"
  [ -s "$dir/token" ] || { say "no token for $label"; cat "$dir/seed.err" >&2; exit 2; }
}

# serve DIR: starts a server on a free loopback port (capped at 30 minutes); sets $port.
serve() {
  local dir="$1"
  port=$(python3 "$helper" free-port)
  (cd "$dir" && db_env "$dir" && exec timeout 1800 dotnet "$dll" --urls "http://127.0.0.1:$port" \
    >"$dir/server.log" 2>&1) &
  pids+=("$!")
}

stop_servers() {
  local pid i
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    for i in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -9 "$pid" 2>/dev/null || true
  done
  pids=()
}

for shape in $SHAPES; do
  read -r slabel smodels svpm <<<"${SMALL[$shape]}"
  read -r llabel lmodels lvpm <<<"${LARGE[$shape]}"
  say "Shape $shape: $slabel = $smodels×$svpm, $llabel = $lmodels×$lvpm"
  sdir="$work/$shape-$slabel"
  ldir="$work/$shape-$llabel"
  seed "$sdir" "$slabel" "$smodels" "$svpm"
  seed "$ldir" "$llabel" "$lmodels" "$lvpm"
  shape_limit=()
  if [ "$shape" = teams ]; then
    [ "$DATABASE" = Postgres ] && { say "the teams shape seeds its teams into SQLite only"; exit 2; }
    python3 "$helper" restrict-teams --db "$ldir/registry.db" --email bench@example.com --teams 1000 --member-teams 20
    shape_limit=(--max-ratio "${TEAMS_MAX_RATIO:-1.2}")
  fi
  if [ "$shape" = grid ] && [ -z "${baseline_s:-}" ] && [ "$DATABASE" != Postgres ]; then
    baseline_s=$(python3 "$helper" baseline --schema-from "$sdir/registry.db" --db "$work/baseline.db" \
      --models 1000 --versions-per-model 100)
    say "  baseline (python sqlite3, same rows): $baseline_s s"
  fi
  serve "$sdir"; sport=$port
  serve "$ldir"; lport=$port
  python3 "$helper" wait --port "$sport" || { tail -n 40 "$sdir/server.log" >&2; exit 2; }
  python3 "$helper" wait --port "$lport" || { tail -n 40 "$ldir/server.log" >&2; exit 2; }
  python3 "$helper" measure --shape "$shape" --endpoints "${ENDPOINTS[$shape]}" \
    --small-port "$sport" --small-token "$sdir/token" --small-label "$slabel ($smodels×$svpm)" \
    --large-port "$lport" --large-token "$ldir/token" --large-label "$llabel ($lmodels×$lvpm)" \
    --requests "$REQUESTS" --warmup "$WARMUP" --rounds "$ROUNDS" --out "$results" "${shape_limit[@]}"
  stop_servers
  rm -rf "$sdir" "$ldir"
done

set +e
{
  echo "Run: $(date -u '+%Y-%m-%d %H:%M UTC') · $(nproc) cores · $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //') · " \
    "$(awk '/MemTotal/ {printf "%.0f GiB RAM", $2/1048576}' /proc/meminfo) · .NET $(dotnet --version) · " \
    "$(if [ "$DATABASE" = Postgres ]; then "$pg_bin/postgres" --version; else echo "SQLite $(python3 -c 'import sqlite3; print(sqlite3.sqlite_version)') (Python's; the app bundles its own)"; fi) · " \
    "commit $(git -C "$repo" rev-parse --short HEAD)$(git -C "$repo" diff --quiet HEAD -- . ':!bench' ':!docs' || echo '+changes')"
  echo "Settings: $REQUESTS timed requests per endpoint and side after $WARMUP warm-up, in $ROUNDS interleaved rounds."
  echo
  python3 "$helper" report --results "$results" --seeds "$seeds" --baseline "${baseline_s:-}" \
    --max-ratio "$MAX_RATIO" --max-seed-seconds "$MAX_SEED_SECONDS"
} | tee "${REPORT:-/dev/null}"
exit "${PIPESTATUS[0]}"
