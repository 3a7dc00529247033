#!/usr/bin/env bash
# Scale benchmark: `deskctl snapshot`, `deskctl verify` of the file that snapshot wrote, and `deskctl
# diagnose` on the benchmark schema (bench/verify/gen.py: per table 4 policies, a view, a sequence, an
# index) at several sizes, default 1,000 and 10,000 tables. Prints, per size, the median wall time of
# each command, its peak memory (/usr/bin/time -v), deskctl's own phases (-v), and the growth from the
# smallest size to each larger one next to the linear factor (goal: at most ~1.1 x linear).
#
#   bench/scale/run.sh [N...]                 (default: 1000 10000)
#
# Each size gets its own database on one throwaway cluster (bench/lib.sh); loading 10,000 tables takes
# minutes. SCALE_URLS="1000=postgres://... 10000=postgres://..." times existing databases of the
# benchmark schema instead (nothing is loaded). Environment: RUNS (default 5), and bench/lib.sh's
# DESKCTL, DESKCTL_SKIP_BUILD, PGBIN, KEEP_DIR, BENCH_TMP.
set -euo pipefail

SIZES=("$@")
[ "${#SIZES[@]}" -gt 0 ] || SIZES=(1000 10000)
for n in "${SIZES[@]}"; do
    case "$n" in '' | *[!0-9]*) echo "usage: $0 [N...]" >&2; exit 2 ;; esac
done
RUNS="${RUNS:-5}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../lib.sh
. "$HERE/../lib.sh"
bench_init

declare -A URLS=()
for kv in ${SCALE_URLS:-}; do URLS[${kv%%=*}]="${kv#*=}"; done
need_cluster=0
for n in "${SIZES[@]}"; do [ -n "${URLS[$n]:-}" ] || need_cluster=1; done
if [ "$need_cluster" -eq 1 ]; then
    bench_cluster_start
    "$DESKCTL" preset supabase --print >"$WORK/preset.sql"
fi
for n in "${SIZES[@]}"; do
    [ -z "${URLS[$n]:-}" ] || continue
    db="scale_$n"
    psql_q -d postgres -c "create database $db"
    python3 "$ROOT/bench/verify/gen.py" "$n" "$WORK/gen$n" >/dev/null
    log "loading $n tables into $db"
    psql_q -d "$db" -f "$WORK/preset.sql" >/dev/null 2>&1
    t0=$(bench_now)
    psql_q -d "$db" -f "$WORK/gen$n/schema.sql" >/dev/null
    log "loaded in $(python3 -c "print(f'{$(bench_now) - $t0:.0f}')") s"
    URLS[$n]="$BASE_URL/$db"
done

# diagnose exits 1 when it finds something at --fail-on level: that is a result, not a failure.
diagnose() {
    local rc=0
    "$DESKCTL" "$@" || rc=$?
    [ "$rc" -le 1 ]
}

declare -A T=() M=() P=()
for n in "${SIZES[@]}"; do
    url="${URLS[$n]}"
    file="$WORK/snapshot$n.toml"
    "$DESKCTL" -v snapshot --database-url "$url" --output "$file" 2>/dev/null
    checks="$(grep -c '^\[\[' "$file")"
    "$DESKCTL" -vv verify --database-url "$url" --color never "$file" >"$WORK/verify$n.out" 2>"$WORK/verify$n.err" || {
        echo "verify of its own snapshot failed at N=$n:" >&2; grep -v PASS "$WORK/verify$n.out" | head >&2; exit 1; }
    P[verify,$n]="$(grep '^verify: ' "$WORK/verify$n.err" | sed 's/^verify: //' | tr '\n' ' ')"
    diagnose -v diagnose --database-url "$url" --color never >/dev/null 2>"$WORK/diagnose$n.err"
    P[diagnose,$n]="$(grep '^diagnose: ' "$WORK/diagnose$n.err" | sed 's/^diagnose: //' | tr '\n' ' ')"
    log "N=$n: timing ($RUNS runs each; $(bench_load))"
    out=$(bench_time "$RUNS" "$DESKCTL" snapshot --database-url "$url" --force --output "$WORK/s.toml"); T[snapshot,$n]="${out%% *}"
    out=$(bench_time "$RUNS" "$DESKCTL" verify --database-url "$url" --color never "$file"); T[verify,$n]="${out%% *}"
    out=$(bench_time "$RUNS" diagnose diagnose --database-url "$url" --color never); T[diagnose,$n]="${out%% *}"
    M[snapshot,$n]="$(bench_peak_rss "$DESKCTL" snapshot --database-url "$url" --force --output "$WORK/s.toml")"
    M[verify,$n]="$(bench_peak_rss "$DESKCTL" verify --database-url "$url" --color never "$file")"
    M[diagnose,$n]="$(bench_peak_rss "$DESKCTL" diagnose --database-url "$url" --color never)"
    P[checks,$n]="$checks"
done

base="${SIZES[0]}"
echo
echo "deskctl scale benchmark, PostgreSQL $(psql -X -At -d "${URLS[$base]}" -c 'show server_version'), deskctl $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?'); $(bench_load)"
printf '  %-8s %7s %8s %12s %12s %22s\n' command tables checks "median s" "peak MB" "growth (linear)"
for cmd in snapshot verify diagnose; do
    for n in "${SIZES[@]}"; do
        growth="-"
        if [ "$n" != "$base" ]; then
            growth="$(python3 -c "print(f'{${T[$cmd,$n]} / ${T[$cmd,$base]}:.1f}x ({$n / $base:.1f}x)')")"
        fi
        checks="-"; [ "$cmd" = verify ] && checks="${P[checks,$n]}"
        printf '  %-8s %7s %8s %12s %12s %22s\n' "$cmd" "$n" "$checks" "${T[$cmd,$n]}" "${M[$cmd,$n]}" "$growth"
    done
done
echo "  phases:"
for n in "${SIZES[@]}"; do
    echo "    N=$n verify:   ${P[verify,$n]}"
    echo "    N=$n diagnose: ${P[diagnose,$n]}"
done
echo "  goals: each at most ~1.1 x linear from N=$base; verify peak <= 300 MB; diagnose at N=1000 <= 0.3 s"
echo "  commands: deskctl snapshot --database-url URL --output FILE | deskctl verify --database-url URL --color never FILE | deskctl diagnose --database-url URL --color never"
