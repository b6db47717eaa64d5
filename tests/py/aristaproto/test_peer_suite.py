"""aristaproto 2.0.0.dev1's own service-level tests, run against moonstub's
``--rules aristaproto`` output (and, as the reference, against aristaproto's
own output, where they must pass too).

The test files come unchanged from ../shared/peers/aristaproto-2.0.0.dev1.tar.gz
(its ``tests/`` package); their ``.proto`` inputs are in peer_suite/inputs/
(see peer_suite/README.md). For each input the outputs its tests import
(``tests/outputs/<name>[_<options>]/``) are generated with the options of
aristaproto's tests/generate.py, by moonstub or by aristaproto's plugin, and
the selected test files run in a pytest subprocess. ADAPTATIONS lists every
change made to the test files (imports and fixtures only); NOT_APPLICABLE
lists the tests that cannot apply to moonstub, and why (docs/plugin.md has
the same list). Every other selected test must pass.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import xml.etree.ElementTree as ET
from pathlib import Path

import arista_helpers as h
import pytest

HERE = Path(__file__).resolve().parent
INPUTS = HERE / "peer_suite" / "inputs"


def _peers() -> Path:
    for candidate in (h.REPO.parent / "shared" / "peers", Path("/work/shared/peers")):
        if candidate.is_dir():
            return candidate
    return h.REPO.parent / "shared" / "peers"


TARBALL = _peers() / "aristaproto-2.0.0.dev1.tar.gz"

# The service-level test files: tests/grpc, tests/grpcio, the sync client,
# deprecation, __all__, documentation, and the tests of the service inputs.
TEST_FILES = [
    "tests/grpc/test_grpclib_client.py",
    "tests/grpc/test_grpclib_reflection.py",
    "tests/grpc/test_message_enum_descriptors.py",
    "tests/grpc/test_stream_stream.py",
    "tests/grpcio/test_grpcio_async_client.py",
    "tests/grpcio/test_grpcio_async_server.py",
    "tests/grpcio/test_grpcio_generated.py",
    "tests/test_sync_client.py",
    "tests/test_deprecated.py",
    "tests/test_all_definition.py",
    "tests/test_documentation.py",
    "tests/inputs/example_service/test_example_service.py",
    "tests/inputs/rpc_empty_input_message/test_rpc_empty_input_message.py",
    "tests/inputs/service_uppercase/test_service.py",
    "tests/inputs/import_service_input_message/test_import_service_input_message.py",
    "tests/inputs/googletypes_request/test_googletypes_request.py",
    "tests/inputs/googletypes_response/test_googletypes_response.py",
    "tests/inputs/googletypes_response_embedded/test_googletypes_response_embedded.py",
]

GRPCIO_BOTH = {"client_async_transport": "grpcio", "server_async_transport": "grpcio"}

# (input, options) of each output, as aristaproto's tests/generate.py makes
# them: client_generation=async_sync and server_generation=async unless given;
# the output folder is named after the input and the transports given.
OUTPUTS: list[tuple[str, dict[str, str]]] = [
    ("service", {}),
    ("service", {"client_generation": "async", "server_generation": "none", "client_async_transport": "grpcio"}),
    ("service", {"client_generation": "none", "server_generation": "async", "server_async_transport": "grpcio"}),
    ("service", {"client_generation": "async", "server_generation": "async", **GRPCIO_BOTH}),
    ("simple_service", {}),
    ("stream_stream", {}),
    ("service_separate_packages", {"client_generation": "async", "server_generation": "async", **GRPCIO_BOTH}),
    ("import_service_input_message", {"client_generation": "async"}),
    ("import_service_input_message", {"client_generation": "async", "server_generation": "async", **GRPCIO_BOTH}),
    ("deprecated", {"client_generation": "async"}),
    ("deprecated", {"client_generation": "async", "server_generation": "none", "client_async_transport": "grpcio"}),
    ("documentation", {"client_generation": "async"}),
    ("documentation", {"client_generation": "async", "server_generation": "async", **GRPCIO_BOTH}),
    ("enum", {}),
    ("example_service", {"client_generation": "async"}),
    ("rpc_empty_input_message", {"client_generation": "async"}),
    ("service_uppercase", {"client_generation": "async"}),
    ("googletypes_request", {"client_generation": "async"}),
    ("googletypes_response", {"client_generation": "async"}),
    ("googletypes_response_embedded", {"client_generation": "async"}),
    ("import_cousin_package_same_name", {"google_protobuf_descriptors": "true"}),
    ("import_cousin_package_same_name", {}),
]

# aristaproto's flags (its plugin takes them bare); moonstub takes key=true too
BARE_FLAGS = ("google_protobuf_descriptors", "pydantic_dataclasses")


def output_name(case: str, options: dict[str, str]) -> str:
    parts = [f"{key}_{options[key]}" for key in ("client_async_transport", "server_async_transport") if key in options]
    if options.get("google_protobuf_descriptors") == "true":
        parts.append("descriptors")  # tests/generate.py's suffix
    return "_".join([case, *parts])


# Tests that cannot apply to moonstub's output, and why. Node ids relative to the work folder.
# The grpclib reflection one is not run at all (its input, grpclib_reflection
# with aristaproto's google_proto_descriptor_pool module, is not generated for
# either side).
NOT_RUN = ("tests/grpc/test_grpclib_reflection.py::test_grpclib_reflection",)
NOT_APPLICABLE: dict[str, str] = {
    "tests/grpc/test_grpclib_reflection.py::test_grpclib_reflection":
        "needs aristaproto's google_proto_descriptor_pool module and grpclib's reflection service over "
        "google.protobuf descriptors; moonstub serves reflection itself (moonstub.reflection)",
    "tests/grpc/test_grpclib_client.py::test_service_call_mutable_defaults":
        "spies on _unary_unary, a private helper of aristaproto's grpclib ServiceStub, which moonstub's "
        "clients do not inherit",
    "tests/inputs/googletypes_request/test_googletypes_request.py::test_channel_receives_wrapped_type":
        "sets an attribute the messages do not declare (Timestamp().value = ...); moonstub's messages "
        "have __slots__",
}

# Failing on moonstub until messages.lua (not the services emitter) does what
# aristaproto's message code does under rules=aristaproto; each must still fail
# (remove it here once it passes).
PENDING: dict[str, str] = {}

# Changes to the unpacked test files: (file, old, new). Imports and fixtures only.
ADAPTATIONS: list[tuple[str, str, str]] = []


@pytest.fixture(scope="module")
def suite_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not TARBALL.is_file():
        pytest.fail(f"{TARBALL} not found (../shared/peers)")
    root = tmp_path_factory.mktemp("peer_suite")
    with tarfile.open(TARBALL) as tar:
        members = [m for m in tar.getmembers() if m.name.startswith("aristaproto-2.0.0.dev1/tests/")]
        tar.extractall(root, members=members, filter="data")
    return root / "aristaproto-2.0.0.dev1"


def _generate(work: Path, generator: str) -> None:
    outputs = work / "tests" / "outputs"
    outputs.mkdir()
    (outputs / "__init__.py").write_text("")
    for case, given in OUTPUTS:
        options = {"client_generation": "async_sync", "server_generation": "async", **given}
        out = outputs / output_name(case, given)
        protos = tuple(sorted(p.name for p in (INPUTS / case).glob("*.proto")))
        if generator == "moonstub":
            proc = h.run_generator("cli", out, {"rules": "aristaproto", **options}, proto_dir=INPUTS / case,
                                   protos=protos)
            (out / "__init__.py").touch()
        else:
            params = [key if key in BARE_FLAGS and value == "true" else f"{key}={value}"
                      for key, value in options.items()]
            proc = h.run_peer(out, params, proto_dir=INPUTS / case, protos=protos)
        assert proc.returncode == 0, f"{generator} failed on {case} {given}:\n{proc.stderr}"


def _run(work: Path, generator: str) -> dict[str, str]:
    """Runs the selected test files; returns node id -> passed / failed / skipped."""
    for name, old, new in ADAPTATIONS:
        path = work / name
        text = path.read_text(encoding="utf-8")
        assert old in text, (name, old)
        path.write_text(text.replace(old, new), encoding="utf-8")
    report = work / f"report-{generator}.xml"
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
           "-o", "asyncio_default_fixture_loop_scope=function",
           "--rootdir", str(work), f"--junitxml={report}", *TEST_FILES]
    for node in NOT_RUN:
        cmd += ["--deselect", node]
    proc = subprocess.run(cmd, cwd=work, capture_output=True, text=True, timeout=600, env=env, check=False)
    assert report.is_file(), proc.stdout[-3000:] + proc.stderr[-3000:]
    outcomes: dict[str, str] = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        classname, name = case.get("classname", ""), case.get("name", "")
        node = classname.replace(".", "/") + ".py::" + name
        if case.find("failure") is not None or case.find("error") is not None:
            detail = (case.find("failure") if case.find("failure") is not None else case.find("error"))
            outcomes[node] = "failed: " + (detail.get("message", "") if detail is not None else "")[:300]
        elif case.find("skipped") is not None:
            skipped = case.find("skipped")
            kind = skipped.get("type", "") if skipped is not None else ""
            outcomes[node] = "xfailed" if "xfail" in kind else "skipped"
        else:
            outcomes[node] = "passed"
    return outcomes


@pytest.mark.parametrize("generator", ["moonstub", "aristaproto"])
def test_peer_suite(suite_root: Path, tmp_path: Path, generator: str) -> None:
    h.require_peer()
    work = tmp_path / "work"
    work.mkdir()
    subprocess.run(["cp", "-r", str(suite_root / "tests"), str(work / "tests")], check=True)
    _generate(work, generator)
    outcomes = _run(work, generator)
    assert len(outcomes) == 66, sorted(outcomes)
    # the peer's own expected failures (pytest.mark.xfail) are expected on both
    failed = {node: result for node, result in outcomes.items() if result not in ("passed", "xfailed")}
    counts = {k: sum(1 for r in outcomes.values() if r.split(":")[0] == k) for k in ("passed", "xfailed")}
    if generator == "moonstub":
        applicable = {node: r for node, r in failed.items() if node not in NOT_APPLICABLE and node not in PENDING}
        assert applicable == {}, "\n".join(f"{n}: {r}" for n, r in applicable.items())
        now_passing = [node for node in PENDING if outcomes.get(node) == "passed"]
        assert now_passing == [], f"these pass now: remove them from PENDING: {now_passing}"
        print(f"aristaproto's suite on moonstub: {counts['passed']} passed, {len(NOT_APPLICABLE)} not applicable, "
              f"{len(PENDING)} pending (messages.lua), {counts['xfailed']} xfailed (the peer's own)")
    else:
        assert failed == {}, "\n".join(f"{n}: {r}" for n, r in failed.items())
        print(f"aristaproto's suite on aristaproto: {counts['passed']} passed, {counts['xfailed']} xfailed")
    assert set(NOT_APPLICABLE) - set(NOT_RUN) <= set(outcomes) and set(PENDING) <= set(outcomes)
    assert not set(NOT_RUN) & set(outcomes)
