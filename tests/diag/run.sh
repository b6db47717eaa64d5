#!/usr/bin/env bash
# The diagnostics suite: every tests/diag/<lang>/NN_*.<ext> (lang: proto, fdl,
# fbs) is a bad input;
# moonstub must exit 1, print exactly tests/diag/expected/<lang>/NN_*.stderr,
# print nothing on stdout and write nothing to the output folder.
#
#   tests/diag/run.sh MOONSTUB PROTOBUF_SRC [--update]
#
# --update rewrites the expected files from the current output; review the
# diff before committing it. VALGRIND=1 runs each case under valgrind and
# fails on any error or leak.
set -u
moonstub=$(realpath "$1")
pbsrc=$(realpath "$2")
update=${3:-}
here=$(cd "$(dirname "$0")" && pwd)
fail=0
count=0
for lang in proto fdl fbs; do
  dir=$here/$lang
  [ -d "$dir" ] || continue
  expected_dir=$here/expected/$lang
  mkdir -p "$expected_dir"
  for input in "$dir"/[0-9]*.*; do
    name=$(basename "$input")
    expected=$expected_dir/${name%.*}.stderr
    out=$(mktemp -d)
    pyout=$(mktemp -d)
    runner=()
    if [ "${VALGRIND:-0}" = 1 ]; then
      runner=(valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=all)
    fi
    (cd "$dir" && "${runner[@]}" "$moonstub" -I . -I "$pbsrc" --python_out="$pyout" "$name" \
        >"$out/stdout" 2>"$out/stderr")
    status=$?
    count=$((count + 1))
    if [ "$update" = --update ]; then
      cp "$out/stderr" "$expected"
    fi
    problem=""
    [ "$status" = 1 ] || problem="exit status $status, expected 1"
    [ -s "$out/stdout" ] && problem="$problem; wrote to stdout"
    [ -n "$(ls -A "$pyout")" ] && problem="$problem; wrote to the output folder"
    if [ ! -f "$expected" ]; then
      problem="$problem; no expected file $expected"
    elif ! diff -u "$expected" "$out/stderr" >"$out/diff"; then
      problem="$problem; stderr differs:"$'\n'"$(cat "$out/diff")"
    fi
    if [ -n "$problem" ]; then
      echo "FAIL $lang/$name: ${problem#; }"
      fail=$((fail + 1))
    fi
    rm -rf "$out" "$pyout"
  done
done
echo "diagnostics: $count cases, $fail failed"
[ "$fail" = 0 ]
