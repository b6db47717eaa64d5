"""Docs that run: every runnable code block of README.md, docs/*.md and
examples/custom-emitter/README.md, run.

A fenced block is runnable when its info string is ``sh run`` or ``python run``
(a plain ``sh`` block is only shown). docs/cli.md ("Docs that run") documents
the convention for writers; in short:

* each document gets one temporary folder, the blocks of a document run in
  it in the order they appear (a block may use what an earlier one wrote);
* the folder holds a copy of ``examples/`` and ``build``, a link to the folder
  of the binary under test (``MOONSTUB``, default the repository's build/);
* ``PATH`` starts with that folder (``moonstub``, ``protoc-gen-moonstub``) and
  .venv/bin (``python``, ``buf``); ``PYTHONPATH`` is empty, so ``moonstub``
  is the installed runtime;
* ``sh run`` blocks run with ``bash -euo pipefail``; ``python run`` blocks
  with .venv's python as if typed into it in that folder (the folder is on
  ``sys.path``).

Each block is one test, named ``file:line`` (the line of its opening fence); a
block that exits non-zero fails with its text and its output. Selecting one
block (``-k``) runs the blocks before it in its document first.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

import support

REPO = support.REPO
BIN_DIR = Path(support.MOONSTUB).parent
VENV_BIN = REPO / ".venv" / "bin"
PYTHON = VENV_BIN / "python"
LANGUAGES = ("sh", "python")
BLOCK_TIMEOUT = 120  # seconds; the slowest block today takes under 2
# Documents whose first examples are marked runnable: marks removed by mistake
# fail test_documents_have_runnable_blocks.
MUST_RUN = ("README.md", "docs/python.md", "docs/grpc.md", "docs/fory.md", "docs/plugin.md", "docs/cli.md",
            "docs/lua-api.md", "examples/custom-emitter/README.md")

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$")


@dataclasses.dataclass(frozen=True)
class Block:
    doc: str  # path relative to the repository
    line: int  # line of the opening fence, from 1
    language: str
    code: str

    @property
    def name(self) -> str:
        return f"{self.doc}:{self.line}"


def extract(doc: str, text: str) -> tuple[list[Block], list[str]]:
    """The runnable blocks of one Markdown text, and the problems found: a block
    whose info string looks marked (``... run``) in a language that is not
    run, or a fence never closed."""
    blocks: list[Block] = []
    problems: list[str] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        match = _FENCE.match(lines[i])
        if not match:
            i += 1
            continue
        fence, info = match.group(1), match.group(2).strip()
        start = i
        body: list[str] = []
        i += 1
        while i < len(lines):
            close = _FENCE.match(lines[i])
            if close and close.group(1).startswith(fence) and not close.group(2).strip():
                break
            body.append(lines[i])
            i += 1
        else:
            problems.append(f"{doc}:{start + 1}: code block never closed")
        i += 1
        words = info.split()
        if len(words) >= 2 and words[-1] == "run":
            if len(words) == 2 and words[0] in LANGUAGES:
                blocks.append(Block(doc, start + 1, words[0], "\n".join(body) + "\n"))
            else:
                problems.append(f"{doc}:{start + 1}: info string {info!r} is not runnable: "
                                "use `sh run` or `python run`")
    return blocks, problems


def documents() -> list[Path]:
    return [REPO / "README.md", *sorted((REPO / "docs").glob("*.md")), REPO / "examples/custom-emitter/README.md"]


def all_blocks() -> list[Block]:
    found: list[Block] = []
    for path in documents():
        found += extract(str(path.relative_to(REPO)), path.read_text(encoding="utf-8"))[0]
    return found


BLOCKS = all_blocks()


def environment(base: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(BIN_DIR), str(VENV_BIN), env.get("PATH", "")])
    env["PYTHONPATH"] = ""
    env.pop("PYTHONHOME", None)
    env["BUF_CACHE_DIR"] = str(base / "buf-cache")  # buf writes nothing under $HOME
    return env


def make_workdir(base: Path) -> Path:
    """``base/work``: the folder a document's blocks run in."""
    work = base / "work"
    work.mkdir(parents=True)
    shutil.copytree(REPO / "examples", work / "examples")
    (work / "build").symlink_to(BIN_DIR, target_is_directory=True)
    return work


def run_block(block: Block, base: Path) -> tuple[int, str]:
    """Runs one block in ``base/work``; its exit status and output (stdout and
    stderr interleaved)."""
    script = base / "blocks" / f"L{block.line}.{'sh' if block.language == 'sh' else 'py'}"
    script.parent.mkdir(exist_ok=True)
    script.write_text(block.code, encoding="utf-8")
    if block.language == "sh":
        command = ["bash", "-euo", "pipefail", str(script)]
    else:
        # As if typed into python started in the folder: "" (the folder) is
        # sys.path[0]; run_path keeps the script's name in tracebacks.
        command = [str(PYTHON), "-c", f"import runpy; runpy.run_path({str(script)!r}, run_name='__main__')"]
    try:
        done = subprocess.run(
            command, cwd=base / "work", env=environment(base), stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=BLOCK_TIMEOUT,
        )
    except subprocess.TimeoutExpired as timeout:
        output = timeout.stdout.decode("utf-8", "replace") if timeout.stdout else ""
        return -1, output + f"\n(stopped after {BLOCK_TIMEOUT} s)"
    return done.returncode, done.stdout.decode("utf-8", "replace")


def failure(block: Block, status: int, output: str) -> str:
    return (f"{block.name}: the `{block.language} run` block exited with status {status}\n"
            f"--- block ---\n{block.code}--- output ---\n{output}")


@dataclasses.dataclass
class _Document:
    base: Path
    ran: set[int] = dataclasses.field(default_factory=set)


@pytest.fixture(scope="session")
def doc_state(tmp_path_factory: pytest.TempPathFactory) -> dict[str, _Document]:
    del tmp_path_factory  # only to be sure pytest's temporary root exists
    return {}


def _document(doc: str, states: dict[str, _Document], factory: pytest.TempPathFactory) -> _Document:
    if doc not in states:
        base = factory.mktemp(re.sub(r"[^A-Za-z0-9]+", "-", doc))
        make_workdir(base)
        states[doc] = _Document(base)
    return states[doc]


@pytest.mark.parametrize("block", BLOCKS, ids=[b.name for b in BLOCKS])
def test_block(block: Block, doc_state: dict[str, _Document], tmp_path_factory: pytest.TempPathFactory) -> None:
    state = _document(block.doc, doc_state, tmp_path_factory)
    for earlier in BLOCKS:
        if earlier.doc == block.doc and earlier.line < block.line and earlier.line not in state.ran:
            status, output = run_block(earlier, state.base)
            state.ran.add(earlier.line)
            if status != 0:
                pytest.fail(f"an earlier block of the document failed:\n{failure(earlier, status, output)}",
                            pytrace=False)
    status, output = run_block(block, state.base)
    state.ran.add(block.line)
    if status != 0:
        pytest.fail(failure(block, status, output), pytrace=False)


def test_no_misspelt_markers() -> None:
    problems: list[str] = []
    for path in documents():
        problems += extract(str(path.relative_to(REPO)), path.read_text(encoding="utf-8"))[1]
    assert problems == []


def test_documents_have_runnable_blocks() -> None:
    counts = {doc: sum(1 for b in BLOCKS if b.doc == doc) for doc in MUST_RUN}
    assert all(counts.values()), f"documents without a runnable block: {counts}"


# The runner itself, on a document written here.

SAMPLE = textwrap.dedent("""\
    # Sample

    ```sh
    exit 3
    ```

    ```sh run
    build/moonstub -I examples/greeter examples/greeter/greeter.proto --python_out=gen
    ```

    ````markdown
    ```sh run
    this is text inside a four-backtick block, not a block
    ```
    ````

    ~~~python run
    import os, sys
    print(os.environ["PYTHONPATH"] == "", sys.path[0] == "")
    sys.path.insert(0, "gen")
    import demo_greeter
    print(demo_greeter.HelloRequest(name="Ada").to_json())
    ~~~

    ```shell run
    echo never
    ```

    ```sh run
    echo to stdout; echo to stderr >&2; false; echo not reached
    ```
    """)


def test_extract_finds_only_marked_blocks() -> None:
    blocks, problems = extract("sample.md", SAMPLE)
    assert [(b.line, b.language) for b in blocks] == [(7, "sh"), (17, "python"), (29, "sh")]
    assert blocks[0].code == "build/moonstub -I examples/greeter examples/greeter/greeter.proto --python_out=gen\n"
    assert problems == ["sample.md:25: info string 'shell run' is not runnable: use `sh run` or `python run`"]
    assert extract("open.md", "```sh run\necho\n")[1] == ["open.md:1: code block never closed"]


def test_runner_shares_the_folder_and_reports_failures(tmp_path: Path) -> None:
    make_workdir(tmp_path)
    generate, use, fail = extract("sample.md", SAMPLE)[0]
    assert run_block(generate, tmp_path) == (0, "")
    status, output = run_block(use, tmp_path)
    assert (status, output) == (0, 'True True\n{"name":"Ada"}\n'), output
    status, output = run_block(fail, tmp_path)
    assert status == 1
    assert output == "to stdout\nto stderr\n"
    message = failure(fail, status, output)
    assert message.startswith("sample.md:29: the `sh run` block exited with status 1\n")
    assert "echo not reached" in message and "to stderr" in message


def test_make_demo_builds_every_binary_the_docs_use(tmp_path: Path) -> None:
    # the docs call build/moonstub and build/protoc-gen-moonstub right after `make demo`
    plan = subprocess.run(["make", "-n", "demo", f"BUILD={tmp_path}"], cwd=REPO, capture_output=True, text=True,
                          timeout=120, check=False)
    assert plan.returncode == 0, plan.stderr
    assert f"-o {tmp_path}/moonstub " in plan.stdout
    assert f"ln -sf moonstub {tmp_path}/protoc-gen-moonstub" in plan.stdout
