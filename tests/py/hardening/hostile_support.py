"""Helpers of test_hostile_names.py: generate a corpus file with moonstub,
load the output without leaking module names into other tests, run
``mypy --strict`` on it, and drive every message class through the codec and
the JSON mapping."""

from __future__ import annotations

import atexit
import os
import re
import shutil
import subprocess
import sys
import tempfile
import types
import typing
import uuid
from pathlib import Path

import support

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "protos" / "hostile"

# grpcio has no type stubs in the venv; _moonstub_grpc.py's package-layout
# fallback (`from . import _moonstub`) cannot be analysed in the flat layout,
# so mypy does not follow it there (it is moonstub's fixed support module,
# not a function of the schema).
MYPY_INI = """[mypy]
strict = True
ignore_missing_imports = True
[mypy-_moonstub_grpc]
follow_imports = skip
"""

MYPY_CACHE = Path(tempfile.gettempdir()) / f"moonstub_hostile_mypy_cache_{os.getpid()}"
atexit.register(shutil.rmtree, MYPY_CACHE, True)

LOCATION = re.compile(r"(?m)^(\S+\.proto):(\d+):(\d+): error: (.*)$")


class Generated:
    """One moonstub run over proto files (corpus names or ``{name: text}``)."""

    def __init__(self, tmp: Path, protos: list[str] | dict[str, str], rules: str = "default",
                 grpc: str | None = None, extra: tuple[str, ...] = ()) -> None:
        self.tmp = tmp
        self.rules = rules
        self.token = f"hx_{uuid.uuid4().hex[:10]}"
        if isinstance(protos, dict):
            src = tmp / f"src_{self.token}"
            src.mkdir()
            for name, text in protos.items():
                (src / name).write_text(text)
            names = list(protos)
        else:
            src = CORPUS
            names = list(protos)
        self.src = src
        # aristaproto's output is a package: give it a unique top-level name
        self.out = tmp / self.token if rules == "aristaproto" else tmp / f"out_{self.token}"
        # run in the schema folder with -I . so that diagnostics show "name.proto:line:col"
        args = ["-I", ".", *names, f"--python_out={self.out}", f"--rules={rules}", "--opt", "runtime=vendored",
                *extra]
        if grpc:
            args += ["--grpc", f"--grpc-python-mode={grpc}"]
        self.cmd = [support.MOONSTUB, *args]
        proc = support.run_moonstub(*args, cwd=src, timeout=60)
        self.returncode = proc.returncode
        self.stderr = proc.stderr
        self._loaded: dict[str, types.ModuleType] = {}

    # -- results ---------------------------------------------------------------------------------

    def ok(self) -> Generated:
        assert self.returncode == 0, f"{' '.join(self.cmd)}\n{self.stderr}"
        return self

    def files(self) -> list[str]:
        return sorted(str(p.relative_to(self.out)) for p in self.out.rglob("*.py"))

    def errors(self) -> list[tuple[str, int, int, str]]:
        """(file name, line, col, message) of every located error."""
        return [(Path(f).name, int(line), int(col), msg) for f, line, col, msg in LOCATION.findall(self.stderr)]

    def source(self, module: str) -> str:
        return (self.out / self._path(module)).read_text()

    def _path(self, module: str) -> str:
        if self.rules == "aristaproto":
            parts = module.split(".")
            if parts[-1].startswith("_"):
                return "/".join(parts) + ".py"
            return "/".join(parts) + "/__init__.py"
        return module + ".py"

    # -- loading ---------------------------------------------------------------------------------

    def module(self, name: str) -> types.ModuleType:
        """Imports a generated module: ``hostile_kw`` (default rules) or
        ``hostile.kw`` / ``hostile.kw._grpc`` (aristaproto)."""
        if name in self._loaded:
            return self._loaded[name]
        if self.rules == "aristaproto":
            # under the package named by the unique token, which stays in sys.modules
            full = f"{self.token}.{name}"
            self._loaded[name] = support.load_modules(self.tmp, [full], keep=True)[full]
            return self._loaded[name]
        # flat layout: the modules import each other by plain names, which other
        # tests use too; import them all at once, then put sys.modules back
        plain = sorted(p.stem for p in self.out.glob("*.py"))
        order = sorted(plain, key=lambda n: (not n.startswith("_moonstub"), n.endswith("_grpc"), n))
        self._loaded.update(support.load_modules(self.out, order))
        return self._loaded[name]

    # -- mypy ------------------------------------------------------------------------------------

    def mypy(self, exclude: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
        """``mypy --strict`` over every generated module (the gRPC support
        module aside, see MYPY_INI, and the files in ``exclude``)."""
        ini = self.tmp / f"mypy_{self.token}.ini"
        ini.write_text(MYPY_INI)
        # one cache for the session: _moonstub.py is the same file in every run
        common = [sys.executable, "-m", "mypy", "--config-file", str(ini), "--cache-dir", str(MYPY_CACHE)]
        if self.rules == "aristaproto":
            return subprocess.run([*common, "-p", self.token], cwd=self.tmp, capture_output=True, text=True,
                                  timeout=120, check=False)
        targets = [f for f in self.files() if f != "_moonstub_grpc.py" and f not in exclude]
        return subprocess.run([*common, *targets], cwd=self.out, capture_output=True, text=True, timeout=120,
                              check=False)


# ---- exercising every message class --------------------------------------------------------------


def _value(ms: types.ModuleType, kind: int, typ: typing.Any, depth: int, seed: int) -> typing.Any:
    if kind in (ms.MESSAGE, ms.GROUP):
        return build(ms, typ, depth + 1, seed) if depth < 3 else typ()
    if kind == ms.ENUM:
        members = list(typ)
        return members[seed % len(members)]
    if kind == ms.STRING:
        return f"s{seed}\u00e9"
    if kind == ms.BYTES:
        return bytes([seed % 256, 0, 255])
    if kind == ms.BOOL:
        return True
    if kind in (ms.FLOAT, ms.DOUBLE):
        return 1.5 + seed
    if kind in (ms.INT32, ms.SINT32, ms.SFIXED32, ms.INT64, ms.SINT64, ms.SFIXED64):
        return -7 - seed
    return 7 + seed


def build(ms: types.ModuleType, cls: type, depth: int = 0, seed: int = 1) -> typing.Any:
    """An instance of ``cls`` with every field set (one member per oneof),
    through the keyword arguments the field table names."""
    kwargs: dict[str, typing.Any] = {}
    oneofs: set[str] = set()
    for i, f in enumerate(ms.fields_of(cls)):
        if f.oneof is not None and f.presence and not f.oneof.startswith("_"):
            if f.oneof in oneofs:
                continue
            oneofs.add(f.oneof)
        if f.map_key:
            key = True if f.map_key == ms.BOOL else _value(ms, f.map_key, None, depth, seed + i)
            kwargs[f.attr] = {key: _value(ms, f.map_value, f.map_type, depth, seed + i)}
        elif f.repeated:
            kwargs[f.attr] = [_value(ms, f.kind, f.type, depth, seed + i)]
        else:
            kwargs[f.attr] = _value(ms, f.kind, f.type, depth, seed + i)
    return cls(**kwargs)


def exercise(ms: types.ModuleType, prefix: str) -> list[str]:
    """Every registered class under ``prefix``: build, encode, decode, JSON
    both ways, repr; returns the full names done."""
    done = []
    for full, cls in sorted(ms.REGISTRY.items()):
        if not full.startswith(prefix):
            continue
        msg = build(ms, cls)
        data = msg.SerializeToString()
        assert cls.FromString(data) == msg, full
        assert cls.FromString(data).SerializeToString() == data, full
        assert cls.from_dict(msg.to_dict()) == msg, (full, msg.to_dict())
        assert cls.from_json(msg.to_json()) == msg, (full, msg.to_json())
        assert cls() == cls.FromString(b""), full
        repr(msg)
        done.append(full)
    assert done, f"no classes under {prefix}"
    return done


def works(gen: Generated, modules: list[str], prefix: str,
          mypy_exclude: tuple[str, ...] = ()) -> dict[str, types.ModuleType]:
    """The generated code imports, passes mypy --strict and round-trips."""
    gen.ok()
    loaded = {m: gen.module(m) for m in modules}
    exercise(gen.module("_moonstub"), prefix)
    result = gen.mypy(mypy_exclude)
    assert result.returncode == 0, f"mypy --strict failed:\n{result.stdout[-6000:]}"
    return loaded


def works_or_refused(gen: Generated, modules: list[str], prefix: str, names: list[str]) -> None:
    """For a known bug, either outcome the fix may choose: the code works
    (imports, mypy --strict, round trip), or generation fails with exit 1 and
    a located error (file:line:col) that names every IDL name in ``names``."""
    if gen.returncode == 0:
        works(gen, modules, prefix)
        return
    assert gen.returncode == 1, gen.stderr
    errors = gen.errors()
    assert errors, f"no located error:\n{gen.stderr}"
    text = "\n".join(m for *_, m in errors)
    for name in names:
        assert f'"{name}"' in text or f".{name} " in text or f".{name}(" in text, (name, gen.stderr)
    assert not gen.out.exists() or not any(gen.out.iterdir())


# ---- protobuf as the reference ---------------------------------------------------------------------


def protobuf_classes(tmp: Path, src: Path, names: list[str]) -> typing.Any:
    """protobuf message classes for the given files, from protoc's descriptor
    set in a private pool (no clash with other tests' descriptors).
    ``result(full_name)`` gives the class."""
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

    out = tmp / f"fds_{uuid.uuid4().hex[:8]}.pb"
    proc = subprocess.run([sys.executable, "-m", "grpc_tools.protoc", "-I", str(src), "--include_imports",
                           f"--descriptor_set_out={out}", *names], capture_output=True, text=True, timeout=60,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    pool = descriptor_pool.DescriptorPool()
    for f in descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes()).file:
        pool.Add(f)
    return lambda full_name: message_factory.GetMessageClass(pool.FindMessageTypeByName(full_name))
