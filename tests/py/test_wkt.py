"""Well-known types built in (google/protobuf/*.proto found without -I, their
classes from the runtime package) and mapping a file or package to an existing
Python module (--opt M<file or package>=module)."""

from __future__ import annotations

import filecmp
import os
import subprocess
import sys
from pathlib import Path

import pytest
import support

REPO = support.REPO
moonstub = support.run_moonstub  # moonstub(*args, cwd=None): the finished process

EVENT = """
syntax = "proto3";
package wk.%s;
import "google/protobuf/timestamp.proto";
import "google/protobuf/struct.proto";
import "google/protobuf/any.proto";
message Event { google.protobuf.Timestamp at = 1; google.protobuf.Struct data = 2; google.protobuf.Any extra = 3; }
"""


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text)
    return folder / name


def python(code: str, *path: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(str(p) for p in path))
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)


def test_well_known_types_need_no_include_path(tmp_path: Path) -> None:
    src = tmp_path / "src"
    write(src, "event.proto", EVENT % "a")
    proc = moonstub("-I", str(src), str(src / "event.proto"), f"--python_out={tmp_path / 'out'}")
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["wk_a.py"]
    text = (tmp_path / "out" / "wk_a.py").read_text()
    assert "from moonstub import wkt as _i_moonstub_wkt\n" in text


def test_one_timestamp_class_across_trees(tmp_path: Path) -> None:
    for name in ("a", "b"):
        src = tmp_path / name / "src"
        write(src, "event.proto", EVENT % name)
        proc = moonstub("-I", str(src), str(src / "event.proto"), f"--python_out={tmp_path / name / 'out'}")
        assert proc.returncode == 0, proc.stderr
    proc = python(
        "import datetime, wk_a, wk_b\n"
        "from moonstub import wkt\n"
        "assert wk_a.Event(at=wkt.Timestamp(seconds=5)).at is not None\n"
        "when = datetime.datetime(2026, 12, 5, tzinfo=datetime.timezone.utc)\n"
        "a = wk_a.Event(at=wkt.Timestamp.from_datetime(when), data=wkt.Struct.from_python({'k': [1, 'x']}))\n"
        "b = wk_b.Event.FromString(bytes(a))\n"
        "assert type(b.at) is wkt.Timestamp is type(a.at)\n"
        "assert b.at.to_datetime() == when and b.data.to_python() == {'k': [1.0, 'x']}\n"
        "b.extra = wkt.Any.pack(a)\n"
        "assert wk_b.Event.FromString(bytes(b)).extra.unpack(wk_a.Event) == a\n"
        "print(b.to_json())\n",
        tmp_path / "a" / "out", tmp_path / "b" / "out")
    assert proc.returncode == 0, proc.stderr
    assert '"at":"2026-12-05T00:00:00Z"' in proc.stdout


def test_an_include_path_wins_over_the_built_in_files(tmp_path: Path) -> None:
    src = tmp_path / "src"
    write(src, "event.proto", EVENT % "c")
    # a user's own google/protobuf/timestamp.proto, with a field of its own
    write(src / "google" / "protobuf", "timestamp.proto",
          'syntax = "proto3";\npackage google.protobuf;\nmessage Timestamp { int64 seconds = 1; int32 nanos = 2; '
          'string zone = 3; }\n')
    proc = moonstub("-I", str(src), str(src / "event.proto"), "--dump-model")
    assert proc.returncode == 0, proc.stderr
    assert '"name":"zone"' in proc.stdout.replace(" ", "")
    # its classes are generated with the code, not taken from moonstub.wkt
    out = tmp_path / "out"
    proc = moonstub("-I", str(src), str(src / "event.proto"), f"--python_out={out}")
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in out.iterdir()) == ["google_protobuf.py", "wk_c.py"]
    assert "zone" in (out / "google_protobuf.py").read_text()
    text = (out / "wk_c.py").read_text()
    assert "at: _i_google__protobuf.Timestamp | None" in text  # the user's Timestamp
    assert "data: _i_moonstub_wkt.Struct | None" in text  # the carried Struct


def test_an_identical_copy_under_an_include_path_is_the_built_in_type(tmp_path: Path) -> None:
    src = tmp_path / "src"
    write(src, "event.proto", EVENT % "e")
    copy = tmp_path / "copy"
    for name in ("timestamp", "struct", "any"):
        text = (REPO / "core" / "include" / "google" / "protobuf" / f"{name}.proto").read_text()
        write(copy / "google" / "protobuf", f"{name}.proto", text)
    out = tmp_path / "out"
    proc = moonstub("-I", str(src), "-I", str(copy), str(src / "event.proto"), f"--python_out={out}")
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in out.iterdir()) == ["wk_e.py"]


def test_a_vendored_runtime_generates_the_well_known_types(tmp_path: Path) -> None:
    src = tmp_path / "src"
    write(src, "event.proto", EVENT % "d")
    out = tmp_path / "out"
    proc = moonstub("-I", str(src), str(src / "event.proto"), f"--python_out={out}", "--opt", "runtime=vendored")
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in out.iterdir()) == [
        "_moonstub.py", "_moonstub_reflection.py", "_moonstub_text_format.py", "google_protobuf.py", "wk_d.py"]


def test_the_runtime_package_holds_current_well_known_types(tmp_path: Path) -> None:
    """emitters/python/moonstub/wkt.py is what `make wkt` writes today."""
    include = REPO / "core" / "include"
    protos = sorted(str(p) for p in (include / "google" / "protobuf").glob("*.proto"))
    proc = moonstub("-I", str(include), *protos, f"--python_out={tmp_path}")
    assert proc.returncode == 0, proc.stderr
    assert filecmp.cmp(tmp_path / "google_protobuf.py", REPO / "emitters" / "python" / "moonstub" / "wkt.py",
                       shallow=False), "emitters/python/moonstub/wkt.py is stale: run make wkt"


COMMON = 'syntax = "proto3";\npackage shared.common;\nmessage Money { string currency = 1; int64 units = 2; }\n'
ORDER = ('syntax = "proto3";\npackage shop;\nimport "common.proto";\n'
         'message Order { shared.common.Money total = 1; repeated shared.common.Money parts = 2; }\n')


def test_a_file_mapped_to_another_trees_module_is_reused(tmp_path: Path) -> None:
    src = tmp_path / "src"
    write(src, "common.proto", COMMON)
    write(src, "order.proto", ORDER)
    # the first tree: a package `base` holding shared_common.py
    proc = moonstub("-I", str(src), str(src / "common.proto"), f"--python_out={tmp_path / 'lib' / 'base'}")
    assert proc.returncode == 0, proc.stderr
    (tmp_path / "lib" / "base" / "__init__.py").write_text("")
    for key in ("Mcommon.proto", "Mshared.common"):  # by file, or by package
        out = tmp_path / key
        proc = moonstub("-I", str(src), str(src / "order.proto"), f"--python_out={out}",
                        "--opt", f"{key}=base.shared_common")
        assert proc.returncode == 0, proc.stderr
        assert sorted(p.name for p in out.iterdir()) == ["shop.py"]  # common.proto is not generated again
        assert "from base import shared_common as _i_base_shared__common\n" in (out / "shop.py").read_text()
        proc = python("import shop\nfrom base import shared_common as c\n"
                      "o = shop.Order(total=c.Money(currency='EUR', units=3), parts=[c.Money(units=1)])\n"
                      "back = shop.Order.FromString(bytes(o))\n"
                      "assert back == o and type(back.total) is c.Money\nprint('ok')\n",
                      out, tmp_path / "lib")
        assert proc.stdout.strip() == "ok", proc.stderr


@pytest.mark.parametrize("module", ["not a module", "a..b", "a.", ".a", "a.1b"])
def test_a_bad_mapping_is_an_error(tmp_path: Path, module: str) -> None:
    src = tmp_path / "src"
    write(src, "common.proto", COMMON)
    proc = moonstub("-I", str(src), str(src / "common.proto"), f"--python_out={tmp_path / 'out'}",
                    "--opt", f"Mcommon.proto={module}")
    assert proc.returncode == 1
    assert f'invalid module "{module}" for option Mcommon.proto (a dotted Python module name)' in proc.stderr
    assert not (tmp_path / "out").exists()
