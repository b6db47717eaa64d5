#!/usr/bin/env python3
"""Compare moonstub's schema model with protoc's.

Usage: compare_model.py MODEL.json DESCRIPTOR_SET.pb [--target PATH]...

MODEL.json is the output of ``moonstub --dump-model``; DESCRIPTOR_SET.pb is
written by ``protoc --descriptor_set_out=... --include_imports`` for the same
files.  The descriptor set is loaded into a ``DescriptorPool`` so that
everything editions features decide (presence, closedness, packing, LEGACY_
REQUIRED labels, DELIMITED-as-group types) is resolved by the protobuf library
itself, never re-derived here.

Every difference is printed as one line::

    path: full.name: what: moonstub=X protoc=Y

(X and Y in JSON notation; ``<absent>`` = the item does not exist on that
side, ``<missing>`` = moonstub's JSON lacks the key), then a summary line.
Exit status: 0 = identical, 1 = mismatches, 2 = unusable input.

``--target`` (repeatable) names the files given to moonstub on its command
line; only then is ``is_target`` checked, since a descriptor set does not
record which files were targets.  ``option_imports`` (edition 2024
``import option``) is not part of the model format yet; it is compared only
when moonstub's JSON has that key.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any, Final

from google.protobuf import descriptor_pb2, descriptor_pool
from google.protobuf.descriptor import (
    Descriptor,
    EnumDescriptor,
    FieldDescriptor,
    FileDescriptor,
    ServiceDescriptor,
)

# A model item (file, message, field, ...) as a JSON object.
Item = dict[str, Any]


class _Marker:
    """Sentinel shown verbatim (not JSON-quoted) in mismatch lines."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


MISSING: Final = _Marker("<missing>")  # key absent from moonstub's JSON object
ABSENT: Final = _Marker("<absent>")  # whole item absent on that side
PRESENT: Final = _Marker("<present>")

# FieldDescriptorProto.Type enum value -> model spelling ("TYPE_SINT32" -> "sint32").
TYPE_NAMES: Final[dict[int, str]] = {
    number: name.removeprefix("TYPE_").lower()
    for name, number in descriptor_pb2.FieldDescriptorProto.Type.items()
}
# Types that may be packed when repeated (everything but LEN-delimited/group).
NOT_PACKABLE: Final = frozenset(
    {
        FieldDescriptor.TYPE_STRING,
        FieldDescriptor.TYPE_BYTES,
        FieldDescriptor.TYPE_MESSAGE,
        FieldDescriptor.TYPE_GROUP,
    }
)


# --------------------------------------------------------------------------
# protoc side: turn the pool's descriptors into model-shaped dicts.
#
# The pool's descriptor objects answer every resolved question; the raw
# FileDescriptorProto is consulted only for facts the Python API does not
# expose: syntax/edition, weak and option imports, proto3_optional (and
# hence synthetic oneofs), and map_entry (cheaper than GetOptions()).
# Children of a descriptor are listed in declaration order, the same order as
# the raw repeated fields, so the two are walked in step with zip().
# --------------------------------------------------------------------------


def _label(field: FieldDescriptor) -> str:
    try:
        # is_required is True for editions LEGACY_REQUIRED fields, whose raw
        # label is LABEL_OPTIONAL.  Current protobuf (7.x, both the upb and
        # the pure-Python backend) has no `label` attribute at all.
        repeated, required = field.is_repeated, field.is_required
    except AttributeError:  # older protobuf without is_repeated/is_required
        repeated = field.label == FieldDescriptor.LABEL_REPEATED
        required = field.label == FieldDescriptor.LABEL_REQUIRED
    return "repeated" if repeated else "required" if required else "optional"


def _check_pair(raw_name: str, desc: Any) -> None:
    if raw_name != desc.name:  # would mean the pool reordered children
        raise RuntimeError(f"descriptor order mismatch: {raw_name} vs {desc.full_name}")


def ref_field(field: FieldDescriptor, raw: descriptor_pb2.FieldDescriptorProto) -> Item:
    _check_pair(raw.name, field)
    # `type` is resolved: a DELIMITED message field reports TYPE_GROUP even
    # though the raw proto says TYPE_MESSAGE.
    ftype = field.type
    if field.message_type is not None:
        type_name = field.message_type.full_name
    elif field.enum_type is not None:
        type_name = field.enum_type.full_name
    else:
        type_name = None
    oneof = field.containing_oneof
    label = _label(field)
    item: Item = {
        "name": field.name,
        "full_name": field.full_name,
        "number": field.number,
        "label": label,
        "type": TYPE_NAMES[ftype],
        "type_name": type_name,
        "oneof": oneof.name if oneof is not None else None,
        "presence": "explicit" if field.has_presence else "implicit",
        # protoc fills json_name for every field (extensions too) in a
        # descriptor set; the pool just returns it.
        "json_name": field.json_name,
        # For extensions containing_type is the extendee (extension_scope is
        # where the extend block sits).
        "extendee": field.containing_type.full_name if field.is_extension else None,
        "proto3_optional": raw.proto3_optional,
    }
    if label == "repeated" and ftype not in NOT_PACKABLE:
        item["packed"] = field.is_packed
    return item


def ref_enum(enum: EnumDescriptor, raw: descriptor_pb2.EnumDescriptorProto) -> Item:
    _check_pair(raw.name, enum)
    return {
        "name": enum.name,
        "full_name": enum.full_name,
        "values": [{"name": v.name, "number": v.number} for v in enum.values],
        "closed": enum.is_closed,
    }


def ref_message(msg: Descriptor, raw: descriptor_pb2.DescriptorProto) -> Item:
    _check_pair(raw.name, msg)
    # protoc makes a oneof synthetic exactly when it wraps a proto3 optional field.
    synthetic = [False] * len(raw.oneof_decl)
    for raw_field in raw.field:
        if raw_field.proto3_optional and raw_field.HasField("oneof_index"):
            synthetic[raw_field.oneof_index] = True
    return {
        "name": msg.name,
        "full_name": msg.full_name,
        "fields": [ref_field(f, r) for f, r in zip(msg.fields, raw.field, strict=True)],
        "oneofs": [
            {"name": o.name, "synthetic": s} for o, s in zip(msg.oneofs, synthetic, strict=True)
        ],
        "messages": [
            ref_message(m, r) for m, r in zip(msg.nested_types, raw.nested_type, strict=True)
        ],
        "enums": [ref_enum(e, r) for e, r in zip(msg.enum_types, raw.enum_type, strict=True)],
        "extensions": [
            ref_field(f, r) for f, r in zip(msg.extensions, raw.extension, strict=True)
        ],
        "is_map_entry": raw.options.map_entry,
    }


def ref_service(svc: ServiceDescriptor, raw: descriptor_pb2.ServiceDescriptorProto) -> Item:
    _check_pair(raw.name, svc)
    return {
        "name": svc.name,
        "full_name": svc.full_name,
        "methods": [
            {
                "name": m.name,
                "input": m.input_type.full_name,
                "output": m.output_type.full_name,
                "client_streaming": m.client_streaming,
                "server_streaming": m.server_streaming,
            }
            for m in svc.methods
        ],
    }


def ref_file(fd: FileDescriptor, raw: descriptor_pb2.FileDescriptorProto) -> Item:
    # FileDescriptor has no ordered child lists (only *_by_name maps), so
    # look children up by name in raw declaration order.
    messages, enums = fd.message_types_by_name, fd.enum_types_by_name
    services, extensions = fd.services_by_name, fd.extensions_by_name
    # protoc leaves `syntax` empty for proto2; `edition` is only set for editions.
    syntax = raw.syntax or "proto2"
    edition = (
        descriptor_pb2.Edition.Name(raw.edition).removeprefix("EDITION_")
        if syntax == "editions"
        else None
    )
    deps = list(raw.dependency)
    return {
        "path": raw.name,
        "package": raw.package or None,
        "syntax": syntax,
        "edition": edition,
        "imports": deps,
        "public_imports": [deps[i] for i in raw.public_dependency],
        "weak_imports": [deps[i] for i in raw.weak_dependency],
        "option_imports": list(getattr(raw, "option_dependency", ())),
        "messages": [ref_message(messages[m.name], m) for m in raw.message_type],
        "enums": [ref_enum(enums[e.name], e) for e in raw.enum_type],
        "services": [ref_service(services[s.name], s) for s in raw.service],
        "extensions": [ref_field(extensions[x.name], x) for x in raw.extension],
    }


class Reference:
    """protoc's side: a FileDescriptorSet loaded into a DescriptorPool.

    Model-shaped dicts are built one file at a time (see `file`) so that the
    whole of googleapis is never held twice in memory.
    """

    def __init__(self, path: str) -> None:
        fds = descriptor_pb2.FileDescriptorSet()
        with open(path, "rb") as fh:
            fds.ParseFromString(fh.read())
        self.pool = descriptor_pool.DescriptorPool()
        for raw in fds.file:  # --include_imports writes dependencies first
            self.pool.Add(raw)
        self.raw: dict[str, descriptor_pb2.FileDescriptorProto] = {raw.name: raw for raw in fds.file}

    def file(self, path: str) -> Item:
        return ref_file(self.pool.FindFileByName(path), self.raw[path])


# --------------------------------------------------------------------------
# Comparison
# --------------------------------------------------------------------------


def _join(parent: str, name: str) -> str:
    return f"{parent}.{name}" if parent else name


def _show(value: Any) -> str:
    if isinstance(value, _Marker):
        return value.text
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class Comparer:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.path = ""  # file currently being compared

    def report(self, name: str, what: str, ours: Any, theirs: Any) -> None:
        self.lines.append(f"{self.path}: {name}: {what}: moonstub={_show(ours)} protoc={_show(theirs)}")

    def scalars(self, name: str, ours: Item, theirs: Item, keys: Sequence[str]) -> None:
        for key in keys:
            if key not in theirs:  # e.g. "packed" of a non-packable field
                continue
            value = ours.get(key, MISSING)
            # bool is an int subclass: don't let 1 == True or 0 == False pass.
            if value != theirs[key] or type(value) is not type(theirs[key]):
                self.report(name, key, value, theirs[key])

    def children(
        self,
        parent: str,
        kind: str,
        ours_list: Any,
        theirs_list: list[Item],
        compare: Callable[[str, Item, Item], None],
    ) -> None:
        """Match two child lists by name, then check membership, order, items."""
        if not theirs_list and ours_list == []:  # by far the most common case
            return
        if not isinstance(ours_list, list):
            self.report(parent, kind + "s", ours_list, _Marker(f"<{len(theirs_list)} items>"))
            ours_list = []
        ours: dict[str, Item] = {}
        for item in ours_list:
            name = item.get("name") if isinstance(item, dict) else None
            if not isinstance(name, str):
                self.report(parent, f"{kind} without a name", item, ABSENT)
            elif name in ours:
                self.report(_join(parent, name), f"duplicate {kind}", PRESENT, ABSENT)
            else:
                ours[name] = item
        theirs = {item["name"]: item for item in theirs_list}
        # (Lists, not set differences, keep the output order deterministic.)
        for name in [n for n in theirs if n not in ours]:
            self.report(_join(parent, name), kind, ABSENT, PRESENT)
        for name in [n for n in ours if n not in theirs]:
            self.report(_join(parent, name), kind, PRESENT, ABSENT)
        our_order = [n for n in ours if n in theirs]
        their_order = [n for n in theirs if n in ours]
        if our_order != their_order:
            self.report(parent, f"{kind} order", our_order, their_order)
        for name in their_order:
            compare(_join(parent, name), ours[name], theirs[name])

    # Item comparers: `name` is the display name (full name where one exists).

    def field(self, name: str, ours: Item, theirs: Item) -> None:
        self.scalars(
            name,
            ours,
            theirs,
            (
                "full_name", "number", "label", "type", "type_name", "oneof", "presence",
                "json_name", "extendee", "packed", "proto3_optional",
            ),
        )

    def enum(self, name: str, ours: Item, theirs: Item) -> None:
        self.scalars(name, ours, theirs, ("full_name", "closed"))
        self.children(name, "value", ours.get("values", MISSING), theirs["values"],
                      lambda n, o, t: self.scalars(n, o, t, ("number",)))

    def message(self, name: str, ours: Item, theirs: Item) -> None:
        self.scalars(name, ours, theirs, ("full_name", "is_map_entry"))
        self.children(name, "field", ours.get("fields", MISSING), theirs["fields"], self.field)
        self.children(name, "oneof", ours.get("oneofs", MISSING), theirs["oneofs"],
                      lambda n, o, t: self.scalars(n, o, t, ("synthetic",)))
        self.children(name, "message", ours.get("messages", MISSING), theirs["messages"], self.message)
        self.children(name, "enum", ours.get("enums", MISSING), theirs["enums"], self.enum)
        self.children(name, "extension", ours.get("extensions", MISSING), theirs["extensions"], self.field)

    def service(self, name: str, ours: Item, theirs: Item) -> None:
        self.scalars(name, ours, theirs, ("full_name",))
        self.children(name, "method", ours.get("methods", MISSING), theirs["methods"],
                      lambda n, o, t: self.scalars(
                          n, o, t, ("input", "output", "client_streaming", "server_streaming")))

    def file(self, ours: Item, theirs: Item) -> None:
        keys = ["package", "syntax", "edition", "imports", "public_imports", "weak_imports"]
        if "option_imports" in ours:
            keys.append("option_imports")
        self.scalars("<file>", ours, theirs, keys)
        # Children are named relative to the package, which makes the display
        # name of messages, fields, enums and services their full name.
        scope = theirs["package"] or ""
        for kind, compare in (
            ("message", self.message),
            ("enum", self.enum),
            ("service", self.service),
            ("extension", self.field),
        ):
            self.children(scope, kind, ours.get(kind + "s", MISSING), theirs[kind + "s"], compare)

    def files(self, model: list[Any], reference: Reference, targets: set[str] | None) -> None:
        theirs = reference.raw
        ours: dict[str, Item] = {}
        position: dict[str, int] = {}
        for index, item in enumerate(model):
            path = item.get("path") if isinstance(item, dict) else None
            if not isinstance(path, str):
                self.path = "<model>"
                self.report(f"files[{index}]", "file without a path", item, ABSENT)
                continue
            self.path = path
            if path in ours:
                self.report("<file>", "duplicate file", PRESENT, ABSENT)
                continue
            ours[path] = item
            position[path] = index
        for path in sorted(theirs.keys() - ours.keys()):
            self.path = path
            self.report("<file>", "file", ABSENT, PRESENT)
        for path in sorted(ours.keys() - theirs.keys()):
            self.path = path
            self.report("<file>", "file", PRESENT, ABSENT)
        for path, item in ours.items():
            self.path = path
            # The model promises dependencies first.
            for dep in theirs[path].dependency if path in theirs else ():
                if dep in position and position[dep] > position[path]:
                    self.report("<file>", "dependency order", f"{dep} listed after", f"{dep} listed before")
            if targets is not None:
                want = path in targets
                if item.get("is_target", MISSING) is not want:
                    self.report("<file>", "is_target", item.get("is_target", MISSING), want)
            if path in theirs:
                self.file(item, reference.file(path))


def load_model(path: str) -> list[Any]:
    """The "files" list of a --dump-model JSON document."""
    with open(path, encoding="utf-8") as fh:
        # json.load of a big model creates millions of containers and the
        # cyclic GC would rescan them again and again: googleapis' model
        # (140 MB) loads in 1 s instead of 3 s with the GC off, and the whole
        # run takes half as long once the loaded objects are frozen out of
        # the GC's sight (main() unfreezes them when done).
        gc.disable()
        try:
            model = json.load(fh)
            gc.freeze()
        finally:
            gc.enable()
    files = model["files"] if isinstance(model, dict) else None
    if not isinstance(files, list):
        raise ValueError('no "files" list at the top level')
    return files


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Compare moonstub --dump-model JSON with protoc.")
    parser.add_argument("model", help="moonstub --dump-model output (JSON)")
    parser.add_argument("descriptor_set", help="protoc --descriptor_set_out --include_imports output")
    parser.add_argument("--target", action="append", default=None,
                        help="a file named on moonstub's command line (repeatable); enables is_target checks")
    args = parser.parse_args(argv)
    try:
        return run(args.model, args.descriptor_set, args.target)
    finally:
        gc.unfreeze()  # main() may be called repeatedly from another script


def run(model_path: str, descriptor_set: str, targets: list[str] | None) -> int:
    try:
        files = load_model(model_path)
    except (OSError, ValueError) as exc:  # JSONDecodeError is a ValueError
        print(f"compare_model: unusable model {model_path}: {exc}", file=sys.stderr)
        return 2
    try:
        reference = Reference(descriptor_set)
    except Exception as exc:  # unreadable file, bad proto, pool conflict ...
        print(f"compare_model: unusable descriptor set {descriptor_set}: {exc!r}", file=sys.stderr)
        return 2

    comparer = Comparer()
    comparer.files(files, reference, set(targets) if targets is not None else None)
    out = sys.stdout
    for line in comparer.lines:
        out.write(line + "\n")
    if comparer.lines:
        # Per-attribute tally makes big runs readable ("json_name: 1200").
        tally = Counter(line.split(": ", 3)[2] for line in comparer.lines)
        detail = ", ".join(f"{what}: {n}" for what, n in tally.most_common())
        out.write(f"compare_model: {len(comparer.lines)} mismatches in {len(files)} model files "
                  f"/ {len(reference.raw)} protoc files ({detail})\n")
        return 1
    out.write(f"compare_model: OK, {len(reference.raw)} files match\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
