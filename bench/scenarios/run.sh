#!/usr/bin/env bash
# Behaviour-check benchmark: `deskctl verify` of S scenarios (default 1000) impersonating users on the
# N-table benchmark schema (default 1000 tables, bench/verify/gen.py). Goal: <= 2 s wall, release build.
#
#   bench/scenarios/run.sh [N] [S]
#
# Generates the schema, the rows and the check file (gen.py), starts a throwaway cluster (bench/lib.sh),
# loads the Supabase preset, the schema and the rows, checks that every scenario passes and that no row
# changed, then times `deskctl verify` and prints the median wall time with the machine's load,
# deskctl's own phase timings (-v) and the command. Not a timed test: run it by hand.
#
# The cost of the per-step session-state checks (checks/behaviour/state.rs: one read before and one
# after every step, pipelined with it, so they add server work but no round trip) is measured by
# pg_stat_statements over one extra run: the state reads' calls and server execution time, next to
# every statement deskctl sent. There is deliberately no switch to turn the checks off.
#
# Environment: RUNS (timed runs, default 10), and bench/lib.sh's DESKCTL, DESKCTL_SKIP_BUILD, PGBIN,
# KEEP_DIR, BENCH_TMP.
set -euo pipefail

N="${1:-1000}"
S="${2:-1000}"
case "$N$S" in '' | *[!0-9]*) echo "usage: $0 [N tables] [S scenarios]" >&2; exit 2 ;; esac
RUNS="${RUNS:-10}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
GOAL=2.0
# shellcheck source=../lib.sh
. "$HERE/../lib.sh"
bench_init
bench_cluster_start shared_preload_libraries=pg_stat_statements pg_stat_statements.track=all
URL="$BASE_URL/bench?sslmode=disable"
export PGDATABASE=bench
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
CMD=("$DESKCTL" verify --database-url "$URL" --color never "$CHECKS")
LOAD_BEFORE="$(bench_load)"
log "timing deskctl verify ($RUNS runs; $LOAD_BEFORE)"
read -r MEDIAN MEAN MIN MAX < <(bench_time "$RUNS" "${CMD[@]}")
[ -n "${MEDIAN:-}" ] || exit 1
# --- cost of the per-step state checks (one more run, counted by pg_stat_statements) --------------------
psql_q -c "set client_min_messages = warning; create extension if not exists pg_stat_statements" >/dev/null
psql_q -c "select pg_stat_statements_reset()" >/dev/null
"${CMD[@]}" >/dev/null 2>&1 || true
STATE_COST="$(psql -X -At -F ' ' -c "
  select sum(calls) filter (where s), round(sum(total_exec_time) filter (where s)::numeric, 1),
         sum(calls), round(sum(total_exec_time)::numeric, 1)
    from (select calls, total_exec_time,
                 query like 'select pg_catalog.now() as tx_start, current_user as current_user_name%' as s
            from pg_stat_statements
           where dbid = (select oid from pg_database where datname = current_database())
             and query not like '%pg_stat_statements%') q")"
read -r STATE_CALLS STATE_MS ALL_CALLS ALL_MS <<<"$STATE_COST"
GOAL_MET="$(python3 -c "print('met' if $MEDIAN <= $GOAL else 'MISSED')")"
cat <<REPORT

deskctl behaviour benchmark: $scenarios scenarios ($steps steps) on N=$tables tables, PostgreSQL $(psql -X -At -c 'show server_version'), deskctl $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')
  deskctl verify   median ${MEDIAN} s (mean ${MEAN}, min ${MIN}, max ${MAX}; $RUNS runs)   -> $SUMMARY
  phases (-v)      ${PHASES#verify: }
  machine          before timing: $LOAD_BEFORE; after: $(bench_load)
  state checks     ${STATE_CALLS} state reads took ${STATE_MS} ms of server execution, of ${ALL_MS} ms for all ${ALL_CALLS} statements (pg_stat_statements, one run; pipelined: no extra round trip)
  goal             median <= ${GOAL} s wall: $GOAL_MET
  command          ${CMD[*]}
REPORT
