"""Runs native_driver.py under valgrind's memcheck and judges the report
(tests/valgrind/README.md).

    python tests/valgrind/check_native.py GENERATED_DIR OUT_DIR [ROUNDS]

The interpreter is the one running this script (sys.executable: the real
binary, not a pyenv shim, which valgrind would trace instead); it must import
the native codec as moonstub._native (PYTHONPATH). The driver runs with
PYTHONMALLOC=malloc, so that every Python object is a block valgrind sees, and
MOONSTUB_CODEC=native. Valgrind writes OUT_DIR/native.xml, kept for reading.

What fails, and why the rest does not:

* invalid reads and writes, invalid or mismatched frees, overlapping copies and
  the like: anywhere. A reference released once too often by the extension is
  a use after free that CPython's own code meets later, so the stack need not
  show the extension.
* use of uninitialised values (conditions, addresses, system call arguments):
  when a frame of the extension is on the stack of the use, or on the stack
  where valgrind says the value was created (--track-origins). CPython itself
  is not always clean: the pyenv-built 3.11.7 of the development machine reads
  the unset digit of a new int whose value is 0 (maybe_small_long, after
  int.from_bytes, int(str) and &) and valgrind then reports later uses of the
  pointer it got, some 1,700 errors in 34 places of the interpreter alone;
  Debian's 3.11.2 reports none.
* leaks "definitely lost" and "indirectly lost" whose allocation stack has a
  frame of the extension. CPython frees most, not all, of its memory at exit:
  those blocks are not ours. "Possibly lost" and "still reachable" blocks are
  not listed (--show-leak-kinds=definite,indirect): objects still tracked by
  the garbage collector stay reachable through its lists, so a leaked message
  instance is not "lost" for valgrind; the driver counts live objects for that.

The frames of the extension are those in its shared object (the path of
moonstub._native) or in a file named _native.c.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

HERE = Path(__file__).resolve().parent
UNINIT = {"UninitCondition", "UninitValue", "SyscallParam"}
LOST = {"Leak_DefinitelyLost", "Leak_IndirectlyLost"}
SHOWN = 3  # failing errors printed in full


def frames(stack: ET.Element | None) -> list[dict[str, str]]:
    if stack is None:
        return []
    return [{child.tag: child.text or "" for child in frame} for frame in stack.findall("frame")]


def describe(error: ET.Element) -> str:
    """valgrind's text of an error: what, then its stacks and the lines
    between them, in the report's order."""
    lines = []
    for child in error:
        if child.tag in ("what", "auxwhat"):
            lines.append(f"  {child.text}")
        elif child.tag in ("xwhat", "xauxwhat"):
            lines.append(f"  {child.findtext('text')}")
        elif child.tag == "stack":
            for f in frames(child)[:12]:
                where = f"{f['file']}:{f['line']}" if f.get("file") else Path(f.get("obj", "?")).name
                lines.append(f"    {f.get('fn', '?')} ({where})")
    return "\n".join(lines)


def main() -> int:
    gen, out = Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve()
    rounds = sys.argv[3] if len(sys.argv) > 3 else "10"
    out.mkdir(parents=True, exist_ok=True)
    xml = out / "native.xml"
    xml.unlink(missing_ok=True)
    try:
        from moonstub import _native  # type: ignore[attr-defined]
    except ImportError as exc:
        print(f"check_native: the native codec cannot be imported: {exc}", file=sys.stderr)
        return 1
    ours = os.path.realpath(_native.__file__)

    def is_ours(stack: list[dict[str, str]]) -> bool:
        return any(f.get("file") == "_native.c" or (f.get("obj") and os.path.realpath(f["obj"]) == ours)
                   for f in stack)

    env = dict(os.environ, PYTHONMALLOC="malloc", MOONSTUB_CODEC="native")
    command = [
        "valgrind", "--tool=memcheck", "--xml=yes", f"--xml-file={xml}", "--track-origins=yes",
        "--num-callers=40", "--leak-check=full", "--show-leak-kinds=definite,indirect",
        "--errors-for-leak-kinds=definite,indirect",
        sys.executable, str(HERE / "native_driver.py"), str(gen), rounds,
    ]
    print(f"check_native: {ours} under valgrind ({sys.executable})", flush=True)
    started = time.monotonic()
    try:
        status = subprocess.run(command, env=env).returncode
    except FileNotFoundError:
        print("check_native: valgrind is not installed (apt-get install valgrind)", file=sys.stderr)
        return 1
    seconds = time.monotonic() - started
    if not xml.exists() or xml.stat().st_size == 0:
        print(f"check_native: valgrind wrote no report (exit status {status})", file=sys.stderr)
        return 1
    try:
        root = ET.parse(xml).getroot()
    except ET.ParseError as exc:  # valgrind died before closing the document
        print(f"check_native: {xml} is not a complete report ({exc}); exit status {status}", file=sys.stderr)
        return 1

    counts = {pair.findtext("unique"): int(pair.findtext("count") or 0) for pair in root.iter("pair")}
    failing: list[ET.Element] = []
    ignored = ignored_times = 0
    lost_bytes = lost_blocks = 0
    for error in root.findall("error"):
        kind = error.findtext("kind") or ""
        stacks = [frames(s) for s in error.findall("stack")]
        mine = any(is_ours(s) for s in stacks)  # the use, and where the value was made or allocated
        if kind in LOST:
            lost_bytes += int(error.findtext("xwhat/leakedbytes") or 0)
            lost_blocks += int(error.findtext("xwhat/leakedblocks") or 0)
        if kind in UNINIT | LOST and not mine:
            ignored += 1
            ignored_times += counts.get(error.findtext("unique"), 1)
            continue
        failing.append(error)

    print(f"check_native: valgrind took {seconds:.0f} s; {len(failing)} error(s) of the extension; "
          f"ignored {ignored} error context(s) ({ignored_times} occurrence(s)) of CPython alone, "
          f"definitely and indirectly lost in all: {lost_bytes} bytes in {lost_blocks} blocks; report in {xml}")
    # the largest leaks first: a leak per call shows as a loss record of about that many blocks
    failing.sort(key=lambda e: -int(e.findtext("xwhat/leakedblocks") or 0))
    for error in failing[:SHOWN]:
        print(describe(error))
    if len(failing) > SHOWN:
        print(f"  ... and {len(failing) - SHOWN} more in {xml}")
    if status != 0:
        print(f"check_native: the driver failed under valgrind (exit status {status})", file=sys.stderr)
    return 1 if failing or status != 0 else 0


if __name__ == "__main__":
    sys.exit(main())
