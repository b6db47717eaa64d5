"""pyfory dataclasses with the shapes of bench/shapes.proto, for the codec
benchmark: written by hand, plain pyfory as its users write it (the Publish
shape uses moonstub's --codec=fory classes instead)."""

import dataclasses
import datetime
import enum
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


class Currency(enum.IntEnum):
    CURRENCY_UNSPECIFIED = 0
    CURRENCY_USD = 1
    CURRENCY_EUR = 2
    CURRENCY_GBP = 3
    CURRENCY_JPY = 4


@dataclasses.dataclass
class Entry:
    id: pyfory.UInt64 = 0
    account: str = ""
    amount: pyfory.Int64 = 0
    currency: Currency = Currency.CURRENCY_UNSPECIFIED
    tags: List[str] = dataclasses.field(default_factory=list)
    meta: Dict[str, str] = dataclasses.field(default_factory=dict)
    created_at: Optional[datetime.datetime] = None
    posted_at: Optional[datetime.datetime] = None
    splits: List[pyfory.Int32] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class Ledger:
    ledger_id: str = ""
    entries: List[Entry] = dataclasses.field(default_factory=list)
    balances: Dict[str, pyfory.Int64] = dataclasses.field(default_factory=dict)
    deltas: List[pyfory.Int64] = dataclasses.field(default_factory=list)
    checksums: List[pyfory.FixedUInt64] = dataclasses.field(default_factory=list)
    closed_at: Optional[datetime.datetime] = None


fory = pyfory.Fory(xlang=True, ref=False)
for _i, _cls in enumerate((Small, Inner, Nested, Large, Currency, Entry, Ledger)):
    fory.register_type(_cls, type_id=100 + _i)
