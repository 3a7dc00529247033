#!/usr/bin/env bash
# CI smoke test of the benchmark scripts: each runs once at a tiny size (a few tables, migrations and
# scenarios, one or two timed runs, no callgrind, no peer installs), so that a broken script is caught
# where it is changed. It fails only when a script fails (a wrong count, a failing check, a crash);
# it never judges a timing: "MISSED" in a report is fine here.
#
#   bench/smoke.sh          (uses target/release/deskctl; builds it unless DESKCTL names a binary)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export RUNS=1 PGTAP_RUNS=1 INSTR=0 BENCH_INSTALL_PEERS=0
start=$(date +%s)
failed=()
step() {
    local name="$1"
    shift
    echo "== bench smoke: $name"
    if ! "$@" >"/tmp/deskctl-bench-smoke.$$.log" 2>&1; then
        echo "FAILED: $* (last lines of its output:)"
        tail -n 30 "/tmp/deskctl-bench-smoke.$$.log"
        failed+=("$name")
    fi
    rm -f "/tmp/deskctl-bench-smoke.$$.log"
    # Whatever follows builds on the first build.
    export DESKCTL_SKIP_BUILD=1
}
step verify bash "$HERE/verify/run.sh" 3
step scale bash "$HERE/scale/run.sh" 2 4
step migrate bash "$HERE/migrate/run.sh" 5 1
step migrate-far env BENCH_DELAY_MS=0.2 bash "$HERE/migrate/run.sh" 5 1
step migrate-small env BENCH_SHAPE=small bash "$HERE/migrate/run.sh" 5 1
step scenarios bash "$HERE/scenarios/run.sh" 3 10
if [ "${#failed[@]}" -gt 0 ]; then
    echo "bench smoke: ${#failed[@]} script(s) broken: ${failed[*]}"
    exit 1
fi
echo "bench smoke: every script ran ($(( $(date +%s) - start )) s)"
