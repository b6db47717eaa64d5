"""moonstub's Fory codec and gRPC companions against Apache Fory's foryc.

Two schemas are compiled by both generators into separate folders and loaded
side by side (``fory_helpers.load_set``: unique module names, the plain names
aliased only while a set loads):

* schemas/greeter.fdl -- the seed's greeter (aio and sync companions);
* schemas/kitchen.fdl -- every FDL type and feature: bool, int8..int64,
  uint8..uint64, float16, bfloat16, float32, float64, string, bytes, date,
  timestamp, duration, decimal, any, fixed/varint/tagged encodings, optional
  fields, repeated and list<>, map<K,V> (message and enum values),
  array<float32|int16|bool>, an enum with prefixed values (COLOR_RED), a
  top-level and a nested union, nested messages and enums, ``ref`` fields (a
  self-referential Node with ``ref Node next`` and ``list<ref Node>``, here with
  a cycle), [id=N] on types, ``package x.y alias z``, reserved; and a service
  with the four RPC shapes.

Checks:

* the Python declarations (field annotations, ids, nullable/ref flags, type
  ids, registration) are foryc's, except the defaults moonstub gives date,
  timestamp, duration, enum and array fields so that a default object
  serializes;
* every message and union: moonstub's ``to_bytes()`` equals foryc's for the
  same value, and each side's ``from_bytes()`` reads the other's bytes back to
  the same value, compared field by field (``assert_same``);
* gRPC, all four shapes: moonstub's client against foryc's server and foryc's
  client against moonstub's server (grpc.aio), comparing what the server
  received and what the client got back; the greeter in sync mode too.

foryc's own defaults leave date/timestamp/duration, enum and array fields
None, which its Fory cannot serialize, so every value sets them.
"""

from __future__ import annotations

import datetime
import decimal
import re
import types
import typing
from pathlib import Path

import grpc
import grpc.aio
import pytest
from fory_helpers import SCHEMAS, aio_server, assert_same, foryc, generate, load_set, sync_server

aio = pytest.mark.asyncio(loop_scope="module")

MS_MODULES = ("_moonstub", "_moonstub_grpc", "kitchen_sink", "kitchen_sink_grpc", "demo_greeter",
              "demo_greeter_grpc")
FC_MODULES = ("kitchen_sink", "kitchen_sink_grpc", "demo_greeter", "demo_greeter_grpc")
GREETER_MS = ("_moonstub", "_moonstub_grpc", "demo_greeter", "demo_greeter_grpc")
GREETER_FC = ("demo_greeter", "demo_greeter_grpc")
SCHEMA_FILES = ["kitchen.fdl", "greeter.fdl"]
UTC = datetime.timezone.utc


@pytest.fixture(scope="module")
def dirs(tmp_path_factory: pytest.TempPathFactory) -> types.SimpleNamespace:
    base = tmp_path_factory.mktemp("interop")
    return types.SimpleNamespace(
        ms=generate(base / "ms_aio", SCHEMAS, SCHEMA_FILES, "--grpc"),
        fc=foryc(base / "fc_aio", SCHEMAS, SCHEMA_FILES, "--grpc"),
        ms_sync=generate(base / "ms_sync", SCHEMAS, ["greeter.fdl"], "--grpc-python-mode=sync"),
        fc_sync=foryc(base / "fc_sync", SCHEMAS, ["greeter.fdl"], "--grpc", "--grpc-python-mode=sync"),
    )


@pytest.fixture(scope="module")
def ms(dirs: types.SimpleNamespace) -> dict[str, types.ModuleType]:
    return load_set(dirs.ms, "ix_ms", MS_MODULES)


@pytest.fixture(scope="module")
def fc(dirs: types.SimpleNamespace) -> dict[str, types.ModuleType]:
    return load_set(dirs.fc, "ix_fc", FC_MODULES)


@pytest.fixture(scope="module")
def ms_sync(dirs: types.SimpleNamespace) -> dict[str, types.ModuleType]:
    return load_set(dirs.ms_sync, "ix_ms_sync", GREETER_MS)


@pytest.fixture(scope="module")
def fc_sync(dirs: types.SimpleNamespace) -> dict[str, types.ModuleType]:
    return load_set(dirs.fc_sync, "ix_fc_sync", GREETER_FC)


# ---- values ---------------------------------------------------------------------------------------


def node_graph(K: typing.Any, cycle_to_root: bool = True) -> typing.Any:
    """n1 -> n2 -> n3 -> n1 (a cycle through ``ref Node next``), with shared
    children (``list<ref Node>``). A Node held by a field that is not ``ref``
    (AllTypes.node) is not reference-tracked itself, so there the cycle goes
    back to n2 instead of the root."""
    n3 = K.Node(name="n3")
    n2 = K.Node(name="n2", next=n3, children=[n3])
    n1 = K.Node(name="n1", next=n2, children=[n2, n3, n2])
    n3.next = n1 if cycle_to_root else n2
    n3.children = [n3]
    return n1


def outer(K: typing.Any, text_choice: bool = False) -> typing.Any:
    Inner = K.Outer.Inner
    choice = K.Outer.Choice.text("chosen") if text_choice else \
        K.Outer.Choice.inner(Inner(tag="chosen", mode=Inner.Mode.B))
    return K.Outer(inner=Inner(tag="inner", mode=Inner.Mode.B), level=K.Outer.Level.HIGH,
                   inners=[Inner(tag="i0", mode=Inner.Mode.A), Inner(tag="i1", mode=Inner.Mode.B)],
                   choice=choice)


def all_types_max(K: typing.Any) -> typing.Any:
    return K.AllTypes(
        b=True, i8=127, i16=32767, i32=2**31 - 1, i64=2**63 - 1,
        u8=255, u16=65535, u32=2**32 - 1, u64=2**64 - 1,
        f16=65504.0, bf16=-1.5, f32=3.4028234663852886e38, f64=1.7976931348623157e308,
        s="héllo wörld ✓ 😀", data=bytes(range(256)),
        day=datetime.date(2024, 2, 29),
        ts=datetime.datetime(2024, 2, 29, 23, 59, 59, 999999, tzinfo=UTC),
        dur=datetime.timedelta(days=3, seconds=4, microseconds=5),
        dec=decimal.Decimal("12345678901234567890.123456789"),
        anything=K.Point(x=-1, y=1),
        fi32=2**31 - 1, fi64=2**63 - 1, fu32=2**32 - 1, fu64=2**64 - 1,
        vi32=-(2**31), vu64=2**64 - 1, ti64=2**63 - 1, tu64=2**64 - 1,
        maybe_s="maybe", maybe_i=-5,
        tags=["a", "", "ü"], longs=[0, -1, 2**63 - 1, -(2**63)],
        counts={"one": 1, "": 0, "neg": -(2**31)},
        points={1: K.Point(x=1, y=2), -7: K.Point(x=-3, y=4)},
        vec=[1.5, -0.25, 3.0], shorts=[-32768, 0, 32767], flags=[True, False, True],
        color=K.Color.BLUE, colors=[K.Color.RED, K.Color.GREEN, K.Color.BLUE],
        shape=K.Shape.point(K.Point(x=5, y=6)), point=K.Point(x=7, y=8),
        outer=outer(K), node=node_graph(K, cycle_to_root=False),
        point_list=[K.Point(x=9, y=10), K.Point(x=11, y=12)],
        color_map={"g": K.Color.GREEN, "b": K.Color.BLUE},
    )


def all_types_min(K: typing.Any) -> typing.Any:
    return K.AllTypes(
        b=False, i8=-128, i16=-32768, i32=-(2**31), i64=-(2**63),
        u8=0, u16=0, u32=0, u64=0,
        f16=-0.5, bf16=0.0, f32=-1.25, f64=-0.0,
        s="", data=b"",
        day=datetime.date(1970, 1, 1),
        ts=datetime.datetime(1970, 1, 1, tzinfo=UTC),
        dur=datetime.timedelta(0),
        dec=decimal.Decimal("-0.001"),
        anything=None,
        fi32=-(2**31), fi64=-(2**63), fu32=0, fu64=0, vi32=0, vu64=0, ti64=-(2**63), tu64=0,
        maybe_s=None, maybe_i=None,
        tags=[], longs=[], counts={}, points={}, vec=[], shorts=[], flags=[],
        color=K.Color.RED, colors=[], shape=K.Shape.radius(-(2**63)), point=None,
        outer=None, node=None, point_list=[], color_map={},
    )


def kitchen_values(K: typing.Any) -> dict[str, typing.Any]:
    """One value of every message and union of kitchen.fdl, built with the
    classes of module ``K`` (moonstub's or foryc's)."""
    return {
        "AllTypes(max)": all_types_max(K),
        "AllTypes(min)": all_types_min(K),
        "AllTypes(strings)": K.AllTypes(
            day=datetime.date(2000, 1, 1), ts=datetime.datetime(2000, 1, 1, 12, tzinfo=UTC),
            dur=datetime.timedelta(seconds=-1), dec=decimal.Decimal("1E+10"), anything="any string",
            color=K.Color.GREEN, shape=K.Shape.label("label"), vec=[], shorts=[], flags=[]),
        "Point": K.Point(x=-(2**31), y=2**31 - 1),
        "Node": node_graph(K),
        "Node(leaf)": K.Node(name="leaf"),
        "Outer": outer(K),
        "Outer(text choice)": outer(K, text_choice=True),
        "Outer.Inner": K.Outer.Inner(tag="t", mode=K.Outer.Inner.Mode.B),
        "Outer.Choice(inner)": K.Outer.Choice.inner(K.Outer.Inner(tag="x", mode=K.Outer.Inner.Mode.A)),
        "Outer.Choice(text)": K.Outer.Choice.text("some text"),
        "Shape(point)": K.Shape.point(K.Point(x=1, y=-1)),
        "Shape(label)": K.Shape.label("ünïcode"),
        "Shape(radius)": K.Shape.radius(2**63 - 1),
    }


VALUE_NAMES = ["AllTypes(max)", "AllTypes(min)", "AllTypes(strings)", "Point", "Node", "Node(leaf)", "Outer",
               "Outer(text choice)", "Outer.Inner", "Outer.Choice(inner)", "Outer.Choice(text)", "Shape(point)",
               "Shape(label)", "Shape(radius)"]


def cls_of(K: typing.Any, value: typing.Any) -> typing.Any:
    cls = K
    for part in type(value).__qualname__.split("."):
        cls = getattr(cls, part)
    return cls


# ---- declarations -----------------------------------------------------------------------------------

FIELD_RE = re.compile(r"^(\s*)(\w+): (.+?) = pyfory\.field\((id=\d+(?:, nullable=True)?(?:, ref=True)?)")
TYPE_ID_RE = re.compile(r"^\s*fory\.register_(?:type|union)\((.+?), type_id=(\d+)")


def declarations(path: Path) -> dict[str, list[str]]:
    """Field annotations with their pyfory.field id/nullable/ref (defaults
    left out), registrations with type ids, enum members, class headers."""
    fields: list[str] = []
    registrations: list[str] = []
    members: list[str] = []
    classes: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if m := FIELD_RE.match(line):
            fields.append(f"{m[1]}{m[2]}: {m[3]} [{m[4]}]")
        elif m := TYPE_ID_RE.match(line):
            registrations.append(f"{m[1]} = {m[2]}")
        elif re.match(r"^\s*class \w+", line):
            classes.append(line.split("#")[0].rstrip())
        elif re.match(r"^\s+[A-Za-z_]\w* = -?\d+$", line):
            members.append(line.strip())
    return {"fields": fields, "registrations": registrations, "members": members, "classes": classes}


def test_declarations_are_forycs(dirs: types.SimpleNamespace) -> None:
    for module in ("kitchen_sink", "demo_greeter"):
        ours, theirs = declarations(dirs.ms / f"{module}.py"), declarations(dirs.fc / f"{module}.py")
        for key in ours:
            assert ours[key] == theirs[key], f"{module}: {key} differ"
    assert len(declarations(dirs.ms / "kitchen_sink.py")["fields"]) > 50


def test_type_ids(dirs: types.SimpleNamespace) -> None:
    regs = dict(r.split(" = ") for r in declarations(dirs.ms / "kitchen_sink.py")["registrations"])
    explicit = {"Color": 110, "Point": 111, "Shape": 112, "Node": 113, "Outer": 114, "AllTypes": 115}
    assert {k: int(v) for k, v in regs.items() if k in explicit} == explicit
    # nested types: foryc's hash of "<alias>.<path>" (package alias ks), which
    # foryc names in its comments
    text = (dirs.fc / "kitchen_sink.py").read_text(encoding="utf-8")
    for name in ("Outer.Inner", "Outer.Choice"):
        assert f"Type ID {regs[name]} is generated from ks.{name}" in text
    assert {"Outer.Level", "Outer.Inner.Mode"} <= set(regs)


def test_nested_type_in_list_is_declared_as_foryc_does(tmp_path: Path) -> None:
    ms_dir = generate(tmp_path / "ms", SCHEMAS, ["nested_list.fdl"])
    fc_dir = foryc(tmp_path / "fc", SCHEMAS, ["nested_list.fdl"])
    assert declarations(ms_dir / "nestedlists.py") == declarations(fc_dir / "nestedlists.py")


def test_nested_type_in_list_interoperates(tmp_path: Path) -> None:
    """Whatever the declarations, each side reads the other's lists and maps
    of a nested message; list<Inner> (relative) encodes as foryc's."""
    ms_dir = generate(tmp_path / "ms", SCHEMAS, ["nested_list.fdl"])
    fc_dir = foryc(tmp_path / "fc", SCHEMAS, ["nested_list.fdl"])
    M = load_set(ms_dir, "nl_ms", ("_moonstub", "nestedlists"))["nestedlists"]
    F = load_set(fc_dir, "nl_fc", ("nestedlists",))["nestedlists"]

    def value(K: typing.Any, relative_only: bool = False) -> typing.Any:
        Inner = K.Outer.Inner
        if relative_only:
            return K.Outer(relative=[Inner(tag="a"), Inner(tag="b")], relative_map={"k": Inner(tag="c")})
        return K.Outer(relative=[Inner(tag="a"), Inner(tag="b")], qualified=[Inner(tag="q")],
                       relative_map={"k": Inner(tag="c")}, qualified_map={"m": Inner(tag="d"), "n": Inner(tag="e")})

    for src, dst in ((M, F), (F, M)):
        assert_same(dst.Outer.from_bytes(value(src).to_bytes()), value(dst))
    assert value(M, True).to_bytes() == value(F, True).to_bytes()


# ---- bytes ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", VALUE_NAMES)
def test_cross_decode(name: str, ms: dict[str, types.ModuleType], fc: dict[str, types.ModuleType]) -> None:
    M, F = ms["kitchen_sink"], fc["kitchen_sink"]
    ours, theirs = kitchen_values(M)[name], kitchen_values(F)[name]
    our_bytes, their_bytes = ours.to_bytes(), theirs.to_bytes()
    assert isinstance(our_bytes, bytes)
    assert our_bytes == their_bytes, f"{name}: moonstub and foryc encode the same value differently"
    # each side reads its own bytes and the other's
    assert_same(cls_of(M, ours).from_bytes(our_bytes), ours, f"{name} (moonstub -> moonstub)")
    assert_same(cls_of(F, theirs).from_bytes(our_bytes), theirs, f"{name} (moonstub -> foryc)")
    assert_same(cls_of(M, ours).from_bytes(their_bytes), ours, f"{name} (foryc -> moonstub)")
    assert_same(cls_of(F, theirs).from_bytes(their_bytes), ours, f"{name} (foryc -> foryc)")


def test_cycles_survive(ms: dict[str, types.ModuleType], fc: dict[str, types.ModuleType]) -> None:
    M, F = ms["kitchen_sink"], fc["kitchen_sink"]
    for src, dst in ((M, F), (F, M)):
        n1 = dst.Node.from_bytes(node_graph(src).to_bytes())
        n2, n3 = n1.next, n1.next.next
        assert (n1.name, n2.name, n3.name) == ("n1", "n2", "n3")
        assert n3.next is n1 and n1.children[0] is n2 and n1.children[2] is n2 and n1.children[1] is n3
        assert n3.children[0] is n3


def test_default_objects(ms: dict[str, types.ModuleType]) -> None:
    """moonstub's defaults are writable where foryc's are not (dates, enums, arrays)."""
    M = ms["kitchen_sink"]
    value = M.AllTypes(shape=M.Shape.label(""))  # a union field has no default
    back = M.AllTypes.from_bytes(value.to_bytes())
    assert_same(back, value)
    assert back.day == datetime.date(1970, 1, 1) and back.color == M.Color.RED and list(back.vec) == []
    assert back.ts == datetime.datetime(1970, 1, 1, tzinfo=UTC) and back.dur == datetime.timedelta(0)
    assert M.Outer.Inner().mode == M.Outer.Inner.Mode.A
    assert [m.name for m in M.Color] == ["RED", "GREEN", "BLUE"]  # COLOR_ prefix stripped, as foryc does


# ---- gRPC -------------------------------------------------------------------------------------------


def kitchen_servicer(mods: dict[str, types.ModuleType], received: list[tuple[str, typing.Any]]) -> typing.Any:
    K = mods["kitchen_sink"]

    class Kitchen(mods["kitchen_sink_grpc"].KitchenServicer):  # type: ignore[misc,name-defined]
        async def echo(self, request: typing.Any, context: typing.Any) -> typing.Any:
            received.append(("echo", request))
            return request

        async def split(self, request: typing.Any, context: typing.Any) -> typing.AsyncIterator[typing.Any]:
            received.append(("split", request))
            node, seen = request.node, set()
            while node is not None and id(node) not in seen:
                seen.add(id(node))
                yield node
                node = node.next

        async def collect(self, request_iterator: typing.Any, context: typing.Any) -> typing.Any:
            points = [p async for p in request_iterator]
            received.append(("collect", points))
            return collected(K, points)

        async def chat(self, request_iterator: typing.Any, context: typing.Any) -> typing.AsyncIterator[typing.Any]:
            async for shape in request_iterator:
                received.append(("chat", shape))
                yield shape

    return Kitchen()


def collected(K: typing.Any, points: list[typing.Any]) -> typing.Any:
    Inner = K.Outer.Inner
    return K.Outer(inner=Inner(tag=f"{len(points)} points", mode=Inner.Mode.B), level=K.Outer.Level.HIGH,
                   inners=[Inner(tag=f"{p.x},{p.y}", mode=Inner.Mode.A) for p in points],
                   choice=K.Outer.Choice.text(";".join(str(p.x) for p in points)))


def chat_shapes(K: typing.Any) -> list[typing.Any]:
    return [K.Shape.point(K.Point(x=1, y=2)), K.Shape.label("ü"), K.Shape.radius(-(2**63)), K.Shape.radius(0)]


def points(K: typing.Any) -> list[typing.Any]:
    return [K.Point(x=x, y=y) for x, y in ((0, 0), (1, -1), (2**31 - 1, -(2**31)), (-(2**31), 2**31 - 1))]


async def run_kitchen_client(client: dict[str, types.ModuleType], server: dict[str, types.ModuleType],
                             address: str, received: list[tuple[str, typing.Any]]) -> None:
    """All four shapes with the client set's stub; compares what the server
    (of the other set) received and what came back."""
    C, S = client["kitchen_sink"], server["kitchen_sink"]
    async with grpc.aio.insecure_channel(address) as channel:
        stub = client["kitchen_sink_grpc"].KitchenStub(channel)
        for maker in (all_types_max, all_types_min):
            sent = maker(C)
            back = await stub.echo(sent)
            assert type(back) is C.AllTypes
            assert_same(back, sent, f"echo {maker.__name__} (client side)")
            kind, got = received.pop(0)
            assert kind == "echo" and type(got) is S.AllTypes
            assert_same(got, maker(S), f"echo {maker.__name__} (server side)")

        nodes = [n async for n in stub.split(all_types_max(C))]
        assert [n.name for n in nodes] == ["n1", "n2", "n3"]
        graph = node_graph(C, cycle_to_root=False)
        assert_same(nodes[0], graph, "split[0]")
        assert_same(nodes[1], graph.next, "split[1]")
        assert_same(nodes[2], graph.next.next, "split[2]")
        assert received.pop(0)[0] == "split"

        async def point_stream() -> typing.AsyncIterator[typing.Any]:
            for p in points(C):
                yield p

        result = await stub.collect(point_stream())
        assert_same(result, collected(C, points(C)), "collect")
        kind, got = received.pop(0)
        assert kind == "collect"
        assert_same(got, points(S), "collect (server side)")

        async def shape_stream() -> typing.AsyncIterator[typing.Any]:
            for s in chat_shapes(C):
                yield s

        echoed = [s async for s in stub.chat(shape_stream())]
        assert_same(echoed, chat_shapes(C), "chat")
        assert [r for r in received if r[0] == "chat"] == received
        assert_same([r[1] for r in received], chat_shapes(S), "chat (server side)")
        received.clear()


@aio
async def test_moonstub_client_foryc_server(ms: dict[str, types.ModuleType], fc: dict[str, types.ModuleType]) -> None:
    received: list[tuple[str, typing.Any]] = []
    servicer = kitchen_servicer(fc, received)
    async with aio_server(lambda s: fc["kitchen_sink_grpc"].add_servicer(servicer, s)) as address:
        await run_kitchen_client(ms, fc, address, received)


@aio
async def test_foryc_client_moonstub_server(ms: dict[str, types.ModuleType], fc: dict[str, types.ModuleType]) -> None:
    received: list[tuple[str, typing.Any]] = []
    servicer = kitchen_servicer(ms, received)
    async with aio_server(lambda s: ms["kitchen_sink_grpc"].add_servicer(servicer, s)) as address:
        await run_kitchen_client(fc, ms, address, received)


# ---- the greeter, aio and sync --------------------------------------------------------------------------


def greeter_aio(mods: dict[str, types.ModuleType]) -> typing.Any:
    g = mods["demo_greeter"]

    class Greeter(mods["demo_greeter_grpc"].GreeterServicer):  # type: ignore[misc,name-defined]
        async def say_hello(self, request: typing.Any, context: typing.Any) -> typing.Any:
            return g.HelloReply(reply=f"Hello, {request.name}")

        async def lots_of_replies(self, request: typing.Any, context: typing.Any) -> typing.Any:
            yield g.HelloReply(reply=f"Hello, {request.name}")
            yield g.HelloReply(reply=f"Welcome, {request.name}")

        async def lots_of_greetings(self, request_iterator: typing.Any, context: typing.Any) -> typing.Any:
            return g.HelloReply(reply=", ".join([r.name async for r in request_iterator]))

        async def chat(self, request_iterator: typing.Any, context: typing.Any) -> typing.Any:
            async for r in request_iterator:
                yield g.HelloReply(reply=f"Hello, {r.name}")

    return Greeter()


def greeter_sync(mods: dict[str, types.ModuleType]) -> typing.Any:
    g = mods["demo_greeter"]

    class Greeter(mods["demo_greeter_grpc"].GreeterServicer):  # type: ignore[misc,name-defined]
        def say_hello(self, request: typing.Any, context: typing.Any) -> typing.Any:
            return g.HelloReply(reply=f"Hello, {request.name}")

        def lots_of_replies(self, request: typing.Any, context: typing.Any) -> typing.Any:
            yield g.HelloReply(reply=f"Hello, {request.name}")
            yield g.HelloReply(reply=f"Welcome, {request.name}")

        def lots_of_greetings(self, request_iterator: typing.Any, context: typing.Any) -> typing.Any:
            return g.HelloReply(reply=", ".join(r.name for r in request_iterator))

        def chat(self, request_iterator: typing.Any, context: typing.Any) -> typing.Any:
            for r in request_iterator:
                yield g.HelloReply(reply=f"Hello, {r.name}")

    return Greeter()


EXPECTED = ["Hello, Fory", "Hello, Fory", "Welcome, Fory", "Ada, Grace", "Hello, Fory", "Hello, RPC"]


async def greet_aio(client: dict[str, types.ModuleType], address: str) -> list[str]:
    g = client["demo_greeter"]
    async with grpc.aio.insecure_channel(address) as channel:
        stub = client["demo_greeter_grpc"].GreeterStub(channel)
        out = [(await stub.say_hello(g.HelloRequest(name="Fory"))).reply]
        out += [r.reply async for r in stub.lots_of_replies(g.HelloRequest(name="Fory"))]

        async def names(*values: str) -> typing.AsyncIterator[typing.Any]:
            for v in values:
                yield g.HelloRequest(name=v)

        out.append((await stub.lots_of_greetings(names("Ada", "Grace"))).reply)
        out += [r.reply async for r in stub.chat(names("Fory", "RPC"))]
        for_types = await stub.say_hello(g.HelloRequest(name="x"))
        assert type(for_types) is g.HelloReply
    return out


def greet_sync(client: dict[str, types.ModuleType], address: str) -> list[str]:
    g = client["demo_greeter"]
    with grpc.insecure_channel(address) as channel:
        stub = client["demo_greeter_grpc"].GreeterStub(channel)
        out = [stub.say_hello(g.HelloRequest(name="Fory"), timeout=10).reply]
        out += [r.reply for r in stub.lots_of_replies(g.HelloRequest(name="Fory"), timeout=10)]
        out.append(stub.lots_of_greetings(iter([g.HelloRequest(name="Ada"), g.HelloRequest(name="Grace")]),
                                          timeout=10).reply)
        out += [r.reply for r in stub.chat(iter([g.HelloRequest(name="Fory"), g.HelloRequest(name="RPC")]),
                                           timeout=10)]
        assert type(stub.say_hello(g.HelloRequest(name="x"), timeout=10)) is g.HelloReply
    return out


@aio
@pytest.mark.parametrize("direction", ["moonstub client -> foryc server", "foryc client -> moonstub server"])
async def test_greeter_aio(direction: str, ms: dict[str, types.ModuleType], fc: dict[str, types.ModuleType]) -> None:
    client, server = (ms, fc) if direction.startswith("moonstub") else (fc, ms)
    servicer = greeter_aio(server)
    async with aio_server(lambda s: server["demo_greeter_grpc"].add_servicer(servicer, s)) as address:
        assert await greet_aio(client, address) == EXPECTED


@pytest.mark.parametrize("direction", ["moonstub client -> foryc server", "foryc client -> moonstub server"])
def test_greeter_sync(direction: str, ms_sync: dict[str, types.ModuleType],
                      fc_sync: dict[str, types.ModuleType]) -> None:
    client, server = (ms_sync, fc_sync) if direction.startswith("moonstub") else (fc_sync, ms_sync)
    servicer = greeter_sync(server)
    with sync_server(lambda s: server["demo_greeter_grpc"].add_servicer(servicer, s)) as address:
        assert greet_sync(client, address) == EXPECTED


def test_sync_declarations_are_forycs(dirs: types.SimpleNamespace) -> None:
    """sync mode writes the same message module as aio mode, and the same
    public names in the companion."""
    assert declarations(dirs.ms_sync / "demo_greeter.py") == declarations(dirs.fc_sync / "demo_greeter.py")
    for d in (dirs.ms_sync, dirs.fc_sync):
        text = (d / "demo_greeter_grpc.py").read_text(encoding="utf-8")
        assert "class GreeterStub" in text and "class GreeterServicer" in text and "def add_servicer" in text
        assert "async def" not in text
