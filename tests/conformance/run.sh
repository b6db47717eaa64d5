#!/usr/bin/env bash
# Runs protobuf's conformance suite against tests/conformance/testee.py, a
# testee built only from moonstub-generated classes.
#   tests/conformance/run.sh MOONSTUB PYTHON WORKDIR
# Expected failures are listed, each with its reason, in failure_list.txt;
# the runner fails on any unexpected failure and on any listed test that
# now passes (so the list only shrinks).
set -euo pipefail
moonstub=$(realpath "$1")
python=$(realpath -s "$2")
work=$3
here=$(cd "$(dirname "$0")" && pwd)
runner=${CONFORMANCE_RUNNER:-$(cd "$here/../.." && cd .. && pwd)/shared/tools/conformance-runner}
inc=$("$runner" --include-dir)
mkdir -p "$work"
work=$(realpath "$work")
rm -rf "$work/gen"
# the well-known types: grpcio-tools' copies where it is installed, else the ones moonstub carries
wkt=$("$python" -c 'import grpc_tools, os; print(os.path.join(os.path.dirname(grpc_tools.__file__), "_proto"))' \
  2>/dev/null || true)
"$moonstub" -I "$inc" ${wkt:+-I "$wkt"} --python_out="$work/gen" \
  conformance/conformance.proto \
  google/protobuf/test_messages_proto2.proto google/protobuf/test_messages_proto3.proto \
  google/protobuf/test_messages_proto2_editions.proto google/protobuf/test_messages_proto3_editions.proto \
  google/protobuf/test_messages_edition2023.proto
cat > "$work/testee" <<EOT
#!/bin/sh
exec "$python" "$here/testee.py" "$work/gen"
EOT
chmod +x "$work/testee"
grep -v '^[[:space:]]*#' "$here/failure_list.txt" | sed 's/[[:space:]]*#.*$//' | grep -v '^$' > "$work/failures.txt" || true
cd "$work"
"$runner" --enforce_recommended --failure_list "$work/failures.txt" --output_dir "$work" "$work/testee"
