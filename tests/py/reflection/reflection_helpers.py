"""Helpers of the tests of file descriptors and server reflection (tests/py/reflection).

* ``protoc_descriptors``: what ``python -m grpc_tools.protoc --descriptor_set_out
  --include_imports`` writes, split into each file's raw bytes (never reparsed).
* ``moonstub_descriptors``: every file's ``file.descriptor`` from the model, in
  CLI mode (``--lua-test dump_descriptors.lua``).
* ``plugin_descriptors``: the same in plugin mode: protoc's CodeGeneratorRequest
  for the files is captured, then fed to ``protoc-gen-moonstub`` with the naming
  policy ``dump_policy.lua`` (``rules=...``), which prints each file's
  descriptor on stdout before the plugin writes its response.
Generating and importing Python (whose modules register their files'
descriptors with ``_ms.register_file``) is ``support.generate`` /
``support.load_modules``; ``GRPC_TOOLS_INCLUDE`` is the include folder
grpc_tools.protoc appends, to pass to moonstub too.

Environment: MOONSTUB (the binary, default build/moonstub), MOONSTUB_CORPUS
(protobuf's schemas, default build/corpus/protobuf; googleapis is looked for
beside it).
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest

import support

REPO = support.REPO
MOONSTUB = support.MOONSTUB
CORPUS = support.CORPUS
HERE = Path(__file__).resolve().parent
PROTOS = HERE / "protos"
DUMP_SCRIPT = HERE / "dump_descriptors.lua"
DUMP_POLICY = HERE / "dump_policy.lua"
GOOGLEAPIS = CORPUS.parent / "googleapis"
GRPC_TOOLS_INCLUDE = str(resources.files("grpc_tools") / "_proto")
MARK = b"@descriptor\t"


def split_descriptor_set(data: bytes) -> dict[str, bytes]:
    """A FileDescriptorSet's files by name, each as the exact bytes it holds."""

    def varint(pos: int) -> tuple[int, int]:
        result = shift = 0
        while True:
            byte = data[pos]
            pos += 1
            result |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                return result, pos

    files: dict[str, bytes] = {}
    pos = 0
    while pos < len(data):
        tag, pos = varint(pos)
        assert tag == 0x0A, f"unexpected tag {tag} in a FileDescriptorSet"
        length, pos = varint(pos)
        file = data[pos : pos + length]
        pos += length
        assert file[0] == 0x0A, "a FileDescriptorProto starts with its name"
        name_length, start = 0, 1
        shift = 0
        while True:
            byte = file[start]
            start += 1
            name_length |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                break
        files[file[start : start + name_length].decode()] = file
    return files


def parse_dump(data: bytes) -> dict[str, bytes]:
    """The descriptors printed by dump_descriptors.lua / dump_policy.lua: each a
    line "@descriptor<TAB>path<TAB>length", the bytes, a newline. Anything after
    them (a plugin's response) is ignored."""
    files: dict[str, bytes] = {}
    pos = 0
    while data.startswith(MARK, pos):
        newline = data.index(b"\n", pos)
        _, name, length = data[pos:newline].decode().split("\t")
        start = newline + 1
        files[name] = data[start : start + int(length)]
        pos = start + int(length) + 1
    return files


def _run(cmd: list[str], **kwargs: object) -> subprocess.CompletedProcess[bytes]:
    proc = subprocess.run(cmd, capture_output=True, timeout=600, check=False, **kwargs)  # type: ignore[call-overload]
    if proc.returncode != 0:
        pytest.fail(f"command failed ({proc.returncode}): {' '.join(cmd[:8])} ...\n"
                    f"{proc.stderr.decode(errors='replace')[:4000]}")
    return proc


def _roots(roots: list[Path | str]) -> list[str]:
    # grpc_tools.protoc appends its bundled include folder; moonstub gets it too
    return [f"-I{r}" for r in [*roots, GRPC_TOOLS_INCLUDE]]


def protoc_descriptors(roots: list[Path | str], files: list[str], out: Path) -> dict[str, bytes]:
    target = out / "protoc.pb"
    _run([sys.executable, "-m", "grpc_tools.protoc", *_roots(roots), f"--descriptor_set_out={target}",
          "--include_imports", *files])
    return split_descriptor_set(target.read_bytes())


def moonstub_descriptors(roots: list[Path | str], files: list[str]) -> dict[str, bytes]:
    proc = _run([MOONSTUB, *_roots(roots), f"--lua-test={DUMP_SCRIPT}", *files])
    return parse_dump(proc.stdout)


def plugin_descriptors(roots: list[Path | str], files: list[str], out: Path) -> dict[str, bytes]:
    request = out / "request.bin"
    capture = out / "protoc-gen-capture"
    # the request is saved; the response claims proto3 optional and editions 2023-2024
    # (supported_features = 3, minimum_edition = EDITION_PROTO2, maximum_edition = EDITION_2024)
    response = b"\x10\x03\x18" + bytes([0xE6, 0x07]) + b"\x20" + bytes([0xE9, 0x07])
    capture.write_text(f"#!{sys.executable}\nimport sys\n"
                       f"open({str(request)!r}, 'wb').write(sys.stdin.buffer.read())\n"
                       f"sys.stdout.buffer.write({response!r})\n")
    capture.chmod(capture.stat().st_mode | stat.S_IXUSR)
    plugin = out / "protoc-gen-moonstub"  # moonstub is a plugin under that name
    if not plugin.exists():
        plugin.symlink_to(os.path.abspath(MOONSTUB))
    _run([sys.executable, "-m", "grpc_tools.protoc", *_roots(roots), f"--plugin=protoc-gen-capture={capture}",
          f"--capture_out=rules={DUMP_POLICY}:{out}", *files])
    proc = _run([str(plugin)], input=request.read_bytes())
    return parse_dump(proc.stdout)


_EDITION_2026 = re.compile(r'^\s*edition\s*=\s*"2026"', re.M)
_IMPORT = re.compile(r'^\s*import\s+(?:public\s+|weak\s+|option\s+)?"([^"]+)"\s*;', re.M)


def protoc_accepts(roots: list[Path], name: str, seen: set[str] | None = None) -> bool:
    """False for a file that is, or imports, edition 2026 (beyond protoc 35), or
    imports a file found in no root."""
    seen = set() if seen is None else seen
    if name in seen:
        return True
    seen.add(name)
    path = next((root / name for root in [*roots, Path(GRPC_TOOLS_INCLUDE)] if (root / name).is_file()), None)
    if path is None:
        return False
    text = path.read_text(encoding="utf-8")
    return not _EDITION_2026.search(text) and all(protoc_accepts(roots, dep, seen) for dep in _IMPORT.findall(text))
