"""Customisation without recompiling: the search path, naming policies and
their hooks, user emitters, the sandbox, the instruction budget, script
errors, unchanged files and --check, and the two examples."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import support

ROOT = support.REPO
GREETER = ROOT / "examples" / "greeter"

SCHEMA = """syntax = "proto3";
package acme.users.v1;
// A user.
message User { string name = 1; int32 id = 2; }
enum Role { ROLE_UNSPECIFIED = 0; ADMIN = 1; }
service Users {
  rpc GetUser (User) returns (User);
  rpc ListURLs (User) returns (stream User);
}
"""


def run(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
        timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """``support.run_moonstub`` without the caller's MOONSTUB_PATH, plus ``env``."""
    full_env = dict(os.environ)
    full_env.pop("MOONSTUB_PATH", None)
    full_env.update(env or {})
    return support.run_moonstub(*args, cwd=cwd, env=full_env, timeout=timeout)


@pytest.fixture()
def proj(tmp_path: Path) -> Path:
    (tmp_path / "users.proto").write_text(SCHEMA)
    return tmp_path


def gen(proj: Path, *extra: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return run(f"-I{proj}", str(proj / "users.proto"), f"--python_out={proj / 'out'}", "--grpc", *extra,
               cwd=proj, env=env)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


# ---- search path and overrides ------------------------------------------------------------------

OVERRIDE_DEFAULT = """
local base = require("builtin:rules.default")
local M = setmetatable({}, { __index = base })
function M.message(message) return "X" .. message.name end
return M
"""


def test_user_file_replaces_builtin_and_builtin_prefix_reaches_original(proj: Path) -> None:
    write(proj / "mine" / "rules" / "default.lua", OVERRIDE_DEFAULT)
    result = gen(proj, "-L", str(proj / "mine"))
    assert result.returncode == 0, result.stderr
    assert "class XUser(" in (proj / "out" / "acme_users_v1.py").read_text()


def test_search_order(proj: Path) -> None:
    first, second, third = proj / "first", proj / "second", proj / ".moonstub"
    for folder, prefix in ((first, "A"), (second, "B"), (third, "C")):
        write(folder / "rules" / "default.lua", OVERRIDE_DEFAULT.replace('"X"', f'"{prefix}"'))
    env = {"MOONSTUB_PATH": f"{second}"}
    assert gen(proj, "-L", str(first), env=env).returncode == 0
    assert "class AUser(" in (proj / "out" / "acme_users_v1.py").read_text()
    assert gen(proj, env=env).returncode == 0
    assert "class BUser(" in (proj / "out" / "acme_users_v1.py").read_text()
    assert gen(proj).returncode == 0  # .moonstub/ in the current folder
    assert "class CUser(" in (proj / "out" / "acme_users_v1.py").read_text()
    listing = run("-L", str(first), "--print-search-path", cwd=proj, env=env).stdout.splitlines()
    assert listing == [str(first), str(second), ".moonstub", "(built-in scripts)"]


def test_list_emitters(proj: Path) -> None:
    write(proj / "lib" / "emitters" / "docs.lua", "return { emit = function(ctx) end }")
    out = run("-L", str(proj / "lib"), "--list-emitters").stdout
    assert "docs\t" in out and "python\t" in out


# ---- naming policies ------------------------------------------------------------------------------

EVERY_HOOK = """
return {
  module = function(file, default) return "corp." .. default(file) end,
  message = function(m, default) return "M" .. default(m) end,
  field = function(f, default) return "f_" .. default(f) end,
  enum = function(e, default) return "E" .. default(e) end,
  enum_value = function(v, default) return "V_" .. default(v) end,
  service_stub = function(s) return s.name .. "Client" end,
  service_servicer = function(s) return s.name .. "Handler" end,
  method = function(m, default) return (default(m):gsub("^get_", "fetch_")) end,
  escape = function(name, default, taken) return default(name, taken) end,
}
"""


def test_every_hook(proj: Path) -> None:
    policy = write(proj / "policy.lua", EVERY_HOOK)
    result = gen(proj, f"--rules={policy}")
    assert result.returncode == 0, result.stderr
    messages = (proj / "out" / "corp" / "acme_users_v1.py").read_text()
    companion = (proj / "out" / "corp" / "acme_users_v1_grpc.py").read_text()
    for expected in ("class MUser(", "f_name: str", "class ERole(", "V_ADMIN = 1"):
        assert expected in messages
    for expected in ("class UsersClient:", "class UsersHandler:", "def fetch_user(", "def list_urls("):
        assert expected in companion
    assert '"/acme.users.v1.Users/GetUser"' in companion  # wire paths keep the IDL's names


def test_unknown_hook_warns_with_the_closest_name(proj: Path) -> None:
    policy = write(proj / "policy.lua", "return { mehtod = function(m, d) return d(m) end }")
    result = gen(proj, f"--rules={policy}")
    assert result.returncode == 0
    assert f'moonstub: warning: {policy}: unknown hook "mehtod" (did you mean "method"?)' in result.stderr


def test_policy_collisions_are_errors(proj: Path) -> None:
    policy = write(proj / "policy.lua", 'return { field = function(f) return "same" end }')
    result = gen(proj, f"--rules={policy}")
    assert result.returncode == 1
    assert 'fields "name" (line 4) and "id" (line 4) of acme.users.v1.User both become the Python attribute "same"' \
        in result.stderr
    assert not (proj / "out").exists()


# ---- emitters ----------------------------------------------------------------------------------------

def test_custom_emitter_writer_api(proj: Path) -> None:
    emitter = write(proj / "emit.lua", """
return { emit = function(ctx)
  local w = ctx:file("notes/users.txt")
  w:line("package %s", ctx.schema.files[#ctx.schema.files].package)
  w:block("services:", function()
    for _, s in ipairs(ctx.schema.files[#ctx.schema.files].services) do w:line("%s  ", s.name) end
  end)
  w:blank()
end }""")
    result = run(f"-I{proj}", str(proj / "users.proto"), f"--out={proj / 'o'}", f"--emitter={emitter}")
    assert result.returncode == 0, result.stderr
    assert (proj / "o" / "notes" / "users.txt").read_text() == "package acme.users.v1\nservices:\n    Users\n"


def test_emitter_reports_at_a_node_location(proj: Path) -> None:
    emitter = write(proj / "emit.lua", """
return { emit = function(ctx)
  local user = ctx.schema.files[#ctx.schema.files].messages[1]
  ctx:error(user, "User is not allowed here")
end }""")
    result = run(f"-I{proj}", str(proj / "users.proto"), f"--out={proj / 'o'}", f"--emitter={emitter}")
    assert result.returncode == 1
    assert "users.proto:4:9: error: User is not allowed here" in result.stderr
    assert not (proj / "o").exists()


def test_opening_a_file_twice_is_an_error(proj: Path) -> None:
    emitter = write(proj / "emit.lua", 'return { emit = function(ctx) ctx:file("a") ctx:file("a") end }')
    result = run(f"-I{proj}", str(proj / "users.proto"), f"--out={proj / 'o'}", f"--emitter={emitter}")
    assert result.returncode == 1 and 'output file "a" is opened twice' in result.stderr


def test_replacing_one_piece_of_a_builtin_emitter(proj: Path) -> None:
    write(proj / "mine" / "emitters" / "python" / "text.lua", '''
local base = require("builtin:emitters.python.text")
local M = setmetatable({}, { __index = base })
function M.docstring(w, comments, fallback)
  w:line('"""Reviewed by the API team."""')
  return true
end
return M
''')
    result = gen(proj, "-L", str(proj / "mine"))
    assert result.returncode == 0, result.stderr
    assert '"""Reviewed by the API team."""' in (proj / "out" / "acme_users_v1_grpc.py").read_text()


# ---- sandbox, budget, errors --------------------------------------------------------------------------

@pytest.mark.parametrize("code,expected", [
    ('io.open("/etc/passwd")', "attempt to index a nil value (global 'io')"),
    ('os.execute("true")', "attempt to index a nil value (global 'os')"),
    ('os.remove("x")', "attempt to index a nil value (global 'os')"),
    ("debug.getinfo(1)", "attempt to index a nil value (global 'debug')"),
    ('dofile("x.lua")', "attempt to call a nil value (global 'dofile')"),
    ('loadfile("x.lua")', "attempt to call a nil value (global 'loadfile')"),
    ("string.dump(print)", "attempt to call a nil value (field 'dump')"),
    ('package.loadlib("x", "y")', "attempt to call a nil value (field 'loadlib')"),
    ('assert(load("\\27Lua"))', "attempt to load a binary chunk"),
    ('require("os")', "module 'os' not found"),
])
def test_sandbox(proj: Path, code: str, expected: str) -> None:
    write(proj / "bad.lua", f"return {{ emit = function(ctx)\n  {code}\nend }}")
    result = run("-I.", "users.proto", "--out=o", "--emitter=bad.lua", cwd=proj)
    assert result.returncode == 1
    assert result.stderr.startswith("moonstub: error: bad.lua:2: ") and expected in result.stderr
    assert "stack traceback:" not in result.stderr  # only with --verbose
    assert not (proj / "o").exists()


def test_re_and_lpeg_are_available(proj: Path) -> None:
    emitter = write(proj / "ok.lua", """
local re = require("re")
local lpeg = require("lpeg")
return { emit = function(ctx)
  local w = ctx:file("r.txt")
  w:line("%s %d", re.match("hello", "{%a+}"), lpeg.match(lpeg.P("a") ^ 1, "aaa"))
end }""")
    result = run(f"-I{proj}", str(proj / "users.proto"), f"--out={proj / 'o'}", f"--emitter={emitter}")
    assert result.returncode == 0, result.stderr
    assert (proj / "o" / "r.txt").read_text() == "hello 4\n"


def test_endless_loop_is_stopped(proj: Path) -> None:
    write(proj / "loop.lua", "return { emit = function(ctx)\n  while true do end\nend }")
    start = time.monotonic()
    result = run("-I.", "users.proto", "--out=o", "--emitter=loop.lua", "--lua-budget=2", cwd=proj, timeout=30)
    assert time.monotonic() - start < 20
    assert result.returncode == 1
    assert "loop.lua:2: budget of Lua CPU time exhausted" in result.stderr


def test_unbounded_allocation_is_stopped(proj: Path) -> None:
    write(proj / "hog.lua", "return { emit = function(ctx)\n  local t = {}\n  while true do t[#t + 1] = "
          "string.rep('x', 1000) .. #t end\nend }")
    start = time.monotonic()
    result = run("-I.", "users.proto", "--out=o", "--emitter=hog.lua", "--lua-memory=200", cwd=proj, timeout=60)
    assert time.monotonic() - start < 30
    assert result.returncode == 1
    assert "moonstub: error: Lua scripts used more than 200 MB of memory (--lua-memory)" in result.stderr
    assert not (proj / "o").exists()


def test_script_error_has_location_and_traceback(proj: Path) -> None:
    write(proj / "boom.lua", 'local function f()\n  error("boom")\nend\nreturn { emit = function(ctx) f() end }')
    result = run("-I.", "users.proto", "--python_out=o", "--emitter=boom.lua", "--verbose", cwd=proj)
    assert result.returncode == 1
    assert result.stderr.startswith("moonstub: error: boom.lua:2: boom\nstack traceback:")
    assert "boom.lua:4: in" in result.stderr
    assert not (proj / "o").exists()  # the Python was generated, and still nothing is written


# ---- output -------------------------------------------------------------------------------------------------

def test_unchanged_files_are_not_rewritten_and_check(proj: Path) -> None:
    out = proj / "out"
    check = run(f"-I{proj}", str(proj / "users.proto"), f"--python_out={out}", "--check")
    assert check.returncode == 1 and str(out / "acme_users_v1.py") in check.stdout.splitlines()
    assert not out.exists()
    assert gen(proj).returncode == 0
    module = out / "acme_users_v1.py"
    before = module.stat().st_mtime_ns
    time.sleep(0.05)
    assert gen(proj).returncode == 0
    assert module.stat().st_mtime_ns == before
    check = run(f"-I{proj}", str(proj / "users.proto"), f"--python_out={out}", "--grpc", "--check")
    assert check.returncode == 0 and check.stdout == ""
    (proj / "users.proto").write_text(SCHEMA.replace("int32 id = 2;", "int32 id = 2; string email = 3;"))
    check = run(f"-I{proj}", str(proj / "users.proto"), f"--python_out={out}", "--grpc", "--check")
    assert check.returncode == 1 and check.stdout.splitlines() == [str(module)]
    assert module.stat().st_mtime_ns == before


# ---- the examples ---------------------------------------------------------------------------------------------

def test_naming_policy_example_against_a_real_server(tmp_path: Path) -> None:
    pytest.importorskip("grpc")
    result = run(f"-I{GREETER}", str(GREETER / "greeter.proto"), f"--python_out={tmp_path}", "--grpc",
                 f"--rules={ROOT / 'examples' / 'naming-policy' / 'acme.lua'}")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "acme" / "demo_greeter.py").exists()
    code = """
import asyncio, grpc.aio
from acme import demo_greeter as pb, demo_greeter_grpc as rpc

class Greeter(rpc.GreeterServicer):
    async def say_hello(self, request, context):
        return pb.HelloReply(reply=f"Hello, {request.name}")

async def main():
    server = grpc.aio.server()
    rpc.add_servicer(Greeter(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        print((await rpc.GreeterClient(channel).say_hello(pb.HelloRequest(name="Acme"))).reply)
    await server.stop(None)

asyncio.run(main())
"""
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "Hello, Acme"


def test_custom_emitter_example(tmp_path: Path) -> None:
    result = run(f"-I{GREETER}", str(GREETER / "greeter.proto"), f"--python_out={tmp_path}",
                 f"--emitter={ROOT / 'examples' / 'custom-emitter' / 'markdown.lua'}")
    assert result.returncode == 0, result.stderr
    doc = (tmp_path / "demo_greeter.API.md").read_text()
    assert "## service `demo.greeter.Greeter`" in doc
    assert "- **SayHello** `(demo.greeter.HelloRequest) returns (demo.greeter.HelloReply)` (Python: `say_hello`): " \
        "One request, one reply." in doc
    assert "| `name` | `string` | 1 | `name` |" in doc
    assert (tmp_path / "demo_greeter.py").exists()
