"""Messages described as tables (docs/codec.md): what a generated module
holds, names that flatten alike, choosing the codec with MOONSTUB_CODEC, and
no reference leaks in the native codec."""

from __future__ import annotations

import gc
import importlib
import os
import resource
import subprocess
import sys
import textwrap
from pathlib import Path
from types import ModuleType

import pytest

import support

NESTED = """
syntax = "proto3";
package flat.names;
message A_B { message C { int32 x = 1; string s = 2; } }
message A { message B_C { string y = 1; repeated int64 z = 2; } }
message Holder {
  A_B.C one = 1;
  A.B_C two = 2;
  map<string, A_B.C> by_name = 3;
  oneof pick { A_B.C first = 4; A.B_C second = 5; }
}
"""

# two packages whose module names flatten alike, both imported by a third
PKG_AB_C = 'syntax = "proto3"; package a_b.c; message M { int32 from_ab_c = 1; }'
PKG_A_BC = 'syntax = "proto3"; package a.b_c; message M { string from_a_bc = 1; }'
PKG_USER = """
syntax = "proto3";
package user;
import "ab_c.proto";
import "a_bc.proto";
message Both { a_b.c.M left = 1; a.b_c.M right = 2; }
"""


def generate(tmp: Path, files: dict[str, str], *extra: str) -> Path:
    """Writes ``files`` (name -> text) into tmp/src and generates them into tmp/out."""
    src = tmp / "src"
    src.mkdir(exist_ok=True)
    for name, text in files.items():
        (src / name).write_text(text)
    return support.generate(tmp / "out", [src], [src / n for n in files], *extra)


def load(out: Path, name: str) -> ModuleType:
    return support.load_modules(out, [name])[name]


def test_names_that_flatten_alike_keep_their_data(tmp_path: Path) -> None:
    """Regression: A_B.C and A.B_C once shared module-level codec functions,
    and the second replaced the first (generation succeeded, encoding lost data)."""
    m = load(generate(tmp_path, {"nested.proto": NESTED}), "flat_names")
    h = m.Holder(one=m.A_B.C(x=7, s="ab"), two=m.A.B_C(y="a", z=[1, -2]),
                 by_name={"k": m.A_B.C(x=1)}, second=m.A.B_C(y="s"))
    back = m.Holder.FromString(h.SerializeToString())
    assert back == h
    assert type(back.one) is m.A_B.C and type(back.two) is m.A.B_C and type(back.second) is m.A.B_C
    assert back.one.s == "ab" and back.two.z == [1, -2] and back.which_oneof("pick") == "second"


def test_modules_that_flatten_alike_import_apart(tmp_path: Path) -> None:
    """Package layout: modules a_b.c and a.b_c once got one import alias."""
    out = generate(tmp_path, {"ab_c.proto": PKG_AB_C, "a_bc.proto": PKG_A_BC, "user.proto": PKG_USER},
                   "--rules=aristaproto") / "lib"
    (tmp_path / "out").rename(tmp_path / "lib")
    (tmp_path / "out").mkdir()
    (tmp_path / "lib").rename(out)
    text = (out / "user" / "__init__.py").read_text()
    assert "as _i_a__b_c" in text and "as _i_a_b__c" in text, text
    mods = support.load_modules(out.parent, ["lib.user", "lib.a_b.c", "lib.a.b_c"])
    user, left, right = mods["lib.user"], mods["lib.a_b.c"].M, mods["lib.a.b_c"].M
    both = user.Both(left=left(from_ab_c=3), right=right(from_a_bc="r"))
    back = user.Both.FromString(both.SerializeToString())
    assert (back.left.from_ab_c, back.right.from_a_bc) == (3, "r")


def test_modules_that_flatten_alike_are_an_error_in_the_flat_layout(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "ab_c.proto").write_text(PKG_AB_C)
    (src / "a_bc.proto").write_text(PKG_A_BC)
    proc = support.run_moonstub("-I", str(src), str(src / "ab_c.proto"), str(src / "a_bc.proto"),
                                f"--python_out={tmp_path / 'out'}")
    assert proc.returncode == 1
    assert "a_b.c.M" in proc.stderr and "a.b_c.M" in proc.stderr
    assert "both become the Python class a_b_c.M" in proc.stderr
    assert not (tmp_path / "out").exists()


def test_generated_module_is_classes_and_tables(tmp_path: Path) -> None:
    out = generate(tmp_path, {"nested.proto": NESTED})
    text = (out / "flat_names.py").read_text()
    # no per-message codec functions, aliases or dataclass machinery
    for gone in ("def _e_", "def _d_", "_read_varint", "dataclasses", "_ONEOF_"):
        assert gone not in text, gone
    assert '_ms.register(\n    Holder,\n    "flat.names.Holder",\n    "1 one 11 4 flat.names.A_B.C|' in text
    assert "def __init__(" in text and '__slots__ = ("one", "two", "by_name", "first", "second")' in text


RUNNER = textwrap.dedent("""
    import sys
    sys.path.insert(0, sys.argv[1])
    import flat_names as m
    print(m._ms.CODEC, type(m.Holder._ms_codec).__name__)
    h = m.Holder(one=m.A_B.C(x=1))
    assert m.Holder.FromString(h.SerializeToString()) == h
""")


def run_with_codec(out: Path, value: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "MOONSTUB_CODEC"}
    if value is not None:
        env["MOONSTUB_CODEC"] = value
    return subprocess.run([sys.executable, "-c", RUNNER, str(out)], capture_output=True, text=True, env=env,
                          check=False)


def native_available() -> bool:
    return importlib.util.find_spec("moonstub") is not None and \
        importlib.util.find_spec("moonstub._native") is not None


def test_moonstub_codec_python_forces_the_pure_path(tmp_path: Path) -> None:
    proc = run_with_codec(generate(tmp_path, {"nested.proto": NESTED}), "python")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["python", "_PureCodec"]


@pytest.mark.skipif(not native_available(), reason="the native codec is not built (make native)")
def test_native_is_the_default_and_can_be_required(tmp_path: Path) -> None:
    out = generate(tmp_path, {"nested.proto": NESTED})
    for value in (None, "native"):
        proc = run_with_codec(out, value)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.split() == ["native", "MessageType"]


def test_moonstub_codec_native_without_the_extension_fails_clearly(tmp_path: Path) -> None:
    out = generate(tmp_path, {"nested.proto": NESTED}, "--opt", "runtime=vendored")
    blocker = tmp_path / "block"
    blocker.mkdir()
    (blocker / "moonstub").mkdir()
    (blocker / "moonstub" / "__init__.py").write_text("")  # a moonstub package without _native
    env = {k: v for k, v in os.environ.items()}
    env.update(MOONSTUB_CODEC="native", PYTHONPATH=str(blocker))
    proc = subprocess.run([sys.executable, "-c", RUNNER, str(out)], capture_output=True, text=True, env=env,
                          check=False)
    assert proc.returncode == 1
    assert "ImportError: MOONSTUB_CODEC=native, but the native codec (moonstub._native) cannot be imported" \
        in proc.stderr
    # without MOONSTUB_CODEC the same process falls back to the pure path
    del env["MOONSTUB_CODEC"]
    proc = subprocess.run([sys.executable, "-c", RUNNER, str(out)], capture_output=True, text=True, env=env,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["python", "_PureCodec"]


def test_moonstub_codec_other_values_are_refused(tmp_path: Path) -> None:
    proc = run_with_codec(generate(tmp_path, {"nested.proto": NESTED}), "fast")
    assert proc.returncode == 1
    assert "ImportError: MOONSTUB_CODEC='fast' is not a codec; use 'native' or 'python'" in proc.stderr


LEAK_SCHEMA = """
syntax = "proto3";
package flat.leak;
enum Kind { K0 = 0; K1 = 1; }
message Item { string key = 1; bytes blob = 2; repeated sint64 values = 3; Kind kind = 4; }
message Batch {
  repeated Item items = 1;
  map<string, Item> index = 2;
  map<int32, string> names = 3;
  oneof pick { Item one = 4; string text = 5; }
  optional double score = 6;
}
"""


@pytest.mark.skipif(not native_available(), reason="the native codec is not built (make native)")
def test_native_codec_leaks_no_references(tmp_path: Path) -> None:
    m = load(generate(tmp_path, {"leak.proto": LEAK_SCHEMA}), "flat_leak")
    native = m._ms.codec_of(m.Batch, "native")
    item = m.Item(key="k\u00e9", blob=b"\x00\x01", values=[1, -2, 3 << 40], kind=m.Kind.K1)
    batch = m.Batch(items=[item, m.Item()], index={"a": item}, names={-1: "x"}, one=item, score=-0.0)
    wire = native.encode(batch)
    bad = wire[:-3] + b"\xff\xff\xff"
    watched = [m.Batch, m.Item, m.Kind.K1, m.Kind.K0, item, wire, native]

    def rounds(n: int) -> None:
        for _ in range(n):
            back = native.decode(wire, None)
            assert native.encode(back) == wire
            native.decode(wire, back)
            try:
                native.decode(bad, None)
            except m._ms.DecodeError:
                pass

    rounds(1000)  # warm caches (interned strings, small ints)
    gc.collect()
    counts = [sys.getrefcount(o) for o in watched]
    blocks = sys.getallocatedblocks()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    rounds(100_000)
    gc.collect()
    assert [sys.getrefcount(o) for o in watched] == counts
    assert sys.getallocatedblocks() - blocks < 1000
    if "libasan" not in os.environ.get("LD_PRELOAD", ""):  # ASan's quarantine holds freed memory
        assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss < 20_000  # KiB


BIG_ONEOF = """
syntax = "proto3";
package flat.big;
message Inner { int32 a = 1; string s = 2; }
message Big {
  oneof pick {
    Inner c1 = 1; Inner c2 = 2; Inner c3 = 3; Inner c4 = 4; Inner c5 = 5;
    Inner c6 = 6; Inner c7 = 7; Inner c8 = 8; Inner c9 = 9; string t = 10;
  }
  repeated int32 packed = 11;
}
"""

CODECS = ["python"] + (["native"] if native_available() else [])


@pytest.mark.parametrize("which", CODECS)
def test_a_large_oneof_merges_into_the_member_it_has(tmp_path: Path, which: str) -> None:
    m = load(generate(tmp_path, {"big.proto": BIG_ONEOF}), "flat_big")
    codec = m._ms.codec_of(m.Big, which)
    into = m.Big(c3=m.Inner(a=1))
    merged = codec.decode(m.Big(c3=m.Inner(s="x")).SerializeToString(), into)
    assert merged.c3 == m.Inner(a=1, s="x") and into.c3 == m.Inner(a=1)  # `into` itself is unchanged
    # another member first: the later one starts afresh
    wire = m.Big(c2=m.Inner(a=5)).SerializeToString() + m.Big(c3=m.Inner(s="y")).SerializeToString()
    merged = codec.decode(wire, into)
    assert (merged.which_oneof("pick"), merged.c3) == ("c3", m.Inner(s="y"))


@pytest.mark.parametrize("which", CODECS)
def test_packed_range_errors_name_the_value_out_of_range(tmp_path: Path, which: str) -> None:
    m = load(generate(tmp_path, {"big.proto": BIG_ONEOF}), "flat_big")
    codec = m._ms.codec_of(m.Big, which)
    with pytest.raises(m._ms.EncodeError, match=r"^flat\.big\.Big\.packed: 2147483648 is out of range for int32$"):
        codec.encode(m.Big(packed=[0, 1, 2**31, -(2**40)]))
