"""Fory-codec names are injective (issue 22): no two IDL names become one
Python name, in any front end.

``test_helper_name_suffixes`` is foryc's own test of that name
(fory_compiler/tests/test_python_generator.py, fory_compiler 1.7.7) with all
its assertions -- the fields ``name``, ``name_`` and ``name__`` of one message
become ``name_``, ``name__`` and ``name___``, ids kept, for every name the
class body needs (field, pyfory, decimal, list, dict), and ``repr`` shows
``any`` fields as foryc's placeholder ``any(...)`` -- run on moonstub's output
with the real pyfory (foryc's test uses a stub of it, so the id is read from
``metadata["__fory__"]`` rather than ``metadata["id"]``), plus a round trip of
the three values. Fory's test itself, unchanged, passes 20/20 on moonstub's
output too.

The same family escape shifts keywords (fields, enum members: ``class``,
``class_`` -> ``class_``, ``class__``); union Case constants keep their
trailing underscores as foryc writes them (``FIELD``, ``FIELD_``,
``FIELD__``). Names that no escape separates -- foryc's snake_case makes
``aB`` and ``a_b`` one name, prefix stripping ``COLOR_RED`` and ``RED``, a
user type named like a union's ``<U>Case`` or ``<U>Serializer`` -- are a
located error naming both, and nothing is written. Every module that is
written imports, registers with pyfory and round-trips a value.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pyfory
import pytest
from fory_helpers import foryc, load_set, moonstub


def _generate(tmp_path: Path, body: str, suffix: str = "fdl", *flags: str) -> tuple[int, str, Path]:
    src = tmp_path / f"tricky.{suffix}"
    head = {"fdl": "package tricky;\n", "fbs": "namespace tricky;\n",
            "proto": 'syntax = "proto3";\npackage tricky;\n'}[suffix]
    src.write_text(head + body + "\n", encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    proc = moonstub("-I", str(tmp_path), str(src), f"--python_out={out}", "--opt", "runtime=vendored", *flags)
    return proc.returncode, proc.stderr, out


def _load(tmp_path: Path, body: str, tag: str) -> object:
    rc, err, out = _generate(tmp_path, body)
    assert rc == 0, err
    return load_set(out, f"names_{tag}", ["tricky"])["tricky"]


def _fory(module: object) -> pyfory.Fory:
    fory = pyfory.Fory(xlang=True, ref=True, compatible=True)
    module.register_tricky_types(fory)  # type: ignore[attr-defined]
    return fory


@pytest.mark.parametrize("name", ["field", "pyfory", "decimal", "List", "dict"])
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("field_type", ["string", "any"])
def test_helper_name_suffixes(tmp_path: Path, name: str, reverse: bool, field_type: str) -> None:
    fields = [f"{field_type} {name}{'_' * i} = {i + 1};" for i in range(3)]
    if reverse:
        fields.reverse()
    rc, err, out = _generate(tmp_path, "message Tricky [id=100] {" + "\n".join(fields) + "}")
    assert rc == 0, err
    module = load_set(out, f"names_{name}_{reverse}_{field_type}", ["tricky"])["tricky"]
    cls = module.Tricky
    names = [name.lower() + "_" * (i + 1) for i in range(3)]

    # foryc's assertions; its test runs the module against a stub of pyfory
    # whose field() keeps the id as metadata["id"], real pyfory keeps it in
    # metadata["__fory__"]
    assert {f.name: f.metadata["__fory__"].id for f in dataclasses.fields(cls)} == {
        field_name: i + 1 for i, field_name in enumerate(names)
    }
    values = {field_name: f"value-{i}" for i, field_name in enumerate(names)}
    instance = cls(**values)
    assert dataclasses.asdict(instance) == values
    for field_name, value in values.items():
        rendered = repr(value) if field_type == "string" else "any(...)"
        assert f"{field_name}={rendered}" in repr(instance)
    # and the three values travel, each under its own id
    assert dataclasses.asdict(_fory(module).deserialize(_fory(module).serialize(instance))) == values


def test_keyword_family(tmp_path: Path) -> None:
    module = _load(tmp_path, "message K { string class = 1; string class_ = 2; string type = 3; }", "kw")
    cls = module.K  # type: ignore[attr-defined]
    # foryc writes class_ for both class and class_; soft keywords stay
    assert [f.name for f in dataclasses.fields(cls)] == ["class_", "class__", "type"]
    value = cls(class_="a", class__="b", type="c")
    assert _fory(module).deserialize(_fory(module).serialize(value)) == value


def test_union_case_constants(tmp_path: Path) -> None:
    """foryc 1.7.7 writes FIELD, FIELD_, FIELD__, CLASS, CLASS_ for these cases
    (and two methods class_, one lost); moonstub the same constants, and the
    methods shifted as fields are."""
    module = _load(tmp_path, "union U { string field = 1; string field_ = 2; string field__ = 3; "
                             "int32 class = 4; int32 class_ = 5; }", "cases")
    u, case = module.U, module.UCase  # type: ignore[attr-defined]
    assert [(c.name, c.value) for c in case] == [("FIELD", 1), ("FIELD_", 2), ("FIELD__", 3), ("CLASS", 4),
                                                 ("CLASS_", 5)]
    values = [u.field("a"), u.field_("b"), u.field__("c"), u.class_(4), u.class__(5)]
    assert [v.case() for v in values] == list(case)
    fory = _fory(module)
    for value in values:
        back = fory.deserialize(fory.serialize(value))
        assert (back.case(), back._value) == (value.case(), value._value)


def test_enum_member_family(tmp_path: Path) -> None:
    """Enum members shift as fields do: class/class_, None/None_, name/name_
    (an Enum property) stay apart (foryc writes `class = 0`, a syntax error)."""
    module = _load(tmp_path, "enum E { class = 0; class_ = 1; None = 2; None_ = 3; name = 4; name_ = 5; E_OK = 6; }\n"
                             "message H { E e = 1; }", "enum")
    enum_cls, holder = module.E, module.H  # type: ignore[attr-defined]
    assert [(m.name, m.value) for m in enum_cls] == [("class_", 0), ("class__", 1), ("None_", 2), ("None__", 3),
                                                     ("name_", 4), ("name__", 5), ("OK", 6)]
    fory = _fory(module)
    for member in enum_cls:
        assert fory.deserialize(fory.serialize(holder(e=member))) == holder(e=member)


def test_companion_names_apart(tmp_path: Path) -> None:
    """A union's Case enum and serializer next to user types whose names are
    near theirs, top level and nested: all there, registered, and a value of
    the union (as a field of the nested message) travels."""
    module = _load(tmp_path, "union U { string text = 1; }\nmessage UCase_ { string a = 1; }\n"
                             "message M { union V { int32 n = 1; } message VSerializer_ { string b = 1; } V v = 1; }",
                   "companions")
    names = vars(module)
    assert {"U", "UCase", "USerializer", "UCase_"} <= names.keys()
    m = names["M"]
    assert {"V", "VCase", "VSerializer", "VSerializer_"} <= vars(m).keys()
    fory = _fory(module)
    value = m(v=m.V.n(7))
    assert fory.deserialize(fory.serialize(value)) == value
    assert fory.deserialize(fory.serialize(names["U"].text("t"))) == names["U"].text("t")


def _error(a_what: str, a: str, b_what: str, b: str, scope: str, python: str) -> str:
    return (rf'tricky\.\w+:\d+:\d+: error: {a_what} "{a}" \(line \d+\) and {b_what} "{b}" \(line \d+\) of {scope} '
            rf'both become the Python name "{python}"; rename one')


@pytest.mark.parametrize("suffix, flags, body, expected", [
    # fields: foryc's snake_case makes these one name, in every front end
    ("fdl", (), "message M { string userName = 1; string user_name = 2; }",
     _error("field", "userName", "field", "user_name", r"tricky\.M", "user_name")),
    ("fbs", (), "table T { A_b: string; a_b: string; }\nroot_type T;",
     _error("field", "A_b", "field", "a_b", r"tricky\.T", "a_b")),
    # (different JSON names, AB and aB: protoc's own check lets them through)
    ("proto", ("--codec=fory",), "message M { string A_b = 1; string a_b = 2; }",
     _error("field", "A_b", "field", "a_b", r"tricky\.M", "a_b")),
    # union cases: their methods, and the is_/_value/set_ methods of another case
    ("fdl", (), "union U { string aB = 1; int32 a_b = 2; }", _error("case", "aB", "case", "a_b", r"tricky\.U", "a_b")),
    ("fdl", (), "union U { string a = 1; string is_a = 2; }",
     _error("case", "a", "case", "is_a", r"tricky\.U", "is_a")),
    # enum members once the enum's prefix goes (foryc: `RED = 0`, `RED = 1`)
    ("fdl", (), "enum Color { COLOR_RED = 0; RED = 1; }",
     _error("enum value", "COLOR_RED", "enum value", "RED", r"tricky\.Color", "RED")),
    ("fbs", (), "enum Color : byte { COLOR_RED, RED }\ntable T { c: Color; }\nroot_type T;",
     _error("enum value", "COLOR_RED", "enum value", "RED", r"tricky\.Color", "RED")),
    # user types named like a union's Case enum or serializer
    ("fdl", (), "union U { string a = 1; }\nmessage UCase { string b = 1; }",
     _error("the case enum of union", "U", "message", "UCase", "module tricky", "UCase")),
    ("fdl", (), "union U { string a = 1; }\nmessage USerializer { string b = 1; }",
     _error("the serializer of union", "U", "message", "USerializer", "module tricky", "USerializer")),
    ("fdl", (), "message M { union U { string a = 1; } message USerializer { string b = 1; } }",
     _error("the serializer of union", "U", "message", "USerializer", r"tricky\.M", "USerializer")),
    ("fdl", (), "message M { enum UCase { X = 0; } union U { string a = 1; } }",
     _error("enum", "UCase", "the case enum of union", "U", r"tricky\.M", "UCase")),
    # plain escapes of class names (Union is pyfory's: Union_)
    ("fdl", (), "message Union { string a = 1; }\nmessage Union_ { string b = 1; }",
     _error("message", "Union", "message", "Union_", "module tricky", "Union_")),
])
def test_inseparable_names_are_an_error(tmp_path: Path, suffix: str, flags: tuple[str, ...], body: str,
                                        expected: str) -> None:
    rc, err, out = _generate(tmp_path, body, suffix, *flags)
    assert rc == 1, err
    assert re.search(expected, err), err
    assert not list(out.iterdir()), "nothing is written"


@pytest.mark.parametrize("body, expected", [
    # a _sunder_ Case constant: Enum refuses it at import
    ("union U { string _x_ = 1; }", r'case "_x_" of tricky\.U \(its case enum\) becomes the enum member "_X_", '
                                    r"which Python's Enum does not take as a member"),
    ("message M { message to_bytes { string a = 1; } }",
     r'message "to_bytes" of tricky\.M becomes the Python name "to_bytes", which the generated code defines there'),
    ("message register_tricky_types { string a = 1; }",
     r'message "register_tricky_types" of module tricky becomes the Python name "register_tricky_types", which the '
     r"generated code defines there"),
])
def test_names_the_generated_code_needs(tmp_path: Path, body: str, expected: str) -> None:
    rc, err, out = _generate(tmp_path, body)
    assert rc == 1, err
    assert re.search(r"tricky\.fdl:\d+:\d+: error: " + expected, err), err
    assert not list(out.iterdir()), "nothing is written"


def test_repr_placeholders_are_forycs(tmp_path: Path) -> None:
    """Values foryc's __repr__ does not expand (ref and any fields) show as its
    `<IDL type>(...)` placeholder: moonstub's repr is foryc's, string for string."""
    schema = ("message Node { string name = 1; }\n"
              "message Holder { any a = 1; Node n = 2 [ref=true]; list<Node> ns = 3 [ref=true]; "
              "map<string, Node> mm = 4 [ref=true]; list<any> anys = 5; optional string s = 6; "
              "Node none = 7 [ref=true]; }")
    rc, err, ms_out = _generate(tmp_path, schema)
    assert rc == 0, err
    src = tmp_path / "fc_src"
    src.mkdir()
    (src / "tricky.fdl").write_text("package tricky;\n" + schema + "\n", encoding="utf-8")
    fc_out = foryc(tmp_path / "fc", src, ["tricky.fdl"])
    reprs = []
    for tag, out in (("ms", ms_out), ("fc", fc_out)):
        module = load_set(out, f"names_repr_{tag}", ["tricky"])["tricky"]
        node = module.Node(name="n")
        value = module.Holder(a=1, n=node, ns=[node], mm={"k": node}, anys=[1], s="s", none=None)
        reprs.append(repr(value))
        if tag == "ms":
            back = _fory(module).deserialize(_fory(module).serialize(value))
            assert back.ns[0].name == "n" and back.mm["k"].name == "n"
    assert reprs[0] == reprs[1]
    assert "a=any(...), n=Node(...), ns=list<Node>(...), mm=map<string, Node>(...), anys=list<any>(...)" in reprs[0]
