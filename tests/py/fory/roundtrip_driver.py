"""Runs the checks of Apache Fory's idl_tests/python/roundtrip.py (vendored in
schemas/upstream/idl_python, unchanged) one by one on the generated modules
found on sys.path, and prints {check: "ok" | exception name} as JSON.

roundtrip.run_roundtrip runs every check in one sequence on one Fory; here each
check gets its own Fory, registered as run_roundtrip registers it, so that one
failing check does not hide the others (the only adaptation: the fixture)."""

from __future__ import annotations

import json
import sys
import traceback
import typing

import pyfory
import roundtrip as r


def _fory(compatible: bool, ref: bool = False) -> pyfory.Fory:
    fory = pyfory.Fory(xlang=True, ref=ref, compatible=compatible)
    if ref:
        r.tree.register_tree_types(fory)
        r.graph.register_graph_types(fory)
        return fory
    for module in (r.complex_pb, r.addressbook, r.auto_id, r.monster, r.complex_fbs, r.collection,
                   r.optional_types, r.any_example, r.example):
        getattr(module, f"register_{module.__name__}_types")(fory)
    return fory


def checks(compatible: bool) -> dict[str, typing.Callable[[], None]]:
    def f() -> typing.Any:
        return _fory(compatible)

    def g() -> typing.Any:
        return _fory(compatible, ref=True)

    out: dict[str, typing.Callable[[], None]] = {
        "addressbook": lambda: (r.bytes_roundtrip_addressbook(r.build_address_book()),
                                r.local_roundtrip(f(), r.build_address_book())),
        "root": lambda: r.bytes_roundtrip_root(r.build_root_holder()),
        "auto_id": lambda: (r.local_roundtrip_auto_id(f(), r.build_auto_id_envelope()),
                            r.local_roundtrip_auto_wrapper(f(), r.build_auto_id_wrapper(r.build_auto_id_envelope()))),
        "primitives": lambda: r.local_roundtrip_primitives(f(), r.build_primitive_types()),
        "collections": lambda: r.local_roundtrip_collections(
            f(), r.build_numeric_collections(), r.build_numeric_collection_union(),
            r.build_numeric_collections_array(), r.build_numeric_collection_array_union()),
        "monster": lambda: r.local_roundtrip_monster(f(), r.build_monster()),
        "container": lambda: r.local_roundtrip_container(f(), r.build_container()),
        "optional_types": lambda: r.local_roundtrip_optional_types(f(), r.build_optional_holder()),
        "any": lambda: r.local_roundtrip_any(f(), r.build_any_holder()),
        "example": lambda: r.local_roundtrip_example(f(), r.build_example_message(), r.build_example_union()),
        "tree": lambda: r.local_roundtrip_tree(g(), r.build_tree()),
        "graph": lambda: r.local_roundtrip_graph(g(), r.build_graph()),
    }
    if compatible:
        out["evolving"] = r.local_roundtrip_evolving
    return out


def main() -> int:
    results: dict[str, str] = {}
    for compatible in (False, True):
        for name, check in checks(compatible).items():
            label = f"{'compatible' if compatible else 'consistent'}:{name}"
            try:
                check()
                results[label] = "ok"
            except Exception as exc:  # noqa: BLE001 - reported to the test
                results[label] = type(exc).__name__
                print(f"{label}: {traceback.format_exc()}", file=sys.stderr)
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
