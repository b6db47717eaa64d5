#!/usr/bin/env bash
# End-to-end runs under AddressSanitizer and UBSan (make test-asan-e2e):
#
#   tests/fuzz/asan_e2e.sh ASAN_MOONSTUB REF_MOONSTUB CORPUS
#
# Each case runs the sanitized binary and the ordinary one with the same
# arguments, each writing into its own folder. A case fails when the
# sanitized run reports an error or a leak, or when the two differ in exit
# status, stdout, stderr or the files written. The cases cover the command
# line (.proto, .fdl, .fbs; --grpc, --rules, -L, --emitter, --dump-model,
# --summary, --check), the protoc plugin ($PROTOC, default protoc; through a
# protoc-gen-moonstub link beside each binary) and all of googleapis.
set -u
asan=$(realpath "$1")
ref=$(realpath "$2")
corpus=$(realpath "$3")
protoc=${PROTOC:-protoc}
root=$(cd "$(dirname "$0")/../.." && pwd)
pb=$corpus/protobuf/src
ga=$corpus/googleapis
for bin in "$asan" "$ref"; do
  [ -x "$(dirname "$bin")/protoc-gen-moonstub" ] ||
    { echo "asan-e2e: no $(dirname "$bin")/protoc-gen-moonstub (make it first)" >&2; exit 1; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1:exitcode=86}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
cases=0
failed=0

# one_run BIN DIR ARGS...: ARGS with @OUT@ replaced by DIR/out, run from $root
one_run() {
  local bin=$1 dir=$2
  shift 2
  mkdir -p "$dir/out"
  local args=()
  local arg
  for arg in "$@"; do args+=("${arg//@OUT@/$dir/out}"); done
  (cd "$root" && "$bin" "${args[@]}" >"$dir/stdout" 2>"$dir/stderr")
  echo $? >"$dir/status"
}

# check NAME ARGS...: the moonstub command line
check() {
  local name=$1
  shift
  compare "$name" one_run "$@"
}

# plugin NAME ARGS...: protoc with --plugin=protoc-gen-moonstub=<each binary's link>
plugin_run() {
  local bin=$1 dir=$2
  shift 2
  mkdir -p "$dir/out"
  local args=()
  local arg
  for arg in "$@"; do args+=("${arg//@OUT@/$dir/out}"); done
  (cd "$root" && $protoc --plugin=protoc-gen-moonstub="$(dirname "$bin")/protoc-gen-moonstub" \
     "${args[@]}" >"$dir/stdout" 2>"$dir/stderr")
  echo $? >"$dir/status"
}

plugin() {
  local name=$1
  shift
  compare "$name" plugin_run "$@"
}

compare() {
  local name=$1 runner=$2
  shift 2
  cases=$((cases + 1))
  local a=$work/$cases/asan r=$work/$cases/ref
  $runner "$asan" "$a" "$@"
  $runner "$ref" "$r" "$@"
  local problem=""
  if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$a/stderr"; then
    problem="sanitizer report:"$'\n'"$(grep -E -A12 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$a/stderr" | head -30)"
  elif [ "$(cat "$a/status")" != "$(cat "$r/status")" ]; then
    problem="exit status $(cat "$a/status") under ASan, $(cat "$r/status") without"$'\n'"$(tail -5 "$a/stderr")"
  else
    # the binaries' own paths and the output folders differ; nothing else may
    local f
    for f in stdout stderr; do
      sed -e "s#$a/out#OUT#g" -e "s#$asan#MOONSTUB#g" "$a/$f" >"$a/$f.norm"
      sed -e "s#$r/out#OUT#g" -e "s#$ref#MOONSTUB#g" "$r/$f" >"$r/$f.norm"
      cmp -s "$a/$f.norm" "$r/$f.norm" || problem="$problem $f differs;"
    done
    diff -r "$a/out" "$r/out" >"$work/$cases.diff" 2>&1 || problem="$problem the files written differ: $(head -5 "$work/$cases.diff")"
  fi
  if [ -n "$problem" ]; then
    echo "FAIL $name: $problem"
    failed=$((failed + 1))
  else
    echo "ok   $name (exit $(cat "$a/status"), $(find "$a/out" -type f | wc -l) files)"
  fi
}

g=examples/greeter
check "greeter.proto --grpc" -I $g $g/greeter.proto --python_out=@OUT@ --grpc
check "greeter.proto sync grpc" -I $g $g/greeter.proto --python_out=@OUT@ --grpc --grpc-python-mode=sync
check "greeter.proto aristaproto rules and options" -I $g $g/greeter.proto --python_out=@OUT@ --rules=aristaproto \
  --opt client_generation=sync_async --opt server_generation=async
check "greeter.proto naming policy" -I $g $g/greeter.proto --python_out=@OUT@ --grpc \
  --rules examples/naming-policy/acme.lua
check "greeter.proto custom emitter" -I $g $g/greeter.proto --python_out=@OUT@ \
  --emitter examples/custom-emitter/markdown.lua
check "greeter.proto --summary --dump-model" -I $g $g/greeter.proto --summary --dump-model
check "greeter.fdl --grpc" -I $g $g/greeter.fdl --python_out=@OUT@ --grpc
for f in tests/fuzz/seeds-fdl/0[1-7]*.fdl; do
  check "$(basename "$f")" -I tests/fuzz/seeds-fdl "$f" --python_out=@OUT@ --grpc
done
for f in tests/fuzz/seeds-fbs/0[1-6]*.fbs; do
  check "$(basename "$f")" -I tests/fuzz/seeds-fbs "$f" --python_out=@OUT@ --grpc
done
for f in tests/py/protos/*.proto; do
  check "tests/py/protos/$(basename "$f")" -I tests/py/protos "$f" --python_out=@OUT@ --grpc
done
check "protobuf test schemas" -I "$pb" --python_out=@OUT@ --grpc \
  google/protobuf/unittest.proto google/protobuf/unittest_proto3.proto google/protobuf/map_unittest.proto \
  google/protobuf/unittest_custom_options.proto google/protobuf/unittest_proto3_optional.proto \
  google/protobuf/unittest_features.proto google/protobuf/test_messages_proto2.proto \
  google/protobuf/test_messages_proto3.proto google/protobuf/unittest_well_known_types.proto
check "protobuf schemas --dump-model" -I "$pb" --dump-model google/protobuf/unittest.proto \
  google/protobuf/unittest_lite_edition_2024.proto google/protobuf/unittest_features.proto
check "googleapis (google/api, pubsub, storage) --grpc" -I "$ga" -I "$pb" --python_out=@OUT@ --grpc \
  $(cd "$ga" && ls google/api/*.proto google/pubsub/v1/*.proto google/storage/v2/*.proto)
googleapis=$(cd "$ga" && find google grafeas -name '*.proto' -not -path '*/preview/*' 2>/dev/null | LC_ALL=C sort)
# shellcheck disable=SC2086
check "all of googleapis --dump-model" -I "$ga" -I "$pb" --dump-model $googleapis
check "a diagnostics case" -I tests/diag/proto -I "$pb" tests/diag/proto/30_*.proto --python_out=@OUT@
check "--check on an empty folder" -I $g $g/greeter.proto --python_out=@OUT@ --check
plugin "plugin: greeter.proto --grpc" -I $g --moonstub_out=@OUT@ --moonstub_opt=grpc=true $g/greeter.proto
plugin "plugin: aristaproto options" -I $g --moonstub_out=@OUT@ \
  --moonstub_opt=client_generation=sync_async,server_generation=async $g/greeter.proto
plugin "plugin: protobuf test schemas" -I "$pb" --moonstub_out=@OUT@ \
  google/protobuf/unittest_proto3.proto google/protobuf/map_unittest.proto google/protobuf/unittest_import.proto
plugin "plugin: googleapis pubsub" -I "$ga" -I "$pb" --moonstub_out=@OUT@ --moonstub_opt=grpc=true \
  $(cd "$ga" && ls google/pubsub/v1/*.proto)

echo "asan-e2e: $((cases - failed)) passed, $failed failed"
[ "$failed" = 0 ]
