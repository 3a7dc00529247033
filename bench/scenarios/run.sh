#!/usr/bin/env bash
# Behaviour-check benchmark: `deskctl verify` of S scenarios (default 1000) impersonating users on the
# N-table benchmark schema (default 1000 tables, bench/verify/gen.py). Goal: <= 2 s wall, release build.
#
#   bench/scenarios/run.sh [N] [S]
#
# Generates the schema, the rows and the check file (gen.py), starts a throwaway PostgreSQL 15 cluster
# (initdb/pg_ctl in a temp dir, TCP on 127.0.0.1, trust auth, fsync off), loads the Supabase preset, the
# schema and the rows, checks that every scenario passes, then times `deskctl verify` (hyperfine, or a
# `date` loop) and prints the mean wall time, deskctl's own phase timings (-v) and the command. The cluster
# and temp files are removed on exit, whatever happens. Not a timed test: run it by hand.
#
# Environment: DESKCTL=path (default: target/release/deskctl, built with `cargo build --release`),
#              DESKCTL_SKIP_BUILD=1, RUNS (timed runs, default 10), KEEP_DIR=1 (keep the temp dir),
#              PGBIN (default /usr/lib/postgresql/15/bin).
set -euo pipefail

N="${1:-1000}"
S="${2:-1000}"
case "$N$S" in '' | *[!0-9]*) echo "usage: $0 [N tables] [S scenarios]" >&2; exit 2 ;; esac
RUNS="${RUNS:-10}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
PGBIN="${PGBIN:-/usr/lib/postgresql/15/bin}"
DESKCTL="${DESKCTL:-$ROOT/target/release/deskctl}"
GOAL=2.0

log() { printf '==> %s\n' "$*" >&2; }

[ -x "$PGBIN/initdb" ] || { echo "no PostgreSQL server binaries in $PGBIN (set PGBIN)" >&2; exit 2; }
command -v psql >/dev/null || { echo "psql is required" >&2; exit 2; }
HAVE_HYPERFINE=0
command -v hyperfine >/dev/null && HAVE_HYPERFINE=1

if [ -z "${DESKCTL_SKIP_BUILD:-}" ] && [ "$DESKCTL" = "$ROOT/target/release/deskctl" ]; then
    log "cargo build --release"
    (cd "$ROOT" && cargo build --release --quiet)
fi
[ -x "$DESKCTL" ] || { echo "no deskctl binary at $DESKCTL" >&2; exit 2; }

# --- temp dir and cluster ---------------------------------------------------------------------------------
WORK="$(mktemp -d /tmp/deskctl-bench-scenarios.XXXXXX)"
chmod 755 "$WORK"
PGDATA="$WORK/pgdata"
SOCK="$WORK/sock"
mkdir -p "$SOCK"
AS_PG=()
if [ "$(id -u)" -eq 0 ]; then
    AS_PG=(runuser -u postgres --)
    chown postgres: "$WORK" "$SOCK"
fi
STARTED=0
cleanup() {
    local rc=$?
    if [ "$STARTED" -eq 1 ]; then
        "${AS_PG[@]}" "$PGBIN/pg_ctl" -D "$PGDATA" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    if [ -n "${KEEP_DIR:-}" ]; then
        log "kept $WORK"
    else
        rm -rf "$WORK"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
log "initdb + start on 127.0.0.1:$PORT ($WORK)"
"${AS_PG[@]}" "$PGBIN/initdb" -D "$PGDATA" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null
"${AS_PG[@]}" "$PGBIN/pg_ctl" -D "$PGDATA" -l "$WORK/server.log" -w -s \
    -o "-c listen_addresses=127.0.0.1 -p $PORT -k $SOCK -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start
STARTED=1

URL="postgres://postgres@127.0.0.1:$PORT/bench?sslmode=disable"
export PGHOST=127.0.0.1 PGPORT="$PORT" PGUSER=postgres PGDATABASE=bench
unset DATABASE_URL PGPASSWORD PGSERVICE PGOPTIONS || true
psql_q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
psql_q -d postgres -c "create database bench"

# --- schema and rows --------------------------------------------------------------------------------------
log "generating N=$N tables, S=$S scenarios"
python3 "$HERE/gen.py" "$N" "$S" "$WORK/gen" >/dev/null
# shellcheck disable=SC1091
. <(sed 's/ /\n/g' "$WORK/gen/counts.txt")   # tables=, scenarios=, steps=
log "loading the Supabase preset, the schema and the rows"
"$DESKCTL" preset supabase --print | psql_q >/dev/null 2>&1
psql_q -f "$WORK/gen/schema.sql" >/dev/null
psql_q -f "$WORK/gen/data.sql" >/dev/null

# md5 over every row of every table in public: must be the same after verify.
checksum() {
    local q
    q="$(psql -X -At -c "select string_agg(format('select %L as t, md5(coalesce(string_agg(x::text, %L order by x::text), %L)) as m from public.%I x', relname, ',', '', relname), ' union all ') from pg_class where relnamespace = 'public'::regnamespace and relkind = 'r'")"
    psql -X -At -c "select md5(string_agg(t || '=' || m, ',' order by t)) from ($q) s"
}
BEFORE="$(checksum)"

# --- correctness first: every scenario must pass ----------------------------------------------------------
CHECKS="$WORK/gen/scenarios.toml"
log "deskctl verify (untimed check run)"
set +e
"$DESKCTL" -v verify --database-url "$URL" --color never "$CHECKS" >"$WORK/deskctl.out" 2>"$WORK/deskctl.err"
rc=$?
set -e
SUMMARY="$(tail -n 1 "$WORK/deskctl.out")"
if [ "$rc" -ne 0 ] || [ "$SUMMARY" != "$scenarios passed, 0 failed" ]; then
    echo "deskctl verify exited $rc, last line \"$SUMMARY\" (expected \"$scenarios passed, 0 failed\"):" >&2
    grep -v 'PASS' "$WORK/deskctl.out" | head -n 20 >&2
    tail -n 5 "$WORK/deskctl.err" >&2
    exit 1
fi
PHASES="$(grep '^verify:' "$WORK/deskctl.err" | tail -n 1)"
[ "$(checksum)" = "$BEFORE" ] || { echo "the data changed during verify!" >&2; exit 1; }
log "deskctl: $SUMMARY"

# --- timing -----------------------------------------------------------------------------------------------
CMD="$DESKCTL verify --database-url $URL --color never $CHECKS"
log "timing deskctl verify ($RUNS runs)"
if [ "$HAVE_HYPERFINE" -eq 1 ]; then
    hyperfine -N --style basic --warmup 1 --runs "$RUNS" --output null --export-json "$WORK/t.json" "$CMD" >&2
    read -r MEAN MEDIAN MIN MAX < <(python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][0]; print("%.3f %.3f %.3f %.3f" % (r["mean"], r["median"], r["min"], r["max"]))' "$WORK/t.json")
else
    bash -c "$CMD" >/dev/null 2>&1 || true
    times=()
    for ((i = 0; i < RUNS; i++)); do
        s=$(date +%s.%N); bash -c "$CMD" >/dev/null 2>&1 || true; e=$(date +%s.%N)
        times+=("$(python3 -c "print($e-$s)")")
    done
    read -r MEAN MEDIAN MIN MAX < <(python3 -c 'import sys, statistics as st; t=[float(x) for x in sys.argv[1:]]; print(f"{sum(t)/len(t):.3f} {st.median(t):.3f} {min(t):.3f} {max(t):.3f}")' "${times[@]}")
fi
GOAL_MET="$(python3 -c "print('met' if $MEAN <= $GOAL else 'MISSED')")"
LOAD="$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')"
cat <<REPORT

deskctl behaviour benchmark: $scenarios scenarios ($steps steps) on N=$tables tables, PostgreSQL $(psql -X -At -c 'show server_version'), $(nproc) CPU(s)
  deskctl verify   mean ${MEAN} s, median ${MEDIAN} s (min ${MIN}, max ${MAX}; $RUNS runs; load average $LOAD)   -> $SUMMARY
  phases (-v)      ${PHASES#verify: }
  goal             mean <= ${GOAL} s wall: $GOAL_MET
  command          $CMD
REPORT
