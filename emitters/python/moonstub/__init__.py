"""moonstub's Python package.

It holds the native codec (``moonstub._native``, built from ``_native.c`` beside
this file) that the runtime of generated code uses when it can import it
(docs/codec.md) and, when installed with pip, the moonstub binary
(``moonstub/bin/moonstub``) behind the ``moonstub`` and ``protoc-gen-moonstub``
commands and ``python -m moonstub`` (``moonstub._cli``; docs/install.md).

Importing this package imports nothing else: the extension loads when the
runtime asks for it. The version is ``importlib.metadata.version("moonstub")``,
read at build time from core/version.h, as ``moonstub --version`` is.
"""
