#!/usr/bin/env bash
# Benchmark (not a test): apply N generated migrations (default 1000; each a table with RLS and four
# policies, or with BENCH_SHAPE=small the table alone: bench/migrate/gen.sh) to a fresh database with
# each tool, on one throwaway cluster:
#   deskctl migrate   (release build)
#   psql              every file in its own transaction, one connection, ON_ERROR_STOP (the floor)
#   dbmate            npm package `dbmate` (its Go binary)
#   sqlx              sqlx-cli: `sqlx migrate run`
#   refinery          refinery_cli: `refinery migrate`
# all on the same SQL (each tool's file naming), one transaction per file. ROUNDS rounds (default 5),
# the tools' order rotating each round. Prints per tool the median wall time, the server CPU it cost
# (backend time, from the postmaster's reaped-children counters), the tool's own user+sys CPU and its
# ratio to psql, side by side; then, round by round, how often deskctl was faster than each other
# tool, with two paired tests saying whether that is more than the noise (a sign test on the count,
# and a signed-rank test, which also weighs by how much); and the machine's load. Goal: deskctl
# <= 1.0 x psql and faster than every peer.
#
# usage: bench/migrate/run.sh [N] [ROUNDS]
#
# Peers are installed once when missing and then reused: dbmate with npm into BENCH_PEERS_DIR
# (default ~/.cache/deskctl-bench, outside the repository); sqlx-cli (postgres + rustls only) and
# refinery_cli (postgresql only) with `nice -n 19 cargo install` into cargo's own bin directory
# (~/.cargo/bin), their build cached in BENCH_PEERS_DIR/target (minutes each on a small machine;
# BENCH_INSTALL_JOBS=N caps cargo's parallel jobs on a shared one). A peer that cannot be installed
# is skipped with a message saying why.
# BENCH_SHAPE=small: one-statement files, where each tool's own cost per file shows (with the default
# shape, rls, the server's ~2 ms per file is most of every tool's time).
# BENCH_INSTALL_PEERS=0 uses only peers already installed; BENCH_PEERS="dbmate sqlx refinery" picks
# (empty: none). BENCH_DELAY_MS=0.5 puts every tool behind a proxy delaying each direction by that
# much (bench/migrate/latency_proxy.py): a database across a network, where each round trip a tool
# waits for costs it 2 x the delay (psql waits once per statement: give it few rounds).
# DESKCTL_BASE=/path/to/an/older/deskctl adds that build as tool "base", measured in the same rounds
# and compared round by round like a peer: an A/B of a change.
# Plus bench/lib.sh's DESKCTL, DESKCTL_SKIP_BUILD, PGBIN, KEEP_DIR, BENCH_TMP.
set -euo pipefail
n=${1:-1000}
rounds=${2:-5}
case "$n$rounds" in '' | *[!0-9]*) echo "usage: $0 [N] [ROUNDS]" >&2; exit 2 ;; esac
SHAPE="${BENCH_SHAPE:-rls}"
case "$SHAPE" in rls | small) ;; *) echo "BENCH_SHAPE must be rls or small" >&2; exit 2 ;; esac
DELAY="${BENCH_DELAY_MS:-}"
case "$DELAY" in *[!0-9.]* | .* | *. | *.*.*) echo "BENCH_DELAY_MS must be a number of milliseconds" >&2; exit 2 ;; esac
BASE_BIN="${DESKCTL_BASE:-}"
[ -z "$BASE_BIN" ] || [ -x "$BASE_BIN" ] || { echo "DESKCTL_BASE=$BASE_BIN is not an executable file" >&2; exit 2; }
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../lib.sh
. "$HERE/../lib.sh"
command -v bc >/dev/null || { echo "bc not found" >&2; exit 2; }
bench_init

# --- peers ------------------------------------------------------------------------------------------------
PEERS_DIR="${BENCH_PEERS_DIR:-$HOME/.cache/deskctl-bench}"
INSTALL="${BENCH_INSTALL_PEERS:-1}"
WANT_PEERS="${BENCH_PEERS-dbmate sqlx refinery}"
CARGO_BIN="${CARGO_HOME:-$HOME/.cargo}/bin"
declare -A PEER_BIN=()
skip() { log "skipping $1: $2"; SKIPPED+=("$1 ($2)"); }
SKIPPED=()
find_peer() {   # find_peer NAME BINARY -> path or empty
    local p
    for p in "$CARGO_BIN/$2" "$PEERS_DIR/cargo/bin/$2" "$PEERS_DIR/npm/node_modules/.bin/$2" "$(command -v "$2" 2>/dev/null || true)"; do
        [ -n "$p" ] && [ -x "$p" ] && { echo "$p"; return 0; }
    done
    return 0
}
for peer in $WANT_PEERS; do
    case "$peer" in
        dbmate)
            bin="$(find_peer dbmate dbmate)"
            if [ -z "$bin" ] && [ "$INSTALL" = 1 ]; then
                if command -v npm >/dev/null; then
                    log "installing dbmate (npm) into $PEERS_DIR/npm"
                    mkdir -p "$PEERS_DIR/npm"
                    (cd "$PEERS_DIR/npm" && { [ -f package.json ] || npm init -y >/dev/null; } && npm install --silent dbmate >/dev/null 2>&1) || true
                    bin="$(find_peer dbmate dbmate)"
                fi
            fi
            [ -n "$bin" ] && PEER_BIN[dbmate]="$bin" || skip dbmate "not installed (npm install dbmate; needs npm)"
            ;;
        sqlx | refinery)
            # Only the PostgreSQL driver (sqlx-cli needs one TLS backend to build): no SQLite or
            # MySQL C builds.
            crate=sqlx-cli; features=(--no-default-features --features postgres,rustls)
            [ "$peer" = refinery ] && { crate=refinery_cli; features=(--no-default-features --features postgresql); }
            bin="$(find_peer "$peer" "$peer")"
            if [ -z "$bin" ] && [ "$INSTALL" = 1 ] && command -v cargo >/dev/null; then
                log "installing $crate (cargo install, takes minutes) into $CARGO_BIN"
                jobs=(); [ -n "${BENCH_INSTALL_JOBS:-}" ] && jobs=(-j "$BENCH_INSTALL_JOBS")
                mkdir -p "$PEERS_DIR"
                CARGO_TARGET_DIR="$PEERS_DIR/target" nice -n 19 cargo install --quiet "${jobs[@]}" "$crate" "${features[@]}" \
                    >"$PEERS_DIR/install-$peer.log" 2>&1 || tail -n 5 "$PEERS_DIR/install-$peer.log" >&2
                bin="$(find_peer "$peer" "$peer")"
            fi
            [ -n "$bin" ] && PEER_BIN[$peer]="$bin" || skip "$peer" "not installed (cargo install $crate ${features[*]})"
            ;;
        *) echo "unknown peer $peer (dbmate, sqlx, refinery)" >&2; exit 2 ;;
    esac
done

# --- the migrations, in each tool's layout ------------------------------------------------------------------
bash "$HERE/gen.sh" "$n" "$WORK/migrations" "$SHAPE"
mkdir -p "$WORK/dbmate" "$WORK/sqlx"
for i in $(seq 1 "$n"); do
    f="$WORK/migrations/V${i}__table_${i}.sql"
    printf 'begin;\n'; cat "$f"; printf 'commit;\n'
    # dbmate: one transaction per file (its default), the up section only.
    { printf -- '-- migrate:up\n'; cat "$f"; printf -- '\n-- migrate:down\n'; } >"$WORK/dbmate/$(printf '%06d' "$i")_table_$i.sql"
    # sqlx: <version>_<description>.sql, one transaction per file (its default).
    cp "$f" "$WORK/sqlx/${i}_table_$i.sql"
done >"$WORK/all.sql"

bench_cluster_start
url="$BASE_URL/postgres"
# Where the tools connect: the cluster, or a proxy in front of it (BENCH_DELAY_MS).
TOOL_URL="$BASE_URL"
if [ -n "$DELAY" ]; then
    pport="$(bench_free_port)"
    python3 "$HERE/latency_proxy.py" "$pport" "$PORT" "$DELAY" &
    for _ in $(seq 1 50); do psql -X -q -d "postgres://postgres@127.0.0.1:$pport/postgres" -c 'select 1' >/dev/null 2>&1 && break; sleep 0.1; done
    TOOL_URL="postgres://postgres@127.0.0.1:$pport"
    log "tools connect through a proxy delaying each direction by $DELAY ms"
fi
# Background work (autovacuum analysing the catalogs the previous run filled, checkpoints) would land
# on whichever tool runs next; keep it out of the measurement for all.
psql_q -d "$url" -c "alter system set autovacuum = off" -c "select pg_reload_conf()" >/dev/null
pm=$(bench_postmaster_pid)
tck=$(getconf CLK_TCK)
# CPU seconds of the cluster's exited backends (utime+stime of reaped children).
server_cpu() { awk -v t="$tck" '{printf "%.3f", ($16 + $17) / t}' "/proc/$pm/stat"; }

# own CMD...: run CMD, its user+sys CPU into $WORK/own-cpu (GNU time; without it the column shows 0)
own() {
    if [ -x /usr/bin/time ]; then /usr/bin/time -f '%U %S' -o "$WORK/own-cpu" "$@"; else "$@"; fi
}
# From the work directory: run from the repository, deskctl would read its deskctl.toml (preset =
# "supabase") and install the Supabase preset before the migrations, work no peer does.
run_deskctl() { (cd "$WORK" && own "${2:-$DESKCTL}" migrate --quiet --color never --database-url "$TOOL_URL/$1" --migrations "$WORK/migrations" >/dev/null); }
run_base() { run_deskctl "$1" "$BASE_BIN"; }
run_psql() { own psql -X -q -v ON_ERROR_STOP=1 -d "$TOOL_URL/$1" -f "$WORK/all.sql" >/dev/null; }
run_dbmate() { own "${PEER_BIN[dbmate]}" --url "$TOOL_URL/$1?sslmode=disable" --migrations-dir "$WORK/dbmate" --no-dump-schema migrate >/dev/null; }
run_sqlx() { own "${PEER_BIN[sqlx]}" migrate run --source "$WORK/sqlx" --database-url "$TOOL_URL/$1?sslmode=disable" >/dev/null; }
run_refinery() {
    # refinery_cli reads the URL from an environment variable.
    BENCH_REFINERY_URL="$TOOL_URL/$1?sslmode=disable" own "${PEER_BIN[refinery]}" migrate -e BENCH_REFINERY_URL -p "$WORK/migrations" >/dev/null
}
# history rows each tool keeps
history_of() {
    case "$1" in
        # deskctl keeps refinery's table in its own schema (an older public one still works)
        deskctl | base | refinery) echo "select count(*) from $(psql -X -At -d "$BASE_URL/$2" -c "select coalesce(to_regclass('deskctl.refinery_schema_history'), to_regclass('refinery_schema_history'))")" ;;
        dbmate) echo "select count(*) from schema_migrations" ;;
        sqlx) echo "select count(*) from _sqlx_migrations" ;;
        *) echo "select $n" ;;
    esac
}
# measure TOOL DB -> "wall server-cpu own-cpu" (own: the tool's user+sys CPU, /usr/bin/time)
measure() {
    psql -X -q -d "$url" -c checkpoint
    # Let the postmaster reap the backends of CREATE DATABASE / CHECKPOINT first: their CPU time is
    # only counted once reaped and would otherwise land on this run.
    sleep 1
    local c0 t0 t1 c1 oc
    c0=$(server_cpu); t0=$(bench_now)
    echo "0 0" >"$WORK/own-cpu"
    "run_$1" "$2"
    t1=$(bench_now); sleep 0.3; c1=$(server_cpu)
    oc=$(awk 'END {print $1 + $2}' "$WORK/own-cpu")
    echo "$(echo "$t1 - $t0" | bc -l) $(echo "$c1 - $c0" | bc -l) $oc"
}
TOOLS=(deskctl psql)
[ -n "$BASE_BIN" ] && TOOLS+=(base)
for peer in dbmate sqlx refinery; do [ -n "${PEER_BIN[$peer]:-}" ] && TOOLS+=("$peer"); done
declare -A WALLS=() CPUS=() OWN=()
LOAD_BEFORE="$(bench_load)"
log "tools: ${TOOLS[*]}; $n migrations, $rounds rounds; $LOAD_BEFORE"
for r in $(seq 1 "$rounds"); do
    # rotate the order each round
    order=("${TOOLS[@]:$(( (r - 1) % ${#TOOLS[@]} ))}" "${TOOLS[@]:0:$(( (r - 1) % ${#TOOLS[@]} ))}")
    line="round $r:"
    for tool in "${order[@]}"; do
        db="bench_${tool}_$r"
        psql_q -d "$url" -c "create database $db"
        read -r w c oc < <(measure "$tool" "$db")
        got=$(psql -X -At -d "$BASE_URL/$db" -c "select count(*) from pg_tables where tablename like 't%'")
        [ "$got" = "$n" ] || { echo "$tool: $db has $got tables, expected $n" >&2; exit 1; }
        want=$((4 * n)); [ "$SHAPE" = small ] && want=0
        got=$(psql -X -At -d "$BASE_URL/$db" -c "select count(*) from pg_policies where tablename like 't%'")
        [ "$got" = "$want" ] || { echo "$tool: $db has $got policies, expected $want" >&2; exit 1; }
        hist=$(psql -X -At -d "$BASE_URL/$db" -c "$(history_of "$tool" "$db")")
        [ "$hist" = "$n" ] || { echo "$tool: history has $hist rows, expected $n" >&2; exit 1; }
        WALLS[$tool]+="$w "; CPUS[$tool]+="$c "; OWN[$tool]+="$oc "
        line+="$(printf '  %s %.3f s' "$tool" "$w")"
        psql_q -d "$url" -c "drop database $db"
    done
    echo "$line"
done

# Where deskctl's time goes, from one more run with -v (the lint gate is work no other tool does).
psql_q -d "$url" -c "create database bench_phases"
PHASES=$(cd "$WORK" && "$DESKCTL" -v migrate --quiet --color never --database-url "$TOOL_URL/bench_phases" \
    --migrations "$WORK/migrations" 2>&1 >/dev/null | grep '^migrate:' || true)
psql_q -d "$url" -c "drop database bench_phases"

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
# shellcheck disable=SC2086
pmed=$(median ${WALLS[psql]})
echo
echo "$n migrations ($SHAPE shape), one transaction per file${DELAY:+, through a proxy adding $DELAY ms each way}, median of $rounds rounds ($("$DESKCTL" --version); $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?'))"
printf '  %-9s %10s %10s %10s %14s %11s %10s\n' tool "median s" "best s" "worst s" "server cpu s" "own cpu s" "x psql"
for tool in "${TOOLS[@]}"; do
    # shellcheck disable=SC2086
    read -r med _ best worst < <(bench_stats ${WALLS[$tool]})
    # shellcheck disable=SC2086
    read -r cmed _ < <(bench_stats ${CPUS[$tool]})
    # shellcheck disable=SC2086
    read -r omed _ < <(bench_stats ${OWN[$tool]})
    printf '  %-9s %10.3f %10.3f %10.3f %14.2f %11.2f %10.2f\n' "$tool" "$med" "$best" "$worst" "$cmed" "$omed" "$(echo "$med / $pmed" | bc -l)"
done
# Round by round (the same round: the same machine state), how often deskctl was the faster one:
# the medians above can swap between runs on a noisy machine.
read -r -a mine <<<"${WALLS[deskctl]}"
for tool in "${TOOLS[@]}"; do
    [ "$tool" = deskctl ] && continue
    read -r -a theirs <<<"${WALLS[$tool]}"
    won=0
    ratios=()
    for i in "${!mine[@]}"; do
        [ "$(echo "${mine[$i]} < ${theirs[$i]}" | bc -l)" = 1 ] && won=$((won + 1))
        ratios+=("$(echo "${mine[$i]} / ${theirs[$i]}" | bc -l)")
    done
    # The ratio within each round, then its median: a paired comparison, which a slow round
    # (the whole machine busier) does not move the way it moves the medians above.
    # Sign test: how likely so lopsided a count is when neither tool is faster (a coin per round).
    # Signed-rank test: the same question weighing each round by how large its difference was.
    p=$(bench_sign_p "$won" "${#mine[@]}")
    wp=$(bench_signed_rank_p "${WALLS[deskctl]}" "${WALLS[$tool]}")
    printf '  deskctl faster than %s in %d of %d rounds (sign test p = %s, signed-rank p = %s: %s); median of the per-round ratios deskctl / %s: %.2f\n' \
        "$tool" "$won" "${#mine[@]}" "$p" "$wp" "$(bench_verdict "$p" "$wp")" "$tool" "$(median "${ratios[@]}")"
done
[ -n "$PHASES" ] && echo "  deskctl's phases, one more run with -v: ${PHASES#migrate: }"
for s in "${SKIPPED[@]}"; do echo "  (skipped: $s)"; done
echo "  machine: before $LOAD_BEFORE; after $(bench_load)"
echo "  goals: deskctl <= 1.0 x psql, and faster than each peer"
