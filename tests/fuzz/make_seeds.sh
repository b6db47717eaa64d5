#!/usr/bin/env bash
# Builds the fuzzers' seed corpora at run time (they are not committed):
#
#   tests/fuzz/make_seeds.sh OUT CORPUS
#
# OUT/proto    .proto files: protobuf's own schemas, a sample of googleapis
#              (CORPUS = the unpacked build/corpus), tests/diag inputs, the
#              pytest schemas and the greeter example
# OUT/request  CodeGeneratorRequest binaries, made by running protoc ($PROTOC,
#              default protoc; a command line such as "python -m
#              grpc_tools.protoc" works) with dump_request.sh as its plugin
#              over a few of those schemas
# OUT/fdl, OUT/fbs  the small handwritten seeds of tests/fuzz/seeds-{fdl,fbs}
set -euo pipefail
out=$1
corpus=$(realpath "$2")
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
max=65536
protoc=${PROTOC:-protoc}
rm -rf "$out.tmp"
mkdir -p "$out.tmp/proto" "$out.tmp/request" "$out.tmp/fdl" "$out.tmp/fbs"

# copy FILE under a flat name made of its path; skip what -max_len would cut
add() {
  local dir=$1 base=$2 file=$3
  [ "$(stat -c %s "$file")" -le $max ] || return 0
  cp "$file" "$dir/$(printf '%s' "${file#"$base"/}" | tr '/' '_')"
}

pb=$corpus/protobuf/src
ga=$corpus/googleapis
while IFS= read -r f; do add "$out.tmp/proto" "$pb" "$f"; done \
  < <(find "$pb" -name '*.proto' | LC_ALL=C sort)
# googleapis: the shared annotation and type packages, and every 25th other file
while IFS= read -r f; do add "$out.tmp/proto" "$ga" "$f"; done \
  < <(find "$ga/google/api" "$ga/google/rpc" "$ga/google/type" "$ga/google/longrunning" \
        -maxdepth 1 -name '*.proto' | LC_ALL=C sort)
while IFS= read -r f; do add "$out.tmp/proto" "$ga" "$f"; done \
  < <(find "$ga" -name '*.proto' | LC_ALL=C sort | awk 'NR % 25 == 0')
for f in "$root"/tests/diag/proto/*.proto "$root"/tests/py/protos/*.proto \
         "$root"/examples/greeter/greeter.proto; do
  add "$out.tmp/proto" "$root" "$f"
done

# requests: one protoc run per schema, the plugin saving what protoc sends; a
# schema this protoc rejects (an old protoc and editions, say) is skipped
n=0
request() {
  local include=$1; shift
  n=$((n + 1))
  local file=$out.tmp/request/$(printf '%02d' $n)_$(basename "$1" .proto).bin
  MOONSTUB_DUMP_REQUEST=$file $protoc --plugin=protoc-gen-dump="$here/dump_request.sh" \
      --dump_out=. -I "$include" -I "$pb" "$@" 2>"$out.tmp/protoc.err" ||
    { echo "make_seeds: protoc rejected $*; skipped" >&2; rm -f "$file"; }
}
request "$root/examples/greeter" greeter.proto
request "$pb" google/protobuf/unittest.proto
request "$pb" google/protobuf/unittest_proto3.proto
request "$pb" google/protobuf/unittest_custom_options.proto
request "$pb" google/protobuf/unittest_import.proto google/protobuf/unittest_import_public.proto
request "$pb" google/protobuf/unittest_lite.proto
request "$pb" google/protobuf/unittest_proto3_optional.proto
request "$pb" google/protobuf/map_unittest.proto
request "$pb" google/protobuf/timestamp.proto google/protobuf/duration.proto google/protobuf/struct.proto
request "$pb" google/protobuf/unittest_features.proto
request "$pb" google/protobuf/unittest_lite_edition_2024.proto
request "$pb" google/protobuf/unittest_delimited.proto
request "$ga" google/api/http.proto google/api/annotations.proto
request "$ga" google/type/date.proto google/type/money.proto google/rpc/status.proto
for f in "$root"/tests/py/protos/*.proto; do
  request "$root/tests/py/protos" "$(basename "$f")"
done
rm -f "$out.tmp/protoc.err"
# keep only what fits in the request fuzzer's -max_len
find "$out.tmp/request" -type f -size +"$((4 * max))"c -delete

cp "$here"/seeds-fdl/* "$out.tmp/fdl/"
cp "$here"/seeds-fbs/* "$out.tmp/fbs/"
rm -rf "$out"
mv "$out.tmp" "$out"
echo "seeds: $(ls "$out/proto" | wc -l) proto, $(ls "$out/request" | wc -l) request, $(ls "$out/fdl" | wc -l) fdl, $(ls "$out/fbs" | wc -l) fbs in $out"
