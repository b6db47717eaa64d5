"""The command line of the installed package.

The console scripts ``moonstub`` and ``protoc-gen-moonstub`` and
``python -m moonstub`` all run the static binary this package installs
(``moonstub/bin/moonstub``), replacing the Python process with ``os.execv``:
arguments, stdin, stdout, stderr and the exit status are the binary's own.
The binary is a protoc plugin when the name it is called by (``argv[0]``)
starts with ``protoc-gen-`` (core/main.c), so each entry point passes the
name that selects its mode. See docs/install.md.
"""

from __future__ import annotations

import os
import sys
import typing

PLUGIN_NAME = "protoc-gen-moonstub"


def binary() -> str:
    """The path of the moonstub binary installed with this package."""
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "bin", "moonstub")


def _exec(argv0: str) -> typing.NoReturn:
    path = binary()
    try:
        os.execv(path, [argv0, *sys.argv[1:]])
    except OSError as exc:
        # as a shell does: 127 when there is no such file, 126 when it cannot run
        sys.stderr.write(f"moonstub: cannot run {path}: {exc.strerror}\n")
        raise SystemExit(127 if isinstance(exc, FileNotFoundError) else 126) from None


def main() -> typing.NoReturn:
    """``moonstub`` and ``python -m moonstub``: the command line (docs/cli.md).
    A copy or link of the console script named ``protoc-gen-*`` is a plugin,
    as a link to the binary is."""
    called = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    _exec(called if called.startswith("protoc-gen-") else "moonstub")


def plugin() -> typing.NoReturn:
    """``protoc-gen-moonstub``: the protoc plugin (docs/plugin.md)."""
    _exec(PLUGIN_NAME)
