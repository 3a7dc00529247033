#!/usr/bin/env bash
# Benchmark (not a test): apply N generated migrations (default 1000; each a table with RLS and
# four policies) with `deskctl migrate` (release build) to one fresh database, and with psql
# (each file in its own transaction, one connection, ON_ERROR_STOP) to another, on one ephemeral
# cluster. ROUNDS rounds (default 5), alternating which tool goes first. Prints both wall times,
# the server CPU each run cost (backend time, from the postmaster's reaped-children counters), and
# the ratios of the medians and of the best runs. Goal: deskctl <= 1.15 x psql. On a shared
# machine the server's CPU time for the same SQL swings 2x between runs; use several rounds.
#
# usage: bench/migrate/run.sh [N] [ROUNDS]      (from anywhere; builds target/release/deskctl
#        unless DESKCTL_BIN names a binary)
set -euo pipefail
n=${1:-1000}
rounds=${2:-5}
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"

# DESKCTL_BIN=path uses an existing binary instead of building target/release/deskctl.
bin=${DESKCTL_BIN:-}
if [ -z "$bin" ]; then
  cargo build --release --quiet
  bin="$root/target/release/deskctl"
fi
command -v psql >/dev/null || { echo "psql not found" >&2; exit 2; }
command -v bc >/dev/null || { echo "bc not found" >&2; exit 2; }

work=$(mktemp -d)
chmod 755 "$work"
stop_cmd=""
cleanup() {
  if [ -n "$stop_cmd" ]; then eval "$stop_cmd" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

bash "$root/bench/migrate/gen.sh" "$n" "$work/migrations"
# psql's input: every file wrapped in its own transaction, in version order.
for i in $(seq 1 "$n"); do
  printf 'begin;\n'
  cat "$work/migrations/V${i}__table_${i}.sql"
  printf 'commit;\n'
done > "$work/all.sql"

# One throwaway cluster for both (fsync off: we measure the tools, not the disk).
info=$("$bin" ping --ephemeral --keep --color never 2>&1)
url=$(printf '%s\n' "$info" | sed -n "s/^  connect: psql '\(.*\)'$/\1/p")
stop_cmd=$(printf '%s\n' "$info" | sed -n 's/^  stop:    //p')
[ -n "$url" ] || { echo "could not start an ephemeral cluster:" >&2; echo "$info" >&2; exit 3; }
base=${url%/postgres}
# Background work (autovacuum analysing the catalogs the previous run filled, checkpoints) would
# land on whichever tool runs next; keep it out of the measurement for both.
psql -X -q -d "$url" -c "alter system set autovacuum = off" -c "select pg_reload_conf()" >/dev/null
datadir=$(printf '%s\n' "$stop_cmd" | sed -n 's/.* -D \([^ ]*\) stop.*/\1/p')
pm=$(head -1 "$datadir/postmaster.pid")
tck=$(getconf CLK_TCK)
# CPU seconds of the cluster's exited backends (utime+stime of reaped children).
server_cpu() { awk -v t="$tck" '{printf "%.3f", ($16 + $17) / t}' "/proc/$pm/stat"; }
now() { date +%s.%N; }

run_deskctl() {
  "$bin" migrate --quiet --color never --database-url "$base/$1" --migrations "$work/migrations" >/dev/null
}
run_psql() {
  psql -X -q -v ON_ERROR_STOP=1 -d "$base/$1" -f "$work/all.sql" >/dev/null
}
# measure TOOL DB -> "wall cpu"
measure() {
  psql -X -q -d "$url" -c checkpoint
  # Let the postmaster reap the backends of CREATE DATABASE / CHECKPOINT first: their CPU time
  # is only counted once reaped and would otherwise land on this run.
  sleep 1
  local c0 t0 t1 c1
  c0=$(server_cpu); t0=$(now)
  "run_$1" "$2"
  t1=$(now); sleep 0.3; c1=$(server_cpu)
  echo "$(echo "$t1 - $t0" | bc -l) $(echo "$c1 - $c0" | bc -l)"
}

d_walls=(); p_walls=(); d_over=(); p_over=()
for r in $(seq 1 "$rounds"); do
  psql -X -q -d "$url" -c "create database bench_d$r" -c "create database bench_p$r"
  if [ $((r % 2)) -eq 1 ]; then
    read -r dw dc < <(measure deskctl "bench_d$r"); read -r pw pc < <(measure psql "bench_p$r")
  else
    read -r pw pc < <(measure psql "bench_p$r"); read -r dw dc < <(measure deskctl "bench_d$r")
  fi
  for db in "bench_d$r" "bench_p$r"; do
    got=$(psql -X -At -d "$base/$db" -c "select count(*) from pg_policies where tablename like 't%'")
    [ "$got" = "$((4 * n))" ] || { echo "$db has $got policies, expected $((4 * n))" >&2; exit 1; }
  done
  hist=$(psql -X -At -d "$base/bench_d$r" -c "select count(*) from refinery_schema_history")
  [ "$hist" = "$n" ] || { echo "history has $hist rows, expected $n" >&2; exit 1; }
  printf 'round %d: deskctl %.3f s (server cpu %.2f s)   psql %.3f s (server cpu %.2f s)   ratio %.3f\n' \
    "$r" "$dw" "$dc" "$pw" "$pc" "$(echo "$dw / $pw" | bc -l)"
  d_walls+=("$dw"); p_walls+=("$pw")
  d_over+=("$(echo "$dw - $dc" | bc -l)"); p_over+=("$(echo "$pw - $pc" | bc -l)")
  psql -X -q -d "$url" -c "drop database bench_d$r" -c "drop database bench_p$r"
done
best() { printf '%s\n' "$@" | sort -g | head -1; }
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
dm=$(median "${d_walls[@]}"); pm_=$(median "${p_walls[@]}")
printf '%d migrations, median of %d rounds: deskctl %.3f s, psql %.3f s, deskctl/psql = %.3f (goal <= 1.15)\n' \
  "$n" "$rounds" "$dm" "$pm_" "$(echo "$dm / $pm_" | bc -l)"
db_=$(best "${d_walls[@]}"); pb_=$(best "${p_walls[@]}")
printf '%d migrations, best of %d rounds:   deskctl %.3f s, psql %.3f s, deskctl/psql = %.3f\n' \
  "$n" "$rounds" "$db_" "$pb_" "$(echo "$db_ / $pb_" | bc -l)"
printf 'client-side time (wall minus server cpu), median: deskctl %.3f s, psql %.3f s\n' \
  "$(median "${d_over[@]}")" "$(median "${p_over[@]}")"
