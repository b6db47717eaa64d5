#!/usr/bin/env bash
# make demo: generate the greeter, start the grpc.aio server on a free port,
# call all four shapes with the generated client, stop the server. The third
# argument picks the schema: greeter.fdl (Fory codec, the default) or
# greeter.proto (protobuf codec); the server and client code is the same.
set -euo pipefail
moonstub=$1
python=$2
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp -d)
server=""
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$out"' EXIT
schema=${3:-greeter.fdl}
echo "== $schema"
"$moonstub" -I "$here" "$here/$schema" --python_out="$out" --grpc
echo "generated: $(cd "$out" && ls *.py | tr '\n' ' ')"
cp "$here/server.py" "$here/client.py" "$out/"
cd "$out"
"$python" server.py 127.0.0.1:0 > server.log 2>&1 &
server=$!
for _ in $(seq 100); do
  port=$(sed -n 's/.*listening on port \([0-9]*\).*/\1/p' server.log 2>/dev/null || true)
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { cat server.log; echo "demo: the server did not start" >&2; exit 1; }
echo "server: 127.0.0.1:$port"
"$python" client.py "127.0.0.1:$port"
