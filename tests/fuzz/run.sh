#!/usr/bin/env bash
# Runs the libFuzzer targets (make fuzz):
#
#   tests/fuzz/run.sh FUZZ_BUILD SECONDS TARGET...
#
# For each TARGET (proto, fdl, fbs, request) with its binary FUZZ_BUILD/fuzz_TARGET:
#   1. replays every file of tests/fuzz/regressions/TARGET/ (past findings);
#   2. fuzzes for SECONDS from FUZZ_BUILD/corpus/TARGET (kept between runs) and
#      the seeds FUZZ_BUILD/seeds/TARGET, with TARGET's dictionary.
# Findings (crash-*, leak-*, timeout-*, oom-*) go to FUZZ_BUILD/crashes/TARGET/
# and are listed at the end; the exit status is 1 if there were any, or if a
# regression input fails. FUZZ_NICE (e.g. "nice -n 19") prefixes each run.
set -u
build=$1
seconds=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
nice=(${FUZZ_NICE:-})
failed=()
mkdir -p "$build/logs"

for target in "$@"; do
  bin=$build/fuzz_$target
  if [ ! -x "$bin" ]; then
    echo "fuzz: no binary $bin" >&2
    failed+=("$target: no binary")
    continue
  fi
  env_for_target=()
  case $target in
    native)
      # an embedded CPython: its own allocations stay (no leak check); every object
      # goes through malloc so that ASan sees it
      max_len=65536; dict=()
      env_for_target=(env MOONSTUB_FUZZ_GEN="$build/native-gen" PYTHONMALLOC=malloc
        PYTHONHOME="${FUZZ_PYTHONHOME:-}" PYTHONPATH="${FUZZ_NATIVE_PATH:-}" PYTHONDONTWRITEBYTECODE=1
        ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=0) ;;
    request) max_len=262144; dict=() ;;
    generate) max_len=8192; dict=(-dict="$here/proto.dict") ;;
    *) max_len=65536; dict=(-dict="$here/$target.dict") ;;
  esac
  flags=(-max_len=$max_len -timeout=10 -rss_limit_mb=2048 "${dict[@]}")
  crashes=$build/crashes/$target
  corpus=$build/corpus/$target
  mkdir -p "$crashes" "$corpus"

  regressions=()
  if [ -d "$here/regressions/$target" ]; then
    while IFS= read -r f; do regressions+=("$f"); done \
      < <(find "$here/regressions/$target" -type f | LC_ALL=C sort)
  fi
  if [ ${#regressions[@]} -gt 0 ]; then
    log=$build/logs/$target-regressions.log
    # a 1 MiB stack, so that inputs which once exhausted the stack through deep
    # recursion still do so at a size worth committing
    if (ulimit -s 1024 && exec "${env_for_target[@]}" "${nice[@]}" "$bin" "${flags[@]}" "${regressions[@]}") >"$log" 2>&1; then
      echo "fuzz $target: ${#regressions[@]} regression inputs pass"
    else
      echo "fuzz $target: a regression input fails (log: $log)"
      grep -E '^(==[0-9]+==ERROR|SUMMARY|Running: )|runtime error' "$log" | tail -20
      failed+=("$target: regressions")
    fi
  fi

  seeds=$build/seeds/$target
  [ "$target" = generate ] && seeds=$build/seeds/proto
  [ -d "$seeds" ] || seeds=
  log=$build/logs/$target.log
  before=$(ls "$crashes" | wc -l)
  start=$(date +%s)
  "${env_for_target[@]}" "${nice[@]}" "$bin" "${flags[@]}" -max_total_time="$seconds" -print_final_stats=1 \
    -artifact_prefix="$crashes/" "$corpus" ${seeds:+"$seeds"} >"$log" 2>&1
  status=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -1)
  echo "fuzz $target: exit $status, ${runs:-?} runs in $(( $(date +%s) - start )) s, $cov," \
       "corpus $(ls "$corpus" | wc -l) files (log: $log)"
  if [ "$status" != 0 ] || [ "$(ls "$crashes" | wc -l)" != "$before" ]; then
    grep -E '^(==[0-9]+==ERROR|SUMMARY|==[0-9]+== ERROR)|runtime error|ALARM|out-of-memory' "$log" | head -5
    grep -E '^ +#[0-9]+ ' "$log" | head -15
    failed+=("$target")
  fi
done

found=$(find "$build/crashes" -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) 2>/dev/null | LC_ALL=C sort)
if [ -n "$found" ]; then
  echo "fuzz: findings kept in $build/crashes (replay one with: $build/fuzz_TARGET FILE):"
  for f in $found; do echo "  $f ($(stat -c %s "$f") bytes)"; done
fi
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: FAILED: ${failed[*]}"
  exit 1
fi
echo "fuzz: ${#} targets, no finding"
