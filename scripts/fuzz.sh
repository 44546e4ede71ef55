#!/usr/bin/env bash
# Builds the libFuzzer targets and runs each for a while:
#   npm run fuzz -- [--seconds N] [--target NAME]     (N defaults to 60; NAME: one target only)
# Targets (native/test/*_fuzz_target.c, built by CMakeLists.txt with -DANP_FUZZ=ON and clang):
#   anp_decode_fuzz_target   the C decoder (anp_frame_size, anp_decode) and the writer's round trip
#   anp_answer_fuzz_target   the module's answer reader (native/anp_answer.c) and the fold rules
#   anp_grant_payload_fuzz_target  the grant cache's payload codec (native/mod/grant_payload.c)
# Everything lives under build/fuzz: the build, seeds/<target> (made anew from test/vectors/protocol.json),
# corpus/<target> (what libFuzzer found, kept from run to run) and crashes/<target>/ (each crashing input,
# as crash-<sha1>, leak-<sha1> or timeout-<sha1>; replay with build/fuzz/<target> <file>).
# Exits non-zero when a target crashes or a sanitizer fires, or when clang or libFuzzer is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=60
targets=(anp_decode_fuzz_target anp_answer_fuzz_target anp_grant_payload_fuzz_target)
while (($#)); do
  case "$1" in
    --seconds) seconds=${2:?--seconds needs a number}; shift 2 ;;
    --target) targets=("${2:?--target needs a name}"); shift 2 ;;
    *) echo "usage: $0 [--seconds N] [--target NAME]" >&2; exit 2 ;;
  esac
done
if ! [[ "$seconds" =~ ^[1-9][0-9]*$ ]]; then
  echo "fuzz: --seconds wants a positive whole number, not '$seconds'" >&2
  exit 2
fi
if ! command -v clang >/dev/null || ! command -v clang++ >/dev/null; then
  echo "fuzz: clang not found; install it with: bash scripts/bootstrap.sh test (Debian: clang libclang-rt-dev)" >&2
  exit 1
fi

out=build/fuzz
mkdir -p "$out"
# The tree is shared by several builds at once: native builds take the lock.
flock /tmp/anp-build.lock bash -c "
  cmake -S . -B '$out' -DANP_FUZZ=ON -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ >'$out/configure.log' 2>&1 \
    || { cat '$out/configure.log' >&2; exit 1; }
  cmake --build '$out' -j2 >'$out/build.log' 2>&1 || { cat '$out/build.log' >&2; exit 1; }
"
node scripts/fuzz-seeds.mjs "$out/seeds" >&2

failed=0
for target in "${targets[@]}"; do
  if [ ! -x "$out/$target" ]; then
    echo "fuzz: no target $target in $out" >&2
    exit 2
  fi
  mkdir -p "$out/corpus/$target" "$out/crashes/$target"
  log="$out/$target.log"
  echo "fuzz: $target for ${seconds}s (log: $log)" >&2
  if "$out/$target" -max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="$out/crashes/$target/" \
    "$out/corpus/$target" "$out/seeds/$target" >"$log" 2>&1; then
    echo "fuzz: $target: $(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}') inputs, no crash" >&2
  else
    failed=1
    # The sanitizer's or the target's own verdict first, then the end of the log (the saved input's name).
    grep -E -m 5 'ERROR: |SUMMARY: |runtime error|broken invariant' "$log" >&2 || true
    tail -n 12 "$log" >&2
    echo "fuzz: $target CRASHED; input saved under $out/crashes/$target/:" >&2
    ls -1 "$out/crashes/$target/" >&2
  fi
done
exit "$failed"
