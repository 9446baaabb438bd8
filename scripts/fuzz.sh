#!/usr/bin/env bash
# Runs every cargo-fuzz target in fuzz/ for a bounded time and prints the executions per
# target.
#
#   scripts/fuzz.sh [SECONDS]        # per target, default 30
#
# Needs a nightly toolchain (the machine image has one; `rustup toolchain install
# nightly` elsewhere) and cargo-fuzz, which this script installs on first use into
# .cache/tools (git-ignored, kept between runs; about 80 s). Without nightly it prints
# that it skipped and exits 0; FUZZ_REQUIRED=1 (set by .ci/run) makes that an error.
#
# Exit status: 0 when every target ran without a finding, 1 when a target found a
# crash (its inputs are copied as described below), 2 when the pass could not run at
# all (no nightly under FUZZ_REQUIRED=1, cargo-fuzz failed to install, a target failed
# to build): .ci/run fails on 2 always and on 1 under FUZZ_STRICT=1.
#
# Each target starts from its seeds (fuzz/corpus/<target>, read-only) and the crashers
# kept so far (fuzz/regressions/<target>, replayed first); inputs it finds go to
# fuzz/.work/corpus/<target> (git-ignored). A crash, leak, timeout or out-of-memory
# input is copied into fuzz/regressions/<target>/ (where the stable test
# runtime/tests/fuzz_regressions.rs replays it) and the script exits 1 after the other
# targets have run.
#
# Environment: FUZZ_TARGETS="a b" runs a subset; FUZZ_SANITIZER (default address).
# A single allocation above 1 GiB or 2 GiB of RSS counts as a crash (out-of-memory).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
secs="${1:-30}"
case "$secs" in
    '' | *[!0-9]*) echo "usage: scripts/fuzz.sh [SECONDS]" >&2; exit 2 ;;
esac

skip() {
    echo "fuzz: skipped ($1)"
    if [ "${FUZZ_REQUIRED:-0}" = 1 ]; then exit 2; fi
    exit 0
}
cargo +nightly --version >/dev/null 2>&1 || skip "no nightly toolchain: rustup toolchain install nightly"
tools="$PWD/.cache/tools"
export PATH="$tools/bin:$PATH"
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    echo "fuzz: installing cargo-fuzz into .cache/tools"
    mkdir -p "$tools"
    if ! cargo install cargo-fuzz --version 0.13.2 --locked --root "$tools" >"$tools/cargo-fuzz-install.log" 2>&1; then
        tail -n 20 "$tools/cargo-fuzz-install.log"
        echo "fuzz: could not install cargo-fuzz (log: $tools/cargo-fuzz-install.log)"
        exit 2
    fi
fi

sanitizer="${FUZZ_SANITIZER:-address}"
work="fuzz/.work"
mkdir -p "$work/logs" "$work/tmp"
# The harnesses create their binref fixture under the temp folder; keep it here.
export TMPDIR="$PWD/$work/tmp"

echo "fuzz: building every target (nightly, release + debug assertions, sanitizer $sanitizer)"
cargo +nightly fuzz build --sanitizer "$sanitizer" >"$work/logs/build.log" 2>&1 || {
    tail -n 40 "$work/logs/build.log"
    echo "fuzz: build failed (log: $work/logs/build.log)"
    exit 2
}

targets="${FUZZ_TARGETS:-$(cargo +nightly fuzz list)}"
failed=()
summary=()
for t in $targets; do
    corpus="$work/corpus/$t"
    artifacts="fuzz/artifacts/$t"
    mkdir -p "$corpus"
    rm -rf "$artifacts"
    dirs=("$corpus" "fuzz/corpus/$t")
    if [ -d "fuzz/regressions/$t" ] && [ -n "$(ls -A "fuzz/regressions/$t" 2>/dev/null)" ]; then
        dirs+=("fuzz/regressions/$t")
    fi
    log="$work/logs/$t.log"
    echo "fuzz: $t for ${secs}s"
    status=0
    cargo +nightly fuzz run --sanitizer "$sanitizer" "$t" "${dirs[@]}" -- \
        -max_total_time="$secs" -timeout=20 -rss_limit_mb=2048 -malloc_limit_mb=1024 \
        -print_final_stats=1 >"$log" 2>&1 || status=$?
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -n 1 || true)
    rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -n 1 || true)
    units=$(grep -o 'stat::new_units_added: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -n 1 || true)
    if [ "$status" -ne 0 ]; then
        mkdir -p "fuzz/regressions/$t"
        found=0
        for f in "$artifacts"/*; do
            [ -f "$f" ] || continue
            cp "$f" "fuzz/regressions/$t/"
            found=$((found + 1))
        done
        # A run that never started (a build error) has no stats and no artifacts.
        grep -E 'panicked|ERROR: |SUMMARY: |^error' "$log" | head -n 5 || true
        echo "fuzz: $t FAILED (exit $status, $found input(s) copied to fuzz/regressions/$t, log $log)"
        failed+=("$t")
        summary+=("$(printf '%-22s %12s execs %8s/s  %6s new  FAILED' "$t" "${execs:-?}" "${rate:-?}" "${units:-?}")")
    else
        summary+=("$(printf '%-22s %12s execs %8s/s  %6s new  ok' "$t" "${execs:-?}" "${rate:-?}" "${units:-?}")")
    fi
done
rm -rf "$work/tmp"

echo
echo "fuzz: ${secs}s per target"
printf '%s\n' "${summary[@]}"
if [ "${#failed[@]}" -gt 0 ]; then
    echo "fuzz: crashes in: ${failed[*]}"
    exit 1
fi
