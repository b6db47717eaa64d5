"""moonstub's runtime package. Today it holds the native codec
(``moonstub._native``, built from ``_native.c`` beside this file) that the
runtime of generated code (``_moonstub.py``) uses when it can import it;
see docs/codec.md."""
