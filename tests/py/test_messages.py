"""Generated message classes: the API the message issue promises, on real
generated code (tests/py/protos)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

import support

HERE = Path(__file__).resolve().parent
PROTOS = HERE / "protos"


def generate(out: Path, *files: str) -> Path:
    return support.generate(out, [PROTOS], files)


def load(out: Path, name: str) -> ModuleType:
    return support.load_modules(out, [name])[name]


@pytest.fixture(scope="module")
def feat(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    return load(generate(tmp_path_factory.mktemp("feat"), "features.proto", "legacy.proto"), "feat_v1")


@pytest.fixture(scope="module")
def legacy(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    return load(generate(tmp_path_factory.mktemp("legacy"), "legacy.proto"), "feat_legacy")


def test_module_named_after_package(tmp_path: Path) -> None:
    generate(tmp_path, "features.proto")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["feat_v1.py"]  # the runtime is the moonstub package


def test_defaults_and_keyword_construction(feat: ModuleType) -> None:
    p = feat.Person()
    assert (p.name, p.id, p.emails, p.scores, p.age, p.home, p.avatar) == ("", 0, [], {}, None, None, b"")
    assert p.color is feat.Color.COLOR_UNSPECIFIED
    q = feat.Person(name="Ada", emails=["a@x"], scores={"x": 1})
    assert q.name == "Ada" and q.emails == ["a@x"] and q.scores == {"x": 1}
    # mutable defaults are not shared
    p.emails.append("z")
    assert feat.Person().emails == []


def test_round_trip_and_equality(feat: ModuleType) -> None:
    p = feat.Person(name="Ada", id=7, emails=["a", "b"], scores={"k": -5}, age=0,
                    color=feat.Color.GREEN, home=feat.Person.Address(street="Main", kind=feat.Person.Address.Kind.HOME),
                    phone="555", avatar=b"\x00\xff", weight=-0.0)
    data = p.SerializeToString()
    assert bytes(p) == data
    assert feat.Person.FromString(data) == p
    assert feat.Person.parse(data) == p
    assert feat.Person.FromString(data).age == 0  # explicit presence survives a zero


def test_repr_shows_set_fields(feat: ModuleType) -> None:
    assert repr(feat.Person(name="Ada", emails=["x"])) == "Person(name='Ada', emails=['x'])"
    assert repr(feat.Person.Address()) == "Person.Address()"


def test_oneof_is_exclusive(feat: ModuleType) -> None:
    p = feat.Person(phone="555")
    assert p.which_oneof("contact") == "phone"
    p.office = feat.Person.Address(street="x")
    assert p.phone is None
    assert p.which_oneof("contact") == "office"
    decoded = feat.Person.FromString(feat.Person(phone="1").SerializeToString() +
                                     feat.Person(office=feat.Person.Address()).SerializeToString())
    assert decoded.which_oneof("contact") == "office" and decoded.phone is None
    assert feat.Person().which_oneof("contact") is None
    with pytest.raises(ValueError):
        p.which_oneof("nope")


def test_keywords_and_own_names_are_escaped(feat: ModuleType) -> None:
    p = feat.Person(class_="c", parse_=4)
    assert feat.Person.FromString(p.SerializeToString()).class_ == "c"
    assert callable(feat.Person.parse)


def test_open_enum_keeps_unknown_numbers(feat: ModuleType) -> None:
    data = b"\x30\x63"  # color = 99
    p = feat.Person.FromString(data)
    assert int(p.color) == 99 and isinstance(p.color, feat.Color)
    assert p.SerializeToString() == data


def test_unknown_fields_survive_byte_for_byte(feat: ModuleType) -> None:
    unknown = b"\xa8\x1f\x01" + b"\xb2\x1f\x03abc" + b"\xbd\x1f\x01\x02\x03\x04"
    data = feat.Person(name="x").SerializeToString() + unknown
    assert feat.Person.FromString(data).SerializeToString() == data


def test_merge_from_string(feat: ModuleType) -> None:
    p = feat.Person(name="a", emails=["1"], home=feat.Person.Address(street="s"))
    other = feat.Person(emails=["2"], home=feat.Person.Address(kind=feat.Person.Address.Kind.HOME))
    p.MergeFromString(other.SerializeToString())
    assert p.emails == ["1", "2"]
    assert p.home == feat.Person.Address(street="s", kind=feat.Person.Address.Kind.HOME)


def test_decode_error_is_the_only_error(feat: ModuleType) -> None:
    from moonstub import runtime as _moonstub

    for bad in (b"\x0a\x05ab", b"\x08", b"\x0f", b"\x00", b"\x0a\x02\xff\xfe", b"\x0c"):
        with pytest.raises(_moonstub.DecodeError):
            feat.Person.FromString(bad)


def test_deep_nesting_is_bounded(feat: ModuleType) -> None:
    from moonstub import runtime as _moonstub

    def nested(depth: int) -> bytes:
        data = b""
        for _ in range(depth):
            data = b"\x12" + bytes([len(data)]) + data if len(data) < 128 else \
                b"\x12" + _moonstub.varint(len(data)) + data
        return data

    feat.Tree.FromString(nested(100))
    with pytest.raises(_moonstub.DecodeError):
        feat.Tree.FromString(nested(150))


def test_proto2_required_defaults_and_groups(legacy: ModuleType) -> None:
    from moonstub import runtime as _moonstub

    with pytest.raises(_moonstub.EncodeError, match="required field feat.legacy.Config.name"):
        legacy.Config().SerializeToString()
    c = legacy.Config(name="n", extra=legacy.Config.Extra(note="hi"), packed=[1, 2, 300])
    data = c.SerializeToString()
    assert b"\x23" in data and b"\x24" in data  # START_GROUP / END_GROUP of field 4
    assert legacy.Config.FromString(data) == c
    assert c.retries is None  # explicit presence: unset
    assert {f.attr: f.default for f in _moonstub.fields_of(legacy.Config)}["retries"] == 3
    assert legacy.Config.FromString(b"\x0a\x01n\x18\x07").level is None  # closed enum: unknown value ...
    assert legacy.Config.FromString(b"\x0a\x01n\x18\x07").SerializeToString() == b"\x0a\x01n\x18\x07"  # ... kept


def test_extensions_round_trip_as_unknown_fields(legacy: ModuleType) -> None:
    data = legacy.Config(name="n").SerializeToString() + b"\xa0\x06\x2a"  # field 100 = 42
    assert legacy.Config.FromString(data).SerializeToString() == data


def test_packages_that_import_each_other(tmp_path: Path) -> None:
    generate(tmp_path, "mutual/a/a.proto", "mutual/a/leaf.proto", "mutual/b/b.proto")
    mods = support.load_modules(tmp_path, ["mutual_a", "mutual_b"])
    a, b = mods["mutual_a"], mods["mutual_b"]
    msg = a.A(b=b.B(leaf=a.Leaf2(n=5)), x=1)
    assert a.A.FromString(msg.SerializeToString()) == msg
    # an enum default from a package that was still loading when B was defined
    assert b.B().mode is a.Mode.MODE_ZERO
    assert b.B.FromString(bytes(b.B(mode=a.Mode.MODE_ONE))).mode is a.Mode.MODE_ONE


def test_aristaproto_layout(tmp_path: Path) -> None:
    out = tmp_path / "lib"
    support.generate(out, [PROTOS], ["mutual/a/a.proto", "mutual/a/leaf.proto", "mutual/b/b.proto"],
                     "--rules=aristaproto")
    assert (out / "mutual" / "__init__.py").exists()
    assert (out / "mutual" / "a" / "__init__.py").exists()
    mods = support.load_modules(tmp_path, ["lib.mutual.a", "lib.mutual.b"])
    a, b = mods["lib.mutual.a"], mods["lib.mutual.b"]
    msg = a.A(b=b.B(leaf=a.Leaf2(n=5)))
    assert a.A.FromString(bytes(msg)) == msg


def test_two_fields_with_one_python_name_is_an_error(tmp_path: Path) -> None:
    result = support.run_moonstub(f"-I{PROTOS}", f"--python_out={tmp_path}", "collide.proto")
    assert result.returncode == 1
    assert ('fields "class" (line 4) and "class_" (line 5) of collide.M both become the Python attribute "class_"'
            in result.stderr)
    assert "collide.proto:5:" in result.stderr
    assert not any(tmp_path.iterdir())


def test_generated_code_passes_mypy_strict(tmp_path: Path) -> None:
    pytest.importorskip("mypy")
    generate(tmp_path, "features.proto", "legacy.proto")
    result = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-incremental", "feat_v1.py",
                             "feat_legacy.py"], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout


def test_hostile_names_work(tmp_path: Path) -> None:
    h = load(generate(tmp_path, "hostile.proto"), "hostile")
    m = h.dataclasses_(t=h.typing_(x=1), from_="f", match_=2, to_dict_=3, e=h.dataclasses_.enum_.None_)
    assert h.dataclasses_.FromString(m.SerializeToString()) == m
    expected = {"items": [{"t": {"x": 1}, "from": "f", "match": 2, "toDict": 3, "e": "None"}]}
    assert h.math_(items=[m]).to_dict() == expected
    assert h.math_.from_json('{"items": [{"e": "None", "from": "g"}]}').items[0].from_ == "g"
    s = h.shadows(dataclasses_=1, enum_=[2], inner=h.shadows.typing_(z=3), math_={"k": 4})
    assert h.shadows.FromString(bytes(s)) == s
    assert s.to_dict() == {"dataclasses": 1, "enum": [2], "inner": {"z": 3}, "math": {"k": 4}}


def test_class_name_collision_is_an_error(tmp_path: Path) -> None:
    result = support.run_moonstub(f"-I{PROTOS}", f"--python_out={tmp_path}", "hostile_collide.proto")
    assert result.returncode == 1
    assert "hostile_collide.typing (" in result.stderr and "hostile_collide.typing_ (" in result.stderr
    assert "both become the Python class hostile_collide.typing_" in result.stderr
    assert not any(tmp_path.iterdir())
