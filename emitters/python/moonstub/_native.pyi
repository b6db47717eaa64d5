"""Types of moonstub's native codec (the CPython extension built from _native.c)."""

from typing import Any

class MessageType:
    """The codec of one message class (docs/codec.md)."""

    cls: type
    full_name: str

    def __init__(
        self, cls: type, full_name: str, decode_error: type[Exception], encode_error: type[Exception]
    ) -> None: ...
    def setup(self, fields: tuple[tuple[Any, ...], ...]) -> None: ...
    def encode(self, msg: Any) -> bytes: ...
    def decode(self, data: bytes | bytearray | memoryview, into: Any = None) -> Any: ...
