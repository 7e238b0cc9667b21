#!/usr/bin/env bash
# Runs every fuzz target for a bounded time and says what it did (`make fuzz`;
# fuzz/README.md): one line per target with libFuzzer's executions, exec/s and corpus
# size, OK or the failure; exits non-zero when any target failed, naming the input.
#
#   FUZZ_SECS=60 fuzz/run.sh            every target, 60 s each (default 30)
#   FUZZ_SECS=600 fuzz/run.sh phone sse  only those
#
# Stable toolchain, no sanitizer (`-s none`): cargo-fuzz passes only `-C` flags then
# (`-Cpasses=sancov-module`, the `-Cllvm-args=-sanitizer-coverage-*` ones), which stable
# rustc takes; no nightly and no RUSTC_BOOTSTRAP. ASan (cargo-fuzz's default) needs
# `-Zsanitizer`, i.e. nightly; what that gives up is in the README ("Why no sanitizer").
# Debug assertions and overflow checks are on (cargo-fuzz's default without -O), so an
# overflow is a crash, as a panic is.
#
# Nothing a run makes lands in the clone: the build, the corpus libFuzzer grows and the
# failing inputs go under FUZZ_TARGET_DIR. fuzz/corpus/<target> is read as seeds only
# (libFuzzer writes new inputs to the first corpus directory it is given, the scratch
# one). The binaries are run directly rather than through `cargo fuzz run`, which would
# create fuzz/artifacts/ in the clone and pass its own -artifact_prefix.
set -euo pipefail

CARGO_FUZZ_VERSION=0.13.2
FUZZ_SECS=${FUZZ_SECS:-30}
# Not CARGO_TARGET_DIR: the Makefile exports that for the main build, whose folder must
# not be shared (other RUSTFLAGS would rebuild it, and a `make test` may be using it).
if [[ -z ${FUZZ_TARGET_DIR:-} ]]; then
  if [[ -w /var/cache ]] || [[ -w /var/cache/account-settings ]]; then
    FUZZ_TARGET_DIR=/var/cache/account-settings/fuzz-target
  else
    FUZZ_TARGET_DIR=$(cd "$(dirname "$0")" && pwd)/target
  fi
fi

here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$FUZZ_TARGET_DIR"
FUZZ_TARGET_DIR=$(cd "$FUZZ_TARGET_DIR" && pwd)
export CARGO_TARGET_DIR=$FUZZ_TARGET_DIR
export PATH=$HOME/.cargo/bin:$PATH
work=$FUZZ_TARGET_DIR/runs

[[ $FUZZ_SECS =~ ^[1-9][0-9]*$ ]] || { echo "FUZZ_SECS must be a number of seconds, not '$FUZZ_SECS'" >&2; exit 2; }

installed=$(cargo fuzz --version 2>/dev/null || true)
if [[ $installed != "cargo-fuzz $CARGO_FUZZ_VERSION" ]]; then
  echo "installing cargo-fuzz $CARGO_FUZZ_VERSION (found: ${installed:-none})"
  # Its own target folder, so the install neither reuses nor clutters the fuzz build's.
  CARGO_TARGET_DIR=$FUZZ_TARGET_DIR/cargo-install \
    cargo install cargo-fuzz --locked --version "$CARGO_FUZZ_VERSION" --quiet
fi

all=$(cargo fuzz list --fuzz-dir "$here")
if (($#)); then
  for t in "$@"; do
    grep -qx -- "$t" <<<"$all" || { echo "no fuzz target '$t'; there are:" $all >&2; exit 2; }
  done
  targets=("$@")
else
  mapfile -t targets <<<"$all"
fi

triple=$(rustc -vV | sed -n 's/^host: //p')
started=$SECONDS
# One build of every target (a `cargo build --bins` of the fuzz workspace).
cargo fuzz build -s none --fuzz-dir "$here" --target "$triple"
echo "built in $((SECONDS - started)) s"

final_stat() { sed -n "s/^stat::$1: *//p" "$2" | tail -1; }

failed=()
summary=()
for t in "${targets[@]}"; do
  bin=$FUZZ_TARGET_DIR/$triple/release/$t
  corpus=$work/corpus/$t
  artifacts=$work/artifacts/$t/
  log=$work/logs/$t.log
  mkdir -p "$corpus" "$artifacts" "$(dirname "$log")"
  dict=()
  [[ -f $here/dict/$t.dict ]] && dict=("-dict=$here/dict/$t.dict")
  echo "fuzzing $t for $FUZZ_SECS s (log: $log)"
  status=0
  # -timeout: an input taking 10 s is a hang worth reporting (a parser on a request
  # path must answer in microseconds), not something to wait 20 minutes for.
  "$bin" -max_total_time="$FUZZ_SECS" -print_final_stats=1 -timeout=10 \
    -artifact_prefix="$artifacts" "${dict[@]}" "$corpus" "$here/corpus/$t" \
    >"$log" 2>&1 || status=$?

  execs=$(final_stat number_of_executed_units "$log")
  rate=$(final_stat average_exec_per_sec "$log")
  size=$(grep -o 'corp: [0-9]*' "$log" | tail -1 | cut -d' ' -f2 || true)
  if ((status == 0)); then
    result=OK
  else
    kind=$(grep -o 'ERROR: libFuzzer: [a-z -]*' "$log" | head -1 | sed 's/ERROR: libFuzzer: //' || true)
    unit=$(sed -n 's/.*Test unit written to //p' "$log" | tail -1)
    result="CRASH (${kind:-exit $status}) ${unit:-no input written: see the log}"
    failed+=("$t")
    echo "--- $t failed; the end of its log:"
    grep -m1 -A6 'panicked at' "$log" || tail -20 "$log"
    if [[ -n $unit ]]; then
      echo "reproduce: $bin $unit"
      echo "       or: cargo fuzz run -s none --fuzz-dir fuzz $t $unit"
    fi
  fi
  summary+=("$(printf '%-16s %12s %9s %7s  %s' "$t" "${execs:-?}" "${rate:-?}" "${size:-?}" "$result")")
done

echo
printf '%-16s %12s %9s %7s  %s\n' target executions exec/s corpus result
printf '%s\n' "${summary[@]}"
if ((${#failed[@]})); then
  echo "failed: ${failed[*]}" >&2
  exit 1
fi
