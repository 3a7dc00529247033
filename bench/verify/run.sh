#!/usr/bin/env bash
# deskctl verify benchmark: N tables (default 1000), 12 assertions per table, deskctl vs pg_prove (pgTAP).
#
#   bench/verify/run.sh [N]
#
# Generates the schema and both assertion files (gen.py), starts a throwaway PostgreSQL 15 cluster
# (initdb/pg_ctl in a temp dir, TCP on 127.0.0.1, trust auth, fsync off), loads the Supabase preset and the
# schema, then times `deskctl verify` and `pg_prove` on the same database and prints both wall times,
# the assertion counts and the ratio. The cluster and temp files are removed on exit, whatever happens.
#
# Environment: DESKCTL=path (default: target/release/deskctl, built with `cargo build --release`),
#              RUNS (deskctl timed runs, default 10), PGTAP_RUNS (default 3), KEEP_DIR=1 (keep temp dir),
#              PGBIN (default /usr/lib/postgresql/15/bin), PRESET_SQL=file (instead of `deskctl preset supabase --print`).
set -euo pipefail

N="${1:-1000}"
case "$N" in '' | *[!0-9]*) echo "usage: $0 [N]" >&2; exit 2 ;; esac
RUNS="${RUNS:-10}"
PGTAP_RUNS="${PGTAP_RUNS:-3}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
PGBIN="${PGBIN:-/usr/lib/postgresql/15/bin}"
DESKCTL="${DESKCTL:-$ROOT/target/release/deskctl}"

log() { printf '==> %s\n' "$*" >&2; }

# --- prerequisites ----------------------------------------------------------------------------------------
need_apt=()
command -v pg_prove >/dev/null || need_apt+=(libtap-parser-sourcehandler-pgtap-perl)
ls /usr/share/postgresql/15/extension/pgtap.control >/dev/null 2>&1 || need_apt+=(postgresql-15-pgtap)
if [ "${#need_apt[@]}" -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "missing: ${need_apt[*]} (run as root, or: apt-get install -y ${need_apt[*]})" >&2
        exit 2
    fi
    log "installing ${need_apt[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
[ -x "$PGBIN/initdb" ] || { echo "no PostgreSQL server binaries in $PGBIN (set PGBIN)" >&2; exit 2; }
HAVE_HYPERFINE=0
command -v hyperfine >/dev/null && HAVE_HYPERFINE=1

if [ -z "${DESKCTL_SKIP_BUILD:-}" ] && [ "$DESKCTL" = "$ROOT/target/release/deskctl" ]; then
    log "cargo build --release"
    (cd "$ROOT" && cargo build --release --quiet)
fi
[ -x "$DESKCTL" ] || { echo "no deskctl binary at $DESKCTL" >&2; exit 2; }

# --- temp dir and cluster ---------------------------------------------------------------------------------
WORK="$(mktemp -d /tmp/deskctl-bench.XXXXXX)"
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

URL="postgres://postgres@127.0.0.1:$PORT/bench"
export PGHOST=127.0.0.1 PGPORT="$PORT" PGUSER=postgres PGDATABASE=bench
unset DATABASE_URL PGPASSWORD PGSERVICE PGOPTIONS || true
psql_q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
psql_q -d postgres -c "create database bench"

# --- schema -----------------------------------------------------------------------------------------------
log "generating N=$N"
python3 "$HERE/gen.py" "$N" "$WORK/gen" >/dev/null
# shellcheck disable=SC1091
. <(sed 's/ /\n/g' "$WORK/gen/counts.txt")   # tables=, assertions_deskctl=, assertions_pgtap=
log "loading the Supabase preset, the schema and pgtap"
if [ -n "${PRESET_SQL:-}" ]; then psql_q -f "$PRESET_SQL" >/dev/null; else "$DESKCTL" preset supabase --print | psql_q >/dev/null; fi
t0=$(date +%s.%N)
psql_q -f "$WORK/gen/schema.sql" >/dev/null
t1=$(date +%s.%N)
psql_q -c "create extension if not exists pgtap" >/dev/null
log "schema loaded in $(python3 -c "print(f'{$t1-$t0:.1f}')") s"

# --- correctness first: both must pass every assertion ----------------------------------------------------
log "deskctl verify (untimed check run)"
set +e
"$DESKCTL" -v verify --database-url "$URL" --color never "$WORK/gen/checks.toml" >"$WORK/deskctl.out" 2>"$WORK/deskctl.err"
rc=$?
set -e
if [ "$rc" -ne 0 ]; then
    echo "deskctl verify exited $rc (expected 0); last lines:" >&2
    tail -n 20 "$WORK/deskctl.err" "$WORK/deskctl.out" >&2
    exit 1
fi
DESKCTL_SUMMARY="$(tail -n 1 "$WORK/deskctl.out")"
DESKCTL_STAGES="$(grep -o 'load .*' "$WORK/deskctl.err" | tail -n 1 || true)"   # -v timing line, if any
log "deskctl: $DESKCTL_SUMMARY"
if [ "$DESKCTL_SUMMARY" != "$assertions_deskctl passed, 0 failed" ]; then
    echo "deskctl verify: expected \"$assertions_deskctl passed, 0 failed\" as the last line, got \"$DESKCTL_SUMMARY\"" >&2
    exit 1
fi
log "pg_prove (untimed check run)"
pg_prove -d "$URL" "$WORK/gen/pgtap.sql" >"$WORK/pgprove.out" 2>&1 || {
    echo "pg_prove failed:" >&2; tail -n 20 "$WORK/pgprove.out" >&2; exit 1; }
PGPROVE_SUMMARY="$(grep -E '^(Files=|Result:)' "$WORK/pgprove.out" | tr '\n' ' ')"
log "pg_prove: $PGPROVE_SUMMARY"
grep -q "Tests=$assertions_pgtap," "$WORK/pgprove.out" && grep -q '^Result: PASS' "$WORK/pgprove.out" || {
    echo "pg_prove: expected Tests=$assertions_pgtap and Result: PASS" >&2; exit 1; }

# --- timing -----------------------------------------------------------------------------------------------
DESKCTL_CMD="$DESKCTL verify --database-url $URL --color never $WORK/gen/checks.toml"
PGPROVE_CMD="pg_prove -d $URL $WORK/gen/pgtap.sql"

# mean wall seconds of a command over $2 runs (after one warm-up), via hyperfine or a date loop
time_cmd() {
    local cmd="$1" runs="$2" name="$3"
    if [ "$HAVE_HYPERFINE" -eq 1 ]; then
        hyperfine -N --style basic --warmup 1 --runs "$runs" --output null \
            --export-json "$WORK/$name.json" "$cmd" >&2
        python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][0]; print("%.4f %.4f %.4f %.4f" % (r["mean"], r["median"], r["min"], r["max"]))' "$WORK/$name.json"
    else
        bash -c "$cmd" >/dev/null 2>&1
        local times=() i s e
        for ((i = 0; i < runs; i++)); do
            s=$(date +%s.%N); bash -c "$cmd" >/dev/null 2>&1; e=$(date +%s.%N)
            times+=("$(python3 -c "print($e-$s)")")
        done
        python3 -c 'import statistics,sys; t=[float(x) for x in sys.argv[1:]]; print("%.4f %.4f %.4f %.4f" % (statistics.mean(t), statistics.median(t), min(t), max(t)))' "${times[@]}"
    fi
}

log "timing deskctl verify ($RUNS runs)"
read -r D_MEAN D_MED D_MIN D_MAX < <(time_cmd "$DESKCTL_CMD" "$RUNS" deskctl)
log "timing pg_prove ($PGTAP_RUNS runs)"
read -r P_MEAN P_MED P_MIN P_MAX < <(time_cmd "$PGPROVE_CMD" "$PGTAP_RUNS" pgprove)

# Goals are judged on medians (robust to a busy machine); means are printed too.
RATIO="$(python3 -c "print(f'{$P_MED/$D_MED:.1f}')")"
GOAL_TIME="$(python3 -c "print('met' if $D_MED <= 0.3 else 'MISSED')")"
GOAL_RATIO="$(python3 -c "print('met' if $P_MED/$D_MED >= 20 else 'MISSED')")"
cat <<REPORT

deskctl verify benchmark: N=$tables tables, PostgreSQL $(psql -X -At -c 'show server_version')
  assertions       deskctl $assertions_deskctl, pgTAP $assertions_pgtap
  deskctl verify   mean ${D_MEAN} s (median ${D_MED}, min ${D_MIN}, max ${D_MAX}; $RUNS runs)   -> $DESKCTL_SUMMARY
  pg_prove         mean ${P_MEAN} s (median ${P_MED}, min ${P_MIN}, max ${P_MAX}; $PGTAP_RUNS runs)   -> $PGPROVE_SUMMARY
  deskctl stages   ${DESKCTL_STAGES:-n/a} (one -v run, untimed)
  ratio            pg_prove / deskctl = ${RATIO}x (medians)
  machine          load average $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) CPUs
  goals            deskctl <= 0.3 s: $GOAL_TIME; >= 20x faster than pg_prove: $GOAL_RATIO
  commands         $DESKCTL_CMD
                   $PGPROVE_CMD
REPORT
