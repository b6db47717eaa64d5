"""moonstub's ``--rules aristaproto`` output and aristaproto 2.0.0.dev1's, compared
mechanically: the public classes of each generated module, and of every client
and server base their public methods, whether each is a coroutine function,
and its parameters (name, kind, default). Every option combination:
client_generation (6 values) x client_async_transport (grpclib, grpcio), with
server bases (server_generation=async) on both server transports.

Schemas: protos/example.proto (the seed's) and protos/surface.proto (names
aristaproto derives its own way, an empty request, a deprecated rpc).

What moonstub adds on purpose (docs/plugin.md, "Differences from aristaproto")
is listed in EXTRA_KEYWORDS and checked to be exactly that; everything else
must be equal, so that a future difference fails here.
"""

from __future__ import annotations

import ast
import inspect
import types
import typing
from pathlib import Path

import arista_helpers as h
import pytest

GENERATIONS = ["none", "sync", "async", "sync_async", "async_sync", "sync_async_no_default"]
TRANSPORTS = ["grpclib", "grpcio"]
PROTOS = ("example.proto", "surface.proto")
PACKAGES = ("example", "surface")

# moonstub's sync client takes per-call and stub-level timeout / metadata /
# credentials keywords; aristaproto's sync client takes none.
EXTRA_KEYWORDS = {"sync": ("timeout", "metadata", "credentials")}

# The members starting with "_" that users call: constructors, and the
# server bases' handler, context and grpclib mapping.
SERVER_API = {"__init__", "_grpcio_rpc_handler", "_grpcio_context", "__mapping__"}

# Emitted by messages.lua (not yet under aristaproto rules): while listed here,
# moonstub's module may lack them; once it has them they must equal the peer's.
PENDING: set[str] = set()  # differences still allowed (none: __all__ and flattening are done)


def _combos() -> list[tuple[str, str, str]]:
    out = []
    for generation in GENERATIONS:
        for transport in TRANSPORTS:
            # server bases on both transports: the client's, and the other one for "none"
            out.append((generation, transport, transport))
    out += [("none", "grpclib", "grpcio"), ("none", "grpcio", "grpclib")]
    return out


COMBOS = _combos()


def _options(generation: str, client_transport: str, server_transport: str) -> dict[str, str]:
    return {"client_generation": generation, "client_async_transport": client_transport,
            "server_generation": "async", "server_async_transport": server_transport}


_ROOT = h._PKG_ROOT / "surface"


def _generate_both(generation: str, client_transport: str, server_transport: str
                   ) -> tuple[dict[str, types.ModuleType], dict[str, types.ModuleType]]:
    options = _options(generation, client_transport, server_transport)
    tag = f"{generation}_{client_transport}_{server_transport}"
    peer_out, ms_out = _ROOT / f"pe_{tag}", _ROOT / f"ms_{tag}"
    h.require_peer()
    proc = h.run_peer(peer_out, options, protos=PROTOS)
    assert proc.returncode == 0, proc.stderr
    proc = h.run_generator("cli", ms_out, {"rules": "aristaproto", **options}, protos=PROTOS)
    assert proc.returncode == 0, proc.stderr
    peer = {p: h.import_package(_ROOT, f"pe_{tag}.{p}") for p in PACKAGES}
    mine = {p: h.import_package(_ROOT, f"ms_{tag}.{p}") for p in PACKAGES}
    return peer, mine


def _public_classes(module: types.ModuleType) -> set[str]:
    tree = ast.parse(Path(typing.cast(str, module.__file__)).read_text(encoding="utf-8"))
    return {node.name for node in tree.body if isinstance(node, ast.ClassDef) and not node.name.startswith("_")}


def _members(cls: type) -> set[str]:
    names = set()
    for name in dir(cls):
        if name.startswith("_") and name not in SERVER_API:
            continue
        if name in SERVER_API and not hasattr(cls, name):
            continue
        names.add(name)
    return names


def _signature(func: typing.Any, extra: tuple[str, ...] = ()) -> list[tuple[str, str, str]]:
    params = []
    for p in inspect.signature(func).parameters.values():
        if p.name in extra:
            continue
        default = "-" if p.default is inspect.Parameter.empty else repr(p.default)
        params.append((p.name, p.kind.name, default))
    return params


def _client_kind(generation: str, transport: str, name: str, service: str) -> str:
    """What a client class is ("sync" or the async transport), from its name."""
    if name == f"{service}SyncStub":
        return "sync"
    if name == f"{service}AsyncStub":
        return transport
    return "sync" if generation in ("sync", "sync_async") else transport


def _compare_class(peer_cls: type, my_cls: type, extra: tuple[str, ...]) -> list[str]:
    problems = []
    peer_members, my_members = _members(peer_cls), _members(my_cls)
    if peer_members != my_members:
        problems.append(f"{peer_cls.__name__}: members {sorted(peer_members ^ my_members)} differ")
    for name in sorted(peer_members & my_members):
        theirs, mine = getattr(peer_cls, name), getattr(my_cls, name)
        if isinstance(inspect.getattr_static(peer_cls, name), property):
            if not isinstance(inspect.getattr_static(my_cls, name), property):
                problems.append(f"{peer_cls.__name__}.{name}: a property in aristaproto, not in moonstub")
            continue
        if inspect.iscoroutinefunction(theirs) != inspect.iscoroutinefunction(mine):
            problems.append(f"{peer_cls.__name__}.{name}: coroutine function in one only")
        # the peer's clients inherit __init__ from aristaproto's ServiceStub; moonstub's write their own
        keyword_extra = extra
        theirs_sig, mine_sig = _signature(theirs), _signature(mine, keyword_extra)
        if theirs_sig != mine_sig:
            problems.append(f"{peer_cls.__name__}.{name}: {theirs_sig} != {mine_sig}")
        if keyword_extra:
            mine_all = [p[0] for p in _signature(mine)]
            assert [n for n in mine_all if n in keyword_extra] == list(keyword_extra), (name, mine_all)
    return problems


@pytest.mark.parametrize("generation, client_transport, server_transport", COMBOS,
                         ids=[f"{g}-{c}-server_{s}" for g, c, s in COMBOS])
def test_api_surface_matches_aristaproto(generation: str, client_transport: str, server_transport: str) -> None:
    peer, mine = _generate_both(generation, client_transport, server_transport)
    problems: list[str] = []
    for package in PACKAGES:
        theirs_mod, my_mod = peer[package], mine[package]
        theirs_classes, my_classes = _public_classes(theirs_mod), _public_classes(my_mod)
        # nested messages: aristaproto writes ThingPart at module level
        flat_pending = "flattened nested classes" in PENDING and not hasattr(my_mod, "ThingPart")
        nested_flat = {"ThingPart"} if flat_pending else set()
        if theirs_classes - nested_flat != my_classes:
            problems.append(f"{package}: classes {sorted(theirs_classes ^ my_classes)} differ")
        if (hasattr(my_mod, "__all__") or "__all__" not in PENDING) and tuple(
            getattr(my_mod, "__all__", ())
        ) != tuple(theirs_mod.__all__):
            problems.append(f"{package}: __all__ {getattr(my_mod, '__all__', None)} != {theirs_mod.__all__}")
        for name in sorted(theirs_classes & my_classes):
            theirs_cls, my_cls = getattr(theirs_mod, name), getattr(my_mod, name)
            if name.endswith("Stub"):
                service = name[: -len("Stub")].removesuffix("Sync").removesuffix("Async")
                kind = _client_kind(generation, client_transport, name, service)
                problems += _compare_class(theirs_cls, my_cls, EXTRA_KEYWORDS.get(kind, ()))
            elif name.endswith("Base"):
                problems += _compare_class(theirs_cls, my_cls, ())
    assert problems == []


def test_the_combinations_cover_every_option() -> None:
    """6 client modes x 2 async client transports, server bases on both transports."""
    assert {(g, c) for g, c, _ in COMBOS} == {(g, c) for g in GENERATIONS for c in TRANSPORTS}
    assert {s for _, _, s in COMBOS} == set(TRANSPORTS)
    assert {(c, s) for g, c, s in COMBOS if g == "none"} >= {("grpclib", "grpcio"), ("grpcio", "grpclib")}
