"""Output integrity: a failed run leaves the output folder as it was, and
concurrent runs into one folder never leave a torn or mixed file.

(a) The folder is first filled with an older generation (schema v1) plus a
file of the user's, and every mtime is set to 2001-01-01. A run of schema v2
that fails -- a schema error, a Lua error in the last emitter, a naming
policy that raises, an emitter that reports an error, a full disk (simulated
with RLIMIT_FSIZE, SIGXFSZ ignored so write() fails with EFBIG, and, when
mounting is allowed, a real ENOSPC on a small tmpfs) -- must exit 1 with a
clear message and leave the tree byte-identical: same entries, same
contents, same file mtimes and modes, no temporary files. Where nothing may
be written at all (errors before the write phase), directory mtimes are
compared too; a failed write phase creates and removes temporary files, which
changes the mtime of their folder, so there only file mtimes are compared.

(b) Eight runs of different schemas and options that write the same file
names start at once into one folder, ten rounds: every run exits 0, and every
file at the end equals that file of one run's complete output (generated
alone beforehand), never a truncated or interleaved one; no temporary file
remains.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

import support

HERE = Path(__file__).resolve().parent
MOONSTUB = support.MOONSTUB
OLD = 978307200_000_000_000  # 2001-01-01T00:00:00Z in ns

V1 = """syntax = "proto3";
package integ.v1;

// Version one.
message Point {
  int32 x = 1;
  int32 y = 2;
}

service Plotter {
  rpc Plot (Point) returns (Point);
}
"""

# v2 changes every generated module of v1 and adds a package (a new module)
V2 = """syntax = "proto3";
package integ.v1;
import "extra.proto";

// Version two.
message Point {
  int32 x = 1;
  int32 y = 2;
  string label = 3;
  integ.extra.Tag tag = 4;
}

service Plotter {
  rpc Plot (Point) returns (Point);
  rpc Trace (Point) returns (stream Point);
}
"""

EXTRA = """syntax = "proto3";
package integ.extra;

message Tag {
  string name = 1;
}
"""

# v2 without the new package: changes v1's modules, adds no folder
V2_SAME_PACKAGES = V2.replace('import "extra.proto";\n', "").replace("  integ.extra.Tag tag = 4;\n", "")
assert V2_SAME_PACKAGES.count("extra") == 0

V2_BROKEN = V2.replace("integ.extra.Tag tag = 4;", "integ.extra.Tga tag = 4;")

OK_EMITTER = """local M = {}
function M.emit(ctx)
  for _, f in ipairs(ctx.schema.files) do
    if f.is_target then
      ctx:file((f.path:gsub("%.proto$", ".notes.txt"))):line("notes for %s", f.path)
    end
  end
end
return M
"""

BOOM_EMITTER = """local M = {}
function M.emit(ctx)
  local w = ctx:file("boom.txt")
  w:line("this file must never appear")
  error("boom from the last emitter")
end
return M
"""

REPORTING_EMITTER = """local M = {}
function M.emit(ctx)
  ctx:file("reported.txt"):line("this file must never appear")
  for _, f in ipairs(ctx.schema.files) do
    if f.is_target and #f.messages > 0 then
      ctx:error(f.messages[1], "refused by the reporting emitter")
    end
  end
end
return M
"""

RAISING_POLICY = """return {
  field = function(field, default)
    if field.name == "label" then error("policy refuses field label") end
    return default(field)
  end,
}
"""


# ---- helpers -------------------------------------------------------------------------------------


def moonstub(*args: str, cwd: Path | None = None, preexec=None) -> subprocess.CompletedProcess[str]:
    """Runs moonstub (``support.run_moonstub``); `preexec` (from fsize_limit) is a file-size limit in bytes."""
    if preexec is None:
        return support.run_moonstub(*args, cwd=cwd, timeout=60)
    return subprocess.run(limited([support.check_binary(), *args], preexec), capture_output=True, text=True,
                          timeout=60, cwd=cwd, check=False)


def snapshot(root: Path, dir_mtimes: bool = True) -> dict[str, tuple]:
    """Every entry under root (root included): kind, mode, mtime and, for
    files, the content."""
    out: dict[str, tuple] = {}
    if not root.exists():
        return out
    for path in [root, *sorted(root.rglob("*"))]:
        st = path.lstat()
        rel = str(path.relative_to(root))
        if path.is_symlink():
            out[rel] = ("link", os.readlink(path))
        elif path.is_dir():
            out[rel] = ("dir", st.st_mode, st.st_mtime_ns if dir_mtimes else None)
        else:
            out[rel] = ("file", st.st_mode, st.st_mtime_ns, path.read_bytes())
    return out


def diff(before: dict[str, tuple], after: dict[str, tuple]) -> str:
    lines = []
    for key in sorted(set(before) | set(after)):
        a, b = before.get(key), after.get(key)
        if a == b:
            continue
        if a is None:
            lines.append(f"new: {key} {b[:3]}")
        elif b is None:
            lines.append(f"gone: {key}")
        else:
            what = [name for name, x, y in zip(("kind", "mode", "mtime", "content"), a, b) if x != y]
            lines.append(f"changed {', '.join(what)}: {key}")
    return "\n".join(lines)


def set_old_mtimes(root: Path) -> None:
    for path in sorted(root.rglob("*"), reverse=True):
        os.utime(path, ns=(OLD, OLD), follow_symlinks=False)
    os.utime(root, ns=(OLD, OLD))


def leftovers(root: Path) -> list[str]:
    return [str(p.relative_to(root)) for p in root.rglob("*") if ".tmp" in p.name]


class Project:
    """A schema folder (v1 or v2) and an output folder holding v1's generation."""

    def __init__(self, base: Path, rules: str = "default", out: Path | None = None) -> None:
        self.base = base
        self.src = base / "src"
        self.src.mkdir()
        self.out = out or base / "out"
        self.rules = rules
        self.write_schema(V1)
        proc = self.generate()
        assert proc.returncode == 0, proc.stderr
        (self.out / "USER_NOTES.txt").write_text("the user's own file\n")
        set_old_mtimes(self.out)

    def write_schema(self, text: str, extra: bool = False) -> None:
        (self.src / "plot.proto").write_text(text)
        if extra:
            (self.src / "extra.proto").write_text(EXTRA)

    def generate(self, *more: str, out: Path | None = None, preexec=None) -> subprocess.CompletedProcess[str]:
        return moonstub("-I", str(self.src), str(self.src / "plot.proto"), f"--python_out={out or self.out}",
                        "--grpc", f"--rules={self.rules}", *more, preexec=preexec)


def check_unchanged(proj: Project, before: dict, proc: subprocess.CompletedProcess[str], *needles: str,
                    dir_mtimes: bool = True) -> None:
    assert proc.returncode == 1, (proc.returncode, proc.stderr)
    for needle in needles:
        assert needle in proc.stderr, proc.stderr
    assert "error" in proc.stderr
    after = snapshot(proj.out, dir_mtimes)
    assert after == before, "the output folder changed:\n" + diff(before, after)
    assert leftovers(proj.out) == []


def fsize_limit(limit: int) -> int:
    return limit


# The limit is set by a fresh Python that then execs the command: a
# preexec_fn would run in a fork of this process, where grpc's threads (other
# tests load grpc) make the child abort now and then.
_LIMITER = ("import os, resource, signal, sys\n"
            "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
            "limit = int(sys.argv[1])\n"
            "resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))\n"
            "os.execv(sys.argv[2], sys.argv[2:])\n")


def limited(cmd: list[str], limit: int | None) -> list[str]:
    """`cmd` run with RLIMIT_FSIZE = limit bytes (SIGXFSZ ignored: writes fail with EFBIG)."""
    if limit is None:
        return cmd
    return [sys.executable, "-c", _LIMITER, str(limit), *cmd]


def v2_reference(tmp_path: Path, rules: str = "default", schema: str = V2) -> dict[str, bytes]:
    """v2's complete output, generated into an empty folder."""
    ref = tmp_path / f"ref_{rules}"
    src = tmp_path / f"ref_src_{rules}"
    src.mkdir()
    (src / "plot.proto").write_text(schema)
    (src / "extra.proto").write_text(EXTRA)
    proc = moonstub("-I", str(src), str(src / "plot.proto"), f"--python_out={ref}", "--grpc", f"--rules={rules}")
    assert proc.returncode == 0, proc.stderr
    return {str(p.relative_to(ref)): p.read_bytes() for p in ref.rglob("*") if p.is_file()}


# ---- (a) errors leave the folder as it was ---------------------------------------------------------


def test_v2_really_changes_every_module(tmp_path):
    """The premise of the tests below: v2 rewrites v1's modules and adds one."""
    proj = Project(tmp_path)
    before = snapshot(proj.out)
    proj.write_schema(V2, extra=True)
    proc = proj.generate()
    assert proc.returncode == 0, proc.stderr
    changed = diff(before, snapshot(proj.out)).splitlines()
    assert any(c.startswith("new: integ_extra.py ") for c in changed), changed
    assert any(c.endswith(": integ_v1.py") for c in changed), changed
    assert any(c.endswith(": integ_v1_grpc.py") for c in changed), changed
    assert not any("USER_NOTES" in c or c.endswith(": _moonstub.py") for c in changed), changed


def test_unchanged_files_keep_their_mtime(tmp_path):
    proj = Project(tmp_path)
    before = snapshot(proj.out)
    proc = proj.generate()
    assert proc.returncode == 0, proc.stderr
    assert snapshot(proj.out) == before, diff(before, snapshot(proj.out))


def test_schema_error(tmp_path):
    proj = Project(tmp_path)
    before = snapshot(proj.out)
    proj.write_schema(V2_BROKEN, extra=True)
    proc = proj.generate()
    check_unchanged(proj, before, proc, 'plot.proto:10:3: error: "integ.extra.Tga" is not defined')


def test_missing_import(tmp_path):
    proj = Project(tmp_path)
    before = snapshot(proj.out)
    proj.write_schema(V2)  # extra.proto is not there
    proc = proj.generate()
    check_unchanged(proj, before, proc, "extra.proto")


@pytest.mark.parametrize("rules", ["default", "aristaproto"])
def test_lua_error_in_the_last_emitter(tmp_path, rules):
    """The built-in Python emitter and a first extra emitter have produced
    their files when the last emitter raises."""
    proj = Project(tmp_path, rules)
    before = snapshot(proj.out)
    proj.write_schema(V2, extra=True)
    (tmp_path / "ok.lua").write_text(OK_EMITTER)
    (tmp_path / "boom.lua").write_text(BOOM_EMITTER)
    proc = proj.generate(f"--emitter={tmp_path / 'ok.lua'}", f"--emitter={tmp_path / 'boom.lua'}")
    check_unchanged(proj, before, proc, "boom from the last emitter", "boom.lua:5:")
    # the same emitters without the failing one do write
    proc = proj.generate(f"--emitter={tmp_path / 'ok.lua'}")
    assert proc.returncode == 0, proc.stderr
    assert (proj.out / "plot.notes.txt").read_text() == "notes for plot.proto\n"


def test_lua_error_in_the_last_emitter_with_out_folder(tmp_path):
    """--out DIR holding an older generation of its own: neither folder changes."""
    proj = Project(tmp_path)
    other = tmp_path / "other"
    proj.generate(out=other)
    set_old_mtimes(other)
    before, before_other = snapshot(proj.out), snapshot(other)
    proj.write_schema(V2, extra=True)
    (tmp_path / "ok.lua").write_text(OK_EMITTER)
    (tmp_path / "boom.lua").write_text(BOOM_EMITTER)
    proc = proj.generate(f"--out={other}", f"--emitter={tmp_path / 'ok.lua'}", f"--emitter={tmp_path / 'boom.lua'}")
    check_unchanged(proj, before, proc, "boom from the last emitter")
    assert snapshot(other) == before_other, diff(before_other, snapshot(other))


def test_emitter_reports_an_error(tmp_path):
    proj = Project(tmp_path)
    before = snapshot(proj.out)
    proj.write_schema(V2, extra=True)
    (tmp_path / "rep.lua").write_text(REPORTING_EMITTER)
    proc = proj.generate(f"--emitter={tmp_path / 'rep.lua'}")
    check_unchanged(proj, before, proc, "plot.proto:6:9: error: refused by the reporting emitter")


def test_emitter_writes_outside_the_folder(tmp_path):
    proj = Project(tmp_path)
    before = snapshot(proj.out)
    proj.write_schema(V2, extra=True)
    (tmp_path / "escape.lua").write_text(
        'return { emit = function(ctx) ctx:file("../escaped.txt"):line("x") end }\n')
    proc = proj.generate(f"--emitter={tmp_path / 'escape.lua'}")
    check_unchanged(proj, before, proc, '"../escaped.txt"')
    assert not (tmp_path / "escaped.txt").exists()


def test_naming_policy_raises(tmp_path):
    """A Lua error in the middle of the built-in emitter (through a policy hook)."""
    proj = Project(tmp_path)
    before = snapshot(proj.out)
    proj.write_schema(V2, extra=True)
    (tmp_path / "policy.lua").write_text(RAISING_POLICY)
    proc = moonstub("-I", str(proj.src), str(proj.src / "plot.proto"), f"--python_out={proj.out}", "--grpc",
                    f"--rules={tmp_path / 'policy.lua'}")
    check_unchanged(proj, before, proc, "policy refuses field label")




@pytest.mark.parametrize("rules,new_package", [
    ("default", True),
    ("aristaproto", False),
    pytest.param("aristaproto", True),
])
def test_full_disk_rlimit_fsize(tmp_path, rules, new_package):
    """RLIMIT_FSIZE just below the size of each changed or new file in turn (so
    the smaller ones were written to temporaries first), and 0. With
    aristaproto, a new package is a new folder (integ/extra/)."""
    schema = V2 if new_package else V2_SAME_PACKAGES
    ref = v2_reference(tmp_path, rules, schema)
    (tmp_path / "p").mkdir()
    proj = Project(tmp_path / "p", rules)
    proj.write_schema(schema, extra=new_package)
    before = snapshot(proj.out, dir_mtimes=False)
    changed = {p: data for p, data in ref.items() if before.get(p, (None,) * 4)[3:] != (data,)}
    assert len(changed) >= (3 if new_package else 2), sorted(changed)
    limits = sorted({0, *(len(data) - 1 for data in changed.values())})
    for limit in limits:
        proc = proj.generate(preexec=fsize_limit(limit))
        check_unchanged(proj, before, proc, "File too large", dir_mtimes=False)
        assert proc.stderr.startswith("moonstub: error: cannot write "), proc.stderr
    # with room, the same run works and gives the reference output
    proc = proj.generate()
    assert proc.returncode == 0, proc.stderr
    for path, data in ref.items():
        assert (proj.out / path).read_bytes() == data, path


def test_full_disk_leaves_no_new_folders(tmp_path):
    """Writing into a folder that does not exist yet, and aristaproto's package
    folders: after the failure, none of the folders may remain."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "plot.proto").write_text(V2)
    (src / "extra.proto").write_text(EXTRA)
    out = tmp_path / "gen" / "py"
    for rules in ("default", "aristaproto"):
        proc = moonstub("-I", str(src), str(src / "plot.proto"), f"--python_out={out}", "--grpc",
                        f"--rules={rules}", preexec=fsize_limit(100))
        assert proc.returncode == 1 and "File too large" in proc.stderr, proc.stderr
        assert not (tmp_path / "gen").exists(), sorted(str(p) for p in tmp_path.rglob("*"))


def test_failed_rename_leaves_the_folder_unchanged(tmp_path):
    """A folder where a generated file should go (integ_v1_grpc.py/): the run
    fails, and integ_v1.py, renamed before, must not have been replaced."""
    proj = Project(tmp_path)
    (proj.out / "integ_v1_grpc.py").unlink()
    (proj.out / "integ_v1_grpc.py").mkdir()
    set_old_mtimes(proj.out)
    before = snapshot(proj.out, dir_mtimes=False)
    proj.write_schema(V2, extra=True)
    proc = proj.generate()
    check_unchanged(proj, before, proc, "integ_v1_grpc.py: Is a directory", dir_mtimes=False)


def _mount_tmpfs(where: Path, size: str) -> bool:
    if os.geteuid() != 0:
        return False
    where.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                          capture_output=True, text=True, check=False)
    return proc.returncode == 0


@pytest.mark.parametrize("room_kib", [0, 2, 4, 8])  # all less than the new output
def test_full_disk_enospc_tmpfs(tmp_path, room_kib):
    """A real ENOSPC: the output folder on a 1 MiB tmpfs, filled up to
    ``room_kib`` KiB after v1's generation (root only; skipped where mount is
    not allowed)."""
    mnt = Path(tempfile.mkdtemp(prefix="ms_tmpfs_"))
    if not _mount_tmpfs(mnt, "1m"):
        mnt.rmdir()
        pytest.skip("cannot mount a tmpfs here (needs root and mount rights)")
    try:
        proj = Project(tmp_path, out=mnt / "out")  # only the output folder is on the tmpfs
        filler = mnt / "filler"
        st = os.statvfs(mnt)
        free = st.f_bavail * st.f_frsize
        with open(filler, "wb") as f:
            f.write(b"\0" * max(0, free - room_kib * 1024))
        os.utime(proj.out, ns=(OLD, OLD))
        before = snapshot(proj.out, dir_mtimes=False)
        proj.write_schema(V2, extra=True)
        proc = proj.generate()
        check_unchanged(proj, before, proc, "No space left on device", dir_mtimes=False)
        filler.unlink()
        proc = proj.generate()
        assert proc.returncode == 0, proc.stderr
    finally:
        subprocess.run(["umount", str(mnt)], check=False)
        mnt.rmdir()


def test_python_out_and_out_are_separate(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "plot.proto").write_text(V1)
    (tmp_path / "ok.lua").write_text(OK_EMITTER)
    proc = moonstub("-I", str(src), str(src / "plot.proto"), f"--python_out={tmp_path / 'py'}",
                    f"--out={tmp_path / 'notes'}", f"--emitter={tmp_path / 'ok.lua'}")
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "py" / "integ_v1.py").is_file(), sorted(str(p) for p in tmp_path.rglob("*"))
    assert (tmp_path / "notes" / "plot.notes.txt").is_file()
    assert not (tmp_path / "notes" / "integ_v1.py").exists()


# ---- (b) concurrent runs into one folder -----------------------------------------------------------

RUNS = 8
ROUNDS = 10


def _variant(k: int) -> str:
    """Schema k: the same package (so the same file names) with content and
    sizes that differ per variant; big enough that writes take a while."""
    lines = ['syntax = "proto3";', "package race.v1;", ""]
    for i in range(400):
        lines.append(f"// Variant {k}, message {i}: " + "lorem ipsum " * (1 + k % 3))
        lines.append(f"message M{i} {{ int64 a{k} = 1; string b{i} = 2; repeated M{i} kids = 3; }}")
    lines.append(f"service S{k % 2} {{ rpc Call{k} (M0) returns (M1); rpc Stream{k} (M0) returns (stream M1); }}")
    return "\n".join(lines) + "\n"


def _variant_args(k: int, src: Path, out: Path) -> list[str]:
    args = ["-I", str(src), str(src / "race.proto"), f"--python_out={out}", "--grpc"]
    if k % 2:
        args.append("--grpc-python-mode=sync")
    return args


def test_concurrent_runs_never_tear_a_file(tmp_path):
    refs: list[dict[str, bytes]] = []
    srcs = []
    for k in range(RUNS):
        src = tmp_path / f"src{k}"
        src.mkdir()
        (src / "race.proto").write_text(_variant(k))
        srcs.append(src)
        ref = tmp_path / f"ref{k}"
        proc = moonstub(*_variant_args(k, src, ref))
        assert proc.returncode == 0, proc.stderr
        refs.append({str(p.relative_to(ref)): p.read_bytes() for p in ref.rglob("*") if p.is_file()})
    names = set(refs[0])
    assert all(set(r) == names for r in refs)
    for name in ("race_v1.py", "race_v1_grpc.py"):
        assert len({r[name] for r in refs}) == RUNS, f"{name} should differ between all runs"

    out = tmp_path / "shared"
    winners: dict[str, set[int]] = {name: set() for name in names}
    mixed_rounds = 0
    for round_ in range(ROUNDS):
        if round_ % 3 == 0 and out.exists():
            for p in sorted(out.rglob("*"), reverse=True):
                p.unlink() if p.is_file() else p.rmdir()
        order = [(round_ + j) % RUNS for j in range(RUNS)]  # a different run starts first each round
        # a start barrier: each shell blocks opening the FIFO until the test opens
        # it for writing, so all eight exec moonstub at (nearly) the same moment
        fifo = tmp_path / f"go{round_}"
        os.mkfifo(fifo)
        procs = [subprocess.Popen(["/bin/sh", "-c", 'read x < "$0"; exec "$@"', str(fifo), MOONSTUB,
                                   *_variant_args(k, srcs[k], out)],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for k in order]
        time.sleep(0.2)
        with open(fifo, "w") as go:
            go.write("\n" * RUNS)
        for p in procs:
            _, err = p.communicate(timeout=120)
            assert p.returncode == 0, err
        round_winner: dict[str, int] = {}
        present = {str(p.relative_to(out)) for p in out.rglob("*")}
        assert present == names, f"round {round_}: {sorted(present ^ names)}"
        for name in names:
            data = (out / name).read_bytes()
            who = [k for k, r in enumerate(refs) if r[name] == data]
            assert who, f"round {round_}: {name} ({len(data)} bytes) is no run's output: torn or mixed"
            winners[name].add(who[0])
            round_winner[name] = who[0]
        if round_winner["race_v1.py"] != round_winner["race_v1_grpc.py"]:
            mixed_rounds += 1
    print(f"\nrounds whose race_v1.py and race_v1_grpc.py came from different runs: {mixed_rounds} of {ROUNDS}")
    print(f"\nfiles won by runs: { {n: sorted(w) for n, w in winners.items()} }")


def test_fsize_preexec_really_limits():
    """Sanity check of the simulation: a child with the limit gets EFBIG."""
    with tempfile.TemporaryDirectory() as d:
        target = Path(d) / "x"
        code = ("import os,sys\nfd=os.open(sys.argv[1],os.O_WRONLY|os.O_CREAT)\n"
                "try:\n  os.write(fd,b'x'*10)\nexcept OSError as e:\n  print(e.errno)\n")
        proc = subprocess.run(limited([shutil.which("python3") or sys.executable, "-c", code, str(target)],
                                      fsize_limit(0)), capture_output=True, text=True, check=False)
        assert proc.stdout.strip() == str(errno.EFBIG), proc
