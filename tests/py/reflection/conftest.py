"""Fixtures of tests/py/reflection (helpers: reflection_helpers.py)."""

from __future__ import annotations

import os

import pytest

from reflection_helpers import MOONSTUB


@pytest.fixture(scope="session")
def moonstub_bin() -> str:
    if not os.access(MOONSTUB, os.X_OK):
        pytest.fail(f"moonstub binary not found at {MOONSTUB} (run make, or set MOONSTUB)")
    return MOONSTUB
