"""``pydantic_dataclasses``: construction-time validation of messages, as
aristaproto's option of that name gives (its messages become pydantic
dataclasses). moonstub's support module emitters/python/moonstub/pydantic_support.py
is applied to the classes of protos/validation.proto, and the same
constructor calls are made on aristaproto 2.0.0.dev1's pydantic output: each
call must be accepted by both or rejected (pydantic.ValidationError) by both.

The verdict tests apply the validation to the generated classes themselves
(so that they compare the same classes with and without it);
test_option_wired checks that modules generated with the option validate by
themselves.
"""

from __future__ import annotations

import shutil
import types
import typing

import arista_helpers as h
import pydantic
import pytest

PROTOS = ("validation.proto",)
_ROOT = h._PKG_ROOT / "pydantic"
SUPPORT = h.REPO / "emitters" / "python" / "moonstub" / "pydantic_support.py"
_CACHE: dict[str, types.ModuleType] = {}


def _import(tag: str) -> types.ModuleType:
    return h.import_package(_ROOT, f"{tag}.validation")


def ours() -> types.ModuleType:
    if "ms" not in _CACHE:
        out = _ROOT / "ms_pyd"
        proc = h.run_generator("cli", out, {"rules": "aristaproto"}, protos=PROTOS)
        assert proc.returncode == 0, proc.stderr
        (out / "__init__.py").touch()
        shutil.copy(SUPPORT, out / "_moonstub_pydantic.py")
        mod = _import("ms_pyd")
        support = h.import_package(_ROOT, "ms_pyd._moonstub_pydantic")
        support.validated(mod.Inner, mod.Message)
        _CACHE["ms"] = mod
    return _CACHE["ms"]


def theirs() -> types.ModuleType:
    if "pe" not in _CACHE:
        h.require_peer()
        out = _ROOT / "pe_pyd"
        proc = h.run_peer(out, ["pydantic_dataclasses"], protos=PROTOS)
        assert proc.returncode == 0, proc.stderr
        _CACHE["pe"] = _import("pe_pyd")
    return _CACHE["pe"]


BOUNDS = {
    "int32_value": (-(2**31), 2**31 - 1), "int64_value": (-(2**63), 2**63 - 1),
    "uint32_value": (0, 2**32 - 1), "uint64_value": (0, 2**64 - 1), "sint32_value": (-(2**31), 2**31 - 1),
    "fixed32_value": (0, 2**32 - 1),
}

CALLS: list[tuple[str, dict[str, typing.Any], bool]] = [("empty", {}, True)]
for _field, (_low, _high) in BOUNDS.items():
    CALLS += [(f"{_field}-low", {_field: _low}, True), (f"{_field}-high", {_field: _high}, True),
              (f"{_field}-below", {_field: _low - 1}, False), (f"{_field}-above", {_field: _high + 1}, False)]
CALLS += [
    ("string", {"string_value": "text"}, True),
    ("string-from-int", {"string_value": 12}, False),
    ("int-from-text", {"int32_value": "x"}, False),
    ("bytes", {"bytes_value": b"\x00"}, True),
    ("float", {"float_value": 1.5}, True),
    ("bool", {"bool_value": True}, True),
    ("unknown-keyword", {"unknown_field": 12}, False),
    ("repeated", {"many": [1, 2]}, True),
    ("repeated-out-of-range", {"many": [2**40]}, False),
    ("map", {"tags": {"a": 1}}, True),
    ("map-bad-value", {"tags": {"a": "x"}}, False),
    ("optional", {"maybe": 3}, True),
    ("oneof-one", {"a": "x"}, True),
    ("oneof-two", {"a": "x", "b": 1}, False),
    # proto3 enums are open: an unknown number is kept; a name is not a value
    ("enum-number", {"color": 1}, True),
    ("enum-unknown-number", {"color": 7}, True),
    ("enum-name", {"color": "GREEN"}, False),
]


def _make(mod: types.ModuleType, values: dict[str, typing.Any]) -> typing.Any:
    values = dict(values)
    return mod.Message(**values)


@pytest.mark.parametrize("name, values, valid", CALLS, ids=[c[0] for c in CALLS])
def test_same_verdict_as_aristaproto(name: str, values: dict[str, typing.Any], valid: bool) -> None:
    for mod in (ours(), theirs()):
        if valid:
            message = _make(mod, values)
            for key, value in values.items():
                assert getattr(message, key) == value, (mod.__name__, key)
                assert int(getattr(message, key)) == value if key == "color" else True
        else:
            with pytest.raises(pydantic.ValidationError):
                _make(mod, values)


def test_messages_and_enums_are_checked() -> None:
    mod = ours()
    assert mod.Message(inner=mod.Inner(x=1)).inner.x == 1
    with pytest.raises(pydantic.ValidationError):
        mod.Message(inner="not a message")
    with pytest.raises(pydantic.ValidationError):
        mod.Inner(x=2**31)
    assert mod.Message(color=1).color is mod.Color.GREEN
    assert mod.Message(7).int32_value == 7  # positional arguments still work
    with pytest.raises(TypeError):
        mod.Message(7, int32_value=8)


def test_manual_validation_and_decoding() -> None:
    """_validate() checks the current values; decoding does not go through __init__'s checks."""
    mod = ours()
    message = mod.Message()
    message.int32_value = 12
    message._validate()
    message.int32_value = 2**50
    with pytest.raises(pydantic.ValidationError):
        message._validate()
    data = mod.Message(int32_value=-5, many=[1, 2], tags={"k": 3}).SerializeToString()
    back = mod.Message.FromString(data)
    assert (back.int32_value, list(back.many), dict(back.tags)) == (-5, [1, 2], {"k": 3})


def test_without_the_option_nothing_is_validated() -> None:
    """The option is what validates: plain aristaproto-rules messages accept anything."""
    out = _ROOT / "ms_plain"
    proc = h.run_generator("cli", out, {"rules": "aristaproto"}, protos=PROTOS)
    assert proc.returncode == 0, proc.stderr
    (out / "__init__.py").touch()
    mod = _import("ms_plain")
    assert mod.Message(int32_value=2**40).int32_value == 2**40


def test_option_wired() -> None:
    """Once the option is accepted (driver.lua) and messages.lua writes the
    call, generated modules validate by themselves."""
    out = _ROOT / "ms_wired"
    proc = h.run_generator("cli", out, {"rules": "aristaproto", "pydantic_dataclasses": "true"}, protos=PROTOS)
    assert proc.returncode == 0, proc.stderr
    # vendored (as run_generator runs): the support module is written beside the runtime
    assert (out / "_moonstub_pydantic.py").is_file()
    # with the installed runtime it is the package's, moonstub.pydantic_support
    packaged = _ROOT / "ms_wired_package"
    proc = h.run_generator("cli", packaged, {"rules": "aristaproto", "pydantic_dataclasses": "true",
                                             "runtime": "package"}, protos=PROTOS)
    assert proc.returncode == 0, proc.stderr
    assert not (packaged / "_moonstub_pydantic.py").exists()
    text = (packaged / "validation" / "__init__.py").read_text()
    assert "from moonstub import pydantic_support as _ms_pydantic" in text
    (out / "__init__.py").touch()
    mod = _import("ms_wired")
    with pytest.raises(pydantic.ValidationError):
        mod.Message(int32_value=2**40)
