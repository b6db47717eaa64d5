"""protobuf's text format for moonstub's generated messages.

``Message.to_text()`` and ``Message.from_text()`` call this module; it works
from the same field tables as the codecs (``_table``, ``fields_of``, the
rows' flags), so it is the same on the native and the pure-Python codec.

Printing follows protobuf's Python ``text_format.MessageToString``: fields in
field-number order (extensions among them, as ``[full.name]``), map entries
sorted by key, group-like fields under their type's name, ``Any`` expanded as
``[type.googleapis.com/pkg.Type] { ... }`` when its type is loaded, strings
and bytes C-escaped (octal for bytes outside printable ASCII unless
``as_utf8``), floats as the shortest text that reads back as the same float32,
doubles as ``repr``, unknown fields (with ``unknown_fields=True``) by number.

Parsing accepts what protobuf's parsers accept: ``#`` comments, ``,`` or ``;``
after a field, ``:`` optional before a message, ``{}`` or ``<>``, short
repeated lists ``[1, 2]``, adjacent string literals, C escapes (octal, hex,
``\\u`` and ``\\U``; surrogates and code points past U+10FFFF refused),
decimal, hex and octal integers (range-checked per type), floats with an
``f`` suffix, ``inf``/``infinity``/``nan`` in any case, enum names or numbers,
group fields by their type's name, extensions and ``Any`` expansions in
brackets, field names the message reserves (skipped). Errors raise
:class:`TextError` (a ``ValueError``) naming the line and column.
"""

from __future__ import annotations

import math
import re
import typing

# A vendored copy of this module imports the vendored runtime here instead.
from moonstub import runtime as _rt

__all__ = ["TextError", "message_from_text", "message_to_text"]

TextError = _rt.TextError
Message = _rt.Message
M = typing.TypeVar("M", bound=_rt.Message)

_ANY = "google.protobuf.Any"
_MESSAGE_KINDS = (_rt.MESSAGE, _rt.GROUP)


# ---- shared helpers ----------------------------------------------------------------------------


def _flags(cls: type[Message]) -> dict[int, int]:
    """The flags of a class's table rows by field number (UTF-8 validation)."""
    flags = cls.__dict__.get("_ms_text_flags")
    if flags is None:
        flags = {row[0]: row[3] for row in _rt._rows(cls)}
        setattr(cls, "_ms_text_flags", flags)  # noqa: B010  (a class attribute mypy does not know)
    return typing.cast(dict[int, int], flags)


def _validates_utf8(cls: type[Message], number: int) -> bool:
    return bool(_flags(cls).get(number, 0) & _rt.F_UTF8)


def _short_name(cls: typing.Any) -> str:
    return str(getattr(cls, "_ms_full_name", "")).rpartition(".")[2] or cls.__name__


def _group_like(owner: type[Message], f: _rt.FieldInfo) -> bool:
    """A proto2 group (or an editions field shaped like one): printed and
    parsed under its type's name."""
    if f.kind != _rt.GROUP or f.type is None:
        return False
    short = _short_name(f.type)
    return f.name == short.lower() and f.type._ms_full_name == f"{owner._ms_full_name}.{short}"


# ---- printing ----------------------------------------------------------------------------------

# protobuf's CEscape: printable ASCII as it is, a few C escapes, octal for the rest
_BYTE_ESCAPES = [f"\\{i:03o}" for i in range(32)] + [chr(i) for i in range(32, 127)] + [
    f"\\{i:03o}" for i in range(127, 256)
]
for _byte, _escape in ((9, "\\t"), (10, "\\n"), (13, "\\r"), (34, '\\"'), (39, "\\'"), (92, "\\\\")):
    _BYTE_ESCAPES[_byte] = _escape
del _byte, _escape
_CHAR_ESCAPES = {i: _BYTE_ESCAPES[i] for i in range(128) if _BYTE_ESCAPES[i] != chr(i)}
# bytes that a lenient (proto2) string kept through surrogateescape
_CHAR_ESCAPES.update({0xDC00 + i: f"\\{i:03o}" for i in range(128, 256)})


def escape_bytes(data: bytes) -> str:
    """C escapes of ``data``, as protobuf's text format writes bytes."""
    return "".join([_BYTE_ESCAPES[b] for b in data])


def _escape_string(value: str, as_utf8: bool) -> str:
    if as_utf8:
        return value.translate(_CHAR_ESCAPES)
    try:
        return escape_bytes(value.encode("utf-8", "surrogateescape"))
    except UnicodeEncodeError as exc:
        raise TextError(f"string cannot be encoded as UTF-8: {exc.reason}") from None


def _shortest_float32(value: float) -> float:
    """The float with the fewest significant digits (6 at least, as in
    protobuf's Python runtime) that rounds to the float32 ``value``."""
    precision = 6
    rounded = float(f"{value:.{precision}g}")
    while _rt.float32(rounded) != value and precision < 17:
        precision += 1
        rounded = float(f"{value:.{precision}g}")
    return rounded


def _float_text(value: float) -> str:
    value = _rt.float32(float(value))
    if math.isnan(value):
        return "nan"
    return str(_shortest_float32(value))


def _double_text(value: float) -> str:
    value = float(value)
    return "nan" if math.isnan(value) else str(value)


def _fields_parse(data: bytes, start: int, end: int, depth: int) -> bool:
    """Whether data[start:end] reads as a whole sequence of fields (an
    unknown length-delimited field is then printed as a message)."""
    if depth >= _rt.MAX_DEPTH:
        return False
    pos = start
    try:
        while pos < end:
            tag, pos = _rt.read_tag(data, pos, end)
            if tag & 7 == 4:
                return False
            pos = _rt.skip_field(data, pos, end, tag, depth)
    except _rt.DecodeError:
        return False
    return pos == end


class _Printer:
    def __init__(
        self, one_line: bool, as_utf8: bool, unknown_fields: bool, short_repeated: bool,
        pointy_brackets: bool, index_order: bool, field_numbers: bool, force_colon: bool,
    ) -> None:
        self.out: list[str] = []
        self.one_line = one_line
        self.as_utf8 = as_utf8
        self.unknown_fields = unknown_fields
        self.short_repeated = short_repeated
        self.index_order = index_order
        self.field_numbers = field_numbers
        self.colon = ":" if force_colon else ""
        self.open, self.close = ("<", ">") if pointy_brackets else ("{", "}")
        self.end = " " if one_line else "\n"

    def message(self, msg: Message, indent: int) -> None:
        cls = type(msg)
        if cls._ms_full_name == _ANY and self.any(msg, indent):
            return
        entries: list[tuple[int, str, type[Message], _rt.FieldInfo, typing.Any]] = []
        fields = _rt.fields_of(cls) if self.index_order else _rt._table(cls).fields
        for f in fields:
            value = getattr(msg, f.attr)
            if _rt._is_set(f, value):
                name = _short_name(f.type) if _group_like(cls, f) else f.name
                entries.append((f.number, name, cls, f, value))
        rest = msg._unknown
        if rest:
            extensions, rest = _rt.extension_values(msg)
            for ext, info, value in extensions:
                entries.append((ext.number, f"[{ext.full_name}]", _rt.extension_holder(cls, ext), info, value))
            if extensions and not self.index_order:
                entries.sort(key=lambda entry: entry[0])
        for number, name, owner, f, value in entries:
            if self.field_numbers:
                name = str(number)
            utf8 = _validates_utf8(owner, number)
            if f.map_key:
                implicit = _rt.implicit_presence(cls)
                for key in sorted(value):
                    self.map_entry(name, f, key, value[key], utf8, implicit, indent)
            elif f.repeated:
                if self.short_repeated and f.kind not in _MESSAGE_KINDS and f.kind not in (_rt.STRING, _rt.BYTES):
                    items = ", ".join(self.scalar(f.kind, f.type, v, utf8) for v in value)
                    self.out.append(f"{' ' * indent}{name}: [{items}]{self.end}")
                else:
                    for v in value:
                        self.field(name, f.kind, f.type, v, utf8, indent)
            else:
                self.field(name, f.kind, f.type, value, utf8, indent)
        if self.unknown_fields and rest:
            self.unknown(rest, 0, len(rest), indent, 0)

    def field(self, name: str, kind: int, typ: typing.Any, value: typing.Any, utf8: bool, indent: int) -> None:
        if kind in _MESSAGE_KINDS:
            self.out.append(f"{' ' * indent}{name}{self.colon} ")
            self.nested(value, indent)
        else:
            self.out.append(f"{' ' * indent}{name}: {self.scalar(kind, typ, value, utf8)}{self.end}")

    def nested(self, value: Message, indent: int) -> None:
        """A message value after its name: braces, fields, line end."""
        if self.one_line:
            self.out.append(self.open + " ")
            self.message(value, indent)
            self.out.append(self.close + " ")
        else:
            self.out.append(self.open + "\n")
            self.message(value, indent + 2)
            self.out.append(" " * indent + self.close + "\n")

    def map_entry(self, name: str, f: _rt.FieldInfo, key: typing.Any, value: typing.Any, utf8: bool,
                  implicit: bool, indent: int) -> None:
        """One entry: key and value, as protobuf prints the entry message (a
        proto3 map's entry leaves out a zero key and a zero scalar value)."""
        inner = indent if self.one_line else indent + 2
        if self.one_line:
            self.out.append(f"{' ' * indent}{name}{self.colon} {self.open} ")
        else:
            self.out.append(f"{' ' * indent}{name}{self.colon} {self.open}\n")
        key_name, value_name = ("1", "2") if self.field_numbers else ("key", "value")
        if not (implicit and _rt._is_default(f.map_key, key)):
            self.field(key_name, f.map_key, None, key, utf8, inner)
        if value is not None and not (implicit and f.map_value not in _MESSAGE_KINDS
                                      and _rt._is_default(f.map_value, value)):
            self.field(value_name, f.map_value, f.map_type, value, utf8, inner)
        self.out.append(f"{self.close} " if self.one_line else f"{' ' * indent}{self.close}\n")

    def scalar(self, kind: int, typ: typing.Any, value: typing.Any, utf8: bool) -> str:
        if kind == _rt.STRING:
            return f'"{_escape_string(value, self.as_utf8)}"'
        if kind == _rt.BYTES:
            return f'"{escape_bytes(value)}"'
        if kind == _rt.ENUM:
            number = int(value)
            return _rt._enum_table(typ).by_number.get(number) or str(number)
        if kind == _rt.BOOL:
            return "true" if value else "false"
        if kind == _rt.FLOAT:
            return _float_text(value)
        if kind == _rt.DOUBLE:
            return _double_text(value)
        return str(int(value))

    def any(self, msg: Message, indent: int) -> bool:
        """An Any whose type is loaded, expanded: ``[type_url] { fields }``."""
        by_name = _rt._table(type(msg)).by_name
        type_url = getattr(msg, by_name["type_url"].attr) or ""
        if "/" not in type_url:
            return False
        cls = _rt.REGISTRY.get(type_url.rpartition("/")[2])
        if cls is None:
            return False
        try:
            inner = cls.FromString(getattr(msg, by_name["value"].attr) or b"")
        except _rt.DecodeError:
            return False
        self.out.append(f"{' ' * indent}[{type_url}]{self.colon} ")
        self.nested(inner, indent)
        return True

    def unknown(self, data: bytes, pos: int, end: int, indent: int, depth: int) -> None:
        """Unknown fields by number, as protobuf prints them: varints and
        fixed-width values as unsigned integers, groups and length-delimited
        values that read as fields as messages, other payloads as bytes."""
        pad = " " * indent
        while pos < end:
            tag, pos = _rt.read_tag(data, pos, end)
            number, wire = tag >> 3, tag & 7
            if wire == 0:
                value, pos = _rt.read_varint(data, pos, end)
                self.out.append(f"{pad}{number}: {value}{self.end}")
            elif wire == 1 or wire == 5:
                size = 8 if wire == 1 else 4
                value = int.from_bytes(data[pos:pos + size], "little")
                pos += size
                self.out.append(f"{pad}{number}: {value}{self.end}")
            elif wire == 2:
                stop, pos = _rt.read_length(data, pos, end)
                if _fields_parse(data, pos, stop, depth + 1):  # empty too, as protobuf does
                    self.unknown_group(number, data, pos, stop, indent, depth)
                else:
                    self.out.append(f'{pad}{number}: "{escape_bytes(data[pos:stop])}"{self.end}')
                pos = stop
            elif wire == 3:
                after = _rt.skip_field(data, pos, end, tag, depth)
                self.unknown_group(number, data, pos, after - len(_rt.varint(number << 3 | 4)), indent, depth)
                pos = after
            else:
                raise TextError(f"unknown field {number} has wire type {wire}")

    def unknown_group(self, number: int, data: bytes, pos: int, end: int, indent: int, depth: int) -> None:
        if self.one_line:
            self.out.append(f"{number} {{ ")
            self.unknown(data, pos, end, indent, depth + 1)
            self.out.append("} ")
        else:
            self.out.append(f"{' ' * indent}{number} {{\n")
            self.unknown(data, pos, end, indent + 2, depth + 1)
            self.out.append(f"{' ' * indent}}}\n")


def message_to_text(
    msg: Message, *, one_line: bool = False, as_utf8: bool = True, unknown_fields: bool = False,
    short_repeated: bool = False, pointy_brackets: bool = False, index_order: bool = False,
    field_numbers: bool = False, force_colon: bool = False, indent: int = 0,
) -> str:
    """``msg`` in protobuf's text format (see Message.to_text)."""
    printer = _Printer(
        one_line, as_utf8, unknown_fields, short_repeated, pointy_brackets, index_order, field_numbers, force_colon
    )
    try:
        printer.message(msg, indent)
    except RecursionError:
        raise TextError("message nesting too deep to print") from None
    text = "".join(printer.out)
    return text.rstrip() if one_line else text


# ---- parsing -----------------------------------------------------------------------------------

_IDENT, _NUMBER, _STRING, _SYMBOL, _END = range(5)

_TOKEN = re.compile(
    r"""
    (?P<space>(?:[ \t\n\r\f\v]+|\#[^\n]*)+)
    | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
    | (?P<number>(?:0[xX][0-9A-Fa-f]+|(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?[fF]?))
    | (?P<string>"(?:[^"\\\n]|\\[^\n])*"|'(?:[^'\\\n]|\\[^\n])*')
    """,
    re.VERBOSE,
)
_NUMBER_END = re.compile(r"[A-Za-z0-9_.]")  # what may not follow a number directly
_BAD_NUMBER = re.compile(r"[A-Za-z0-9_.+-]+")
_KINDS = {"ident": _IDENT, "number": _NUMBER, "string": _STRING}

_SIMPLE_ESCAPES = {
    "a": b"\a", "b": b"\b", "f": b"\f", "n": b"\n", "r": b"\r", "t": b"\t", "v": b"\v",
    "\\": b"\\", "'": b"'", '"': b'"', "?": b"?",
}
_HEX = frozenset("0123456789abcdefABCDEF")
_OCTAL = frozenset("01234567")


def _unescape(body: str) -> bytes:
    """The bytes of a string literal's body (between its quotes); ValueError
    for an invalid escape."""
    if "\\" not in body:
        return body.encode("utf-8")
    out = bytearray()
    i, n = 0, len(body)
    while i < n:
        j = body.find("\\", i)
        if j < 0:
            out += body[i:].encode("utf-8")
            break
        out += body[i:j].encode("utf-8")
        c = body[j + 1]
        i = j + 2
        simple = _SIMPLE_ESCAPES.get(c)
        if simple is not None:
            out += simple
        elif c in _OCTAL:
            k = i
            while k < n and k < i + 2 and body[k] in _OCTAL:
                k += 1
            out.append(int(body[j + 1:k], 8) & 0xFF)
            i = k
        elif c in "xX":
            k = i
            while k < n and k < i + 2 and body[k] in _HEX:
                k += 1
            if k == i:
                raise ValueError("\\x must be followed by a hex digit")
            out.append(int(body[i:k], 16))
            i = k
        elif c in "uU":
            size = 4 if c == "u" else 8
            digits = body[i:i + size]
            if len(digits) != size or not all(d in _HEX for d in digits):
                raise ValueError(f"\\{c} must be followed by {size} hex digits")
            code = int(digits, 16)
            if 0xD800 <= code <= 0xDFFF:
                raise ValueError(f"\\{c}{digits} is a surrogate, not a character")
            if code > 0x10FFFF:
                raise ValueError(f"\\{c}{digits} is beyond U+10FFFF")
            out += chr(code).encode("utf-8")
            i += size
        else:
            raise ValueError(f"invalid escape sequence \\{c}")
    return bytes(out)


def _integer(text: str) -> int:
    """A decimal, hex (0x) or octal (leading 0) integer literal; ValueError
    for anything else (floats included)."""
    if text[:2] in ("0x", "0X"):
        return int(text, 16)
    if not text.isdigit():
        raise ValueError(f"expected an integer, got {text}")
    if len(text) > 1 and text[0] == "0":
        try:
            return int(text, 8)
        except ValueError:
            raise ValueError(f"invalid octal integer {text}") from None
    return int(text)


def _float(text: str) -> float:
    """A float literal (integers in decimal are floats too); hex and octal
    ones are refused."""
    if text[:2] in ("0x", "0X"):
        raise ValueError(f"hex literal {text} is not a float")
    body = text[:-1] if text[-1] in "fF" else text
    if len(body) > 1 and body[0] == "0" and body.isdigit():
        raise ValueError(f"octal literal {text} is not a float")
    return float(body)


class _Token(typing.NamedTuple):
    kind: int
    text: str
    start: int


class _Tokenizer:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.token = self._next()

    def _next(self) -> _Token:
        text, pos = self.text, self.pos
        m = _TOKEN.match(text, pos)
        if m is not None and m.lastgroup == "space":
            pos = m.end()
            m = _TOKEN.match(text, pos)
        if pos >= len(text):
            self.pos = pos
            return _Token(_END, "", pos)
        if m is None:
            self.pos = pos + 1
            return _Token(_SYMBOL, text[pos], pos)
        kind = _KINDS[typing.cast(str, m.lastgroup)]
        self.pos = m.end()
        if kind == _NUMBER and _NUMBER_END.match(text, self.pos):
            bad = _BAD_NUMBER.match(text, pos)
            raise self.error(f"invalid number {text[pos:bad.end() if bad else self.pos]!r}", pos)
        return _Token(kind, m.group(), pos)

    def advance(self) -> _Token:
        token = self.token
        self.token = self._next()
        return token

    def error(self, reason: str, at: int | None = None) -> TextError:
        pos = self.token.start if at is None else at
        line = self.text.count("\n", 0, pos) + 1
        column = pos - (self.text.rfind("\n", 0, pos) + 1) + 1
        return TextError(reason, line, column)

    def describe(self) -> str:
        token = self.token
        return "the end of the input" if token.kind == _END else repr(token.text)


class _Fill:
    """Extensions of one message being parsed: their holders, encoded into
    the message's unknown fields when it ends."""

    __slots__ = ("holders",)

    def __init__(self) -> None:
        self.holders: dict[int, Message] = {}


class _Parser:
    def __init__(
        self, text: str, allow_unknown_fields: bool, allow_unknown_extensions: bool, allow_field_numbers: bool,
        allow_overwrites: bool,
    ) -> None:
        self.tok = _Tokenizer(text)
        self.allow_unknown_fields = allow_unknown_fields
        self.allow_unknown_extensions = allow_unknown_extensions
        self.allow_field_numbers = allow_field_numbers
        self.allow_overwrites = allow_overwrites

    # -- tokens

    def try_symbol(self, symbol: str) -> bool:
        token = self.tok.token
        if token.kind == _SYMBOL and token.text == symbol:
            self.tok.advance()
            return True
        return False

    def expect(self, symbol: str) -> None:
        if not self.try_symbol(symbol):
            raise self.tok.error(f'expected "{symbol}", got {self.tok.describe()}')

    def open_brace(self) -> str:
        """Consumes "{" or "<"; returns the matching closing symbol."""
        if self.try_symbol("{"):
            return "}"
        if self.try_symbol("<"):
            return ">"
        raise self.tok.error(f'expected "{{" or "<", got {self.tok.describe()}')

    def separator(self) -> None:
        if not self.try_symbol(","):
            self.try_symbol(";")

    # -- messages

    def body(self, msg: Message, close: str | None, depth: int) -> None:
        """Fields up to ``close`` (the end of the input when None)."""
        if depth > _rt.MAX_DEPTH:
            raise self.tok.error(f"messages nested deeper than {_rt.MAX_DEPTH} levels")
        fill = _Fill()
        while True:
            token = self.tok.token
            if token.kind == _END:
                if close is None:
                    break
                raise self.tok.error(f'expected "{close}", got the end of the input')
            if close is not None and token.kind == _SYMBOL and token.text == close:
                self.tok.advance()
                break
            self.field(msg, fill, depth)
        for holder in fill.holders.values():
            try:
                _rt.add_extension(msg, holder)
            except _rt.EncodeError as exc:
                raise self.tok.error(f"cannot encode an extension: {exc}") from None

    def field(self, msg: Message, fill: _Fill, depth: int) -> None:
        cls = type(msg)
        token = self.tok.token
        if self.try_symbol("["):
            name = self.bracketed()
            if "/" in name:
                self.any_expansion(msg, name, token, depth)
            else:
                self.extension(msg, fill, name, token, depth)
        else:
            if token.kind == _IDENT:
                f = self.field_named(cls, token.text)
            elif token.kind == _NUMBER and self.allow_field_numbers and token.text.isdigit():
                f = next((g for g in _rt._table(cls).fields if g.number == int(token.text)), None)
                ext = None if f is not None else _rt.extensions_of(cls).get(int(token.text))
                if ext is not None:
                    self.tok.advance()
                    self.extension(msg, fill, ext.full_name, token, depth)
                    self.separator()
                    return
            else:
                raise self.tok.error(f"expected a field name, got {self.tok.describe()}")
            self.tok.advance()
            if f is not None:
                self.value(msg, cls, f, token, depth)
            elif token.text in _rt.reserved_names(cls) or self.allow_unknown_fields:
                self.skip_value()
            else:
                raise self.tok.error(f'{cls._ms_full_name} has no field named "{token.text}"', token.start)
        self.separator()

    def field_named(self, cls: type[Message], name: str) -> _rt.FieldInfo | None:
        by_name = _rt._table(cls).by_name
        f = by_name.get(name)
        if f is None:
            f = by_name.get(name.lower())
            if f is not None and not (_group_like(cls, f) and _short_name(f.type) == name):
                f = None
        return f

    def bracketed(self) -> str:
        """An extension name or an Any type URL, after "[", through "]"."""
        parts: list[str] = []
        while not self.try_symbol("]"):
            token = self.tok.token
            expect_name = not parts or parts[-1] in "./"
            if expect_name and token.kind == _IDENT or not expect_name and token.text in "./" and token.kind == _SYMBOL:
                parts.append(self.tok.advance().text)
            else:
                raise self.tok.error(f"expected a name in brackets, got {self.tok.describe()}")
        if not parts or parts[-1] in "./":
            raise self.tok.error("expected a name before \"]\"")
        return "".join(parts)

    def extension(self, msg: Message, fill: _Fill, name: str, at: _Token, depth: int) -> None:
        cls = type(msg)
        ext = _rt.extension_named(cls, name)
        if ext is None:
            if self.allow_unknown_extensions:
                self.skip_value()
                return
            raise self.tok.error(
                f'extension "{name}" of {cls._ms_full_name} is not registered '
                "(import the module that defines it)", at.start,
            )
        holder_cls = _rt.extension_holder(cls, ext)
        try:
            info = _rt.fields_of(holder_cls)[0]
        except TypeError as exc:  # its type's module is not imported
            raise self.tok.error(str(exc), at.start) from None
        holder = fill.holders.get(ext.number)
        if holder is None:
            holder = fill.holders[ext.number] = _rt.new_holder(holder_cls)
        self.value(holder, holder_cls, info, at, depth)

    def any_expansion(self, msg: Message, url: str, at: _Token, depth: int) -> None:
        cls = type(msg)
        if cls._ms_full_name != _ANY:
            raise self.tok.error(f"{cls._ms_full_name} is not a google.protobuf.Any: [{url}] is not allowed", at.start)
        payload_cls = _rt.REGISTRY.get(url.rpartition("/")[2])
        if payload_cls is None:
            raise self.tok.error(
                f"the Any's type {url.rpartition('/')[2]} is not loaded (import the module that defines it)", at.start
            )
        by_name = _rt._table(cls).by_name
        if not self.allow_overwrites and (getattr(msg, by_name["type_url"].attr)
                                          or getattr(msg, by_name["value"].attr)):
            raise self.tok.error("the Any is given twice", at.start)
        self.try_symbol(":")
        payload = payload_cls()
        self.body(payload, self.open_brace(), depth + 1)
        try:
            data = payload.SerializeToString()
        except _rt.EncodeError as exc:
            raise self.tok.error(f"cannot encode the Any's payload: {exc}", at.start) from None
        setattr(msg, by_name["type_url"].attr, url)
        setattr(msg, by_name["value"].attr, data)

    # -- values

    def value(self, msg: Message, owner: type[Message], f: _rt.FieldInfo, at: _Token, depth: int) -> None:
        """The value(s) of field ``f`` after its name."""
        if f.kind in _MESSAGE_KINDS or f.map_key:
            self.try_symbol(":")
        else:
            self.expect(":")
        if (f.repeated or f.map_key) and self.try_symbol("["):
            if not self.try_symbol("]"):
                while True:
                    self.one_value(msg, owner, f, at, depth)
                    if self.try_symbol("]"):
                        break
                    self.expect(",")
        else:
            self.one_value(msg, owner, f, at, depth)

    def one_value(self, msg: Message, owner: type[Message], f: _rt.FieldInfo, at: _Token, depth: int) -> None:
        utf8 = _validates_utf8(owner, f.number)
        if f.map_key:
            key, value = self.map_entry(f, utf8, depth)
            getattr(msg, f.attr)[key] = value
            return
        if f.kind in _MESSAGE_KINDS:
            close = self.open_brace()
            value = f.type()
            self.body(value, close, depth + 1)
        else:
            value = self.scalar(f.kind, f.type, utf8)
        if f.repeated:
            getattr(msg, f.attr).append(value)
            return
        current = getattr(msg, f.attr)
        if not self.allow_overwrites:
            if _rt._is_set(f, current):
                raise self.tok.error(f'field "{f.name}" is given twice', at.start)
            if f.oneof is not None:
                other = msg.which_oneof(f.oneof)
                if other is not None and other != f.attr:
                    raise self.tok.error(
                        f'field "{f.name}" is given along with "{other}", another member of oneof "{f.oneof}"',
                        at.start,
                    )
        if f.kind in _MESSAGE_KINDS and current is not None:
            _rt._merge_message(current, value)
        else:
            setattr(msg, f.attr, value)

    def map_entry(self, f: _rt.FieldInfo, utf8: bool, depth: int) -> tuple[typing.Any, typing.Any]:
        close = self.open_brace()
        key: typing.Any = None
        value: typing.Any = None
        while not self.try_symbol(close):
            token = self.tok.token
            name = token.text
            if token.kind == _NUMBER and self.allow_field_numbers and name in ("1", "2"):
                name = "key" if name == "1" else "value"
            elif token.kind != _IDENT or name not in ("key", "value"):
                raise self.tok.error(f'a map entry has only "key" and "value", got {self.tok.describe()}')
            self.tok.advance()
            if (key if name == "key" else value) is not None and not self.allow_overwrites:
                raise self.tok.error(f'map entry field "{name}" is given twice', token.start)
            if name == "key":
                self.expect(":")
                key = self.scalar(f.map_key, None, utf8)
            elif f.map_value in _MESSAGE_KINDS:
                self.try_symbol(":")
                sub_close = self.open_brace()
                value = f.map_type()
                self.body(value, sub_close, depth + 1)
            else:
                self.expect(":")
                value = self.scalar(f.map_value, f.map_type, utf8)
            self.separator()
        if key is None:
            key = _rt._ZEROS.get(f.map_key, 0)
        if value is None:
            if f.map_value in _MESSAGE_KINDS:
                value = f.map_type()
            elif f.map_value == _rt.ENUM:
                value = _rt._enum_zero(f.map_type)
            else:
                value = _rt._ZEROS.get(f.map_value, 0)
        return key, value

    def string_bytes(self) -> bytes:
        token = self.tok.token
        if token.kind != _STRING:
            raise self.tok.error(f"expected a string, got {self.tok.describe()}")
        out = b""
        while token.kind == _STRING:
            try:
                out += _unescape(token.text[1:-1])
            except ValueError as exc:
                raise self.tok.error(str(exc)) from None
            self.tok.advance()
            token = self.tok.token
        return out

    def scalar(self, kind: int, typ: typing.Any, utf8: bool) -> typing.Any:
        if kind == _rt.BYTES:
            return self.string_bytes()
        if kind == _rt.STRING:
            at = self.tok.token.start
            data = self.string_bytes()
            try:
                return data.decode("utf-8") if utf8 else data.decode("utf-8", "surrogateescape")
            except UnicodeDecodeError as exc:
                raise self.tok.error(f"string is not valid UTF-8: {exc.reason}", at) from None
        negative = self.try_symbol("-")
        token = self.tok.token
        try:
            if kind == _rt.FLOAT or kind == _rt.DOUBLE:
                number = self.float_value(token)
                number = -number if negative else number
                return _rt.float32(number) if kind == _rt.FLOAT else number
            if kind == _rt.BOOL:
                if negative:
                    raise ValueError('expected "true" or "false", got "-"')
                return self.bool_value(token)
            if kind == _rt.ENUM:
                return self.enum_value(typ, token, negative)
            if token.kind != _NUMBER:
                raise ValueError(f"expected an integer, got {self.tok.describe()}")
            value = _integer(token.text)
            value = -value if negative else value
            low, high = _rt._INT_RANGES[kind]
            if not low <= value <= high:
                raise ValueError(f"{'-' if negative else ''}{token.text} is out of range for {_rt._KIND_NAMES[kind]}")
        except ValueError as exc:
            raise self.tok.error(str(exc)) from None
        self.tok.advance()
        return value

    def float_value(self, token: _Token) -> float:
        if token.kind == _IDENT:
            word = token.text.lower()
            if word in ("inf", "infinity"):
                number = math.inf
            elif word == "nan":
                number = math.nan
            else:
                raise ValueError(f"expected a number, got {token.text!r}")
        elif token.kind == _NUMBER:
            number = _float(token.text)
        else:
            raise ValueError(f"expected a number, got {self.tok.describe()}")
        self.tok.advance()
        return number

    def bool_value(self, token: _Token) -> bool:
        if token.kind == _IDENT and token.text in ("true", "True", "t"):
            result = True
        elif token.kind == _IDENT and token.text in ("false", "False", "f"):
            result = False
        elif token.kind == _NUMBER and token.text in ("0", "1"):
            result = token.text == "1"
        else:
            raise ValueError(f'expected "true" or "false", got {self.tok.describe()}')
        self.tok.advance()
        return result

    def enum_value(self, typ: typing.Any, token: _Token, negative: bool) -> typing.Any:
        table = _rt._enum_table(typ)
        if token.kind == _IDENT and not negative:
            number = table.by_name.get(token.text)
            if number is None:
                raise ValueError(f"enum {_rt._full_name(typ) or typ.__name__} has no value named {token.text}")
        elif token.kind == _NUMBER:
            number = _integer(token.text)
            number = -number if negative else number
            if not -0x80000000 <= number <= 0x7FFFFFFF:
                raise ValueError(f"{number} is out of range for an enum")
            if number not in table.by_number and getattr(typ, "_ms_closed", False):
                raise ValueError(f"{number} is not a value of the closed enum {_rt._full_name(typ) or typ.__name__}")
        else:
            raise ValueError(f"expected an enum value, got {self.tok.describe()}")
        self.tok.advance()
        try:
            return typ(number)
        except ValueError:
            return number

    # -- skipping (reserved names, allow_unknown_fields, allow_unknown_extensions)

    def skip_value(self) -> None:
        if self.try_symbol(":"):
            token = self.tok.token
            if token.kind == _SYMBOL and token.text in "{<":
                self.skip_message()
            elif self.try_symbol("["):
                if not self.try_symbol("]"):
                    while True:
                        token = self.tok.token
                        if token.kind == _SYMBOL and token.text in "{<":
                            self.skip_message()
                        else:
                            self.skip_scalar()
                        if self.try_symbol("]"):
                            break
                        self.expect(",")
            else:
                self.skip_scalar()
        else:
            self.skip_message()

    def skip_scalar(self) -> None:
        token = self.tok.token
        if token.kind == _STRING:
            self.string_bytes()
            return
        self.try_symbol("-")
        token = self.tok.token
        if token.kind not in (_IDENT, _NUMBER):
            raise self.tok.error(f"expected a value, got {self.tok.describe()}")
        self.tok.advance()

    def skip_message(self) -> None:
        close = self.open_brace()
        while not self.try_symbol(close):
            token = self.tok.token
            if token.kind == _END:
                raise self.tok.error(f'expected "{close}", got the end of the input')
            if self.try_symbol("["):
                self.bracketed()
            elif token.kind in (_IDENT, _NUMBER):
                self.tok.advance()
            else:
                raise self.tok.error(f"expected a field name, got {self.tok.describe()}")
            self.skip_value()
            self.separator()


def message_from_text(
    cls: type[M], text: str | bytes | bytearray, *, allow_unknown_fields: bool = False,
    allow_unknown_extensions: bool = False, allow_field_numbers: bool = False, allow_overwrites: bool = False,
) -> M:
    """Parses protobuf's text format into a new ``cls`` (see Message.from_text)."""
    if not isinstance(text, str):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise TextError(f"text is not valid UTF-8: {exc.reason}") from None
    msg = cls()
    parser = _Parser(text, allow_unknown_fields, allow_unknown_extensions, allow_field_numbers, allow_overwrites)
    try:
        parser.body(msg, None, 0)
    except RecursionError:
        raise TextError(f"messages nested deeper than {_rt.MAX_DEPTH} levels") from None
    return msg
