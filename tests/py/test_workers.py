"""Modules generated in worker processes (``-j N`` / ``--jobs=N``, ``host.parallel``):
the output, the diagnostics and their order are those of a run in one process.

* ``-j 1``, ``-j 2``, ``-j 3`` and ``-j 8`` write the same bytes (every file) for a
  schema of eight packages (services, cross-package imports, maps, nested types, a
  proto2 file with extensions), with both rule presets, for protobuf's own test
  schemas, and the same bytes as the protoc plugin;
* ``host.parallel`` itself, through ``--lua-test`` scripts: workers are forks (what
  a worker changes stays in it), the share of each is a contiguous range balanced by
  cost, reports come back in order and once, automatic mode forks only from 20,000
  declarations;
* failures: a rules hook that raises for one package in the middle, a worker killed
  by a signal, a worker over ``--lua-memory``: one ``moonstub: error:`` line, exit
  status 1, nothing written, the same message as in one process;
* ``--jobs`` values that are not 1..256 are flag errors.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import support

JOBS = (1, 2, 3, 8)

RULE_SETS = {
    "default": ("--grpc",),
    "aristaproto": ("--rules", "aristaproto", "--grpc"),
}

JOBS_ERROR = "moonstub: error: --jobs needs a number of processes (1 to 256) (see moonstub --help)\n"

# ---- a schema of eight packages ----------------------------------------------------------------------

SCHEMA = {
    "shop/common/v1/common.proto": """
        syntax = "proto3";
        package shop.common.v1;

        // Money in one currency.
        message Money {
          int64 units = 1;
          int32 nanos = 2;
          Currency currency = 3;
        }

        enum Currency {
          CURRENCY_UNSPECIFIED = 0;
          EUR = 1;
          USD = 2;
        }

        message Address {
          enum Kind {
            KIND_UNSPECIFIED = 0;
            HOME = 1;
            WORK = 2;
          }
          Kind kind = 1;
          repeated string lines = 2;
          map<string, string> labels = 3;
        }

        message Page {
          int32 size = 1;
          string token = 2;
        }
    """,
    "shop/catalog/v1/catalog.proto": """
        syntax = "proto3";
        package shop.catalog.v1;

        import "google/protobuf/timestamp.proto";
        import "shop/common/v1/common.proto";

        // Something to sell.
        message Product {
          string id = 1;
          shop.common.v1.Money price = 2;
          map<string, shop.common.v1.Money> prices_by_region = 3;
          repeated Variant variants = 4;
          oneof availability {
            bool in_stock = 5;
            google.protobuf.Timestamp restock_at = 6;
          }
          optional string note = 7;

          message Variant {
            enum Size {
              SIZE_UNSPECIFIED = 0;
              SMALL = 1;
              LARGE = 2;
            }
            string sku = 1;
            Size size = 2;
            map<int32, Variant> children = 3;
          }
        }

        message ListProductsRequest {
          shop.common.v1.Page page = 1;
        }

        service Catalog {
          // One product.
          rpc GetProduct(Product) returns (Product);
          rpc ListProducts(ListProductsRequest) returns (stream Product);
        }
    """,
    "shop/users/v1/users.proto": """
        syntax = "proto3";
        package shop.users.v1;

        import "shop/common/v1/common.proto";

        message User {
          message Pref {
            string key = 1;
            bool on = 2;
          }
          string id = 1;
          string name = 2;
          shop.common.v1.Address address = 3;
          map<string, Pref> prefs = 4;
          repeated User friends = 5;
        }

        service Users {
          rpc GetUser(User) returns (User);
          rpc WatchUsers(stream User) returns (stream User);
        }
    """,
    "shop/orders/v1/items.proto": """
        syntax = "proto3";
        package shop.orders.v1;

        import "shop/catalog/v1/catalog.proto";

        message Item {
          shop.catalog.v1.Product product = 1;
          uint32 quantity = 2;
        }
    """,
    "shop/orders/v1/orders.proto": """
        syntax = "proto3";
        package shop.orders.v1;

        import "shop/catalog/v1/catalog.proto";
        import "shop/common/v1/common.proto";
        import "shop/orders/v1/items.proto";
        import "shop/users/v1/users.proto";

        message Order {
          string id = 1;
          repeated Item items = 2;
          shop.users.v1.User buyer = 3;
          shop.common.v1.Money total = 4;
          map<string, shop.catalog.v1.Product> products = 5;
          Status status = 6;
          enum Status {
            STATUS_UNSPECIFIED = 0;
            OPEN = 1;
            PAID = 2;
          }
        }

        service Orders {
          rpc PlaceOrder(stream Item) returns (Order);
          rpc GetOrder(Order) returns (Order);
        }
    """,
    "shop/billing/v1/billing.proto": """
        syntax = "proto2";
        package shop.billing.v1;

        import "shop/orders/v1/orders.proto";

        message Invoice {
          required string id = 1;
          optional shop.orders.v1.Order order = 2;
          optional group Line = 3 {
            optional string text = 4;
            optional int64 cents = 5 [default = -1];
          }
          extensions 100 to 199;
        }

        extend Invoice {
          optional string memo = 100;
          repeated int32 codes = 101;
        }

        service Billing {
          rpc Charge(Invoice) returns (Invoice);
        }
    """,
    "shop/search/v1/search.proto": """
        syntax = "proto3";
        package shop.search.v1;

        import "shop/catalog/v1/catalog.proto";
        import "shop/users/v1/users.proto";

        message Query {
          message Filter {
            string field = 1;
            repeated string values = 2;
          }
          string text = 1;
          repeated Filter filters = 2;
          shop.users.v1.User asker = 3;
        }

        message Hit {
          shop.catalog.v1.Product product = 1;
          double score = 2;
        }

        service Search {
          rpc Find(Query) returns (stream Hit);
          rpc Suggest(stream Query) returns (stream Hit);
        }
    """,
    "shop/admin/v1/admin.proto": """
        syntax = "proto3";
        package shop.admin.v1;

        import "shop/billing/v1/billing.proto";
        import "shop/orders/v1/orders.proto";
        import "shop/search/v1/search.proto";
        import "shop/users/v1/users.proto";

        message Audit {
          shop.users.v1.User who = 1;
          oneof what {
            shop.orders.v1.Order order = 2;
            shop.billing.v1.Invoice invoice = 3;
            shop.search.v1.Query query = 4;
          }
        }

        service Admin {
          rpc Replay(Audit) returns (stream Audit);
        }
    """,
    "shop/events/v1/events.proto": """
        syntax = "proto3";
        package shop.events.v1;

        import "shop/orders/v1/orders.proto";
        import "shop/users/v1/users.proto";

        message Event {
          int64 at = 1;
          oneof payload {
            shop.orders.v1.Order order = 2;
            shop.users.v1.User user = 3;
          }
          map<string, Event> related = 4;
        }
    """,
}

# dependency order: the order of the generated modules
PACKAGES = ("common", "catalog", "users", "orders", "billing", "search", "admin", "events")


def write_schema(root: Path, files: dict[str, str] | None = None) -> list[str]:
    """Writes the schema's files under ``root``; returns their paths relative to it."""
    files = SCHEMA if files is None else files
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return list(files)


def tree(out: Path) -> dict[str, bytes]:
    """Every file under ``out``: relative path → bytes."""
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def generate_with_jobs(root: Path, files: list[str], out: Path, jobs: int | None,
                       *flags: str) -> subprocess.CompletedProcess[str]:
    """``moonstub -I root files --python_out=out [-j jobs] flags``; does not check the status."""
    out.mkdir(parents=True, exist_ok=True)
    job_flags = () if jobs is None else ("-j", str(jobs))
    return support.run_moonstub("-I", str(root), *files, f"--python_out={out}", *job_flags, *flags)


def assert_same_trees(trees: dict[str, dict[str, bytes]]) -> None:
    """Every tree equal to the first: the same paths, the same bytes."""
    (first_name, first), *others = trees.items()
    for name, other in others:
        assert sorted(other) == sorted(first), f"{name} vs {first_name}: {sorted(set(other) ^ set(first))}"
        differing = [path for path in first if first[path] != other[path]]
        assert differing == [], f"{name} vs {first_name}: {differing}"


@pytest.fixture()
def shop(tmp_path: Path) -> tuple[Path, list[str]]:
    root = tmp_path / "protos"
    return root, write_schema(root)


# ---- the same output whatever the number of workers ---------------------------------------------------


@pytest.mark.parametrize("rules", list(RULE_SETS))
def test_jobs_write_the_same_bytes(rules: str, shop: tuple[Path, list[str]], tmp_path: Path) -> None:
    root, files = shop
    trees, stderrs = {}, {}
    for jobs in (None, *JOBS):
        name = f"-j {jobs}" if jobs else "automatic"
        out = tmp_path / f"out-{jobs}"
        result = generate_with_jobs(root, files, out, jobs, *RULE_SETS[rules])
        assert result.returncode == 0, f"{name}: {result.stderr}"
        trees[name], stderrs[name] = tree(out), result.stderr
    assert set(stderrs.values()) == {""}, stderrs
    assert_same_trees(trees)
    written = trees["-j 1"]
    # every package a module of its own (more modules than workers), and the companions
    assert len([p for p in written if "grpc" in p and p.endswith(".py")]) >= 6, sorted(written)
    for package in PACKAGES:
        assert any(package in path for path in written), (package, sorted(written))
    assert all(text for path, text in written.items() if not path.endswith("__init__.py")), sorted(written)


def test_progress_counts_what_workers_write(shop: tuple[Path, list[str]], tmp_path: Path) -> None:
    root, files = shop
    done = {}
    for jobs in (1, 3):
        result = generate_with_jobs(root, files, tmp_path / f"out-{jobs}", jobs, "--grpc", "--progress")
        assert result.returncode == 0, result.stderr
        last = result.stderr.splitlines()[-1]
        done[jobs] = re.sub(r", [0-9.]+s$", "", last)
    # 9 files and timestamp.proto; 8 modules and 6 gRPC companions (the gRPC support module is the package's)
    assert done[1] == "moonstub: done: 10 files parsed, 14 modules generated, 14 files written", done
    assert done[3] == done[1]


PROTOBUF_TEST_SCHEMAS = (
    "any_test.proto", "map_lite_unittest.proto", "map_proto2_unittest.proto", "map_unittest.proto",
    "test_messages_proto2.proto", "test_messages_proto3.proto", "unittest.proto", "unittest_custom_options.proto",
    "unittest_embed_optimize_for.proto", "unittest_empty.proto", "unittest_enormous_descriptor.proto",
    "unittest_extension_set.proto", "unittest_import.proto", "unittest_import_lite.proto",
    "unittest_import_public.proto", "unittest_lite.proto", "unittest_lite_imports_nonlite.proto",
    "unittest_mset.proto", "unittest_mset_wire_format.proto", "unittest_no_generic_services.proto",
    "unittest_optimize_for.proto", "unittest_proto3.proto", "unittest_proto3_arena.proto",
    "unittest_proto3_arena_lite.proto", "unittest_proto3_extensions.proto", "unittest_proto3_lite.proto",
    "unittest_proto3_optional.proto", "unittest_retention.proto", "unittest_well_known_types.proto",
    "api.proto", "descriptor.proto", "struct.proto", "type.proto",
)


@pytest.mark.parametrize("rules", list(RULE_SETS))
def test_jobs_write_the_same_bytes_for_protobufs_test_schemas(rules: str, tmp_path: Path) -> None:
    src = support.CORPUS / "src"
    files = [f"google/protobuf/{name}" for name in PROTOBUF_TEST_SCHEMAS]
    missing = [f for f in files if not (src / f).is_file()]
    if missing:
        pytest.skip(f"protobuf corpus not found under {support.CORPUS} (set MOONSTUB_CORPUS): {missing[:3]}")
    trees = {}
    for jobs in JOBS:
        out = tmp_path / f"out-{jobs}"
        result = generate_with_jobs(src, files, out, jobs, *RULE_SETS[rules])
        assert result.returncode == 0, f"-j {jobs}: {result.stderr[-3000:]}"
        trees[f"-j {jobs}"] = tree(out)
    assert_same_trees(trees)
    assert len(trees["-j 1"]) >= 12, sorted(trees["-j 1"])


def test_plugin_writes_what_the_command_line_writes(shop: tuple[Path, list[str]], tmp_path: Path) -> None:
    root, files = shop
    cli_out = tmp_path / "cli"
    result = generate_with_jobs(root, files, cli_out, 3, "--grpc")
    assert result.returncode == 0, result.stderr
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    plugin = bin_dir / "protoc-gen-moonstub"
    plugin.symlink_to(support.check_binary())
    plugin_out = tmp_path / "plugin"
    plugin_out.mkdir()
    # grpc_tools' protoc adds the well-known types' folder to the roots itself
    cmd = [sys.executable, "-m", "grpc_tools.protoc", f"-I{root}", f"--plugin=protoc-gen-moonstub={plugin}",
           f"--moonstub_out={plugin_out}", "--moonstub_opt=grpc=true", *files]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    assert_same_trees({"-j 3": tree(cli_out), "plugin": tree(plugin_out)})


# ---- host.parallel through --lua-test scripts -----------------------------------------------------------

PARALLEL_SCRIPT = """
local _, _, host = ...
local calls = 0 -- a worker counts in its own copy of the state
local costs = { 10, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 }
local results = host.parallel(costs, function(i)
  calls = calls + 1
  host.report("warning", "piece " .. i)
  if i % 4 == 0 then host.report("warning", "the same report from pieces 4 and 8") end
  return string.format("%d:%d", i, calls)
end)
print(calls)
print(table.concat(results, ","))
"""


def lua_test(tmp_path: Path, script: str, *flags: str) -> subprocess.CompletedProcess[str]:
    """Runs ``script`` with ``--lua-test`` over a one-message schema."""
    (tmp_path / "one.proto").write_text('syntax = "proto3";\npackage one;\nmessage M { int32 x = 1; }\n')
    (tmp_path / "script.lua").write_text(textwrap.dedent(script).lstrip(), encoding="utf-8")
    return support.run_moonstub("-I", str(tmp_path), "one.proto", f"--lua-test={tmp_path / 'script.lua'}",
                                *flags)


def test_parallel_shares_contiguous_ranges_in_forked_workers(tmp_path: Path) -> None:
    reports = "".join(f"moonstub: warning: piece {i}\n" + (
        "moonstub: warning: the same report from pieces 4 and 8\n" if i == 4 else "") for i in range(1, 12))
    one = lua_test(tmp_path, PARALLEL_SCRIPT, "-j", "1")
    assert one.returncode == 0, one.stderr
    # in this process: fn ran here eleven times
    assert one.stdout == "11\n" + ",".join(f"{i}:{i}" for i in range(1, 12)) + "\n"
    assert one.stderr == reports
    two = lua_test(tmp_path, PARALLEL_SCRIPT, "-j", "2")
    assert two.returncode == 0, two.stderr
    # forked: nothing ran here; the first piece weighs as much as the ten others, so the
    # first worker has it alone and the second counts 1..10 over pieces 2..11
    assert two.stdout == "0\n1:1," + ",".join(f"{i}:{i - 1}" for i in range(2, 12)) + "\n"
    assert two.stderr == reports
    three = lua_test(tmp_path, PARALLEL_SCRIPT, "-j", "3")
    assert three.returncode == 0, three.stderr
    counts = [int(part.split(":")[1]) for part in three.stdout.splitlines()[1].split(",")]
    assert three.stdout.splitlines()[0] == "0"
    # three contiguous ranges: a count starts again at 1 exactly twice after the first piece
    assert counts[0] == 1 and counts.count(1) == 3, counts
    assert all(b in (a + 1, 1) for a, b in zip(counts, counts[1:])), counts
    assert three.stderr == reports


def test_automatic_jobs_fork_from_20000_declarations(tmp_path: Path) -> None:
    if (os.cpu_count() or 1) < 2:
        pytest.skip("automatic mode uses one process on a machine with one core")
    script = """
        local _, _, host = ...
        for _, costs in ipairs({ { 9999, 10000 }, { 10000, 10000 }, { 25000 } }) do
          local calls = 0
          local results = host.parallel(costs, function() calls = calls + 1; return tostring(calls) end)
          print(table.concat(results, ","), calls)
        end
    """
    result = lua_test(tmp_path, script)
    assert result.returncode == 0, result.stderr
    # below 20,000 in this process; from 20,000 in workers; never more workers than pieces
    assert result.stdout.splitlines() == ["1,2\t2", "1,1\t0", "1\t1"]


def test_lua_profiler_forces_one_process(tmp_path: Path) -> None:
    (tmp_path / "one.proto").write_text('syntax = "proto3";\npackage one;\nmessage M { int32 x = 1; }\n')
    (tmp_path / "script.lua").write_text(PARALLEL_SCRIPT, encoding="utf-8")
    env = {**os.environ, "MOONSTUB_LUA_PROFILE": "1"}
    result = support.run_moonstub("-I", str(tmp_path), "one.proto", f"--lua-test={tmp_path / 'script.lua'}",
                                  "-j", "3", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "11", result.stdout


# Each messages module says how many modules its process has made so far: in one
# process 1..8; a worker starts again at 1.
MODULE_COUNTER = """
local base = require("builtin:emitters.python.messages")
local M = setmetatable({}, { __index = base })
local made = 0
function M.module_text(ctx, mod)
  made = made + 1
  ctx:warning(nil, string.format("module %d of this process: %s", made, mod.name))
  return base.module_text(ctx, mod)
end
return M
"""


def big_schema(packages: int, messages: int, fields: int) -> dict[str, str]:
    """``packages`` files of ``messages`` messages of ``fields`` fields, each file
    importing the one before."""
    files = {}
    for p in range(packages):
        lines = ['syntax = "proto3";', f"package big.p{p};"]
        if p:
            lines.append(f'import "big/p{p - 1}.proto";')
        for m in range(messages):
            body = [f"  {f'big.p{p - 1}.M{f}' if p and f % 5 == 0 else 'int64'} f{f} = {f + 1};" for f in range(fields)]
            lines += [f"message M{m} {{", *body, "}"]
        files[f"big/p{p}.proto"] = "\n".join(lines) + "\n"
    return files


def test_automatic_jobs_on_a_large_schema(tmp_path: Path) -> None:
    if (os.cpu_count() or 1) < 2:
        pytest.skip("automatic mode uses one process on a machine with one core")
    root = tmp_path / "protos"
    # 8 x 100 x (1 + 26) = 21,600 declarations: over the 20,000 of automatic mode
    files = write_schema(root, big_schema(8, 100, 26))
    scripts = tmp_path / "scripts"
    (scripts / "emitters" / "python").mkdir(parents=True)
    (scripts / "emitters" / "python" / "messages.lua").write_text(MODULE_COUNTER.lstrip(), encoding="utf-8")
    runs = {}
    for jobs in (None, 1):
        out = tmp_path / f"out-{jobs}"
        runs[jobs] = generate_with_jobs(root, files, out, jobs, "-L", str(scripts))
        assert runs[jobs].returncode == 0, runs[jobs].stderr
    one = [f"moonstub: warning: module {i + 1} of this process: big_p{i}" for i in range(8)]
    assert runs[1].stderr.splitlines() == one
    # automatic: workers, each counting from 1 (min(cores, 4) of them)
    counted = runs[None].stderr.splitlines()
    starts = [line for line in counted if " module 1 of this process" in line]
    assert len(starts) == min(os.cpu_count() or 1, 4), counted
    assert [line.rsplit(": ", 1)[1] for line in counted] == [f"big_p{i}" for i in range(8)], counted
    assert_same_trees({"-j 1": tree(tmp_path / "out-1"), "automatic": tree(tmp_path / "out-None")})


def test_parallel_result_must_be_a_string_in_workers_too(tmp_path: Path) -> None:
    script = """
        local _, _, host = ...
        host.parallel({ 1, 1, 1 }, function(i) if i == 2 then return {} end return "ok" end)
    """
    one = lua_test(tmp_path, script, "-j", "1")
    assert one.returncode == 1
    assert "host.parallel: the function returned table, not a string" in one.stderr
    three = lua_test(tmp_path, script, "-j", "3")
    assert three.returncode == 1
    assert "host.parallel: the function returned table, not a string" in three.stderr


# ---- failures in workers ---------------------------------------------------------------------------------

POLICY_RAISING = """
return {
  field = function(field, default)
    if field.file.package == "shop.orders.v1" then
      error("no name for " .. field.full_name)
    end
    return default(field)
  end,
}
"""


def test_rules_hook_error_in_one_package(shop: tuple[Path, list[str]], tmp_path: Path) -> None:
    root, files = shop
    (tmp_path / "policy.lua").write_text(POLICY_RAISING.lstrip(), encoding="utf-8")
    stderrs = {}
    for jobs in (1, 3):
        out = tmp_path / f"out-{jobs}"
        out.mkdir()
        result = support.run_moonstub("-I", str(root), *files, f"--python_out={out}", "-j", str(jobs), "--grpc",
                                      "--rules=policy.lua", cwd=tmp_path)
        assert result.returncode == 1, result.stderr
        assert result.stdout == ""
        assert re.fullmatch(r"moonstub: error: policy\.lua:4: no name for shop\.orders\.v1\.\w+\.\w+\n",
                            result.stderr), result.stderr
        assert list(out.iterdir()) == [], f"-j {jobs} wrote {sorted(tree(out))}"
        stderrs[jobs] = result.stderr
    assert stderrs[1] == stderrs[3]
    verbose = support.run_moonstub("-I", str(root), *files, f"--python_out={tmp_path / 'out-1'}", "-j", "3", "--grpc",
                                   "--rules=policy.lua", "--verbose", cwd=tmp_path)
    assert verbose.returncode == 1
    assert verbose.stderr.startswith(stderrs[3].rstrip("\n") + "\nstack traceback:\n"), verbose.stderr
    assert "policy.lua:4: in " in verbose.stderr


# An emitter module replaced through -L: every messages module reports a warning at its
# first message, one the same for every module (printed once), and with COLLIDE set an
# error for the packages that collide.
MESSAGES_OVERRIDE = """
local base = require("builtin:emitters.python.messages")
local M = setmetatable({}, { __index = base })
function M.module_text(ctx, mod)
  for _, file in ipairs(mod.files) do
    if file.is_target and #file.messages > 0 then
      ctx:warning(file.messages[1], "checked " .. mod.name)
      ctx:warning(nil, "every module says this")
      break
    end
  end
  return base.module_text(ctx, mod)
end
return M
"""

# fields and methods whose Python names collide, in three packages of the eight
COLLISIONS = {
    "shop/users/v1/users.proto": ("  repeated User friends = 5;\n", "  repeated User friends = 5;\n"
                                  "  string class = 6;\n  string class_ = 7 [json_name = \"klass\"];\n"),
    "shop/search/v1/search.proto": ("  rpc Find(Query)", "  rpc FindIt(Query) returns (Hit);\n"
                                    "  rpc find_it(Query) returns (Hit);\n  rpc Find(Query)"),
    "shop/events/v1/events.proto": ("  int64 at = 1;\n", "  int64 at = 1;\n  int64 match = 5;\n"
                                    "  int64 match_ = 6 [json_name = \"matched\"];\n"),
}


def schema_with_collisions() -> dict[str, str]:
    files = dict(SCHEMA)
    for name, (old, new) in COLLISIONS.items():
        text = textwrap.dedent(files[name])
        assert old in text, (name, old)
        files[name] = text.replace(old, new)
    return files


@pytest.mark.parametrize("collide", [False, True], ids=["warnings", "errors"])
@pytest.mark.parametrize("rules", list(RULE_SETS))
def test_diagnostics_in_order_and_once(rules: str, collide: bool, tmp_path: Path) -> None:
    root = tmp_path / "protos"
    files = write_schema(root, schema_with_collisions() if collide else SCHEMA)
    scripts = tmp_path / "scripts"
    (scripts / "emitters" / "python").mkdir(parents=True)
    (scripts / "emitters" / "python" / "messages.lua").write_text(MESSAGES_OVERRIDE.lstrip(), encoding="utf-8")
    results = {}
    for jobs in (1, 3):
        out = tmp_path / f"out-{jobs}"
        results[jobs] = generate_with_jobs(root, files, out, jobs, "-L", str(scripts), *RULE_SETS[rules])
        assert results[jobs].returncode == (1 if collide else 0), results[jobs].stderr
        if collide:
            assert list(out.iterdir()) == []
    one, three = results[1].stderr, results[3].stderr
    assert one == three
    headers = [line for line in one.splitlines() if ": warning: " in line or ": error: " in line]
    assert len(headers) == len(set(headers)), "a diagnostic printed twice:\n" + one
    assert headers.count("moonstub: warning: every module says this") == 1, one
    checked = [re.search(r"checked (\S+)", line) for line in headers]
    modules = [match.group(1) for match in checked if match]
    assert len(modules) == len(PACKAGES), one
    assert [next(p for p in PACKAGES if p in module) for module in modules] == list(PACKAGES), modules
    if collide:
        errors = [line for line in headers if ": error: " in line]
        assert len(errors) == 3, one
        assert 'both become the Python attribute "class_"' in one
        assert 'both become the Python method "find_it"' in one
        assert 'both become the Python attribute "match_"' in one
        position = {word: one.index(word) for word in ('"class_"', '"find_it"', '"match_"')}
        assert position['"class_"'] < position['"find_it"'] < position['"match_"'], position


# A worker that loops in a rules hook until it is killed.
POLICY_LOOPING = """
return {
  field = function(field, default)
    if field.file.package == "shop.search.v1" then
      while true do end
    end
    return default(field)
  end,
}
"""


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(word) for word in text.split()]


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return "?"


def test_worker_stopped_by_a_signal(shop: tuple[Path, list[str]], tmp_path: Path) -> None:
    if not Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children").exists():
        pytest.skip("no /proc/PID/task/PID/children to find the workers")
    root, files = shop
    policy = tmp_path / "policy.lua"
    policy.write_text(POLICY_LOOPING.lstrip(), encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    cmd = [support.check_binary(), "-I", str(root), *files, f"--python_out={out}", "-j", "2", "--grpc",
           f"--rules={policy}", "--lua-budget=60"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        looping = None
        deadline = time.monotonic() + 20
        while looping is None and time.monotonic() < deadline:
            running = [pid for pid in _children(proc.pid) if _state(pid) in ("R", "S")]
            # the worker with shop.search.v1 (the second half of the modules) loops;
            # the other ends quickly and waits to be reaped
            if len(running) == 1 and time.monotonic() > deadline - 19:
                looping = running[0]
            time.sleep(0.1)
        assert looping is not None, "no worker found looping"
        os.kill(looping, signal.SIGKILL)
        stdout, stderr = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 1, stderr
    assert stdout == ""
    assert re.fullmatch(r"moonstub: error: worker 2 was stopped by signal 9 \(Killed\)\n", stderr), stderr
    assert list(out.iterdir()) == []


POLICY_GREEDY = """
local held = {}
return {
  field = function(field, default)
    if field.file.package == "shop.search.v1" then
      held[#held + 1] = string.rep(field.name, 4 * 1024 * 1024)
    end
    return default(field)
  end,
}
"""


def test_worker_over_the_memory_limit(shop: tuple[Path, list[str]], tmp_path: Path) -> None:
    root, files = shop
    policy = tmp_path / "policy.lua"
    policy.write_text(POLICY_GREEDY.lstrip(), encoding="utf-8")
    # the run before the workers start stays far below 64 MB; the hook then asks for
    # several times that in the worker that has shop.search.v1
    fits = generate_with_jobs(root, files, tmp_path / "fits", 2, "--grpc", "--lua-memory=512", f"--rules={policy}")
    assert fits.returncode == 0, fits.stderr
    for jobs in (2, 1):
        out = tmp_path / f"out-{jobs}"
        result = generate_with_jobs(root, files, out, jobs, "--grpc", "--lua-memory=64", f"--rules={policy}")
        assert result.returncode == 1, result.stderr
        assert result.stderr == "moonstub: error: Lua scripts used more than 64 MB of memory (--lua-memory)\n"
        assert list(out.iterdir()) == []


# ---- the flag ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("flags", [("--jobs", "0"), ("--jobs=0",), ("--jobs", "x"), ("-j", "x"), ("--jobs=",),
                                   ("-j", "257"), ("--jobs=-1",), ("-j", "2x"), ("-j2x",), ("-j",), ("--jobs",)],
                         ids=lambda flags: " ".join(flags) or "none")
def test_bad_jobs_values_are_flag_errors(flags: tuple[str, ...], shop: tuple[Path, list[str]],
                                         tmp_path: Path) -> None:
    root, files = shop
    out = tmp_path / "out"
    out.mkdir()
    # the flag last: "-j" with nothing after it
    result = support.run_moonstub("-I", str(root), *files, f"--python_out={out}", *flags)
    assert result.returncode == 1
    assert result.stderr == JOBS_ERROR
    assert result.stdout == ""
    assert list(out.iterdir()) == []


def test_jobs_bounds_are_accepted(shop: tuple[Path, list[str]], tmp_path: Path) -> None:
    root, files = shop
    for flags in (("-j", "1"), ("--jobs=256",), ("--jobs", "256"), ("-j=2",), ("-j3",)):
        result = support.run_moonstub("-I", str(root), *files, *flags)
        assert result.returncode == 0, (flags, result.stderr)
        assert result.stderr == ""
