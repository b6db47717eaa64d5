"""The Python package from a clean tree: `pip wheel .` builds a wheel that works
in a fresh venv with nothing else installed (docs/install.md).

Slow (a CMake build, a venv), so it runs only with MOONSTUB_PACKAGING=1:

    MOONSTUB_PACKAGING=1 .venv/bin/python -m pytest -q -s tests/py/packaging

The build needs what `pip install .` needs: Debian's liblua5.4-dev and
lua-lpeg-dev, a C compiler, CMake, and the package index for the build backend
(scikit-build-core, pinned in pyproject.toml). protoc (Debian's
protobuf-compiler) is needed for the plugin check.

The tree copied is what git would ship: tracked files and untracked ones that
are not ignored (`git ls-files --cached --others --exclude-standard`), as they
are in the working tree, so build outputs (build/, .venv/) do not leak in. The
installed package is then run with the repository off sys.path and the working
folder elsewhere. With -s, the build time, the wheel size and the install time
are printed (and written to measurements.json in the test's temporary folder).
"""

from __future__ import annotations

import filecmp
import json
import os
import re
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]

pytestmark = pytest.mark.skipif(
    os.environ.get("MOONSTUB_PACKAGING") != "1",
    reason="slow packaging test (builds a wheel and a venv); set MOONSTUB_PACKAGING=1",
)


class Installed:
    """A wheel built from a copy of the tree and installed into a fresh venv."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.src = root / "src"
        self.wheelhouse = root / "wheelhouse"
        self.venv = root / "venv"
        self.work = root / "work"  # the working folder of every command run in the venv
        self.wheel: Path | None = None
        self.measurements: dict[str, float | int | str] = {}

    @property
    def bin(self) -> Path:
        return self.venv / "bin"

    @property
    def python(self) -> Path:
        return self.bin / "python"

    def env(self) -> dict[str, str]:
        """The environment of the venv's commands: nothing that points back at
        the repository or picks a codec."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "MOONSTUB", "VIRTUAL_ENV"))}
        env["PATH"] = f"{self.bin}{os.pathsep}{env.get('PATH', '')}"
        env["PYTHONNOUSERSITE"] = "1"
        return env

    def run(self, *args: str | Path, cwd: Path | None = None,
            input: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
        """A command in the venv; fails the test on a nonzero status."""
        proc = subprocess.run(
            [str(a) for a in args], check=False, cwd=cwd or self.work, env=self.env(), input=input, capture_output=True
        )
        assert proc.returncode == 0, (
            f"{args} exited {proc.returncode}\nstdout:\n{proc.stdout.decode(errors='replace')}\n"
            f"stderr:\n{proc.stderr.decode(errors='replace')}"
        )
        return proc


def _copy_tree(dest: Path) -> int:
    """The files git would ship, as they are in the working tree."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO, check=True, capture_output=True,
    ).stdout.decode().split("\0")
    copied = 0
    for rel in filter(None, listed):
        src = REPO / rel
        if not os.path.lexists(src):  # deleted in the working tree, not yet in git
            continue
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, target, follow_symlinks=False)
        copied += 1
    return copied


def _tree(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    inst = Installed(tmp_path_factory.mktemp("packaging"))
    inst.work.mkdir()
    inst.measurements["files_copied"] = _copy_tree(inst.src)

    start = time.perf_counter()
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", ".", "--no-deps", "-w", str(inst.wheelhouse)],
        check=False, cwd=inst.src, capture_output=True,
    )
    inst.measurements["pip_wheel_seconds"] = round(time.perf_counter() - start, 2)
    assert built.returncode == 0, f"pip wheel failed:\n{built.stdout.decode()}\n{built.stderr.decode()}"
    wheels = list(inst.wheelhouse.glob("moonstub-*.whl"))
    assert len(wheels) == 1, wheels
    inst.wheel = wheels[0]
    inst.measurements["wheel"] = inst.wheel.name
    inst.measurements["wheel_bytes"] = inst.wheel.stat().st_size

    subprocess.run([sys.executable, "-m", "venv", str(inst.venv)], check=True, capture_output=True)
    start = time.perf_counter()
    # --no-index: the wheel must need nothing from anywhere else
    inst.run(inst.python, "-m", "pip", "install", "--no-index", "--disable-pip-version-check", str(inst.wheel))
    inst.measurements["pip_install_seconds"] = round(time.perf_counter() - start, 2)

    (inst.root / "measurements.json").write_text(json.dumps(inst.measurements, indent=2) + "\n")
    return inst


def _version_h() -> str:
    text = (REPO / "core" / "version.h").read_text()
    match = re.search(r'^#define\s+MS_VERSION\s+"([^"]+)"', text, re.MULTILINE)
    assert match, "core/version.h has no MS_VERSION"
    return match.group(1)


def test_measurements(installed: Installed, capsys: pytest.CaptureFixture[str]) -> None:
    with capsys.disabled():
        print(f"\npackaging: {json.dumps(installed.measurements)}")
    assert installed.wheel is not None and installed.wheel.stat().st_size < 5_000_000


def test_wheel_contents(installed: Installed) -> None:
    assert installed.wheel is not None
    with zipfile.ZipFile(installed.wheel) as whl:
        infos = {i.filename: i for i in whl.infolist()}
    names = set(infos)
    for required in ("moonstub/__init__.py", "moonstub/__main__.py", "moonstub/_cli.py", "moonstub/py.typed",
                     "moonstub/bin/moonstub"):
        assert required in names, sorted(names)
    assert [n for n in names if re.fullmatch(r"moonstub/_native\..*\.so", n)], sorted(names)
    assert "moonstub/_native.c" not in names
    assert infos["moonstub/bin/moonstub"].external_attr >> 16 & 0o111, "the binary lost its executable bits"
    # nothing from the tree but the package itself
    assert all(n.startswith(("moonstub/", "moonstub-")) for n in names), sorted(names)


def test_binary_links_lua_statically(installed: Installed) -> None:
    """Lua and LPeg are inside the binary; only the C library is dynamic."""
    readelf = shutil.which("readelf")
    if readelf is None:
        pytest.skip("readelf (binutils) not installed")
    binary = next(installed.venv.glob("lib/python*/site-packages/moonstub/bin/moonstub"))
    dynamic = subprocess.run([readelf, "-d", str(binary)], check=True, capture_output=True, text=True).stdout
    needed = set(re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", dynamic))
    assert needed, dynamic
    assert not [lib for lib in needed if "lua" in lib], needed
    assert needed <= {"libc.so.6", "libm.so.6", "libdl.so.2", "ld-linux-x86-64.so.2"}, needed


def test_version_agrees(installed: Installed) -> None:
    cli = installed.run(installed.bin / "moonstub", "--version").stdout.decode().strip()
    meta = installed.run(
        installed.python, "-c", "import importlib.metadata as m; print(m.version('moonstub'))"
    ).stdout.decode().strip()
    assert cli == f"moonstub {meta}"
    assert meta == _version_h()


def test_python_m_moonstub(installed: Installed) -> None:
    direct = installed.run(installed.bin / "moonstub", "--version").stdout
    assert installed.run(installed.python, "-m", "moonstub", "--version").stdout == direct
    # and an error status comes through the exec
    proc = subprocess.run(
        [str(installed.python), "-m", "moonstub", "no-such-file.proto"],
        check=False, cwd=installed.work, env=installed.env(), capture_output=True,
    )
    assert proc.returncode == 1, proc
    assert b"no-such-file.proto" in proc.stderr


def test_import_is_cheap_and_installed(installed: Installed) -> None:
    """`import moonstub` loads neither the extension nor the CLI, and what is
    imported comes from the venv, not the repository."""
    code = (
        "import sys, moonstub\n"
        "assert 'moonstub._native' not in sys.modules and 'moonstub._cli' not in sys.modules, sorted(sys.modules)\n"
        "import moonstub._native, moonstub._cli\n"
        "print(moonstub.__file__); print(moonstub._native.__file__); print(moonstub._cli.binary())\n"
    )
    paths = installed.run(installed.python, "-c", code).stdout.decode().split()
    assert len(paths) == 3
    for path in paths:
        assert Path(path).resolve().is_relative_to(installed.venv.resolve()), path
        assert not Path(path).resolve().is_relative_to(REPO), path


def _greeter(installed: Installed, name: str) -> Path:
    """A folder with the greeter schema, outside the repository."""
    protos = installed.work / name / "protos"
    protos.mkdir(parents=True)
    shutil.copy(REPO / "examples" / "greeter" / "greeter.proto", protos / "greeter.proto")
    return protos.parent


@pytest.mark.parametrize(
    ("case", "option"), [("messages", None), ("grpc", "grpc=true"), ("vendored", "runtime=vendored")]
)
def test_generate_roundtrip_and_plugin(installed: Installed, case: str, option: str | None) -> None:
    base = _greeter(installed, case)
    cli_out, plugin_out = base / "cli", base / "plugin"
    cli_out.mkdir()
    plugin_out.mkdir()

    cli: list[str | Path] = [installed.bin / "moonstub", "-I", "protos", "protos/greeter.proto",
                             f"--python_out={cli_out}"]
    if option:
        cli += ["--opt", option]
    if case == "vendored":
        probe = subprocess.run([str(a) for a in cli], check=False, cwd=base, env=installed.env(), capture_output=True)
        if probe.returncode != 0 and b"runtime" in probe.stderr:
            pytest.skip("this moonstub has no runtime option")
    installed.run(*cli, cwd=base)
    assert "demo_greeter.py" in _tree(cli_out)
    if case == "vendored":
        assert "_moonstub.py" in _tree(cli_out)

    # the generated module, on the installed package's native codec; its
    # runtime (`_ms`) is the installed moonstub.runtime, or _moonstub.py
    # beside it with --opt runtime=vendored
    code = (
        "import sys, demo_greeter\n"
        "ms = demo_greeter._ms\n"
        "assert ms.CODEC == 'native', ms.CODEC\n"
        "req = demo_greeter.HelloRequest(name='w\\u00f6rld')\n"
        "data = req.SerializeToString()\n"
        "assert data == b'\\n\\x06w\\xc3\\xb6rld', data\n"
        "back = demo_greeter.HelloRequest.FromString(data)\n"
        "assert back.name == 'w\\u00f6rld' and back == req, back\n"
        "assert demo_greeter.HelloReply.FromString("
        "demo_greeter.HelloReply(reply='hi').SerializeToString()).reply == 'hi'\n"
        "import moonstub._native\n"
        "assert moonstub._native.__file__.startswith(sys.prefix), moonstub._native.__file__\n"
        "print(ms.CODEC)\n"
    )
    assert installed.run(installed.python, "-c", code, cwd=cli_out).stdout.strip() == b"native"

    protoc = shutil.which("protoc")
    if protoc is None:
        pytest.skip("protoc (Debian's protobuf-compiler) not installed")
    installed.run(
        protoc, "-I", "protos", f"--plugin=protoc-gen-moonstub={installed.bin / 'protoc-gen-moonstub'}",
        f"--moonstub_out={plugin_out}", *([f"--moonstub_opt={option}"] if option else []), "protos/greeter.proto",
        cwd=base,
    )
    files = _tree(cli_out)
    assert _tree(plugin_out) == files
    _, mismatch, errors = filecmp.cmpfiles(cli_out, plugin_out, files, shallow=False)
    assert not mismatch and not errors, (mismatch, errors)


def test_plugin_script_speaks_protocol(installed: Installed) -> None:
    """protoc-gen-moonstub reads a CodeGeneratorRequest on stdin (here an empty
    one) and answers a CodeGeneratorResponse, which starts with its
    supported_features (field 2, varint: tag 0x10); called as moonstub, the
    same input is "no input files"."""
    proc = installed.run(installed.bin / "protoc-gen-moonstub", input=b"")
    assert proc.stdout[:1] == b"\x10", proc.stdout[:200]
    cli = subprocess.run(
        [str(installed.bin / "moonstub")], check=False, input=b"", cwd=installed.work, env=installed.env(),
        capture_output=True,
    )
    assert cli.returncode == 1 and b"no input files" in cli.stderr, cli


def test_greeter_runs_from_the_installed_package(installed: Installed) -> None:
    """What CI does: the greeter example (a real grpc.aio server and client)
    generated and run with nothing but the installed wheel and grpcio."""
    pins = {line.split("==")[0]: line.strip() for line in (REPO / "requirements.txt").read_text().splitlines()
            if "==" in line and not line.startswith("#")}
    installed.run(installed.python, "-m", "pip", "install", "-q", "--disable-pip-version-check", pins["grpcio"])
    proc = installed.run("bash", REPO / "examples" / "greeter" / "run_demo.sh", installed.bin / "moonstub",
                         installed.python, "greeter.proto")
    out = proc.stdout.decode()
    assert "Hello, Fory" in out, out
    code = "import moonstub, moonstub.runtime as r; print(moonstub.__file__, r.CODEC)"
    where, codec = installed.run(installed.python, "-c", code).stdout.decode().split()
    assert Path(where).resolve().is_relative_to(installed.venv.resolve()) and codec == "native"
