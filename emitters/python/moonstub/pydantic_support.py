"""Construction-time validation of generated messages with pydantic
(``pydantic_dataclasses=true``, the option aristaproto has of that name).

A module generated with the option ends with ``_ms_pydantic.validated(A, B, ...)``
for its message classes: their ``__init__`` then validates its arguments with a
pydantic model made from the message's fields (built on first use), and raises
``pydantic.ValidationError`` as aristaproto's pydantic dataclasses do for

* a value of the wrong type (lax coercion as pydantic's: ``"1"`` for an int32 is 1),
* an integer outside its field's range (int32, uint32, int64, uint64, ...),
* an unknown keyword argument,
* two members of one oneof given at once.

``message._validate()`` checks the current attribute values the same way.
Messages decoded from bytes or JSON are not validated again (the codec checks
what it reads). moonstub writes this file beside the generated modules.
"""

from __future__ import annotations

import functools
import inspect
import types
import typing

import pydantic

__all__ = ["validated"]

# protobuf field types (FieldDescriptorProto.Type): the ranges of the integer ones
_SIGNED32 = (5, 15, 17)  # int32, sfixed32, sint32
_UNSIGNED32 = (7, 13)  # fixed32, uint32
_SIGNED64 = (3, 16, 18)  # int64, sfixed64, sint64
_UNSIGNED64 = (4, 6)  # uint64, fixed64
_RANGES: dict[int, tuple[int, int]] = {}
for _k in _SIGNED32:
    _RANGES[_k] = (-(1 << 31), (1 << 31) - 1)
for _k in _UNSIGNED32:
    _RANGES[_k] = (0, (1 << 32) - 1)
for _k in _SIGNED64:
    _RANGES[_k] = (-(1 << 63), (1 << 63) - 1)
for _k in _UNSIGNED64:
    _RANGES[_k] = (0, (1 << 64) - 1)
del _k
_SCALARS: dict[int, typing.Any] = {1: float, 2: float, 8: bool, 9: str, 12: bytes}
_ENUM, _MESSAGE, _GROUP = 14, 11, 10


def _runtime_of(cls: type) -> typing.Any:
    """The moonstub runtime module whose Message the class derives from."""
    import importlib

    for base in cls.__mro__:
        if base.__name__ == "Message" and base.__module__ != cls.__module__:
            return importlib.import_module(base.__module__)
    raise TypeError(f"{cls.__qualname__} is not a moonstub message class")


def _scalar(kind: int, typ: typing.Any) -> typing.Any:
    if kind in _RANGES:
        low, high = _RANGES[kind]
        return typing.Annotated[int, pydantic.Field(ge=low, le=high, strict=False)]
    if kind == _ENUM:
        return typ
    if kind in (_MESSAGE, _GROUP):
        return typing.Annotated[typing.Any, pydantic.PlainValidator(_instance_of(typ))]
    return _SCALARS.get(kind, typing.Any)


def _instance_of(cls: type) -> typing.Callable[[typing.Any], typing.Any]:
    """A message field's check: an instance of its message class."""

    def check(value: typing.Any) -> typing.Any:
        if not isinstance(value, cls):
            # a ValueError: pydantic reports it as a ValidationError (a TypeError it would not)
            raise ValueError(f"expected {cls.__qualname__}, got {type(value).__name__}")  # noqa: TRY004
        return value

    return check


def _annotation(info: typing.Any) -> typing.Any:
    if info.map_key:
        return types.GenericAlias(dict, (_scalar(info.map_key, None), _scalar(info.map_value, info.map_type)))
    one = _scalar(info.kind, info.type)
    if info.repeated:
        return types.GenericAlias(list, (one,))
    return one


def _model(cls: type) -> type[pydantic.BaseModel]:
    runtime = _runtime_of(cls)
    signature = inspect.signature(typing.cast(typing.Any, cls).__init__)
    fields: dict[str, typing.Any] = {}
    oneofs: dict[str, list[str]] = {}
    for info in runtime.fields_of(cls):
        if info.attr not in signature.parameters:
            continue
        annotation = _annotation(info)
        # None: "not given" for message fields, presence fields, oneof members,
        # and the repeated and map fields (an empty one)
        fields[info.attr] = (annotation | None, None)
        if info.oneof is not None:
            oneofs.setdefault(info.oneof, []).append(info.attr)

    def one_of_each(model: pydantic.BaseModel) -> pydantic.BaseModel:
        for group, members in oneofs.items():
            given = [name for name in members if getattr(model, name) is not None]
            if len(given) > 1:
                raise ValueError(f"oneof {group}: only one of {', '.join(given)} may be set")
        return model

    config = pydantic.ConfigDict(extra="forbid", arbitrary_types_allowed=True)
    validators: dict[str, typing.Any] = {"one_of_each": pydantic.model_validator(mode="after")(one_of_each)}
    return pydantic.create_model(cls.__qualname__, __config__=config, __validators__=validators, **fields)


def _install(cls: type) -> None:
    original = typing.cast(typing.Any, cls).__init__
    signature = inspect.signature(original)
    names = [name for name in signature.parameters if name != "self"]

    @functools.cache
    def model() -> type[pydantic.BaseModel]:
        return _model(cls)

    def check(values: dict[str, typing.Any]) -> dict[str, typing.Any]:
        checked = model().model_validate(values)
        return {name: getattr(checked, name) for name in values}

    @functools.wraps(original)
    def __init__(self: typing.Any, *args: typing.Any, **kwargs: typing.Any) -> None:
        if len(args) > len(names):
            raise TypeError(f"{cls.__qualname__}() takes at most {len(names)} positional arguments")
        values = dict(zip(names, args))
        for key, value in kwargs.items():
            if key in values:
                raise TypeError(f"{cls.__qualname__}() got multiple values for argument {key!r}")
            values[key] = value
        # unknown keywords reach the model, which forbids extras (a ValidationError)
        original(self, **check(values))

    def _validate(self: typing.Any) -> None:
        """Validates the message's current values (pydantic.ValidationError)."""
        check({name: getattr(self, name) for name in names})

    cls.__init__ = __init__  # type: ignore[misc]
    cls._validate = _validate  # type: ignore[attr-defined]


def validated(*classes: type) -> None:
    """Makes the constructors of these message classes validate their arguments."""
    for cls in classes:
        _install(cls)
