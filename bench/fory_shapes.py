"""pyfory dataclasses with the shapes of bench/shapes.proto, for the codec
benchmark (moonstub's own Fory codec arrives with the Fory IDL front end)."""

import dataclasses
from typing import Dict, List, Optional

import pyfory


@dataclasses.dataclass
class Small:
    id: pyfory.Int32 = 0
    name: str = ""
    active: bool = False
    score: pyfory.Float64 = 0.0
    ts: pyfory.Int64 = 0


@dataclasses.dataclass
class Inner:
    key: str = ""
    value: pyfory.Int32 = 0
    tags: List[str] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class Nested:
    head: Optional[Small] = None
    items: List[Inner] = dataclasses.field(default_factory=list)
    extra: Optional[Inner] = None
    note: str = ""


@dataclasses.dataclass
class Large:
    ints: List[pyfory.Int32] = dataclasses.field(default_factory=list)
    doubles: List[pyfory.Float64] = dataclasses.field(default_factory=list)
    names: List[str] = dataclasses.field(default_factory=list)
    counts: Dict[str, pyfory.Int64] = dataclasses.field(default_factory=dict)
    inners: Dict[pyfory.Int32, Inner] = dataclasses.field(default_factory=dict)


fory = pyfory.Fory(xlang=True, ref=False)
for _i, _cls in enumerate((Small, Inner, Nested, Large)):
    fory.register_type(_cls, type_id=100 + _i)
