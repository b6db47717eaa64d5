"""pytest configuration of the aristaproto-option tests.

The generation helpers, option sets, servers and service implementations the
test files share live in ``arista_helpers.py`` (a plain module, so that the
test files can import it by a name no other folder uses); this file puts the
folder on sys.path so that import works under any pytest import mode, and
checks that the moonstub binary exists.

Environment:
  MOONSTUB               the moonstub binary (default <repo>/build/moonstub); plugin mode
                         runs it through a symlink named protoc-gen-moonstub
  MOONSTUB_CORPUS_ROOT   folder holding googleapis/ and protobuf/ (test_plugin_identity.py;
                         default <repo>/build/corpus if it has googleapis/, else /tmp/corpus)
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import arista_helpers  # noqa: E402 (needs the sys.path entry above)


@pytest.fixture(scope="session", autouse=True)
def _moonstub_binary() -> None:
    arista_helpers.check_binary()
