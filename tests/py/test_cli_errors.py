"""The command line as a new user meets it (issue 20): source text that is not
UTF-8, one ``moonstub: error:`` line and exit status 1 for every user mistake
(with nothing written), errors in a user's Lua script, ``-`` for stdin,
``--help``, ``--progress`` and ``--quiet``."""

from __future__ import annotations

import os
import pty
import pwd
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import pytest
import support

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
MOONSTUB = support.MOONSTUB
GREETER = ROOT / "examples" / "greeter"

LATIN1_COMMENT = (
    b'syntax = "proto3";\n'
    b"package menu;\n"
    b"\n"
    b"// Caf\xe9 au lait, cr\xe8me br\xfbl\xe9e.\n"
    b"message Dish {\n"
    b"  /* Na\xefve\n"
    b"   * spelling. */\n"
    b"  string name = 1;\n"
    b"}\n"
)

LATIN1_STRING = b'syntax = "proto3";\npackage menu;\nmessage Dish {\n  string name = 1 [json_name = "caf\xe9"];\n}\n'


def run(*args: str, cwd: Path | None = None, stdin: bytes | None = None,
        user: str | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.pop("MOONSTUB_PATH", None)
    text_in = None if stdin is None else stdin.decode("utf-8", "surrogateescape")
    return subprocess.run([MOONSTUB, *args], check=False, input=text_in, capture_output=True, text=True,
                          errors="surrogateescape", cwd=cwd, env=env, timeout=120, user=user)


@pytest.fixture()
def proj(tmp_path: Path) -> Path:
    shutil.copy(GREETER / "greeter.proto", tmp_path / "greeter.proto")
    return tmp_path


def assert_one_error(result: subprocess.CompletedProcess[str], line: str) -> None:
    assert result.returncode == 1, result.stderr
    assert result.stderr == f"moonstub: error: {line}\n"
    assert result.stdout == ""


# ---- source text is UTF-8 ----------------------------------------------------------------------------


def generate_then_run(tmp_path: Path, name: str, source: bytes,
                      code: str) -> tuple[subprocess.CompletedProcess[str], str]:
    """Writes `source` as `name`, generates it into tmp_path/out (which must
    succeed) and runs `code` there; returns moonstub's run and what `code`
    printed."""
    (tmp_path / name).write_bytes(source)
    out = tmp_path / "out"
    result = run("-I.", name, f"--python_out={out}", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    check = subprocess.run([sys.executable, "-c", code], check=False, cwd=out, capture_output=True, text=True,
                           timeout=60)
    assert check.returncode == 0, check.stderr
    return result, check.stdout


def test_latin1_comment_is_a_warning_and_the_module_imports(tmp_path: Path) -> None:
    result, printed = generate_then_run(tmp_path, "menu.proto", LATIN1_COMMENT,
                                        "import menu; print(menu.Dish.__doc__); print(menu.Dish(name='x'))")
    assert result.stderr == (
        "menu.proto:4:7: warning: comment is not valid UTF-8 (byte 0xE9); bad bytes in this file's comments "
        "become U+FFFD; save the file as UTF-8\n"
        "// Caf\\xe9 au lait, cr\\xe8me br\\xfbl\\xe9e.\n"
        "      ^\n"
    )
    source = (tmp_path / "out" / "menu.py").read_bytes().decode("utf-8")  # strict: raises on a bad byte
    assert "Caf\ufffd au lait" in source
    assert printed.splitlines() == ["Caf\ufffd au lait, cr\ufffdme br\ufffdl\ufffde.", "Dish(name='x')"]


def test_nul_byte_in_a_comment_is_a_warning_and_the_comment_stays_whole(tmp_path: Path) -> None:
    # a NUL once ended the comment's text silently (it is kept as a C string)
    result, printed = generate_then_run(tmp_path, "nul.proto",
                                        b'syntax = "proto3";\npackage n;\n// before\x00after\nmessage M {}\n',
                                        "import n; print(n.M.__doc__)")
    assert result.stderr == (
        "nul.proto:3:10: warning: comment holds a NUL byte; NUL and bytes that are not UTF-8 in this file's "
        "comments become U+FFFD\n"
        "// before\\x00after\n"
        "         ^\n"
    )
    assert printed.strip() == "before\ufffdafter"


def test_an_include_folder_that_is_not_there_is_a_warning(proj: Path) -> None:
    # protoc warns too; the input is then found (or not) in the other roots
    result = run("-I", "nosuch", "-I", "greeter.proto", "-I.", "greeter.proto", "--python_out=py", cwd=proj)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ("moonstub: warning: -I nosuch: No such file or directory; no file is looked for there\n"
                             "moonstub: warning: -I greeter.proto: not a folder; no file is looked for there\n")
    assert (proj / "py" / "demo_greeter.py").is_file()
    assert run("-I", "nosuch", "-I.", "greeter.proto", "--check", "-q", cwd=proj).stderr == ""


def test_latin1_comment_in_fdl_and_fbs(tmp_path: Path) -> None:
    (tmp_path / "m.fdl").write_bytes(b"package m;\n// Caf\xe9\nmessage Dish {\n    string name = 1;\n}\n")
    (tmp_path / "t.fbs").write_bytes(b"namespace t;\n/// Caf\xe9\ntable Dish { name: string; }\n")
    for name in ("m.fdl", "t.fbs"):
        out = tmp_path / ("out_" + name)
        result = run("-I.", name, f"--python_out={out}", cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        assert re.match(rf"{re.escape(name)}:2:\d+: warning: comment is not valid UTF-8 \(byte 0xE9\)", result.stderr)
        for module in out.glob("*.py"):
            module.read_bytes().decode("utf-8")
            compile(module.read_bytes(), str(module), "exec")


def test_latin1_string_literal_is_a_located_error(tmp_path: Path) -> None:
    (tmp_path / "menu.proto").write_bytes(LATIN1_STRING)
    out = tmp_path / "out"
    result = run("-I.", "menu.proto", f"--python_out={out}", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr == (
        "menu.proto:4:36: error: string literal is not valid UTF-8 (byte 0xE9); save the file as UTF-8, "
        'or write the byte as an escape ("\\xE9")\n'
        '  string name = 1 [json_name = "caf\\xe9"];\n'
        "                                   ^\n"
    )
    assert not out.exists()


def test_file_name_must_be_utf8(tmp_path: Path) -> None:
    name = b"caf\xe9.proto"
    (tmp_path / os.fsdecode(name)).write_bytes(b'syntax = "proto3";\npackage m;\n')
    result = run("-I.", os.fsdecode(name), "--python_out=py", cwd=tmp_path)
    assert_one_error(result, "caf\\xe9.proto: the file name is not valid UTF-8; rename the file")
    assert not (tmp_path / "py").exists()


def test_generated_python_that_is_not_utf8_is_not_written(proj: Path) -> None:
    (proj / "latin1.lua").write_bytes(b'return { emit = function(ctx) ctx:file("x.py"):line("# caf\xe9") end }\n')
    result = run("-I.", "greeter.proto", "--python_out=py", "--emitter=latin1.lua", cwd=proj)
    assert_one_error(result, "generated x.py is not valid UTF-8 (byte 0xE9 on line 1); is a file name or a script's "
                             "text in another encoding?")
    assert not (proj / "py").exists()


def test_binary_input_is_shown_escaped(tmp_path: Path) -> None:
    (tmp_path / "blob.proto").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\xff")
    result = run("-I.", "blob.proto", cwd=tmp_path)
    assert result.returncode == 1
    result.stderr.encode("utf-8")  # no raw byte of the file reached stderr
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", result.stderr)
    assert "\\x89PNG" in result.stderr and "\\x1a" in result.stderr and "IHDR\\x00\\xff" in result.stderr


# ---- user mistakes: one line, exit 1, nothing written --------------------------------------------------

OPTIONS = ("client_async_transport, client_generation, codec, descriptors, google_protobuf_descriptors, grpc, "
           "grpc_python_mode, imports, pydantic_dataclasses, rules, runtime, server_async_transport, "
           "server_generation, "
           "M<file or package>")

MISTAKES = [
    (["--codec=json"], 'invalid value "json" for option codec (valid: fory, protobuf)'),
    (["--opt", "codec=json"], 'invalid value "json" for option codec (valid: fory, protobuf)'),
    (["--grpc-python-mode=trio"], 'invalid value "trio" for option grpc_python_mode (valid: aio, sync)'),
    (["--rules=nope"], 'unknown rules preset "nope" (presets: aristaproto, default)'),
    (["--rules=missing.lua"], 'cannot read the rules file "missing.lua": No such file or directory'),
    (["--opt", "rules=missing.lua"], 'cannot read the rules file "missing.lua": No such file or directory'),
    (["--emitter=nothere", "--out=o"],
     ('emitter "nothere" not found: no emitters/nothere.lua or nothere.lua in the search path '
      "(moonstub --list-emitters lists them)")),
    (["--emitter=missing.lua", "--out=o"], 'cannot read the emitter file "missing.lua": No such file or directory'),
    (["--opt", "colour=red"], f'unknown option "colour" (valid options: {OPTIONS})'),
]


@pytest.mark.parametrize("generate", [False, True], ids=["check-only", "python_out"])
@pytest.mark.parametrize("args,line", MISTAKES, ids=[" ".join(m[0]) for m in MISTAKES])
def test_flag_mistakes(proj: Path, args: list[str], line: str, generate: bool) -> None:
    extra = ["--python_out=py"] if generate else []
    result = run("-I.", "greeter.proto", *args, *extra, cwd=proj)
    assert_one_error(result, line)
    assert sorted(p.name for p in proj.iterdir()) == ["greeter.proto"]


NUMBERS = [
    ("--lua-budget", "a number of seconds (1 to 86400)"),
    ("--lua-memory", "a number of megabytes (1 to 1048576)"),
    ("--max-errors", "a number (0 to 1000000)"),
    ("--jobs", "a number of processes (1 to 256)"),
]


@pytest.mark.parametrize("value", ["-5", "+5", " 5", "5x", "", "99999999999999999999", "18446744073709551617"])
@pytest.mark.parametrize("flag,wants", NUMBERS, ids=[n[0] for n in NUMBERS])
def test_numeric_flags_take_digits_within_their_range(proj: Path, flag: str, wants: str, value: str) -> None:
    # a sign, spaces, trailing text or a value past the range: strtoul would wrap or saturate these
    assert_one_error(run("-I.", "greeter.proto", f"{flag}={value}", "--python_out=py", cwd=proj),
                     f"{flag} needs {wants} (see moonstub --help)")
    assert not (proj / "py").exists()


def test_numeric_flags_within_range_are_taken(proj: Path) -> None:
    result = run("-I.", "greeter.proto", "--lua-budget=86400", "--lua-memory=1048576", "--max-errors=0", "-j256",
                 "--check", cwd=proj)
    assert result.returncode == 0, result.stderr


def test_flag_mistake_is_reported_before_schema_errors(proj: Path) -> None:
    (proj / "bad.proto").write_text('syntax = "proto3";\nmessage M { Nope n = 1; }\n')
    assert_one_error(run("-I.", "bad.proto", "--codec=json", cwd=proj),
                     'invalid value "json" for option codec (valid: fory, protobuf)')


def test_flag_mistake_prints_no_model(proj: Path) -> None:
    assert_one_error(run("-I.", "greeter.proto", "--dump-model", "--rules=nope", cwd=proj),
                     'unknown rules preset "nope" (presets: aristaproto, default)')


def test_directory_as_input(proj: Path) -> None:
    (proj / "sub").mkdir()
    assert_one_error(run("-I.", "sub", "--python_out=py", cwd=proj), "sub: input file is a directory")
    assert_one_error(run(str(proj / "sub"), cwd=proj), f"{proj / 'sub'}: input file is a directory")
    assert not (proj / "py").exists()


def test_unreadable_file() -> None:
    # root reads any file: then the run is made as nobody, in a folder nobody can enter
    as_root = os.geteuid() == 0
    if as_root:
        try:
            pwd.getpwnam("nobody")
        except KeyError:
            pytest.skip("no user nobody to run as")
    folder = Path(tempfile.mkdtemp(prefix="moonstub-unreadable-"))
    try:
        folder.chmod(0o777)
        secret = folder / "secret.proto"
        secret.write_text('syntax = "proto3";\n')
        secret.chmod(0)
        result = run(f"-I{folder}", str(secret), f"--python_out={folder / 'py'}", cwd=folder,
                     user="nobody" if as_root else None)
        assert_one_error(result, f"{secret}: Permission denied")
        assert not (folder / "py").exists()
    finally:
        shutil.rmtree(folder)


def test_no_input_and_unknown_flag(proj: Path) -> None:
    assert_one_error(run(cwd=proj), "no input files (see moonstub --help)")
    assert_one_error(run("--colour", "greeter.proto", cwd=proj), 'unknown option "--colour" (see moonstub --help)')


# ---- errors in a user's own Lua script ------------------------------------------------------------------


def test_script_error_is_one_line_and_traceback_with_verbose(proj: Path) -> None:
    (proj / "boom.lua").write_text('local function f()\n  error("boom")\nend\n'
                                   'return { emit = function(ctx) f() end }\n')
    result = run("-I.", "greeter.proto", "--out=o", "--emitter=boom.lua", cwd=proj)
    assert_one_error(result, "boom.lua:2: boom")
    verbose = run("-I.", "greeter.proto", "--out=o", "--emitter=boom.lua", "--verbose", cwd=proj)
    assert verbose.returncode == 1
    assert verbose.stderr.startswith("moonstub: error: boom.lua:2: boom\nstack traceback:\n")
    assert "boom.lua:4: in" in verbose.stderr
    assert not (proj / "o").exists()


@pytest.mark.parametrize("script,line", [
    ("return { message = function(node, default) return nil .. 1 end }\n",
     "rules.lua:1: attempt to concatenate a nil value"),
    ("return {\n  message = = 1,\n}\n", "rules.lua:2: unexpected symbol near '='"),
    ('error("not today")\n', "rules.lua:1: not today"),
    ("return 5\n", "rules.lua must return a table of hooks"),
    # an error value that is not a string: located at the script, as lua.c words it
    ("return { message = function(node, default)\n  error({ code = 1 })\nend }\n",
     "rules.lua:2: error object is a table value"),
    ("return { message = function(node, default)\n  error()\nend }\n", "rules.lua:2: error object is a nil value"),
])
def test_rules_script_errors(proj: Path, script: str, line: str) -> None:
    (proj / "rules.lua").write_text(script)
    assert_one_error(run("-I.", "greeter.proto", "--python_out=py", "--rules=rules.lua", cwd=proj), line)
    assert not (proj / "py").exists()


HOOK_RESULTS = [
    ('message = function(m, d) return "not valid" end',
     'hook "message" returned "not valid", not a Python identifier, for demo.greeter.HelloRequest'),
    ("field = function(f, d) return 42 end",
     'hook "field" returned number (42), not a string, for demo.greeter.HelloRequest.name'),
    ('method = function(m, d) return "class" end',
     'hook "method" returned "class", a Python keyword (escape it: default.escape adds an underscore), '
     "for demo.greeter.Greeter.SayHello"),
    ('module = function(f, d) return "a..b" end',
     'hook "module" returned "a..b", not a dotted Python module name, for greeter.proto'),
    ('module_path = function(f, d) return "../x.py" end',
     'hook "module_path" returned "../x.py", not a relative path of a .py file, for greeter.proto'),
    ('service_stub = function(s, d) return d(s) .. "-x" end',
     'hook "service_stub" returned "GreeterStub-x", not a Python identifier, for demo.greeter.Greeter'),
]


@pytest.mark.parametrize("hook,line", HOOK_RESULTS, ids=[h[0].split(" ")[0] for h in HOOK_RESULTS])
def test_a_hook_result_python_cannot_take_is_an_error(proj: Path, hook: str, line: str) -> None:
    # a name that would make the module fail to import is refused where the policy gave it
    (proj / "rules.lua").write_text(f"return {{ {hook} }}\n")
    result = run("-I.", "greeter.proto", "--python_out=py", "--grpc", "--rules=rules.lua", cwd=proj)
    assert_one_error(result, f"rules.lua: {line}")
    assert not (proj / "py").exists()


def test_a_hook_wrapping_the_default_is_taken(proj: Path) -> None:
    (proj / "rules.lua").write_text('return { message = function(m, d) return "Pb" .. d(m) end }\n')
    result = run("-I.", "greeter.proto", "--python_out=py", "--rules=rules.lua", cwd=proj)
    assert result.returncode == 0, result.stderr
    assert "class PbHelloRequest" in (proj / "py" / "demo_greeter.py").read_text()


def test_error_in_emitter_module_found_on_the_lua_path(proj: Path) -> None:
    (proj / "lib" / "emitters").mkdir(parents=True)
    (proj / "lib" / "emitters" / "mine.lua").write_text('return { emit = function(ctx) require("absent") end }\n')
    assert_one_error(run("-L", "lib", "-I.", "greeter.proto", "--out=o", "--emitter=mine", cwd=proj),
                     "lib/emitters/mine.lua:1: module 'absent' not found")


# ---- stdin -------------------------------------------------------------------------------------------


def test_stdin_is_read_as_stdin_proto(proj: Path) -> None:
    result = run("--python_out=py", "--grpc", "-", cwd=proj, stdin=(GREETER / "greeter.proto").read_bytes())
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert (proj / "py" / "demo_greeter.py").exists() and (proj / "py" / "demo_greeter_grpc.py").exists()


def test_stdin_diagnostics_say_stdin(proj: Path) -> None:
    result = run("-", cwd=proj, stdin=b'syntax = "proto3";\nmessage M { Nope n = 1; }\n')
    assert result.returncode == 1
    assert result.stderr.startswith('<stdin>:2:13: error: "Nope" is not defined\n')


def test_stdin_imports_from_the_roots_and_after_double_dash(proj: Path) -> None:
    schema = b'syntax = "proto3";\nimport "greeter.proto";\nmessage Wrap { demo.greeter.HelloRequest r = 1; }\n'
    result = run("-I.", "--summary", "--", "-", cwd=proj, stdin=schema)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("stdin.proto (proto3, package (none))")


def test_stdin_name_picks_the_front_end(proj: Path) -> None:
    result = run("--stdin-name=menu.fdl", "--summary", "-", cwd=proj,
                 stdin=b"package menu;\nmessage Dish {\n    string name = 1;\n}\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("menu.fdl (fdl, package menu)")
    bad = run("--stdin-name=menu.fdl", "-", cwd=proj, stdin=b"package menu;\nmessage Dish {\n")
    assert bad.returncode == 1 and bad.stderr.startswith("menu.fdl:")


def test_stdin_twice(proj: Path) -> None:
    assert_one_error(run("-", "-", cwd=proj, stdin=(GREETER / "greeter.proto").read_bytes()),
                     "- (stdin) is given twice")


# ---- --help ----------------------------------------------------------------------------------------------


def test_help_lists_every_flag_and_environment_variable() -> None:
    result = run("--help")
    assert result.returncode == 0 and result.stderr == ""
    main_c = (ROOT / "core" / "main.c").read_text()
    flags = set(re.findall(r'"(--?[a-zA-Z][a-zA-Z_-]*)"', main_c.split("static ParseResult parse_args")[1]))
    flags -= {"--grpc_python_mode"}  # the protoc spelling, kept as an alias
    assert len(flags) > 25
    for flag in sorted(flags):
        assert re.search(rf"(^|[\s,]){re.escape(flag)}([\s=,]|$)", result.stdout, re.MULTILINE), flag
    assert "--rules=FILE.lua" in result.stdout
    assert re.search(r"^  --\s+every later argument", result.stdout, re.MULTILINE)
    core = "".join(p.read_text() for p in (ROOT / "core").glob("*.c"))
    variables = set(re.findall(r'getenv\("([A-Z_]+)"\)', core))
    assert variables >= {"MOONSTUB_PATH", "MOONSTUB_LUA_PROFILE"}
    for variable in sorted(variables):
        assert re.search(rf"^  {variable}\s", result.stdout, re.MULTILINE), variable


# ---- progress and --quiet ----------------------------------------------------------------------------------


@pytest.fixture()
def many(tmp_path: Path) -> Path:
    """40 files of 400 messages: about a second of generation (in worker processes)."""
    tmp_path = tmp_path / "many"
    tmp_path.mkdir()
    for i in range(40):
        body = "\n".join(f"message M{j} {{ int32 a = 1; string b = 2; repeated M{j} c = 3; }}" for j in range(400))
        (tmp_path / f"f{i}.proto").write_text(f'syntax = "proto3";\npackage p{i};\n{body}\n')
    return tmp_path


def files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob("*.proto"))


def test_progress_lines(many: Path) -> None:
    result = run("-I.", *files(many), "--python_out=py", "--progress", cwd=many)
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert lines[0] == "moonstub: linking: 40 files parsed, " + lines[0].split(", ")[-1]
    assert all(re.fullmatch(r"moonstub: (linking|generating|writing|done): .*, \d+\.\ds", line) for line in lines)
    assert re.fullmatch(r"moonstub: done: 40 files parsed, 40 modules generated, 40 files written, \d+\.\ds", lines[-1])
    again = run("-I.", *files(many), "--python_out=py", "--progress", cwd=many)
    assert again.stderr.splitlines()[-1].startswith("moonstub: done: 40 files parsed, 40 modules generated, "
                                                    "40 files unchanged, ")


def test_no_progress_when_stderr_is_not_a_terminal(many: Path) -> None:
    result = run("-I.", *files(many), "--python_out=py", cwd=many)
    assert result.returncode == 0 and result.stderr == ""


def run_on_a_terminal(*args: str, cwd: Path) -> tuple[int, bytes]:
    """Runs moonstub with stderr on a pseudo-terminal; returns its status and what the terminal got."""
    main, child = pty.openpty()
    got: list[bytes] = []

    def drain() -> None:
        while True:
            try:
                chunk = os.read(main, 4096)
            except OSError:
                return
            if not chunk:
                return
            got.append(chunk)

    reader = threading.Thread(target=drain)
    reader.start()
    try:
        status = subprocess.run([MOONSTUB, *args], check=False, cwd=cwd, stderr=child,
                                stdout=subprocess.DEVNULL, timeout=120).returncode
    finally:
        os.close(child)
        reader.join(timeout=10)
        os.close(main)
    return status, b"".join(got)


def test_progress_on_a_terminal_is_one_updating_line(many: Path) -> None:
    status, seen = run_on_a_terminal("-I.", *files(many), "--python_out=py", cwd=many)
    assert status == 0
    text = seen.decode()
    # updates rewrite one line (\r, then clear to its end); the last one ends it
    assert text.startswith("\rmoonstub: ")
    assert "\n" not in text[:-2]
    assert re.search(r"\rmoonstub: generating: 40 files parsed, \d+ modules? generated, \d+\.\ds\x1b\[K", text)
    assert re.search(r"\rmoonstub: done: 40 files parsed, 40 modules generated, 40 files written, "
                     r"\d+\.\ds\x1b\[K\r?\n$",
                     text)


def test_short_run_on_a_terminal_is_silent(proj: Path) -> None:
    status, seen = run_on_a_terminal("-I.", "greeter.proto", "--python_out=py", cwd=proj)
    assert status == 0 and seen == b""


def test_quiet_silences_warnings_and_progress(tmp_path: Path, many: Path) -> None:
    (tmp_path / "menu.proto").write_bytes(LATIN1_COMMENT)
    result = run("-I.", "menu.proto", "--python_out=py", "--quiet", "--progress", cwd=tmp_path)
    assert result.returncode == 0 and result.stderr == ""
    assert (tmp_path / "py" / "menu.py").exists()
    status, seen = run_on_a_terminal("-I.", *files(many), "--python_out=py", "-q", cwd=many)
    assert status == 0 and seen == b""
    # errors are still printed
    (tmp_path / "bad.proto").write_bytes(LATIN1_STRING)
    bad = run("-I.", "bad.proto", "--quiet", cwd=tmp_path)
    assert bad.returncode == 1 and bad.stderr.startswith("bad.proto:4:36: error: string literal is not valid UTF-8")

