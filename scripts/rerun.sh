#!/usr/bin/env bash
# rerun.sh — cron entry point: build ccg-divide if needed, then `exec ccg-divide rerun`, which
# locks, skips unchanged inputs, runs analyse, logs and sets the exit code (see
# `ccg-divide rerun --help`). Defaults (data, output, logs/rerun.log, output.lock) are relative to
# the project root; relative paths you give stay relative to where you ran the script.
#
# Exit 5 if the build fails or CCG_DIVIDE_BIN is not an executable file; otherwise the exit code
# of `ccg-divide rerun` (0 ok or skipped, 1, 2, 3, 4, 75 lock busy, 128+N signal N).
# CCG_DIVIDE_BIN: use this binary (a bare name is looked up on PATH); else
# `cargo build --release` into CARGO_TARGET_DIR [default: $HOME/.cache/ccg-divide-target].
set -euo pipefail

root=$(cd -- "$(dirname -- "$(readlink -f -- "${BASH_SOURCE[0]}")")/.." && pwd -P)
fail() {
    printf 'rerun.sh: FAILED with exit 5 (build failed): %s\n' "$1" >&2
    exit 5
}

if [[ -n ${CCG_DIVIDE_BIN:-} ]]; then
    bin=$CCG_DIVIDE_BIN
    [[ $bin == */* ]] || bin=$(type -P -- "$bin" || printf '%s' "$bin")
    [[ -f $bin && -x $bin ]] || fail "CCG_DIVIDE_BIN=$bin is not an executable file"
else
    export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${HOME:?HOME is not set}/.cache/ccg-divide-target}"
    # cron's PATH is minimal; rustup installs cargo here.
    command -v cargo >/dev/null 2>&1 || PATH="${HOME:-}/.cargo/bin:$PATH"
    command -v cargo >/dev/null 2>&1 || fail "cargo not found on PATH ($PATH); set PATH or CCG_DIVIDE_BIN"
    build_log=$(mktemp "${TMPDIR:-/tmp}/ccg-divide-build.XXXXXX")
    if ! (cd -- "$root" && cargo build --release --quiet) >"$build_log" 2>&1 </dev/null; then
        fail "cargo build failed: $(tail -n 1 -- "$build_log"; rm -f -- "$build_log")"
    fi
    rm -f -- "$build_log"
    bin=$CARGO_TARGET_DIR/release/ccg-divide
fi
exec "$bin" rerun --root "$root" "$@"
