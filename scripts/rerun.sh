#!/usr/bin/env bash
# rerun.sh — cron-ready wrapper around `ccg-divide analyse`.
#
# Re-runs the analysis only when its inputs changed since the last successful run, never
# runs twice at once, and keeps a timestamped log. Silent on success and on skip; on failure
# it prints one summary line to stderr (so cron mails it) and exits non-zero.
#
# Usage: scripts/rerun.sh [--force] [--no-wait] [--log FILE] [--lock FILE]
#                         [--data-dir DIR] [--output-dir DIR] [--weights FILE] [-- ANALYSE-ARGS...]
#        (see --help)
#
# Exit codes:
#   0   ok: analyse succeeded, or inputs unchanged since the last successful run (skipped)
#   1   unexpected failure (of analyse, or of this script: log or lock file unusable, flock missing)
#   2   command-line usage error (of this script or of analyse)
#   3   invalid input data (analyse names the file, line and column; see the log)
#   4   the output directory cannot be written
#   5   build failed (cargo build, or CCG_DIVIDE_BIN is not an executable file)
#   75  lock busy and --no-wait given (EX_TEMPFAIL): another rerun is in progress
#   other  analyse was killed by a signal (128 + signal number) or exited with another code
#
# Environment:
#   CCG_DIVIDE_BIN    use this binary instead of building one (tests set it); a bare name is
#                     looked up on PATH
#   CARGO_TARGET_DIR  where `cargo build --release` puts it [default: $HOME/.cache/ccg-divide-target]
#   RERUN_LOG         default for --log  [default: logs/rerun.log in the project root]
#   RERUN_LOCK        default for --lock [default: OUTPUT-DIR.lock, i.e. output.lock]
#
# Relative paths given as options or in RERUN_LOG/RERUN_LOCK/CCG_DIVIDE_BIN are taken relative to
# the directory you ran the script from; the defaults are relative to the project root (the script
# cds there).

set -euo pipefail

readonly EX_OK=0 EX_FAILURE=1 EX_USAGE=2 EX_BUILD=5 EX_LOCKED=75

usage() {
    cat <<'EOF'
Usage: scripts/rerun.sh [OPTIONS] [-- ANALYSE-ARGS...]

Re-run `ccg-divide analyse` if its inputs changed since the last successful run.

Options:
  --force           run even if the inputs are unchanged
  --no-wait         if another rerun holds the lock, exit 75 at once instead of waiting
  --log FILE        append the run log here [default: $RERUN_LOG or logs/rerun.log]
  --lock FILE       lock file [default: $RERUN_LOCK or OUTPUT-DIR.lock, e.g. output.lock]
  --data-dir DIR    passed to analyse [default: data]
  --output-dir DIR  passed to analyse [default: output]
  --weights FILE    passed to analyse [default: DATA-DIR/weights.toml]
  -h, --help        show this help
  -- ARGS...        further arguments for analyse (e.g. --sensitivity-seeds 50); they are not
                    part of the "inputs unchanged" check, so use --force after changing them

Inputs count as unchanged when OUTPUT-DIR/inputs.sha256 (written by analyse on success) lists
the data and weights files this run would read, every listed file still has the recorded hash,
OUTPUT-DIR/findings.json exists, and no other file under DATA-DIR is newer than that manifest.

Exit codes: 0 ok or skipped; 1 unexpected failure; 2 usage error; 3 invalid input data;
4 output cannot be written; 5 build failed; 75 lock busy with --no-wait.
Silent on success; on failure one summary line goes to stderr (cron mails it). Details in the log.
EOF
}

die_usage() {
    printf 'rerun.sh: %s\n' "$1" >&2
    printf "Try 'scripts/rerun.sh --help' for more information.\n" >&2
    exit "$EX_USAGE"
}

invocation_dir=$PWD
script_path=$(readlink -f -- "${BASH_SOURCE[0]}")
project_root=$(cd -- "$(dirname -- "$script_path")/.." && pwd -P)

# Make a user-supplied path absolute (relative to where the script was run) and drop
# trailing slashes, so it joins with file names exactly as analyse joins them.
user_path() {
    local p=$1
    case $p in
        /*) ;;
        *) p="$invocation_dir/${p#./}" ;;
    esac
    while [[ $p == */ && $p != / ]]; do p=${p%/}; done
    printf '%s' "$p"
}

force=0
no_wait=0
log_file=${RERUN_LOG:-}
lock_file=${RERUN_LOCK:-}
data_dir=
output_dir=
weights=
extra_args=()
original_args=("$@")

[[ -n $log_file ]] && log_file=$(user_path "$log_file")
[[ -n $lock_file ]] && lock_file=$(user_path "$lock_file")

while (($#)); do
    opt=$1
    value=
    case $opt in
        --log=* | --lock=* | --data-dir=* | --output-dir=* | --weights=*)
            value=${opt#*=}
            opt=${opt%%=*}
            ;;
        --log | --lock | --data-dir | --output-dir | --weights)
            (($# >= 2)) || die_usage "option $opt needs a value"
            value=$2
            shift
            ;;
    esac
    case $opt in
        --force) force=1 ;;
        --no-wait) no_wait=1 ;;
        -h | --help)
            usage
            exit "$EX_OK"
            ;;
        --log | --lock | --data-dir | --output-dir | --weights)
            [[ -n $value ]] || die_usage "option $opt needs a non-empty value"
            value=$(user_path "$value")
            case $opt in
                --log) log_file=$value ;;
                --lock) lock_file=$value ;;
                --data-dir) data_dir=$value ;;
                --output-dir) output_dir=$value ;;
                --weights) weights=$value ;;
            esac
            ;;
        --)
            shift
            extra_args=("$@")
            break
            ;;
        *) die_usage "unknown argument '$opt'" ;;
    esac
    shift
done

cd -- "$project_root"

data_dir=${data_dir:-data}
output_dir=${output_dir:-output}
log_file=${log_file:-logs/rerun.log}
# Beside the output directory, never inside it: analyse replaces that directory by rename.
lock_file=${lock_file:-$output_dir.lock}
# The defaults above are relative to the project root; make the log and lock paths absolute so
# messages (the stderr summary names the log) point at the right file from any directory.
[[ $log_file == /* ]] || log_file=$project_root/$log_file
[[ $lock_file == /* ]] || lock_file=$project_root/$lock_file
# A lock (or log) inside the output directory would vanish when analyse swaps that directory in.
abs_output=$output_dir
[[ $abs_output == /* ]] || abs_output=$project_root/$abs_output
for f in "$lock_file" "$log_file"; do
    if [[ $f == "$abs_output"/* ]]; then
        die_usage "$f is inside the output directory $abs_output, which analyse replaces on every run"
    fi
done
weights_path=${weights:-$data_dir/weights.toml}
manifest=$output_dir/inputs.sha256

analyse_args=(analyse --data-dir "$data_dir" --output-dir "$output_dir")
[[ -n $weights ]] && analyse_args+=(--weights "$weights")
analyse_args+=("${extra_args[@]}")

# ---------------------------------------------------------------------------------- logging

if ! mkdir -p -- "$(dirname -- "$log_file")" || ! : >>"$log_file"; then
    printf 'rerun.sh: cannot write log file %s\n' "$log_file" >&2
    exit "$EX_FAILURE"
fi

# One line per event: ISO-8601 UTC timestamp, pid (runs may interleave while one waits), message.
# Echoed to stderr too when run by hand on a terminal; cron has none, so it stays silent.
log() {
    local line
    line="$(date -u +%Y-%m-%dT%H:%M:%SZ) [$$] $*"
    printf '%s\n' "$line" >>"$log_file"
    if [[ -t 2 ]]; then printf '%s\n' "$line" >&2; fi
}

describe_exit() {
    case $1 in
        0) echo "ok" ;;
        1) echo "unexpected failure" ;;
        2) echo "usage error" ;;
        3) echo "invalid input data" ;;
        4) echo "output cannot be written" ;;
        5) echo "build failed" ;;
        75) echo "lock busy" ;;
        *)
            if (($1 > 128)); then
                echo "killed by signal $(($1 - 128))"
            else
                echo "failed"
            fi
            ;;
    esac
}

# Log the end of the run and exit; on failure also print one summary line to stderr.
# $1 = exit code, $2 = outcome word for the log (ok/skipped/failed), $3 = detail for stderr.
finish() {
    local code=$1 outcome=$2 detail=${3:-}
    log "end: exit $code ($(describe_exit "$code"); $outcome) after ${SECONDS}s"
    if ((code != 0)); then
        printf 'rerun.sh: FAILED with exit %d (%s) after %ds%s; log: %s\n' \
            "$code" "$(describe_exit "$code")" "$SECONDS" "${detail:+: $detail}" \
            "$log_file" >&2
    fi
    exit "$code"
}

capture=
cleanup() {
    if [[ -n $capture ]]; then rm -f -- "$capture"; fi
}
trap cleanup EXIT

# Long steps (waiting for the lock, cargo build, analyse) run in the background while this shell
# `wait`s for them: bash runs a trap only once a foreground command has finished, but a trapped
# signal interrupts `wait` at once. The trap then stops that step (with SIGTERM: background
# commands ignore SIGINT) before logging and exiting, so a killed rerun does not leave analyse
# running on, or report "interrupted" only after analyse has replaced the outputs.
# Usage: `COMMAND & child_pid=$!; wait_child || status=$?` (redirections stay on COMMAND, so
# that the trap, which runs inside wait_child, still writes its summary to our stderr).
child_pid=
wait_child() {
    local status=0
    wait "$child_pid" || status=$?
    child_pid=
    return "$status"
}
on_signal() {
    local sig=$1 code
    code=$((128 + $(kill -l "$sig")))
    trap - "$sig"
    if [[ -n $child_pid ]]; then
        kill -TERM "$child_pid" 2>/dev/null || true
        wait "$child_pid" 2>/dev/null || true
        child_pid=
    fi
    log "interrupted by SIG$sig"
    finish "$code" interrupted "interrupted by SIG$sig"
}
for sig in INT TERM HUP; do
    # shellcheck disable=SC2064  # expand $sig now
    trap "on_signal $sig" "$sig"
done

SECONDS=0
log "start: rerun.sh${original_args[*]:+ ${original_args[*]}} (in $project_root)"

# ------------------------------------------------------------------------------------ lock

if ! command -v flock >/dev/null 2>&1; then
    log "flock not found on PATH (util-linux); cannot lock"
    finish "$EX_FAILURE" failed "flock not found on PATH"
fi
if ! mkdir -p -- "$(dirname -- "$lock_file")" || ! exec 9>>"$lock_file"; then
    log "cannot open lock file $lock_file"
    finish "$EX_FAILURE" failed "cannot open lock file $lock_file"
fi

lock_rc=0
flock --nonblock --conflict-exit-code 75 9 || lock_rc=$?
if ((lock_rc == 75)); then
    if ((no_wait)); then
        log "another rerun is in progress (lock $lock_file); exiting (--no-wait)"
        log "end: exit $EX_LOCKED (lock busy) after ${SECONDS}s"
        printf 'rerun.sh: another rerun is in progress (lock %s); exiting\n' "$lock_file" >&2
        exit "$EX_LOCKED"
    fi
    log "lock $lock_file is held by another run; waiting"
    wait_start=$SECONDS
    lock_rc=0
    flock 9 </dev/null &
    child_pid=$!
    wait_child || lock_rc=$?
    ((lock_rc == 0)) && log "waited $((SECONDS - wait_start))s for lock $lock_file"
fi
if ((lock_rc != 0)); then
    log "flock failed on $lock_file (exit $lock_rc)"
    finish "$EX_FAILURE" failed "cannot lock $lock_file"
fi
log "lock acquired: $lock_file"

# ------------------------------------------------------------------------- skip if unchanged

# Returns 0 if the last successful run read exactly these inputs and none changed since.
# Prints the reason to rerun otherwise.
inputs_unchanged() {
    if [[ ! -f $manifest ]]; then
        echo "no previous successful run ($manifest missing)"
        return 1
    fi
    if [[ ! -f $output_dir/findings.json ]]; then
        echo "previous output incomplete ($output_dir/findings.json missing)"
        return 1
    fi
    if ! command -v sha256sum >/dev/null 2>&1; then
        echo "sha256sum not found on PATH, cannot compare inputs"
        return 1
    fi
    local check
    if ! check=$(sha256sum --check --quiet -- "$manifest" 2>&1); then
        echo "inputs changed since last successful run: $(printf '%s' "$check" | tr '\n' ';')"
        return 1
    fi
    # The manifest lines are `<64 hex>  <path>`; paths are the data dir (or --weights) joined
    # with the file name, as given to analyse.
    local -A listed=()
    local line path
    while IFS= read -r line || [[ -n $line ]]; do
        [[ ${#line} -gt 66 ]] && listed["${line:66}"]=1
    done <"$manifest"
    # conditions.csv: the data dir's own (official tables), else the shipped reconstruction.
    local conditions=$data_dir/conditions.csv
    [[ -f $conditions || ! -f $data_dir/reconstructed/conditions.csv ]] || conditions=$data_dir/reconstructed/conditions.csv
    for path in "$data_dir/ccgs.csv" "$conditions" "$weights_path"; do
        if [[ -z ${listed["$path"]:-} ]]; then
            echo "last successful run did not read $path (different --data-dir or --weights)"
            return 1
        fi
    done
    # Optional inputs (ccg_outcomes.csv, published/...) that appeared or changed since then.
    # -L: follow symlinks, so a data dir that is itself a symlink (or holds symlinked files) is
    # searched and the targets' times compared; without it find would not descend at all.
    while IFS= read -r -d '' path; do
        if [[ -z ${listed["$path"]:-} ]]; then
            echo "$path is newer than the last successful run"
            return 1
        fi
    done < <(find -L "$data_dir" -mindepth 1 -name '.*' -prune -o -type f -newer "$manifest" -print0 2>/dev/null)
    return 0
}

if ((force)); then
    log "--force given; running regardless of inputs"
elif reason=$(inputs_unchanged); then
    log "inputs unchanged since last successful run; skipping"
    finish 0 skipped
else
    log "$reason; running"
fi

# ---------------------------------------------------------------------------------- binary

if [[ -n ${CCG_DIVIDE_BIN:-} ]]; then
    # Like the other paths: relative to where the script was run (we have cd'd since); a bare
    # name is looked up on PATH.
    case $CCG_DIVIDE_BIN in
        */*) bin=$(user_path "$CCG_DIVIDE_BIN") ;;
        *) bin=$(type -P -- "$CCG_DIVIDE_BIN" || printf '%s' "$CCG_DIVIDE_BIN") ;;
    esac
    if [[ ! -f $bin || ! -x $bin ]]; then
        log "CCG_DIVIDE_BIN=$bin is not an executable file"
        finish "$EX_BUILD" failed "CCG_DIVIDE_BIN=$bin is not an executable file"
    fi
else
    export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${HOME:?HOME is not set}/.cache/ccg-divide-target}"
    # cron's PATH is minimal; rustup installs cargo here.
    if ! command -v cargo >/dev/null 2>&1 && [[ -x ${HOME:-}/.cargo/bin/cargo ]]; then
        PATH="$HOME/.cargo/bin:$PATH"
    fi
    if ! command -v cargo >/dev/null 2>&1; then
        log "cargo not found on PATH ($PATH); set PATH or CCG_DIVIDE_BIN"
        finish "$EX_BUILD" failed "cargo not found on PATH"
    fi
    log "building: cargo build --release --quiet (CARGO_TARGET_DIR=$CARGO_TARGET_DIR)"
    build_start=$SECONDS
    build_rc=0
    cargo build --release --quiet >>"$log_file" 2>&1 9>&- </dev/null &
    child_pid=$!
    wait_child || build_rc=$?
    if ((build_rc != 0)); then
        log "cargo build failed with exit $build_rc after $((SECONDS - build_start))s (output above)"
        finish "$EX_BUILD" failed "cargo build failed"
    fi
    bin=$CARGO_TARGET_DIR/release/ccg-divide
    log "built $bin in $((SECONDS - build_start))s"
fi

# --------------------------------------------------------------------------------- analyse

capture=$(mktemp "${TMPDIR:-/tmp}/ccg-divide-rerun.XXXXXX")
log "running: $bin ${analyse_args[*]}"
printf -- '----- analyse output (pid %d) -----\n' "$$" >>"$log_file"
analyse_start=$SECONDS
# analyse's output goes to the log as it is written, and to $capture for the stderr summary.
exec 8> >(exec tee -- "$capture" >>"$log_file" 9>&-)
tee_pid=$!
rc=0
"$bin" "${analyse_args[@]}" >&8 2>&1 8>&- 9>&- </dev/null &
child_pid=$!
wait_child || rc=$?
exec 8>&-
wait "$tee_pid" 2>/dev/null || true
printf -- '----- end of analyse output (pid %d) -----\n' "$$" >>"$log_file"
log "analyse exited with status $rc after $((SECONDS - analyse_start))s"

if ((rc == 0)); then
    finish 0 ok
fi
# The error line names the file, line and column; put it in the mail.
detail=$(grep -m1 '^error' -- "$capture" || true)
[[ -n $detail ]] || detail=$(grep -v '^[[:space:]]*$' -- "$capture" | tail -n 1 || true)
finish "$rc" failed "${detail:-ccg-divide analyse failed}"
