"""Hostile names: Python keywords, soft keywords, builtins, dunders, names the
generated modules define or import, keyword packages, services and RPCs,
enum values, and IDL names that meet in one Python name.

The corpus is protos/hostile/*.proto (plus small inline schemas for the
collisions). For each case the test asserts exactly one of two outcomes:

* it works: generation exits 0, the modules import, ``mypy --strict`` passes
  (hostile_support.MYPY_INI), every message class round-trips through the
  wire codec and the JSON mapping (hostile_support.exercise), the Python
  names are the documented escapes, and services answer over a real
  grpc.aio server; or
* it is refused: exit 1, an error at ``file:line:col`` that names both
  colliding IDL names, and nothing written.

Cases where moonstub does neither are strict xfails naming the bug; their
tests accept either outcome (``works_or_refused``), so any fix makes them
pass. Both rule presets (``default`` and ``--rules aristaproto``) run where
the names they give differ.
"""

from __future__ import annotations

import asyncio
import json
import typing

import grpc
import grpc.aio
import pytest

import support
from hostile_support import CORPUS, Generated, protobuf_classes, works, works_or_refused

RULES = ["default", "aristaproto"]


def mod(rules: str, package: str) -> str:
    """The module of a package under the given rules."""
    return package.replace(".", "_") if rules == "default" else package


# ---- keywords and soft keywords ------------------------------------------------------------------


def attrs(gen: Generated, cls: type) -> dict[str, str]:
    """IDL field name -> Python attribute, from the field table."""
    return {f.name: f.attr for f in gen.module("_moonstub").fields_of(cls)}


@pytest.mark.parametrize("rules", RULES)
def test_keywords(tmp_path, rules):
    gen = Generated(tmp_path, ["keywords.proto"], rules)
    m = works(gen, [mod(rules, "hostile.kw")], "hostile.kw.")[mod(rules, "hostile.kw")]
    pascal = rules == "aristaproto"
    # classes: PascalCase (aristaproto) or the IDL name; keywords get "_"
    cls = m.Class if pascal else m.class_
    defn = m.Def if pascal else m.def_
    lam = m.Lambda if pascal else m.lambda_
    match = m.Match if pascal else m.match_
    asy = m.Async if pascal else m.async_
    none = m.None_
    # fields: the IDL name (aristaproto: snake_case) with "_" after a keyword
    c = cls(def_=1, from_="f", import_=True, lambda_=["x"], yield_={"k": 2})
    assert cls.FromString(bytes(c)) == c
    assert c.to_dict() == {"def": 1, "from": "f", "import": True, "lambda": ["x"], "yield": {"k": "2"}}
    want = {"None": "none", "True": "true", "False": "false"} if pascal else \
        {"None": "None_", "True": "True_", "False": "False_"}
    assert attrs(gen, defn) == {**want, "async": "async_", "await": "await_"}
    d = defn(**{want["None"]: c, want["True"]: [c], want["False"]: {"k": c}}, async_=0, await_=b"\x00")
    assert defn.FromString(bytes(d)) == d and d.async_ == 0
    assert set(d.to_dict()) == {"None", "True", "False", "async", "await"}
    # every keyword and soft keyword; "_" becomes "__", and "is" "is__" (is_ is
    # the Any helper every message class has)
    names = attrs(gen, lam)
    assert names["_"] == "__" and names["match"] == "match_" and names["type"] == "type_"
    assert names["is"] == "is__"
    assert all(attr == name + "_" for name, attr in names.items() if name not in ("_", "is")), names
    assert lam(**{attr: i for i, attr in enumerate(names.values())}).to_dict()["return"] == 16
    # nested classes named with soft keywords (aristaproto flattens them: MatchCase)
    case = m.MatchCase if pascal else match.case_
    typ = m.MatchCaseType if pascal else case.type_
    mm = match(c=case(m=3, under=typ(with_="w")), unders=[typ(with_="u")])
    assert match.FromString(bytes(mm)) == mm
    assert mm.to_dict() == {"c": {"m": 3, "under": {"with": "w"}}, "unders": [{"with": "u"}]}
    # a oneof named with a keyword, members named with keywords
    aw = m.AsyncAwait if pascal else asy.await_
    a = asy(aw=aw.AWAIT_ONE, def_="d")
    assert a.which_oneof("class") == "def_"
    a.import_ = mm
    assert (a.def_, a.which_oneof("class")) == (None, "import_")
    assert asy.FromString(bytes(a)) == a
    assert a.to_dict() == {"aw": "AWAIT_ONE", "import": mm.to_dict()}
    t, f = ("true", "false") if pascal else ("True_", "False_")
    n = none(**{t: 5})
    setattr(n, f, "x")
    assert (getattr(n, t), n.which_oneof("type")) == (None, f)
    assert getattr(none.from_json('{"True": 7}'), t) == 7


# ---- builtins --------------------------------------------------------------------------------------------


def test_builtin_type_names_aristaproto(tmp_path):
    """aristaproto's PascalCase class names never shadow a builtin."""
    gen = Generated(tmp_path, ["builtin_types.proto"], "aristaproto")
    m = works(gen, ["hostile.bt"], "hostile.bt.")["hostile.bt"]
    assert m.Len(x=["a"]).x == ["a"]
    user = m.User(i=m.Int(int_=1), l=[m.List(b=b"\x00")], n=m.Len(x=["q"]), mx=m.Max(a=3),
                  s=m.Set.SET_ONE, text="t", blob=b"b", fl={"k": 0.5}, opt=0.0)
    assert m.User.FromString(bytes(user)) == user


def test_builtin_type_names_that_are_safe(tmp_path):
    """With the default rules every builtin gets the escape suffix as a
    module-level class name, used by the generated code or not (type is a
    soft keyword: type_)."""
    gen = Generated(tmp_path, ["builtin_types_safe.proto"], "default")
    m = works(gen, ["hostile_bts"], "hostile.bts.")["hostile_bts"]
    u = m.User(p=m.print_(a=1), ids=[m.id_(s="x")], hashes={3: m.hash_(b=b"h")}, t=m.type_(b=True),
               sup=m.super_(d=0.5), i=m.isinstance_(f=2**64 - 1))
    assert m.User.FromString(bytes(u)) == u
    assert u.to_dict()["t"] == {"b": True}
    assert not hasattr(m, "print") and not hasattr(m, "id")


def test_builtin_type_names_default(tmp_path):
    gen = Generated(tmp_path, ["builtin_types.proto"], "default")
    works_or_refused(gen, ["hostile_bt"], "hostile.bt.", ["int", "len"])


@pytest.mark.parametrize("rules", RULES)
def test_builtin_field_names(tmp_path, rules):
    gen = Generated(tmp_path, ["builtin_fields.proto"], rules)
    works_or_refused(gen, [mod(rules, "hostile.bf")], "hostile.bf.", ["list", "int"])


def test_builtin_field_names_that_are_safe(tmp_path):
    """Builtins the generated class body does not use are fine as field
    names: id, hash, print, property, staticmethod, super, ... ."""
    for rules in RULES:
        gen = Generated(tmp_path, ["builtin_fields_safe.proto"], rules)
        m = works(gen, [mod(rules, "hostile.bs")], "hostile.bs.")[mod(rules, "hostile.bs")]
        s = m.Safe(id=1, hash=2, print=3, property=4, staticmethod=5, super=6, classmethod=7, isinstance=8,
                   range=9, memoryview=10, set=11, getattr=12, iter=13, next=14, repr=15, len=16, tuple=17,
                   object=18, type_=19, sum=20)
        assert m.Safe.FromString(bytes(s)) == s
        assert s.to_dict()["type"] == 19 and s.to_dict()["len"] == 16


# ---- dunders ---------------------------------------------------------------------------------------------


def test_dunder_fields_aristaproto(tmp_path):
    gen = Generated(tmp_path, ["dunders.proto"], "aristaproto")
    m = works(gen, ["hostile.du"], "hostile.du.")["hostile.du"]
    ms = gen.module("_moonstub")
    attrs = {f.name: f.attr for f in ms.fields_of(m.Dunders)}
    # a dunder keeps its name plus the escape (never mangled: it ends in "__");
    # "__x", which Python would mangle, loses an underscore and gets one
    dunders = ("__init__", "__class__", "__slots__", "__dict__", "__eq__", "__hash__", "__repr__", "__doc__",
               "__module__")
    assert attrs == {**{name: name + "__" for name in dunders}, "__x": "_x_"}
    d = m.Dunders(**{"__init____": 1, "__slots____": 2, "__dict____": 3, "_x_": 4})
    assert m.Dunders.FromString(bytes(d)) == d
    assert d.to_dict() == {"Init": 1, "Slots": 2, "Dict": 3, "X": 4}


def test_dunder_fields_default(tmp_path):
    gen = Generated(tmp_path, ["dunders.proto"], "default")
    works_or_refused(gen, ["hostile_du"], "hostile.du.", ["__slots__"])


def test_dunder_message_names_default(tmp_path):
    gen = Generated(tmp_path, ["dunder_messages.proto"], "default")
    works_or_refused(gen, ["hostile_dm"], "hostile.dm.", ["__name__"])


def test_dunder_message_names_aristaproto(tmp_path):
    gen = Generated(tmp_path, ["dunder_messages.proto"], "aristaproto")
    m = works(gen, ["hostile.dm"], "hostile.dm.")["hostile.dm"]
    assert m.__name__ == f"{gen.token}.hostile.dm"
    assert m.User(n=m.Name(a=1)).to_dict() == {"n": {"a": 1}}


# ---- names generated modules define or import -------------------------------------------------------


DEFAULT_MODULE_NAMES = {
    # escaped: the module imports or defines these
    "grpc": "grpc_", "typing": "typing_", "dataclasses": "dataclasses_", "enum": "enum_", "math": "math_",
    "annotations": "annotations_", "_ms": "_ms_",
    # escaped: module-level names starting with "_" are the module's own helpers
    "_moonstub": "_moonstub_", "_moonstub_grpc": "_moonstub_grpc_", "_ms_grpc": "_ms_grpc_",
    "_i_hostile_mn": "_i_hostile_mn_", "_serialize": "_serialize_", "_REGISTERED": "_REGISTERED_",
    # kept: nothing at module level is called that
    "grpclib": "grpclib", "struct": "struct", "add_servicer": "add_servicer",
    "add_FooServicer_to_server": "add_FooServicer_to_server", "Message": "Message", "field": "field",
    "DecodeError": "DecodeError", "Req": "Req",
}


async def _serve_foo(gen: Generated, companion: typing.Any, msgs: typing.Any, grpc_cls: type) -> None:
    """hostile.mn.Foo over a real grpc.aio server, through the generated stub."""

    class Foo(companion.FooServicer):
        async def call(self, request, context):
            return grpc_cls(text=f"call:{request.g.text}:{request.m.a}:{request.err.why}")

        async def watch(self, request, context):
            for i in range(3):
                yield grpc_cls(text=f"watch{i}:{request.t.a}")

        async def upload(self, request_iterator, context):
            return grpc_cls(text="+".join([str(r.add.a) async for r in request_iterator]))

        async def chat(self, request_iterator, context):
            async for r in request_iterator:
                yield grpc_cls(text=f"chat:{sorted(r.mt)}")

    async with (
        support.aio_server(lambda server: companion.add_servicer(Foo(), server)) as address,
        grpc.aio.insecure_channel(address) as channel,
    ):
        stub = companion.FooStub(channel)
        names = {v: k for k, v in gen_names(gen, msgs).items()}
        req_cls = msgs.Req
        g = getattr(msgs, names["grpc"])
        message = getattr(msgs, names["Message"])
        err = getattr(msgs, names["DecodeError"])
        typ = getattr(msgs, names["typing"])
        add = getattr(msgs, names["add_servicer"])
        math_ = getattr(msgs, names["math"])
        req = req_cls(g=g(text="hi"), m=message(a=4), err=err(why="w"), t=typ(a=2))
        assert (await stub.call(req, timeout=10)).text == "call:hi:4:w"
        assert [r.text async for r in stub.watch(req, timeout=10)] == ["watch0:2", "watch1:2", "watch2:2"]
        assert (await stub.upload([req_cls(add=add(a=i)) for i in range(3)], timeout=10)).text == "0+1+2"
        got = [r.text async for r in stub.chat([req_cls(mt={"b": math_(a=1.0), "a": math_()})], timeout=10)]
        assert got == ["chat:['a', 'b']"]


def gen_names(gen: Generated, msgs: typing.Any) -> dict[str, str]:
    """Python class name -> IDL name of the top-level messages of ``msgs``."""
    ms = gen.module("_moonstub")
    return {cls.__name__: full.rsplit(".", 1)[1] for full, cls in ms.REGISTRY.items()
            if full.count(".") == 2 and full.startswith("hostile.mn.") and hasattr(msgs, cls.__name__)}


@pytest.mark.parametrize("rules", RULES)
def test_module_names(tmp_path, rules):
    gen = Generated(tmp_path, ["module_names.proto"], rules, grpc="aio")
    msgs_name = mod(rules, "hostile.mn")
    companion_name = "hostile_mn_grpc" if rules == "default" else "hostile.mn._grpc"
    loaded = works(gen, [msgs_name, companion_name], "hostile.mn.")
    msgs, companion = loaded[msgs_name], loaded[companion_name]
    names = {idl: py for py, idl in gen_names(gen, msgs).items()}
    if rules == "default":
        assert names == DEFAULT_MODULE_NAMES
    else:
        assert names["grpc"] == "Grpc" and names["_ms"] == "Ms" and names["field"] == "Field"
    # the module's own imports are intact
    assert msgs._ms.__name__.rsplit(".", 1)[-1] == "_moonstub" and msgs._ms.Message is gen.module("_moonstub").Message
    assert companion.grpc is grpc
    asyncio.run(_serve_foo(gen, companion, msgs, getattr(msgs, names["grpc"])))


def test_private_helper_names(tmp_path):
    gen = Generated(tmp_path, ["private_helpers.proto"], "default")
    works_or_refused(gen, ["hostile_ph"], "hostile.ph.", ["_varint"])


def test_private_helper_names_aristaproto(tmp_path):
    gen = Generated(tmp_path, ["private_helpers.proto"], "aristaproto")
    m = works(gen, ["hostile.ph"], "hostile.ph.")["hostile.ph"]
    foo = m.Foo(s="x", n=300, u=m.Utf8(s="y"))
    assert m.Foo.FromString(bytes(foo)) == foo
    assert {c.__name__ for c in (m.Varint, m.DecodeError, m.Skip, m.MsInit, m.EFoo, m.DFoo)}


def test_stub_names_default(tmp_path):
    """Messages FooStub/FooServicer/FooBase next to service Foo: the message
    module and the companion are separate modules, so nothing collides."""
    gen = Generated(tmp_path, ["stub_names.proto"], "default", grpc="aio")
    loaded = works(gen, ["hostile_sn", "hostile_sn_grpc"], "hostile.sn.")
    msgs, companion = loaded["hostile_sn"], loaded["hostile_sn_grpc"]
    assert companion.FooStub is not msgs.FooStub

    class Foo(companion.FooServicer):
        async def call(self, request, context):
            return msgs.FooServicer(text=request.text.upper())

    async def run() -> None:
        async with (
            support.aio_server(lambda server: companion.add_servicer(Foo(), server)) as address,
            grpc.aio.insecure_channel(address) as channel,
        ):
            reply = await companion.FooStub(channel).call(msgs.FooStub(text="abc"), timeout=10)
            assert reply == msgs.FooServicer(text="ABC")

    asyncio.run(run())


def test_stub_names_aristaproto(tmp_path):
    gen = Generated(tmp_path, ["stub_names.proto"], "aristaproto", grpc="aio")
    works_or_refused(gen, ["hostile.sn", "hostile.sn._grpc"], "hostile.sn.", ["FooStub", "Foo"])


# ---- keyword packages, services and RPCs ------------------------------------------------------------------

KEYWORD_METHODS = {  # IDL RPC -> Python method
    "Import": "import_", "Class": "class_", "Await": "await_", "None": "none", "Lambda": "lambda_",
    "Async": "async_", "Match": "match_", "Type": "type_", "From": "from_", "Init": "init", "Channel": "channel",
}


# the service classes: the IDL names (class, add_servicer) as the default rules
# keep them, capitalised word by word as aristaproto's rules make them
ARISTAPROTO_CLASSES = {"classStub": "ClassStub", "classServicer": "ClassServicer",
                       "add_servicerStub": "AddServicerStub", "add_servicerServicer": "AddServicerServicer"}


def service_class(module: typing.Any, name: str) -> typing.Any:
    return getattr(module, name, None) or getattr(module, ARISTAPROTO_CLASSES.get(name, name))


def _keyword_servicer(companion: typing.Any, msgs: typing.Any) -> typing.Any:
    Rep = msgs.Rep

    def unary(idl: str) -> typing.Any:
        async def method(self, request, context):
            return Rep(text=f"{idl}:{request.text}", ns=[request.n])
        return method

    body: dict[str, typing.Any] = {KEYWORD_METHODS[k]: unary(k) for k in KEYWORD_METHODS
                                   if k not in ("Await", "None", "Lambda")}

    async def await_(self, request, context):
        for i in range(request.n):
            yield Rep(text=f"Await:{i}")

    async def none(self, request_iterator, context):
        return Rep(text="None", ns=[r.n async for r in request_iterator])

    async def lambda_(self, request_iterator, context):
        async for r in request_iterator:
            yield Rep(text=f"Lambda:{r.text}")

    async def yield_(self, request, context):
        return Rep(text=f"Yield:{request.text}")

    async def add(self, request, context):
        return Rep(text=f"Add:{request.text}")

    body.update(await_=await_, none=none, lambda_=lambda_, yield_=yield_, add=add)
    bases = tuple(service_class(companion, n) for n in ("classServicer", "AwaitServicer", "add_servicerServicer"))
    return type("All", bases, body)()


@pytest.mark.parametrize("rules", RULES)
def test_keyword_package_and_services(tmp_path, rules):
    gen = Generated(tmp_path, ["keyword_package.proto"], rules, grpc="aio")
    if rules == "default":
        msgs_name, companion_name = "class_import_def", "class_import_def_grpc"
        assert gen.files() == ["_moonstub.py", "_moonstub_grpc.py", "_moonstub_reflection.py",
                               "_moonstub_text_format.py",
                               "class_import_def.py",
                               "class_import_def_grpc.py"]
    else:
        msgs_name, companion_name = "class_.import_.def_", "class_.import_.def_._grpc"
        assert gen.files() == ["_moonstub.py", "_moonstub_grpc.py", "_moonstub_reflection.py",
                               "_moonstub_text_format.py",
                               "class_/__init__.py",
                               "class_/import_/__init__.py", "class_/import_/def_/__init__.py",
                               "class_/import_/def_/_grpc.py"]
    loaded = works(gen, [msgs_name, companion_name], "class.import.def.")
    msgs, companion = loaded[msgs_name], loaded[companion_name]
    for stub in (service_class(companion, "classStub"), service_class(companion, "classServicer")):
        assert set(KEYWORD_METHODS.values()) <= set(vars(stub)), sorted(vars(stub))
    Req = msgs.Req
    clients = None
    if rules == "aristaproto":
        plain = Generated(tmp_path, ["keyword_package.proto"], rules)
        clients = works(plain, [msgs_name], "class.import.def.")[msgs_name]

    def register(server: typing.Any) -> None:
        companion.add_servicer(_keyword_servicer(companion, msgs), server)

    async def run() -> None:
        async with support.aio_server(register) as address:
            async with grpc.aio.insecure_channel(address) as channel:
                stub = service_class(companion, "classStub")(channel)
                for idl, py in KEYWORD_METHODS.items():
                    if idl in ("Await", "None", "Lambda"):
                        continue
                    reply = await getattr(stub, py)(Req(text="x", n=5), timeout=10)
                    assert (reply.text, reply.ns) == (f"{idl}:x", [5]), idl
                assert [r.text async for r in stub.await_(Req(n=2), timeout=10)] == ["Await:0", "Await:1"]
                assert (await stub.none([Req(n=1), Req(n=2)], timeout=10)).ns == [1, 2]
                assert [r.text async for r in stub.lambda_([Req(text="a"), Req(text="b")], timeout=10)] == \
                    ["Lambda:a", "Lambda:b"]
                assert (await companion.AwaitStub(channel).yield_(Req(text="y"), timeout=10)).text == "Yield:y"
                add_stub = service_class(companion, "add_servicerStub")(channel)
                assert (await add_stub.add(Req(text="z"), timeout=10)).text == "Add:z"
                # the wire paths keep the IDL names
                raw = channel.unary_unary("/class.import.def.class/Import")
                assert msgs.Rep.FromString(await raw(bytes(Req(text="w")), timeout=10)).text == "Import:w"
            if clients is not None:
                # aristaproto's sync client in the package module, on a sync channel
                # (from a run without --grpc: see test_aristaproto_clients_after_companion_import)
                def sync_calls() -> list[str]:
                    with grpc.insecure_channel(address) as sync_channel:
                        client = service_class(clients, "classStub")(sync_channel, timeout=10)
                        return [getattr(client, py)(Req(text="s")).text for idl, py in KEYWORD_METHODS.items()
                                if idl not in ("Await", "None", "Lambda")]
                texts = await asyncio.to_thread(sync_calls)
                assert texts == [f"{idl}:s" for idl in KEYWORD_METHODS if idl not in ("Await", "None", "Lambda")]

    asyncio.run(run())


def test_keyword_services_sync_mode(tmp_path):
    """The sync grpcio companion of the keyword package on grpc.server."""
    gen = Generated(tmp_path, ["keyword_package.proto"], "default", grpc="sync")
    # mypy: see test_sync_companion_passes_mypy_strict
    loaded = works(gen, ["class_import_def", "class_import_def_grpc"], "class.import.def.",
                   mypy_exclude=("class_import_def_grpc.py",))
    msgs, companion = loaded["class_import_def"], loaded["class_import_def_grpc"]
    unary = [idl for idl in KEYWORD_METHODS if idl not in ("Await", "None", "Lambda")]

    def method(idl: str) -> typing.Any:
        return lambda self, request, context: msgs.Rep(text=f"{idl}:{request.text}")

    body = {KEYWORD_METHODS[idl]: method(idl) for idl in unary}
    body["await_"] = lambda self, request, context: iter([msgs.Rep(text="Await")])
    servicer = type("Sync", (companion.classServicer,), body)()
    with (
        support.sync_server(lambda server: companion.add_servicer(servicer, server), workers=4) as address,
        grpc.insecure_channel(address) as channel,
    ):
        stub = companion.classStub(channel)
        assert [getattr(stub, KEYWORD_METHODS[idl])(msgs.Req(text="q"), timeout=10).text for idl in unary] == \
            [f"{idl}:q" for idl in unary]
        assert [r.text for r in stub.await_(msgs.Req(), timeout=10)] == ["Await"]


def test_sync_companion_passes_mypy_strict(tmp_path):
    gen = Generated(tmp_path, {"svc.proto": SIMPLE_SERVICE}, "default", grpc="sync").ok()
    result = gen.mypy()
    assert result.returncode == 0, result.stdout


def test_aristaproto_clients_after_companion_import(tmp_path):
    gen = Generated(tmp_path, {"svc.proto": SIMPLE_SERVICE}, "aristaproto", grpc="aio").ok()
    pkg = gen.module("simple")
    gen.module("simple._grpc")  # what a server does: import the companion

    companion = gen.module("simple._grpc")

    class Echo(companion.EchoServicer):
        async def say(self, request, context):
            return pkg.Msg(text=request.text[::-1])

    async def run() -> None:
        async with support.aio_server(lambda server: companion.add_servicer(Echo(), server)) as address:
            def call() -> str:
                with grpc.insecure_channel(address) as channel:
                    return pkg.EchoStub(channel).say(pkg.Msg(text="abc"), timeout=10).text
            assert await asyncio.to_thread(call) == "cba"

    asyncio.run(run())


SIMPLE_SERVICE = """syntax = "proto3";
package simple;
message Msg { string text = 1; }
service Echo { rpc Say (Msg) returns (Msg); }
"""


# ---- enum values ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ev_protobuf(tmp_path_factory):
    return protobuf_classes(tmp_path_factory.mktemp("ev_pb"), CORPUS, ["enum_values.proto"])


@pytest.mark.parametrize("rules", RULES)
def test_enum_values(tmp_path, rules, ev_protobuf):
    from google.protobuf import json_format

    gen = Generated(tmp_path, ["enum_values.proto"], rules)
    m = works(gen, [mod(rules, "hostile.ev")], "hostile.ev.")[mod(rules, "hostile.ev")]
    top = m.Class if rules == "aristaproto" else m.class_
    assert [e.name for e in top] == ["from_", "yield_", "pass_"]
    # (aristaproto flattens nested enums: HolderKw)
    kw, soft = (m.HolderKw, m.HolderSoft) if rules == "aristaproto" else (m.Holder.Kw, m.Holder.Soft)
    assert [e.name for e in kw] == ["None_", "True_", "False_", "def_", "import_", "lambda_", "async_", "await_",
                                    "nonlocal_"]
    assert [e.name for e in soft] == ["match_", "case_", "type_", "__"]
    PbHolder = ev_protobuf("hostile.ev.Holder")
    for i, k in enumerate(kw):
        s = list(soft)[i % 4]
        h = m.Holder(kw=k, kws=[k, kw.None_, kw(77)], soft=s, softs={"a": s, "b": soft.__}, maybe=kw.None_,
                     top=list(top)[i % 3])
        pb = PbHolder.FromString(bytes(h))
        assert pb.SerializeToString(deterministic=True) == bytes(h) or \
            m.Holder.FromString(pb.SerializeToString()) == h
        # JSON names are the IDL names, as protobuf writes and reads them
        assert json.loads(h.to_json()) == json.loads(json_format.MessageToJson(pb)), k
        assert m.Holder.from_json(json_format.MessageToJson(pb)) == h
        assert h.to_dict()["kws"][0] == k.name[:-1]
    assert m.Holder(soft=soft.__).to_dict() == {"soft": "_"}


ENUM_NAMED_LIKE_ESCAPES = """syntax = "proto3";
package hostile.ee;
enum E {
  ZERO = 0;
  class_ = 1;
  None_ = 2;
}
message M { E e = 1; }
"""


def test_enum_value_named_like_an_escape(tmp_path):
    from google.protobuf import json_format

    gen = Generated(tmp_path, {"ee.proto": ENUM_NAMED_LIKE_ESCAPES}, "default").ok()
    m = gen.module("hostile_ee")
    pb = protobuf_classes(tmp_path, gen.src, ["ee.proto"])("hostile.ee.M")
    for value in (m.E.class_, m.E.None_):
        msg = m.M(e=value)
        assert json.loads(msg.to_json()) == json.loads(json_format.MessageToJson(pb.FromString(bytes(msg))))
        assert m.M.from_json(json_format.MessageToJson(pb.FromString(bytes(msg)))) == msg


ENUM_VALUE_COLLISION = """syntax = "proto3";
package hostile.ec;
enum E {
  None = 0;
  None_ = 1;
}
"""


@pytest.mark.parametrize("rules", RULES)
def test_enum_value_collision(tmp_path, rules):
    gen = Generated(tmp_path, {"ec.proto": ENUM_VALUE_COLLISION}, rules)
    assert gen.returncode == 1, "generated an enum with two members called None_"
    assert [(f, line, col) for f, line, col, _ in gen.errors()] == [("ec.proto", 5, 3)], gen.stderr
    assert '"None"' in gen.stderr and '"None_"' in gen.stderr


ENUM_SUNDER = """syntax = "proto3";
package hostile.es;
enum E {
  ZERO = 0;
  _missing_ = 1;
  __priv = 2;
}
message M { E e = 1; }
"""


@pytest.mark.parametrize("rules", RULES)
def test_enum_value_sunder_names(tmp_path, rules):
    gen = Generated(tmp_path, {"es.proto": ENUM_SUNDER}, rules)
    works_or_refused(gen, [mod(rules, "hostile.es")], "hostile.es.", ["_missing_"])


ENUM_NAME_VALUE = """syntax = "proto3";
package hostile.en;
enum E {
  ZERO = 0;
  name = 1;
  value = 2;
}
message M { E e = 1; }
"""


@pytest.mark.parametrize("rules", RULES)
def test_enum_value_named_name(tmp_path, rules):
    gen = Generated(tmp_path, {"en.proto": ENUM_NAME_VALUE}, rules)
    works_or_refused(gen, [mod(rules, "hostile.en")], "hostile.en.", ["name"])


# ---- IDL names that meet in one Python name: refused, precisely -----------------------------------------


def refused(gen: Generated, first_line: str, where: tuple[str, int, int]) -> None:
    """Exit 1, exactly one located error, at ``where``, whose message is
    ``first_line``; nothing written."""
    assert gen.returncode == 1, gen.stderr
    assert [(f, line, col) for f, line, col, _ in gen.errors()] == [where], gen.stderr
    assert gen.errors()[0][3] == first_line, gen.stderr
    assert not gen.out.exists(), sorted(str(p) for p in gen.out.rglob("*"))


JSON_CAMEL = """syntax = "proto3";
package hostile.jc;
message M {
  int32 fooBar = 1;
  int32 foo_bar = 2;
}
"""


@pytest.mark.parametrize("rules", RULES)
def test_camel_and_snake_fields_proto3(tmp_path, rules):
    """fooBar and foo_bar: the same JSON name, which proto3 forbids (as protoc)."""
    gen = Generated(tmp_path, {"jc.proto": JSON_CAMEL}, rules)
    refused(gen, 'the JSON name of field "foo_bar" ("fooBar") conflicts with field "fooBar"; JSON names must be '
            "unique within a message", ("jc.proto", 5, 9))


CAMEL_PROTO2 = """syntax = "proto2";
package hostile.cp;
message M {
  optional int32 foo_bar = 1;
  optional int32 fooBar = 2;
}
"""


def test_camel_and_snake_fields_proto2_aristaproto(tmp_path):
    """aristaproto snake_cases fooBar: both become foo_bar."""
    gen = Generated(tmp_path, {"cp.proto": CAMEL_PROTO2}, "aristaproto")
    refused(gen, 'fields "foo_bar" (line 4) and "fooBar" (line 5) of hostile.cp.M both become the Python attribute '
            '"foo_bar"; rename one', ("cp.proto", 5, 18))


@pytest.mark.xfail(strict=True, reason="proto2 fields foo_bar and fooBar share the JSON name fooBar: moonstub "
                   "neither refuses nor warns (protoc 35 warns, protobuf's runtime refuses the descriptor), and "
                   "to_dict() silently drops one of the two values")
def test_camel_and_snake_fields_proto2_default(tmp_path):
    gen = Generated(tmp_path, {"cp.proto": CAMEL_PROTO2}, "default")
    works_or_refused(gen, ["hostile_cp"], "hostile.cp.", ["foo_bar", "fooBar"])


KEYWORD_AND_ESCAPE = """syntax = "proto2";
package hostile.ke;
message M {
  optional int32 class = 1;
  optional int32 class_ = 2;
}
"""


@pytest.mark.parametrize("rules", RULES)
def test_keyword_and_its_escape(tmp_path, rules):
    gen = Generated(tmp_path, {"ke.proto": KEYWORD_AND_ESCAPE}, rules)
    refused(gen, 'fields "class" (line 4) and "class_" (line 5) of hostile.ke.M both become the Python attribute '
            '"class_"; rename one', ("ke.proto", 5, 18))


MANGLED = """syntax = "proto2";
package hostile.mg;
message M {
  optional int32 __x = 1;
  optional int32 _x_ = 2;
}
"""


def test_mangled_name_and_its_escape(tmp_path):
    gen = Generated(tmp_path, {"mg.proto": MANGLED}, "default")
    refused(gen, 'fields "__x" (line 4) and "_x_" (line 5) of hostile.mg.M both become the Python attribute '
            '"_x_"; rename one', ("mg.proto", 5, 18))
    # aristaproto's rules keep "_x_" as written too (its snake_case leaves it)
    gen = Generated(tmp_path, {"mg.proto": MANGLED}, "aristaproto")
    refused(gen, 'fields "__x" (line 4) and "_x_" (line 5) of hostile.mg.M both become the Python attribute '
            '"_x_"; rename one', ("mg.proto", 5, 18))


CLASS_AND_ESCAPE = """syntax = "proto3";
package hostile.ce;
message None { int32 a = 1; }
message None_ { int32 b = 1; }
"""


@pytest.mark.parametrize("rules", RULES)
def test_class_and_its_escape(tmp_path, rules):
    gen = Generated(tmp_path, {"ce.proto": CLASS_AND_ESCAPE}, rules)
    refused(gen, "hostile.ce.None (ce.proto:3) and hostile.ce.None_ (ce.proto:4) both become the Python class "
            f"{mod(rules, 'hostile.ce')}.None_; rename one", ("ce.proto", 4, 9))


ONEOF_AND_FIELD = """syntax = "proto3";
package hostile.of;
message M {
  oneof kind { int32 a = 1; }
  int32 kind = 2;
}
"""


@pytest.mark.parametrize("rules", RULES)
def test_oneof_named_like_a_field(tmp_path, rules):
    """One IDL name twice in one scope: refused by the linker, as protoc does."""
    gen = Generated(tmp_path, {"of.proto": ONEOF_AND_FIELD}, rules)
    refused(gen, '"kind" is already defined in "hostile.of.M"', ("of.proto", 4, 9))


ONEOF_NAMES = """syntax = "proto3";
package hostile.on;
message M {
  oneof which_oneof { int32 a = 1; }
  oneof class { int32 b = 2; string c = 3; }
  int32 class_ = 4;
  oneof to_dict { bool d = 5; }
}
"""


@pytest.mark.parametrize("rules", RULES)
def test_oneof_names_like_methods_and_escapes(tmp_path, rules):
    """Oneof names are not attributes: a oneof `class` next to a field
    `class_`, and oneofs named like Message methods, work."""
    gen = Generated(tmp_path, {"on.proto": ONEOF_NAMES}, rules)
    m = works(gen, [mod(rules, "hostile.on")], "hostile.on.")[mod(rules, "hostile.on")]
    msg = m.M(a=1, c="x", class_=2, d=False)
    assert (msg.which_oneof("which_oneof"), msg.which_oneof("class"), msg.which_oneof("to_dict")) == ("a", "c", "d")
    msg.b = 3
    assert (msg.c, msg.which_oneof("class"), msg.class_) == (None, "b", 2)
    assert m.M.FromString(bytes(msg)) == msg
    assert msg.to_dict() == {"a": 1, "b": 3, "class": 2, "d": False}


RPC_KEYWORD_COLLISION = """syntax = "proto3";
package hostile.rk;
message M { int32 a = 1; }
service S {
  rpc Import (M) returns (M);
  rpc import (M) returns (M);
}
"""


def test_rpc_and_keyword_rpc(tmp_path):
    gen = Generated(tmp_path, {"rk.proto": RPC_KEYWORD_COLLISION}, "default", grpc="aio")
    refused(gen, 'methods "Import" (line 5) and "import" (line 6) of hostile.rk.S both become the Python method '
            '"import_"; rename one', ("rk.proto", 6, 7))


def test_rpc_and_keyword_rpc_aristaproto(tmp_path):
    gen = Generated(tmp_path, {"rk.proto": RPC_KEYWORD_COLLISION}, "aristaproto", grpc="aio")
    refused(gen, 'methods "Import" (line 5) and "import" (line 6) of hostile.rk.S both become the Python method '
            '"import_"; rename one', ("rk.proto", 6, 7))


UNDERSCORES = """syntax = "proto3";
package hostile.uu;
message _ { int32 a = 1; }
message __ { int32 b = 1; }
"""


def test_underscore_and_double_underscore(tmp_path):
    gen = Generated(tmp_path, {"uu.proto": UNDERSCORES}, "default")
    refused(gen, "hostile.uu._ (uu.proto:3) and hostile.uu.__ (uu.proto:4) both become the Python class "
            "hostile_uu.___; rename one", ("uu.proto", 4, 9))


@pytest.mark.xfail(strict=True, reason="collision errors give file:line:col only for the second name: the first is "
                   "\"(line N)\", \"(file:line)\", or (JSON names) not located at all")
def test_collision_errors_locate_both_names(tmp_path):
    cases = [({"jc.proto": JSON_CAMEL}, "default", (("jc.proto", 4, 9), ("jc.proto", 5, 9))),
             ({"ke.proto": KEYWORD_AND_ESCAPE}, "default", (("ke.proto", 4, 18), ("ke.proto", 5, 18))),
             ({"ce.proto": CLASS_AND_ESCAPE}, "default", (("ce.proto", 3, 9), ("ce.proto", 4, 9)))]
    for protos, rules, wanted in cases:
        gen = Generated(tmp_path, protos, rules)
        assert gen.returncode == 1
        for f, line, col in wanted:
            assert f"{f}:{line}:{col}:" in gen.stderr, (f, line, col, gen.stderr)


# ---- names only the generated Python shares --------------------------------------------------------------


def test_underscore_message_aristaproto(tmp_path):
    gen = Generated(tmp_path, ["underscore_names.proto"], "aristaproto")
    works_or_refused(gen, ["hostile.us"], "hostile.us.", ["_"])


def test_underscore_message_default(tmp_path):
    gen = Generated(tmp_path, ["underscore_names.proto"], "default")
    m = works(gen, ["hostile_us"], "hostile.us.")["hostile_us"]
    # "_" is a soft keyword and starts with "_" (the module's helpers): "__"
    h = m.Holder(u=m.___(a=1), us=[m.___(a=2)])
    assert m.Holder.FromString(bytes(h)) == h


NESTED_TYPE_AND_FIELD = """syntax = "proto3";
package hostile.nf;
message M {
  enum class { A = 0; B = 1; }
  int32 class_ = 1;
  class e = 2;
  message typing { int32 z = 1; }
  typing t = 3;
  int32 typing_ = 4;
}
"""


def test_nested_type_and_field_share_a_python_name(tmp_path):
    gen = Generated(tmp_path, {"nf.proto": NESTED_TYPE_AND_FIELD}, "default")
    works_or_refused(gen, ["hostile_nf"], "hostile.nf.", ["class", "class_"])


FIELD_NAMED_LIKE_ITS_MESSAGE = """syntax = "proto3";
package hostile.fm;
message Outer {
  message Inner { int32 a = 1; }
  int32 Outer = 1;
  Inner inner = 2;
}
message match {
  message case { int32 match_ = 1; }
  int32 match = 1;
  case c = 2;
}
"""


def test_field_named_like_its_message(tmp_path):
    gen = Generated(tmp_path, {"fm.proto": FIELD_NAMED_LIKE_ITS_MESSAGE}, "default")
    works_or_refused(gen, ["hostile_fm"], "hostile.fm.", ["Outer"])


def test_field_named_like_its_message_aristaproto(tmp_path):
    """aristaproto's snake_case fields never equal a PascalCase class name."""
    gen = Generated(tmp_path, {"fm.proto": FIELD_NAMED_LIKE_ITS_MESSAGE}, "aristaproto")
    m = works(gen, ["hostile.fm"], "hostile.fm.")["hostile.fm"]
    assert attrs(gen, m.Outer) == {"Outer": "outer", "inner": "inner"}
    assert attrs(gen, m.Match) == {"match": "match_", "c": "c"}


RPC_PRIVATE_TWIN = """syntax = "proto3";
package hostile.pt;
message M { string text = 1; }
service S {
  rpc Foo (M) returns (M);
  rpc _Foo (M) returns (M);
}
"""


def test_rpc_and_its_private_twin(tmp_path):
    gen = Generated(tmp_path, {"pt.proto": RPC_PRIVATE_TWIN}, "default", grpc="aio")
    if gen.returncode == 1:
        assert '"Foo"' in gen.stderr and '"_Foo"' in gen.stderr, gen.stderr
        return
    msgs, companion = gen.module("hostile_pt"), gen.module("hostile_pt_grpc")

    class S(companion.SServicer):
        async def foo(self, request, context):
            return msgs.M(text="Foo")

        async def _foo(self, request, context):
            return msgs.M(text="_Foo")

    async def run() -> None:
        async with (
            support.aio_server(lambda server: companion.add_servicer(S(), server)) as address,
            grpc.aio.insecure_channel(address) as channel,
        ):
            stub = companion.SStub(channel)
            assert (await stub.foo(msgs.M(), timeout=10)).text == "Foo"
            assert (await stub._foo(msgs.M(), timeout=10)).text == "_Foo"

    asyncio.run(run())


RPC_DEFAULTS = """syntax = "proto3";
package hostile.rd;
message M { string text = 1; }
service S {
  rpc Defaults (M) returns (M);
  rpc Ping (M) returns (M);
}
"""


def test_rpc_named_like_client_internals_aristaproto(tmp_path):
    gen = Generated(tmp_path, {"rd.proto": RPC_DEFAULTS}, "aristaproto")
    if gen.returncode == 1:
        assert '"Defaults"' in gen.stderr, gen.stderr
        return
    pkg = gen.module("hostile.rd")
    companion_gen = Generated(tmp_path, {"rd.proto": RPC_DEFAULTS}, "default", grpc="aio").ok()
    companion, msgs = companion_gen.module("hostile_rd_grpc"), companion_gen.module("hostile_rd")

    class S(companion.SServicer):
        async def defaults(self, request, context):
            return msgs.M(text="Defaults")

        async def ping(self, request, context):
            return msgs.M(text="Ping")

    async def run() -> None:
        async with support.aio_server(lambda server: companion.add_servicer(S(), server)) as address:
            def calls() -> list[str]:
                with grpc.insecure_channel(address) as channel:
                    client = pkg.SStub(channel, timeout=10)
                    return [client.ping(pkg.M()).text, client.defaults(pkg.M()).text]
            assert await asyncio.to_thread(calls) == ["Ping", "Defaults"]

    asyncio.run(run())
