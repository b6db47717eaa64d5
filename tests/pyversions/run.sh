#!/usr/bin/env bash
# The smoke suite on another CPython (make test-pyversions): a venv with the
# pinned grpcio and protobuf, the runtime package with its native codec built
# for that Python, then smoke.py (greeter sync server and stubs, well-known
# types) and protobuf's conformance suite on both codecs.
#   tests/pyversions/run.sh MOONSTUB VERSION BUILD_DIR
set -euo pipefail
moonstub=$(realpath "$1")
version=$2
build=$(realpath "$3")
repo=$(cd "$(dirname "$0")/../.." && pwd)
root=${PYENV_ROOT:-$HOME/.pyenv}
py=$(ls -d "$root"/versions/"$version".*/bin/python 2>/dev/null | sort -V | tail -1 || true)
[ -n "$py" ] && [ -x "$py" ] || py=$(command -v "python$version" || true)
[ -n "$py" ] || { echo "test-pyversions: CPython $version not found (pyenv or python$version)" >&2; exit 1; }
venv=$build/venv-$version
[ -x "$venv/bin/python" ] || "$py" -m venv "$venv"
"$venv/bin/python" -m pip install -q --disable-pip-version-check \
  $(grep -E '^(grpcio|protobuf)==' "$repo/requirements.txt")
pkg=$build/py-$version/moonstub
mkdir -p "$pkg"
cp "$repo"/emitters/python/moonstub/*.py "$repo"/emitters/python/moonstub/py.typed "$pkg/"
inc=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')
suffix=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_config_var("EXT_SUFFIX"))')
${CC:-gcc} -O2 -std=c11 -Wall -Wextra -Werror -fPIC -shared -I"$inc" -o "$pkg/_native$suffix" \
  "$repo/emitters/python/moonstub/_native.c"
export PYTHONPATH=$build/py-$version
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for codec in native python; do
  MOONSTUB_CODEC=$codec "$venv/bin/python" "$repo/tests/pyversions/smoke.py" "$moonstub" "$work/smoke-$codec"
  MOONSTUB_CODEC=$codec "$repo/tests/conformance/run.sh" "$moonstub" "$venv/bin/python" "$work/conformance-$codec" \
    | tail -3
done
