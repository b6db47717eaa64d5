"""Seeds for fuzz_native: encodings of random messages of every class in a
folder of generated modules, each prefixed with the class's index in the
sorted registry (the byte fuzz_native.c reads first).

    python tests/fuzz/native_seeds.py GENERATED_DIR SEED_DIR [PER_CLASS]
"""

from __future__ import annotations

import importlib
import random
import sys
from pathlib import Path
from typing import Any

INT_RANGES = {
    "int32": (-(1 << 31), (1 << 31) - 1), "sint32": (-(1 << 31), (1 << 31) - 1),
    "sfixed32": (-(1 << 31), (1 << 31) - 1), "uint32": (0, (1 << 32) - 1), "fixed32": (0, (1 << 32) - 1),
    "int64": (-(1 << 63), (1 << 63) - 1), "sint64": (-(1 << 63), (1 << 63) - 1),
    "sfixed64": (-(1 << 63), (1 << 63) - 1), "uint64": (0, (1 << 64) - 1), "fixed64": (0, (1 << 64) - 1),
}


class Builder:
    def __init__(self, ms: Any, rng: random.Random) -> None:
        self.ms, self.rng = ms, rng
        self.kinds = {getattr(ms, name.upper()): name for name in INT_RANGES}

    def scalar(self, kind: int) -> Any:
        ms, rng = self.ms, self.rng
        if kind in self.kinds:
            lo, hi = INT_RANGES[self.kinds[kind]]
            return rng.choice([lo, hi, 0, 1, -1 if lo < 0 else 2, 300, rng.randint(lo, hi)])
        if kind == ms.BOOL:
            return rng.random() < 0.5
        if kind in (ms.FLOAT, ms.DOUBLE):
            return rng.choice([0.0, -0.0, 1.5, float("inf"), float("nan"), rng.uniform(-1e6, 1e6)])
        if kind == ms.STRING:
            return rng.choice(["", "a", "h\u00e9llo", "\U0001f600" * 3, "x" * 200])
        return rng.choice([b"", b"\x00\xff", bytes(range(40))])

    def value(self, kind: int, typ: Any, depth: int) -> Any:
        ms = self.ms
        if kind in (ms.MESSAGE, ms.GROUP):
            return self.message(typ, depth + 1)
        if kind == ms.ENUM:
            return self.rng.choice(list(typ))
        return self.scalar(kind)

    def message(self, cls: Any, depth: int = 0) -> Any:
        ms, rng = self.ms, self.rng
        kwargs: dict[str, Any] = {}
        for f in ms.fields_of(cls):
            if rng.random() < 0.5 or (depth > 3 and (f.kind in (ms.MESSAGE, ms.GROUP) or f.map_value == ms.MESSAGE)):
                continue
            if f.map_key:
                kwargs[f.attr] = {self.scalar(f.map_key): self.value(f.map_value, f.map_type, depth)
                                  for _ in range(rng.randint(1, 3))}
            elif f.repeated:
                kwargs[f.attr] = [self.value(f.kind, f.type, depth) for _ in range(rng.randint(1, 4))]
            else:
                kwargs[f.attr] = self.value(f.kind, f.type, depth)
        return cls(**kwargs)


def main() -> int:
    gen, out = Path(sys.argv[1]), Path(sys.argv[2])
    per_class = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    sys.path.insert(0, str(gen))
    ms = importlib.import_module("_moonstub")
    for path in sorted(gen.glob("*.py")):
        if path.stem != "_moonstub":
            importlib.import_module(path.stem)
    out.mkdir(parents=True, exist_ok=True)
    builder = Builder(ms, random.Random(1))
    names = sorted(ms.REGISTRY)
    written = 0
    for index, name in enumerate(names):
        for n in range(per_class):
            try:
                data = builder.message(ms.REGISTRY[name]).SerializeToString()
            except ms.EncodeError:
                continue  # a required field left unset
            (out / f"{index:04d}-{n}").write_bytes(bytes([index % 256]) + data)
            written += 1
    print(f"native_seeds: {written} seeds for {len(names)} classes in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
