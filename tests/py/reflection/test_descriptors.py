"""``file.descriptor`` against protoc: every file's serialized
FileDescriptorProto must be byte for byte what ``python -m grpc_tools.protoc
--descriptor_set_out --include_imports`` writes for it, in CLI mode (from the
.proto text) and in plugin mode (from protoc's CodeGeneratorRequest, whose
copies of imported files protoc neither strips nor orders canonically: moonstub
round-trips them as protoc does before writing a descriptor set).

Schemas: protobuf's own test schemas (every one protoc 35 accepts), the
editions golden files, tests/py/protos, tests/py/reflection/protos, a
googleapis sample (pubsub, spanner, compute, api/annotations), and all of
googleapis in CLI mode when ``make test-corpus`` left its descriptor set.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reflection_helpers import (CORPUS, GOOGLEAPIS, PROTOS, REPO, moonstub_descriptors, plugin_descriptors,
                      protoc_accepts, protoc_descriptors, split_descriptor_set)

SRC = CORPUS / "src"
GOOGLEAPIS_SAMPLE = [
    "google/api/annotations.proto",
    "google/pubsub/v1/pubsub.proto",
    "google/spanner/v1/spanner.proto",
    "google/spanner/admin/database/v1/spanner_database_admin.proto",
    "google/cloud/compute/v1/compute.proto",
]


def _protobuf_files() -> list[str]:
    if not SRC.is_dir():
        return []
    names = (str(p.relative_to(SRC)) for p in sorted(SRC.rglob("*.proto")))
    return [n for n in names if protoc_accepts([SRC], n)]


def _edition_files() -> list[str]:
    golden = CORPUS / "editions"
    if not golden.is_dir():
        return []
    names = (str(p.relative_to(CORPUS)) for p in sorted(golden.rglob("*.proto")))
    return [n for n in names if protoc_accepts([CORPUS, SRC], n)]


def _local(root: Path) -> list[str]:
    return [str(p.relative_to(root)) for p in sorted(root.rglob("*.proto"))]


# (id, roots, files compiled together)
GROUPS: list[tuple[str, list[Path | str], list[str]]] = [
    ("protobuf", [SRC], _protobuf_files()),
    ("editions", [CORPUS, SRC], _edition_files()),
    ("reflection-protos", [PROTOS], _local(PROTOS)),
    ("googleapis-sample", [GOOGLEAPIS, SRC], GOOGLEAPIS_SAMPLE if GOOGLEAPIS.is_dir() else []),
]
# each of tests/py/protos alone: some define the same names
GROUPS += [(f"py-protos/{name}", [REPO / "tests" / "py" / "protos"], [name])
           for name in _local(REPO / "tests" / "py" / "protos")]


def _differences(expected: dict[str, bytes], got: dict[str, bytes]) -> list[str]:
    out = []
    for name, data in expected.items():
        if name not in got:
            out.append(f"{name}: no descriptor")
        elif got[name] != data:
            at = next((i for i, (a, b) in enumerate(zip(data, got[name])) if a != b), min(len(data), len(got[name])))
            out.append(f"{name}: {len(got[name])} bytes, protoc {len(data)}; first difference at {at}: "
                       f"protoc {data[at:at + 24].hex()} moonstub {got[name][at:at + 24].hex()}")
    return out


@pytest.fixture(scope="module")
def protoc_sets(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, bytes]]:
    """protoc's descriptors of each group, made once."""
    sets = {}
    for ident, roots, files in GROUPS:
        if files:
            sets[ident] = protoc_descriptors(roots, files, tmp_path_factory.mktemp("protoc"))
    return sets


@pytest.mark.parametrize("ident, roots, files", GROUPS, ids=[g[0] for g in GROUPS])
def test_cli_descriptors_equal_protoc(moonstub_bin: str, protoc_sets: dict[str, dict[str, bytes]], ident: str,
                                      roots: list[Path | str], files: list[str]) -> None:
    if not files:
        pytest.skip(f"no schemas for {ident} (corpus not unpacked?)")
    expected = protoc_sets[ident]
    got = moonstub_descriptors(roots, files)
    assert set(got) == set(expected)
    assert _differences(expected, got) == []


@pytest.mark.parametrize("ident, roots, files", GROUPS, ids=[g[0] for g in GROUPS])
def test_plugin_descriptors_equal_protoc(moonstub_bin: str, protoc_sets: dict[str, dict[str, bytes]],
                                         tmp_path: Path, ident: str, roots: list[Path | str],
                                         files: list[str]) -> None:
    if not files:
        pytest.skip(f"no schemas for {ident} (corpus not unpacked?)")
    expected = protoc_sets[ident]
    got = plugin_descriptors(roots, files, tmp_path)
    assert set(got) == set(expected)
    assert _differences(expected, got) == []


def test_all_of_googleapis_in_one_run(moonstub_bin: str, tmp_path: Path) -> None:
    """Every googleapis file outside preview/ (7,234, and the 11 files they
    import from protobuf), compiled in one run as the corpus suite does."""
    if not GOOGLEAPIS.is_dir():
        pytest.skip("googleapis corpus not unpacked")
    files = [str(p.relative_to(GOOGLEAPIS)) for p in sorted(GOOGLEAPIS.rglob("*.proto"))
             if p.relative_to(GOOGLEAPIS).parts[0] != "preview"]
    left_by_corpus = REPO / "build" / "corpus-work" / "googleapis.pb"  # make test-corpus's
    if left_by_corpus.is_file() and left_by_corpus.stat().st_mtime > GOOGLEAPIS.stat().st_mtime:
        expected = split_descriptor_set(left_by_corpus.read_bytes())
    else:
        expected = protoc_descriptors([GOOGLEAPIS, SRC], files, tmp_path)
    got = moonstub_descriptors([GOOGLEAPIS, SRC], files)
    assert len(got) == len(expected) > len(files)
    assert _differences(expected, got) == []


def test_fory_and_flatbuffers_files_have_no_descriptor(moonstub_bin: str) -> None:
    """Only .proto files have a FileDescriptorProto: `descriptor` is nil elsewhere."""
    greeter = REPO / "examples" / "greeter"
    if not (greeter / "greeter.fdl").is_file():
        pytest.skip("no .fdl example")
    assert moonstub_descriptors([greeter], ["greeter.fdl"]) == {}
