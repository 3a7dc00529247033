# shellcheck shell=bash
# Shared helpers of the benchmark scripts (bench/*/run.sh), sourced, never run:
#   bench_init              ROOT, PGBIN, DESKCTL (builds target/release/deskctl unless DESKCTL names a
#                           binary or DESKCTL_SKIP_BUILD=1), WORK (a temp dir removed on exit)
#   bench_cluster_start     a throwaway PostgreSQL cluster (initdb/pg_ctl in WORK, TCP on 127.0.0.1,
#                           trust auth, fsync off); sets PORT and BASE_URL, exports PGHOST/PGPORT/PGUSER;
#                           stopped on exit whatever happens
#   bench_time RUNS CMD...  runs CMD once untimed, then RUNS times; prints "median mean min max" (s)
#   bench_stats X...        "median mean min max" of numbers
#   bench_free_port         a TCP port free on 127.0.0.1
#   bench_peak_rss CMD...   peak resident memory of one run of CMD, in MB (/usr/bin/time -v)
#   bench_load              "load average a b c, N CPUs" (print it next to every number)
#   bench_sign_p WON N      two-sided sign-test p-value of winning WON of N paired rounds: how
#                           often a coin would do at least that lopsided (small: a real difference)
#   bench_signed_rank_p "A..." "B..."  two-sided exact Wilcoxon signed-rank p-value of paired
#                           times A[i] vs B[i] (on log ratios): like the sign test, but a round counts
#                           by how large its difference was, so it sees a small steady one sooner
#   bench_verdict P...      "a real difference" when every p-value given is below 0.05, else
#                           "within the noise"
#   bench_instructions FN CMD...  instructions executed inside functions matching FN (callgrind; "n/a"
#                           without valgrind): repeatable where wall time on a busy machine is not
# Timings are wall-clock medians: on a shared machine the mean follows the noise, the median less so.
# Environment: DESKCTL, DESKCTL_SKIP_BUILD, PGBIN, KEEP_DIR=1 (keep WORK), BENCH_TMP (where WORK goes:
# default /dev/shm when it exists, so that the disk's load does not enter the numbers).

log() { printf '==> %s\n' "$*" >&2; }

bench_init() {
    BENCH_LIB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
    ROOT="$(cd "$BENCH_LIB_DIR/.." && pwd)"
    PGBIN="${PGBIN:-/usr/lib/postgresql/15/bin}"
    DESKCTL="${DESKCTL:-$ROOT/target/release/deskctl}"
    [ -x "$PGBIN/initdb" ] || { echo "no PostgreSQL server binaries in $PGBIN (set PGBIN)" >&2; exit 2; }
    command -v psql >/dev/null || { echo "psql is required" >&2; exit 2; }
    if [ -z "${DESKCTL_SKIP_BUILD:-}" ] && [ "$DESKCTL" = "$ROOT/target/release/deskctl" ]; then
        log "cargo build --release"
        (cd "$ROOT" && cargo build --release --quiet)
    fi
    [ -x "$DESKCTL" ] || { echo "no deskctl binary at $DESKCTL" >&2; exit 2; }
    local tmp="${BENCH_TMP:-}"
    if [ -z "$tmp" ]; then
        if [ -d /dev/shm ] && [ -w /dev/shm ]; then tmp=/dev/shm; else tmp="${TMPDIR:-/tmp}"; fi
    fi
    WORK="$(mktemp -d "$tmp/deskctl-bench.XXXXXX")"
    chmod 755 "$WORK"
    BENCH_STARTED=0
    trap bench_cleanup EXIT
    trap 'exit 130' INT TERM
}

bench_cleanup() {
    local rc=$?
    if [ "${BENCH_STARTED:-0}" -eq 1 ]; then
        "${AS_PG[@]}" "$PGBIN/pg_ctl" -D "$WORK/pgdata" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    if [ -n "${KEEP_DIR:-}" ]; then
        log "kept $WORK"
    else
        rm -rf "$WORK"
    fi
    exit "$rc"
}

# A TCP port free on 127.0.0.1 right now.
bench_free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# bench_cluster_start [extra postgres -c settings...]
bench_cluster_start() {
    local sock="$WORK/sock" opts="" s
    mkdir -p "$sock"
    AS_PG=()
    if [ "$(id -u)" -eq 0 ]; then
        AS_PG=(runuser -u postgres --)
        chown postgres: "$WORK" "$sock"
    fi
    PORT="$(bench_free_port)"
    for s in "$@"; do opts+=" -c $s"; done
    log "initdb + start on 127.0.0.1:$PORT ($WORK)"
    "${AS_PG[@]}" "$PGBIN/initdb" -D "$WORK/pgdata" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null
    "${AS_PG[@]}" "$PGBIN/pg_ctl" -D "$WORK/pgdata" -l "$WORK/server.log" -w -s \
        -o "-c listen_addresses=127.0.0.1 -p $PORT -k $sock -c fsync=off -c synchronous_commit=off -c full_page_writes=off$opts" start
    BENCH_STARTED=1
    BASE_URL="postgres://postgres@127.0.0.1:$PORT"
    export PGHOST=127.0.0.1 PGPORT="$PORT" PGUSER=postgres
    unset DATABASE_URL PGPASSWORD PGSERVICE PGOPTIONS PGDATABASE || true
}

# The postmaster's pid (for its reaped-children CPU counters).
bench_postmaster_pid() { head -1 "$WORK/pgdata/postmaster.pid"; }

psql_q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }

bench_now() { date +%s.%N; }

bench_stats() {
    python3 -c 'import statistics as st, sys
t = [float(x) for x in sys.argv[1:]]
print("%.4f %.4f %.4f %.4f" % (st.median(t), st.mean(t), min(t), max(t)))' "$@"
}

# bench_time RUNS CMD... -> "median mean min max" in seconds; CMD's output is discarded, a failing
# run stops the benchmark (a broken command must never be timed as a fast one).
bench_time() {
    local runs="$1" i s e times=()
    shift
    "$@" >/dev/null 2>&1 || { echo "benchmark command failed: $*" >&2; "$@" >&2 || true; return 1; }
    for ((i = 0; i < runs; i++)); do
        s=$(bench_now)
        "$@" >/dev/null 2>&1 || { echo "benchmark command failed: $*" >&2; return 1; }
        e=$(bench_now)
        times+=("$(python3 -c "print($e - $s)")")
    done
    bench_stats "${times[@]}"
}

# bench_peak_rss CMD... -> peak RSS in MB of one run.
bench_peak_rss() {
    if [ ! -x /usr/bin/time ]; then echo "n/a"; return 0; fi
    /usr/bin/time -v -o "$WORK/time-v.txt" "$@" >/dev/null 2>&1 || true
    awk -F': ' '/Maximum resident set size/ {printf "%.1f", $2 / 1024}' "$WORK/time-v.txt"
}

bench_load() {
    printf 'load average %s, %s CPUs' "$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')" "$(nproc)"
}

# bench_instructions FN_PATTERN CMD... -> instructions executed inside functions matching the
# pattern (callgrind --toggle-collect), or "n/a" without valgrind.
bench_instructions() {
    local fn="$1"
    shift
    if ! command -v valgrind >/dev/null; then echo "n/a"; return 0; fi
    valgrind --tool=callgrind --callgrind-out-file="$WORK/callgrind.out" --toggle-collect="$fn" \
        "$@" >/dev/null 2>"$WORK/callgrind.err" || true
    awk '/^summary:/ {print $2; found=1} END {if (!found) print "n/a"}' "$WORK/callgrind.out" 2>/dev/null || echo "n/a"
}

# sign test: WON of N paired rounds -> two-sided exact binomial p-value (p = 1/2), two decimals
bench_sign_p() {
    python3 -c 'import sys, math
k, n = int(sys.argv[1]), int(sys.argv[2])
tail = sum(math.comb(n, i) for i in range(min(k, n - k) + 1)) / 2 ** n if n else 1.0
print(f"{min(1.0, 2 * tail):.2f}")' "$1" "$2"
}

# signed-rank test: two space-separated lists of paired times -> two-sided exact p-value, two
# decimals. Differences of log times (a ratio, not seconds: a slow round does not weigh more);
# ties share their rank (doubled, to stay integers); zero differences are dropped.
bench_signed_rank_p() {
    python3 -c 'import sys, math
a = [float(x) for x in sys.argv[1].split()]
b = [float(x) for x in sys.argv[2].split()]
d = [math.log(x / y) for x, y in zip(a, b) if x > 0 and y > 0 and x != y]
if not d:
    print("1.00"); sys.exit()
order = sorted(range(len(d)), key=lambda i: abs(d[i]))
rank = [0] * len(d)
i = 0
while i < len(order):
    j = i
    while j + 1 < len(order) and abs(d[order[j + 1]]) == abs(d[order[i]]):
        j += 1
    for k in range(i, j + 1):
        rank[order[k]] = i + j + 2
    i = j + 1
w = sum(r for r, x in zip(rank, d) if x > 0)
count = {0: 1}
for r in rank:
    nxt = dict(count)
    for s, c in count.items():
        nxt[s + r] = nxt.get(s + r, 0) + c
    count = nxt
total = 2 ** len(d)
low = sum(c for s, c in count.items() if s <= w) / total
high = sum(c for s, c in count.items() if s >= w) / total
print(f"{min(1.0, 2 * min(low, high)):.2f}")' "$1" "$2"
}

# bench_verdict P... -> "a real difference" when every p-value is below 0.05, else "within the noise"
bench_verdict() {
    python3 -c 'import sys; print("a real difference" if all(float(p) < 0.05 for p in sys.argv[1:]) else "within the noise")' "$@"
}

# ratio A B -> A/B with one decimal
bench_ratio() { python3 -c "import sys; a, b = float(sys.argv[1]), float(sys.argv[2]); print(f'{a / b:.1f}' if b else 'inf')" "$1" "$2"; }
