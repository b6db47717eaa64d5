"""aristaproto's ``google_protobuf_descriptors`` option: message and enum
classes get a ``DESCRIPTOR`` (google.protobuf descriptors from one pool of
moonstub's, moonstub.runtime.protobuf_descriptor_pool()), imports and
well-known types resolved; without the option there is none; it cannot go with
``descriptors=false``. Each check runs in a fresh interpreter: the pool lives
for the process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import support

SHAPES = """syntax = "proto3";
package shop.v1;
import "google/protobuf/timestamp.proto";
import "money.proto";
enum State { STATE_UNSPECIFIED = 0; STATE_OPEN = 1; }
message Order {
  enum Kind { KIND_UNSPECIFIED = 0; KIND_GIFT = 1; }
  message Line { string sku = 1; shop.money.v1.Money price = 2; }
  repeated Line lines = 1;
  google.protobuf.Timestamp placed = 2;
  Kind kind = 3;
  State state = 4;
}
"""

MONEY = """syntax = "proto3";
package shop.money.v1;
message Money { string currency = 1; int64 units = 2; }
"""

CHECK = """
import sys
from out.shop.v1 import Order, OrderKind, OrderLine, State  # aristaproto flattens nested types
from google.protobuf import descriptor_pool
d = Order.DESCRIPTOR
assert d.full_name == "shop.v1.Order", d.full_name
assert Order().DESCRIPTOR is d
assert OrderLine.DESCRIPTOR.fields_by_name["price"].message_type.full_name == "shop.money.v1.Money"
assert d.fields_by_name["placed"].message_type.full_name == "google.protobuf.Timestamp"
assert d.fields_by_name["kind"].enum_type is OrderKind.DESCRIPTOR
assert State.DESCRIPTOR.values_by_name["STATE_OPEN"].number == 1
assert d.file.name == "shapes.proto" and d.file.dependencies[1].name == "money.proto"
# the descriptors describe the same wire: google.protobuf's dynamic message reads moonstub's bytes
from google.protobuf import message_factory
dynamic = message_factory.GetMessageClass(d)
data = Order(lines=[OrderLine(sku="a")], kind=OrderKind.KIND_GIFT).SerializeToString()
parsed = dynamic.FromString(data)
assert parsed.lines[0].sku == "a" and parsed.kind == 1, parsed
# a pool of moonstub's own: protobuf's default pool is left alone
try:
    descriptor_pool.Default().FindMessageTypeByName("shop.v1.Order")
except KeyError:
    pass
else:
    raise AssertionError("the default pool got moonstub's files")
print("ok")
"""


def _generate(tmp_path: Path, *options: str) -> Path:
    src = tmp_path / "src"
    src.mkdir(exist_ok=True)
    (src / "shapes.proto").write_text(SHAPES)
    (src / "money.proto").write_text(MONEY)
    out = tmp_path / "out"
    flags = [x for option in options for x in ("--opt", option)]
    return support.generate(out, [src], [src / "shapes.proto", src / "money.proto"], "--rules=aristaproto", *flags)


def _python(out: Path, code: str) -> subprocess.CompletedProcess[str]:
    # aristaproto's layout imports relatively: the output folder is a package
    return subprocess.run([sys.executable, "-c", code], cwd=out.parent, capture_output=True, text=True, timeout=60,
                          check=False)


@pytest.mark.parametrize("runtime", ["package", "vendored"])
def test_classes_get_protobuf_descriptors(tmp_path: Path, runtime: str) -> None:
    out = _generate(tmp_path, "google_protobuf_descriptors=true", f"runtime={runtime}")
    text = (out / "shop" / "v1" / "__init__.py").read_text()
    assert '_ms.attach_protobuf_descriptors(__name__, "shapes.proto")' in text
    proc = _python(out, CHECK)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr


def test_without_the_option_there_is_no_descriptor(tmp_path: Path) -> None:
    out = _generate(tmp_path)
    assert "attach_protobuf_descriptors" not in (out / "shop" / "v1" / "__init__.py").read_text()
    proc = _python(out, "from out.shop.v1 import Order\ntry:\n    Order.DESCRIPTOR\nexcept AttributeError:\n"
                        "    print('none')\n")
    assert proc.stdout.strip() == "none", proc.stderr


def test_the_option_needs_descriptors(tmp_path: Path) -> None:
    (tmp_path / "money.proto").write_text(MONEY)
    result = support.run_moonstub("-I", str(tmp_path), str(tmp_path / "money.proto"), f"--python_out={tmp_path / 'o'}",
                                  "--opt", "google_protobuf_descriptors=true", "--opt", "descriptors=false")
    assert result.returncode == 1
    assert result.stderr == ("moonstub: error: google_protobuf_descriptors=true needs the modules' descriptors: "
                             "it cannot go with descriptors=false\n")
    assert not (tmp_path / "o").exists()
