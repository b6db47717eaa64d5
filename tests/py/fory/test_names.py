"""Fory-codec attribute names are injective (issue 22).

``test_helper_name_suffixes`` mirrors foryc's own test of that name
(fory_compiler/tests/test_python_generator.py): the fields ``name``,
``name_`` and ``name__`` of one message become ``name_``, ``name__`` and
``name___`` -- three attributes, the ids kept -- for every name the class body
needs (field, pyfory, decimal, list, dict). The escape shifts the whole family
for keywords too, and names that no escape can separate (foryc's snake_case
makes ``aB`` and ``a_b`` one name) are a located error naming both.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pyfory
import pytest
from fory_helpers import load_set, moonstub


def _generate(tmp_path: Path, body: str, tag: str) -> tuple[int, str, Path]:
    src = tmp_path / "tricky.fdl"
    src.write_text("package tricky;\n" + body + "\n", encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    proc = moonstub("-I", str(tmp_path), str(src), f"--python_out={out}", "--opt", "runtime=vendored")
    return proc.returncode, proc.stderr, out


@pytest.mark.parametrize("name", ["field", "pyfory", "decimal", "List", "dict"])
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("field_type", ["string", "any"])
def test_helper_name_suffixes(tmp_path: Path, name: str, reverse: bool, field_type: str) -> None:
    fields = [f"{field_type} {name}{'_' * i} = {i + 1};" for i in range(3)]
    if reverse:
        fields.reverse()
    rc, err, out = _generate(tmp_path, "message Tricky [id=100] {" + "\n".join(fields) + "}", name)
    assert rc == 0, err
    module = load_set(out, f"names_{name}_{reverse}_{field_type}", ["tricky"])["tricky"]
    cls = module.Tricky
    names = [name.lower() + "_" * (i + 1) for i in range(3)]
    metadata = {f.name: next(v for v in f.metadata.values() if hasattr(v, "id")).id for f in dataclasses.fields(cls)}
    assert metadata == {field_name: i + 1 for i, field_name in enumerate(names)}
    values = {field_name: f"value-{i}" for i, field_name in enumerate(names)}
    instance = cls(**values)
    assert dataclasses.asdict(instance) == values
    for field_name in names:
        assert f"{field_name}=" in repr(instance)
    # and the three values travel, each under its own id
    fory = pyfory.Fory(xlang=True, ref=True, compatible=True)
    module.register_tricky_types(fory)
    assert dataclasses.asdict(fory.deserialize(fory.serialize(instance))) == values


def test_keyword_family(tmp_path: Path) -> None:
    rc, err, out = _generate(tmp_path, "message K { string class = 1; string class_ = 2; string type = 3; }", "kw")
    assert rc == 0, err
    cls = load_set(out, "names_kw", ["tricky"])["tricky"].K
    # foryc writes class_ for both class and class_; soft keywords stay
    assert [f.name for f in dataclasses.fields(cls)] == ["class_", "class__", "type"]


@pytest.mark.parametrize("body, a, b, python", [
    ("message M { string userName = 1; string user_name = 2; }", "userName", "user_name", "user_name"),
    ("union U { string aB = 1; int32 a_b = 2; }", "aB", "a_b", "a_b"),
])
def test_inseparable_names_are_an_error(tmp_path: Path, body: str, a: str, b: str, python: str) -> None:
    rc, err, out = _generate(tmp_path, body, "clash")
    assert rc == 1
    assert re.search(rf'tricky\.fdl:\d+:\d+: error: \w+ "{a}" \(line \d+\) and \w+ "{b}" \(line \d+\) of tricky\.\w+ '
                     rf'both become the Python name "{python}"', err), err
    assert not list(out.iterdir()), "nothing is written"
