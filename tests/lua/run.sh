#!/usr/bin/env bash
# Lua suites: each tests/lua/test_*.lua runs inside moonstub (--lua-test) with
# the model of tests/lua/names.proto and the embedded rules and emitters.
set -u
moonstub=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
fail=0
for script in "$here"/test_*.lua; do
  if out=$(cd "$here" && LUA_PATH="$here/?.lua" "$moonstub" -I . names.proto --lua-test="$script" 2>&1); then
    echo "ok   $(basename "$script")"
  else
    echo "FAIL $(basename "$script")"
    echo "$out"
    fail=1
  fi
done
exit $fail
