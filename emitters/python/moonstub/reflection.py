"""gRPC server reflection from the descriptors moonstub's generated modules
carry, without google.protobuf.

Every module moonstub generates registers, for each .proto file it comes
from, the file's serialized ``google.protobuf.FileDescriptorProto`` (the bytes
protoc writes for the file into a descriptor set) and the files it imports::

    _ms.register_file("google/pubsub/v1/pubsub.proto", b"...", ("google/api/annotations.proto", ...))

``enable_server_reflection(service_names, server)``, the call grpcio-reflection
offers as ``grpc_reflection.v1alpha.reflection.enable_server_reflection``,
then serves ``grpc.reflection.v1alpha.ServerReflection`` and
``grpc.reflection.v1.ServerReflection`` from that registry, on ``grpc.aio``
and sync ``grpc`` servers alike: grpcurl, Postman or grpcio-reflection's
``ProtoReflectionDescriptorDatabase`` can list the services and fetch every
file, symbol and import. The reflection messages are encoded and decoded here,
by hand; this module imports only the runtime at import time, and ``grpc``
only when reflection is enabled.

Answers follow grpcio-reflection's: a file comes with its transitive imports
(the file first, then its imports depth first, each once); a symbol may name a
message, field, oneof, enum, enum value (scoped as protobuf's C++ scoping puts
it, beside its enum), service, method or extension; what is not registered is
NOT_FOUND; ``list_services`` gives ``service_names``, sorted.
"""

from __future__ import annotations

import threading
import typing

# The registry lives in the runtime, which every generated module imports; in a
# vendored tree (--opt runtime=vendored) the copy of this module imports the
# vendored runtime here instead.
from moonstub import runtime as _rt

if typing.TYPE_CHECKING:
    import grpc
    import grpc.aio

__all__ = [
    "SERVICE_NAME",
    "SERVICE_NAME_V1",
    "RegisteredFile",
    "enable_server_reflection",
    "register_file",
    "registered_files",
]

SERVICE_NAME = "grpc.reflection.v1alpha.ServerReflection"
SERVICE_NAME_V1 = "grpc.reflection.v1.ServerReflection"
_METHOD = "ServerReflectionInfo"

# grpc.StatusCode values, as grpcio-reflection reports them in ErrorResponse
_INVALID_ARGUMENT = (3, "invalid argument")
_NOT_FOUND = (5, "not found")


RegisteredFile = _rt.RegisteredFile
register_file = _rt.register_file
registered_files = _rt.registered_files
_FILES = _rt.registered_files()  # a live, read-only view


class _Registry:
    """The symbol index, rebuilt on the next reflection request after files
    were added (files are only ever added, so their count tells)."""

    lock = threading.Lock()
    index: _Index | None = None


# ---- the wire format -------------------------------------------------------------------------


class _Malformed(Exception):
    """Bytes that are not the protobuf message they should be."""


def _read_varint(data: memoryview, pos: int) -> tuple[int, int]:
    result = shift = 0
    end = len(data)
    while True:
        if pos >= end or shift > 63:
            raise _Malformed
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, pos
        shift += 7


def _fields(data: bytes | memoryview) -> typing.Iterator[tuple[int, int | memoryview]]:
    """(field number, value) for each varint and length-delimited field;
    fixed-width fields are skipped, groups are malformed here."""
    view = memoryview(data)
    pos, end = 0, len(view)
    while pos < end:
        tag, pos = _read_varint(view, pos)
        number, wire = tag >> 3, tag & 7
        if wire == 0:
            value, pos = _read_varint(view, pos)
            yield number, value
        elif wire == 2:
            length, pos = _read_varint(view, pos)
            if pos + length > end:
                raise _Malformed
            yield number, view[pos : pos + length]
            pos += length
        elif wire in (1, 5):
            pos += 8 if wire == 1 else 4
        else:
            raise _Malformed
        if pos > end or number == 0:
            raise _Malformed


def _text(value: int | memoryview) -> str:
    if isinstance(value, int):
        raise _Malformed
    try:
        return bytes(value).decode("utf-8")
    except UnicodeDecodeError as error:
        raise _Malformed from error


def _varint(value: int) -> bytes:
    value &= 0xFFFFFFFFFFFFFFFF  # negative int32 values take ten bytes
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _bytes_field(number: int, payload: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _string_field(number: int, text: str) -> bytes:
    return _bytes_field(number, text.encode("utf-8"))


def _varint_field(number: int, value: int) -> bytes:
    return _varint(number << 3) + _varint(value)


# ---- the symbols of the registered files ----------------------------------------------------


class _Index:
    """Symbols and extensions of every registered file, from its descriptor
    (field numbers below are descriptor.proto's)."""

    def __init__(self, files: typing.Iterable[RegisteredFile], generation: int) -> None:
        self.generation = generation  # of the registry it was made from
        self.symbols: dict[str, str] = {}  # full name -> file name
        self.messages: set[str] = set()
        self.extensions: dict[str, dict[int, str]] = {}  # extendee -> number -> file name
        for file in files:
            try:
                self._add_file(file.name, file.descriptor)
            except _Malformed:
                continue  # a file whose descriptor cannot be read serves by name only

    def _add(self, full_name: str, file: str) -> None:
        self.symbols.setdefault(full_name, file)

    def _add_file(self, file: str, data: bytes) -> None:
        package, parts = "", []
        for number, value in _fields(data):
            if number == 2:
                package = _text(value)
            elif number in (4, 5, 6, 7) and not isinstance(value, int):
                parts.append((number, value))
        for number, value in parts:
            if number == 4:
                self._add_message(file, package, value)
            elif number == 5:
                self._add_enum(file, package, value)
            elif number == 6:
                self._add_service(file, package, value)
            else:
                self._add_extension(file, package, value)

    def _add_message(self, file: str, scope: str, data: memoryview) -> None:
        name, members, nested, enums, extensions = "", [], [], [], []
        for number, value in _fields(data):
            if number == 1:
                name = _text(value)
            elif isinstance(value, int):
                continue
            elif number in (2, 8):  # fields and oneofs: their names
                members.append(_name_of(value))
            elif number == 3:
                nested.append(value)
            elif number == 4:
                enums.append(value)
            elif number == 6:
                extensions.append(value)
        full = _join(scope, name)
        self._add(full, file)
        self.messages.add(full)
        for member in members:
            self._add(_join(full, member), file)
        for value in nested:
            self._add_message(file, full, value)
        for value in enums:
            self._add_enum(file, full, value)
        for value in extensions:
            self._add_extension(file, full, value)

    def _add_enum(self, file: str, scope: str, data: memoryview) -> None:
        for number, value in _fields(data):
            if number == 1:
                self._add(_join(scope, _text(value)), file)
            elif number == 2 and not isinstance(value, int):
                # C++ scoping: a value is a sibling of its enum
                self._add(_join(scope, _name_of(value)), file)

    def _add_service(self, file: str, scope: str, data: memoryview) -> None:
        name, methods = "", []
        for number, value in _fields(data):
            if number == 1:
                name = _text(value)
            elif number == 2 and not isinstance(value, int):
                methods.append(_name_of(value))
        full = _join(scope, name)
        self._add(full, file)
        for method in methods:
            self._add(_join(full, method), file)

    def _add_extension(self, file: str, scope: str, data: memoryview) -> None:
        name, extendee, number_of = "", "", 0
        for number, value in _fields(data):
            if number == 1:
                name = _text(value)
            elif number == 2:
                extendee = _text(value).lstrip(".")
            elif number == 3 and isinstance(value, int):
                number_of = value
        self._add(_join(scope, name), file)
        self.extensions.setdefault(extendee, {}).setdefault(number_of, file)


def _name_of(data: int | memoryview) -> str:
    if isinstance(data, int):
        raise _Malformed
    for number, value in _fields(data):
        if number == 1:
            return _text(value)
    return ""


def _join(scope: str, name: str) -> str:
    return f"{scope}.{name}" if scope else name


def _index() -> _Index:
    """The index of the registered files, made again when files were added."""
    with _Registry.lock:
        index = _Registry.index
        if index is None or index.generation != len(_FILES):
            index = _Registry.index = _Index(list(_FILES.values()), len(_FILES))
        return index


def _with_dependencies(name: str) -> list[bytes]:
    """The file's descriptor, then its imports' depth first, each once;
    imports that were not registered are left out."""
    out: list[bytes] = []
    seen: set[str] = set()
    stack = [name]
    while stack:
        current = stack.pop()
        file = _FILES.get(current)
        if current in seen or file is None:
            continue
        seen.add(current)
        out.append(file.descriptor)
        stack.extend(reversed(file.dependencies))
    return out


# ---- answering -----------------------------------------------------------------------------
# ServerReflectionRequest: host = 1; oneof { file_by_filename = 3; file_containing_symbol = 4;
#   ExtensionRequest file_containing_extension = 5 {containing_type = 1; extension_number = 2};
#   all_extension_numbers_of_type = 6; list_services = 7 }
# ServerReflectionResponse: valid_host = 1; original_request = 2; oneof { FileDescriptorResponse
#   file_descriptor_response = 4 {repeated bytes file_descriptor_proto = 1};
#   ExtensionNumberResponse all_extension_numbers_response = 5 {base_type_name = 1;
#   repeated int32 extension_number = 2 (packed)}; ListServiceResponse list_services_response = 6
#   {repeated ServiceResponse service = 1 {name = 1}}; ErrorResponse error_response = 7
#   {error_code = 1; error_message = 2} }


def _parse_request(data: bytes) -> tuple[int, typing.Any]:
    """(field number of the request kind, its value); (0, None) when none is set."""
    kind: tuple[int, typing.Any] = (0, None)
    for number, value in _fields(data):
        if number in (3, 4, 6, 7):
            kind = (number, _text(value))
        elif number == 5:
            if isinstance(value, int):
                raise _Malformed
            containing_type, extension_number = "", 0
            for inner, item in _fields(value):
                if inner == 1:
                    containing_type = _text(item)
                elif inner == 2 and isinstance(item, int):
                    extension_number = item - (1 << 64) if item >= 1 << 63 else item
            kind = (5, (containing_type, extension_number))
    return kind


def _error(code: tuple[int, str]) -> tuple[int, bytes]:
    return 7, _varint_field(1, code[0]) + _string_field(2, code[1])


def _files_answer(file: str | None) -> tuple[int, bytes]:
    if file is None or file not in _FILES:
        return _error(_NOT_FOUND)
    return 4, b"".join(_bytes_field(1, d) for d in _with_dependencies(file))


def _extension_numbers_answer(type_name: str) -> tuple[int, bytes]:
    index = _index()
    if type_name not in index.messages:
        return _error(_NOT_FOUND)
    numbers = sorted(index.extensions.get(type_name, {}))
    body = _string_field(1, type_name)
    if numbers:
        body += _bytes_field(2, b"".join(_varint(n) for n in numbers))
    return 5, body


class _Reflection:
    """The ServerReflectionInfo stream of one server."""

    def __init__(self, service_names: typing.Iterable[str]) -> None:
        self.service_names = tuple(sorted(service_names))

    def answer(self, request: bytes) -> bytes:
        """The serialized ServerReflectionResponse to one serialized request."""
        try:
            kind, value = _parse_request(request)
        except _Malformed:
            number, body = _error(_INVALID_ARGUMENT)
            return _bytes_field(number, body)
        if kind == 3:
            number, body = _files_answer(value)
        elif kind == 4:
            number, body = _files_answer(_index().symbols.get(value))
        elif kind == 5:
            containing_type, extension_number = value
            index = _index()
            found = index.extensions.get(containing_type, {}).get(extension_number)
            number, body = _files_answer(found if containing_type in index.messages else None)
        elif kind == 6:
            number, body = _extension_numbers_answer(value)
        elif kind == 7:
            number = 6
            body = b"".join(_bytes_field(1, _string_field(1, name)) for name in self.service_names)
        else:
            number, body = _error(_INVALID_ARGUMENT)
        return _bytes_field(2, request) + _bytes_field(number, body)

    def serve(self, requests: typing.Iterator[bytes], context: typing.Any) -> typing.Iterator[bytes]:
        for request in requests:
            yield self.answer(request)

    async def serve_aio(
        self, requests: typing.AsyncIterator[bytes], context: typing.Any
    ) -> typing.AsyncIterator[bytes]:
        async for request in requests:
            yield self.answer(request)


def enable_server_reflection(
    service_names: typing.Iterable[str],
    server: grpc.Server | grpc.aio.Server,
    pool: None = None,
) -> None:
    """Enables server reflection on a server (grpcio-reflection's call).

    Args:
        service_names: the fully-qualified names of the services to list
            (conventionally including ``SERVICE_NAME``).
        server: a ``grpc.Server`` or ``grpc.aio.Server``, before it starts.
        pool: grpcio-reflection's descriptor pool argument; the files served
            here are the ones generated modules registered, so it must be None.

    Both ``grpc.reflection.v1alpha.ServerReflection`` and
    ``grpc.reflection.v1.ServerReflection`` are added.
    """
    if pool is not None:
        raise TypeError("moonstub.reflection serves the files generated modules register; it takes no pool")
    import grpc
    import grpc.aio

    reflection = _Reflection(service_names)
    behavior: typing.Any = reflection.serve_aio if isinstance(server, grpc.aio.Server) else reflection.serve
    for service in (SERVICE_NAME, SERVICE_NAME_V1):
        handlers: dict[str, grpc.RpcMethodHandler[typing.Any, typing.Any]] = {
            _METHOD: grpc.stream_stream_rpc_method_handler(behavior)
        }
        server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(service, handlers),))
        register = getattr(server, "add_registered_method_handlers", None)
        if register is not None:
            register(service, handlers)


# ---- the reflection protocol's own files ----------------------------------------------------
# grpc/reflection/{v1alpha,v1}/reflection.proto as protoc writes them (their text is in
# tests/py/reflection/protos), so that clients can resolve the reflection service too.

_V1ALPHA_PROTO = (
    b'\n(grpc/reflection/v1alpha/reflection.proto\x12\x17grpc.reflection.v1al'
    b'pha"\xf8\x02\n\x17ServerReflectionRequest\x12\x12\n\x04host\x18\x01 \x01(\tR\x04host\x12*\n\x10file_by_f'
    b'ilename\x18\x03 \x01(\tH\x00R\x0efileByFilename\x126\n\x16file_containing_symbol\x18\x04 \x01(\tH'
    b'\x00R\x14fileContainingSymbol\x12g\n\x19file_containing_extension\x18\x05 \x01(\x0b2).grp'
    b'c.reflection.v1alpha.ExtensionRequestH\x00R\x17fileContainingExtension'
    b'\x12B\n\x1dall_extension_numbers_of_type\x18\x06 \x01(\tH\x00R\x19allExtensionNumbersOf'
    b'Type\x12%\n\rlist_services\x18\x07 \x01(\tH\x00R\x0clistServicesB\x11\n\x0fmessage_request"f'
    b"\n\x10ExtensionRequest\x12'\n\x0fcontaining_type\x18\x01 \x01(\tR\x0econtainingType\x12)\n\x10e"
    b'xtension_number\x18\x02 \x01(\x05R\x0fextensionNumber"\xc7\x04\n\x18ServerReflectionRespo'
    b'nse\x12\x1d\n\nvalid_host\x18\x01 \x01(\tR\tvalidHost\x12[\n\x10original_request\x18\x02 \x01(\x0b20.g'
    b'rpc.reflection.v1alpha.ServerReflectionRequestR\x0foriginalRequest\x12'
    b'k\n\x18file_descriptor_response\x18\x04 \x01(\x0b2/.grpc.reflection.v1alpha.File'
    b'DescriptorResponseH\x00R\x16fileDescriptorResponse\x12w\n\x1eall_extension_nu'
    b'mbers_response\x18\x05 \x01(\x0b20.grpc.reflection.v1alpha.ExtensionNumberRe'
    b'sponseH\x00R\x1ballExtensionNumbersResponse\x12d\n\x16list_services_response\x18'
    b'\x06 \x01(\x0b2,.grpc.reflection.v1alpha.ListServiceResponseH\x00R\x14listServi'
    b'cesResponse\x12O\n\x0eerror_response\x18\x07 \x01(\x0b2&.grpc.reflection.v1alpha.Er'
    b'rorResponseH\x00R\rerrorResponseB\x12\n\x10message_response"L\n\x16FileDescript'
    b'orResponse\x122\n\x15file_descriptor_proto\x18\x01 \x03(\x0cR\x13fileDescriptorProto"j'
    b'\n\x17ExtensionNumberResponse\x12$\n\x0ebase_type_name\x18\x01 \x01(\tR\x0cbaseTypeName\x12'
    b')\n\x10extension_number\x18\x02 \x03(\x05R\x0fextensionNumber"Y\n\x13ListServiceRespons'
    b'e\x12B\n\x07service\x18\x01 \x03(\x0b2(.grpc.reflection.v1alpha.ServiceResponseR\x07se'
    b'rvice"%\n\x0fServiceResponse\x12\x12\n\x04name\x18\x01 \x01(\tR\x04name"S\n\rErrorResponse\x12\x1d\n'
    b'\nerror_code\x18\x01 \x01(\x05R\terrorCode\x12#\n\rerror_message\x18\x02 \x01(\tR\x0cerrorMessag'
    b'e2\x93\x01\n\x10ServerReflection\x12\x7f\n\x14ServerReflectionInfo\x120.grpc.reflection'
    b'.v1alpha.ServerReflectionRequest\x1a1.grpc.reflection.v1alpha.Serve'
    b'rReflectionResponse(\x010\x01Bs\n\x1aio.grpc.reflection.v1alphaB\x15ServerRef'
    b'lectionProtoP\x01Z9google.golang.org/grpc/reflection/grpc_reflectio'
    b'n_v1alpha\xb8\x01\x01b\x06proto3'
)

_V1_PROTO = (
    b'\n#grpc/reflection/v1/reflection.proto\x12\x12grpc.reflection.v1"\xf3\x02\n\x17Se'
    b'rverReflectionRequest\x12\x12\n\x04host\x18\x01 \x01(\tR\x04host\x12*\n\x10file_by_filename\x18\x03 '
    b'\x01(\tH\x00R\x0efileByFilename\x126\n\x16file_containing_symbol\x18\x04 \x01(\tH\x00R\x14fileCon'
    b'tainingSymbol\x12b\n\x19file_containing_extension\x18\x05 \x01(\x0b2$.grpc.reflecti'
    b'on.v1.ExtensionRequestH\x00R\x17fileContainingExtension\x12B\n\x1dall_extensi'
    b'on_numbers_of_type\x18\x06 \x01(\tH\x00R\x19allExtensionNumbersOfType\x12%\n\rlist_se'
    b'rvices\x18\x07 \x01(\tH\x00R\x0clistServicesB\x11\n\x0fmessage_request"f\n\x10ExtensionRequ'
    b"est\x12'\n\x0fcontaining_type\x18\x01 \x01(\tR\x0econtainingType\x12)\n\x10extension_number"
    b'\x18\x02 \x01(\x05R\x0fextensionNumber"\xae\x04\n\x18ServerReflectionResponse\x12\x1d\n\nvalid_ho'
    b'st\x18\x01 \x01(\tR\tvalidHost\x12V\n\x10original_request\x18\x02 \x01(\x0b2+.grpc.reflection.'
    b'v1.ServerReflectionRequestR\x0foriginalRequest\x12f\n\x18file_descriptor_r'
    b'esponse\x18\x04 \x01(\x0b2*.grpc.reflection.v1.FileDescriptorResponseH\x00R\x16fil'
    b'eDescriptorResponse\x12r\n\x1eall_extension_numbers_response\x18\x05 \x01(\x0b2+.gr'
    b'pc.reflection.v1.ExtensionNumberResponseH\x00R\x1ballExtensionNumbersR'
    b"esponse\x12_\n\x16list_services_response\x18\x06 \x01(\x0b2'.grpc.reflection.v1.Lis"
    b'tServiceResponseH\x00R\x14listServicesResponse\x12J\n\x0eerror_response\x18\x07 \x01(\x0b'
    b'2!.grpc.reflection.v1.ErrorResponseH\x00R\rerrorResponseB\x12\n\x10message_'
    b'response"L\n\x16FileDescriptorResponse\x122\n\x15file_descriptor_proto\x18\x01 \x03('
    b'\x0cR\x13fileDescriptorProto"j\n\x17ExtensionNumberResponse\x12$\n\x0ebase_type_n'
    b'ame\x18\x01 \x01(\tR\x0cbaseTypeName\x12)\n\x10extension_number\x18\x02 \x03(\x05R\x0fextensionNumb'
    b'er"T\n\x13ListServiceResponse\x12=\n\x07service\x18\x01 \x03(\x0b2#.grpc.reflection.v1.'
    b'ServiceResponseR\x07service"%\n\x0fServiceResponse\x12\x12\n\x04name\x18\x01 \x01(\tR\x04name"'
    b'S\n\rErrorResponse\x12\x1d\n\nerror_code\x18\x01 \x01(\x05R\terrorCode\x12#\n\rerror_message'
    b'\x18\x02 \x01(\tR\x0cerrorMessage2\x89\x01\n\x10ServerReflection\x12u\n\x14ServerReflectionInf'
    b'o\x12+.grpc.reflection.v1.ServerReflectionRequest\x1a,.grpc.reflection'
    b'.v1.ServerReflectionResponse(\x010\x01Bf\n\x15io.grpc.reflection.v1B\x15Serve'
    b'rReflectionProtoP\x01Z4google.golang.org/grpc/reflection/grpc_refle'
    b'ction_v1b\x06proto3'
)

register_file("grpc/reflection/v1alpha/reflection.proto", _V1ALPHA_PROTO)
register_file("grpc/reflection/v1/reflection.proto", _V1_PROTO)
