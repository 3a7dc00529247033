#!/usr/bin/env bash
# deskctl verify benchmark: N tables (default 1000) against pg_prove (pgTAP) on the same database, in
# the same run.
#
#   bench/verify/run.sh [N]
#
# Generates the schema and the assertion files (gen.py), starts a throwaway PostgreSQL cluster
# (bench/lib.sh), loads the Supabase preset, the schema and pgTAP, writes the check file `deskctl
# snapshot` makes of that database, checks that every tool passes every assertion, then times, in
# interleaved rounds:
#   deskctl verify of the snapshot-generated file   <- the case that counts (users' files look like this)
#   deskctl verify of the hand-written file          (checks.toml: the pgTAP file's 12 assertions per table)
#   pg_prove of pgtap.sql                           (12 assertions per table)
# and prints medians, deskctl's phases (-v: load, connect, snapshot, evaluate, per kind), the
# instructions evaluate executes (callgrind; repeatable where wall time on a shared machine is not),
# the ratios and the machine's load.
#
# Environment: RUNS (deskctl runs per case, default 10), PGTAP_RUNS (default 3), INSTR=0 (skip the
# callgrind count), and bench/lib.sh's DESKCTL, DESKCTL_SKIP_BUILD, PGBIN, KEEP_DIR, BENCH_TMP.
set -euo pipefail

N="${1:-1000}"
case "$N" in '' | *[!0-9]*) echo "usage: $0 [N]" >&2; exit 2 ;; esac
RUNS="${RUNS:-10}"
PGTAP_RUNS="${PGTAP_RUNS:-3}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../lib.sh
. "$HERE/../lib.sh"

# --- prerequisites ----------------------------------------------------------------------------------------
need_apt=()
command -v pg_prove >/dev/null || need_apt+=(libtap-parser-sourcehandler-pgtap-perl)
PGVER="$(basename "$(dirname "${PGBIN:-/usr/lib/postgresql/15/bin}")")"
ls "/usr/share/postgresql/$PGVER/extension/pgtap.control" >/dev/null 2>&1 || need_apt+=("postgresql-$PGVER-pgtap")
if [ "${#need_apt[@]}" -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "missing: ${need_apt[*]} (run as root, or: apt-get install -y ${need_apt[*]})" >&2
        exit 2
    fi
    log "installing ${need_apt[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-upgrade "${need_apt[@]}" >/dev/null
fi

bench_init
bench_cluster_start
URL="$BASE_URL/bench"
export PGDATABASE=bench
psql_q -d postgres -c "create database bench"

# --- schema -----------------------------------------------------------------------------------------------
log "generating N=$N"
python3 "$HERE/gen.py" "$N" "$WORK/gen" >/dev/null
# shellcheck disable=SC1091
. <(sed 's/ /\n/g' "$WORK/gen/counts.txt")   # tables=, assertions_deskctl=, assertions_pgtap=
log "loading the Supabase preset, the schema and pgtap"
if [ -n "${PRESET_SQL:-}" ]; then psql_q -f "$PRESET_SQL" >/dev/null; else "$DESKCTL" preset supabase --print | psql_q >/dev/null; fi
t0=$(bench_now)
psql_q -f "$WORK/gen/schema.sql" >/dev/null
t1=$(bench_now)
psql_q -c "create extension if not exists pgtap" >/dev/null
log "schema loaded in $(python3 -c "print(f'{$t1-$t0:.1f}')") s"

SNAPSHOT="$WORK/gen/snapshot.toml"
"$DESKCTL" snapshot --database-url "$URL" --output "$SNAPSHOT" >/dev/null
SNAPSHOT_CHECKS="$(grep -cE '^\[\[[a-z_]+\]\]' "$SNAPSHOT")"
SNAPSHOT_KINDS="$(grep -E '^\[\[[a-z_]+\]\]' "$SNAPSHOT" | sort | uniq -c | awk '{printf "%s%s %s", sep, $1, $2; sep=", "}')"

# --- correctness first: every tool must pass every assertion ----------------------------------------------
# verify_ok FILE EXPECTED_CHECKS NAME: one untimed -v run; sets STAGES_<NAME>.
verify_ok() {
    local file="$1" expected="$2" name="$3" rc summary
    log "deskctl verify $name (untimed check run)"
    set +e
    "$DESKCTL" -vv verify --database-url "$URL" --color never "$file" >"$WORK/$name.out" 2>"$WORK/$name.err"
    rc=$?
    set -e
    summary="$(tail -n 1 "$WORK/$name.out")"
    if [ "$rc" -ne 0 ] || [ "$summary" != "$expected passed, 0 failed" ]; then
        echo "deskctl verify $file exited $rc, last line \"$summary\" (expected \"$expected passed, 0 failed\"):" >&2
        grep -v 'PASS' "$WORK/$name.out" | head -n 20 >&2
        tail -n 5 "$WORK/$name.err" >&2
        exit 1
    fi
    printf -v "STAGES_$name" '%s' "$(grep '^verify: ' "$WORK/$name.err" | sed 's/^verify: //' | tr '\n' ' ')"
}
verify_ok "$SNAPSHOT" "$SNAPSHOT_CHECKS" snapshot
verify_ok "$WORK/gen/checks.toml" "$assertions_deskctl" hand
log "pg_prove (untimed check run)"
pg_prove -d "$URL" "$WORK/gen/pgtap.sql" >"$WORK/pgprove.out" 2>&1 || {
    echo "pg_prove failed:" >&2; tail -n 20 "$WORK/pgprove.out" >&2; exit 1; }
PGPROVE_SUMMARY="$(grep -E '^(Files=|Result:)' "$WORK/pgprove.out" | tr '\n' ' ')"
grep -q "Tests=$assertions_pgtap," "$WORK/pgprove.out" && grep -q '^Result: PASS' "$WORK/pgprove.out" || {
    echo "pg_prove: expected Tests=$assertions_pgtap and Result: PASS" >&2; exit 1; }

# --- instruction counts (repeatable) ----------------------------------------------------------------------
INSTR_SNAPSHOT=n/a
INSTR_HAND=n/a
if [ "${INSTR:-1}" != 0 ]; then
    log "callgrind: instructions in evaluate (static checks)"
    INSTR_SNAPSHOT="$(bench_instructions '*evaluate_static*' "$DESKCTL" verify --database-url "$URL" --color never "$SNAPSHOT")"
    INSTR_HAND="$(bench_instructions '*evaluate_static*' "$DESKCTL" verify --database-url "$URL" --color never "$WORK/gen/checks.toml")"
fi

# --- timing: interleaved rounds, so that a burst of load hits every tool alike -----------------------------
D_SNAP=(); D_HAND=(); P=()
per=$(( (RUNS + PGTAP_RUNS - 1) / PGTAP_RUNS ))
log "timing: $PGTAP_RUNS rounds of (pg_prove once, deskctl $per x per file); $(bench_load)"
LOAD_BEFORE="$(bench_load)"
run_once() { local s e; s=$(bench_now); "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; exit 1; }; e=$(bench_now); python3 -c "print($e - $s)"; }
"$DESKCTL" verify --database-url "$URL" --color never "$SNAPSHOT" >/dev/null   # warm-up
for ((r = 0; r < PGTAP_RUNS; r++)); do
    t=$(run_once pg_prove -d "$URL" "$WORK/gen/pgtap.sql"); P+=("$t")
    for ((i = 0; i < per; i++)); do
        t=$(run_once "$DESKCTL" verify --database-url "$URL" --color never "$SNAPSHOT"); D_SNAP+=("$t")
        t=$(run_once "$DESKCTL" verify --database-url "$URL" --color never "$WORK/gen/checks.toml"); D_HAND+=("$t")
    done
done
read -r S_MED S_MEAN S_MIN S_MAX < <(bench_stats "${D_SNAP[@]}")
read -r H_MED H_MEAN H_MIN H_MAX < <(bench_stats "${D_HAND[@]}")
read -r P_MED P_MEAN P_MIN P_MAX < <(bench_stats "${P[@]}")
RSS="$(bench_peak_rss "$DESKCTL" verify --database-url "$URL" --color never "$SNAPSHOT")"

RATIO_SNAP="$(bench_ratio "$P_MED" "$S_MED")"
RATIO_HAND="$(bench_ratio "$P_MED" "$H_MED")"
EVAL_MS="$(sed -n 's/.*evaluate \([0-9.]*\) ms.*/\1/p' <<<"$STAGES_snapshot")"
GOAL_EVAL="$(python3 -c "print('met' if float('${EVAL_MS:-1e9}') <= 20 else 'MISSED')")"
GOAL_RATIO="$(python3 -c "print('met' if $P_MED / $S_MED >= 30 else 'MISSED')")"
cat <<REPORT

deskctl verify benchmark: N=$tables tables, PostgreSQL $(psql -X -At -c 'show server_version'), deskctl $("$DESKCTL" --version | awk '{print $2}') ($(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?'))
  snapshot file    $SNAPSHOT_CHECKS checks ($SNAPSHOT_KINDS)
  hand-written     $assertions_deskctl checks; pgTAP $assertions_pgtap assertions
  deskctl verify, snapshot file   median ${S_MED} s (mean ${S_MEAN}, min ${S_MIN}, max ${S_MAX}; ${#D_SNAP[@]} runs), peak RSS ${RSS} MB
  deskctl verify, hand-written    median ${H_MED} s (mean ${H_MEAN}, min ${H_MIN}, max ${H_MAX}; ${#D_HAND[@]} runs)
  pg_prove                        median ${P_MED} s (mean ${P_MEAN}, min ${P_MIN}, max ${P_MAX}; ${#P[@]} runs)   -> $PGPROVE_SUMMARY
  phases, snapshot file (-vv)     ${STAGES_snapshot:-n/a}
  phases, hand-written (-vv)      ${STAGES_hand:-n/a}
  evaluate instructions           snapshot file ${INSTR_SNAPSHOT}, hand-written ${INSTR_HAND} (callgrind, evaluate_static only)
  ratio pg_prove / deskctl        snapshot file ${RATIO_SNAP}x, hand-written ${RATIO_HAND}x (medians)
  machine                         before timing: $LOAD_BEFORE; after: $(bench_load)
  goals                           evaluate <= 20 ms (snapshot file): $GOAL_EVAL; >= 30x pg_prove (snapshot file): $GOAL_RATIO
  commands                        $DESKCTL verify --database-url $URL --color never snapshot.toml
                                  $DESKCTL verify --database-url $URL --color never checks.toml
                                  pg_prove -d $URL pgtap.sql
REPORT
