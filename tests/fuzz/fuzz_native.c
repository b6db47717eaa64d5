/* libFuzzer harness for the native codec (emitters/python/moonstub/_native.c),
 * compiled into this binary with ASan/UBSan and coverage, inside an embedded
 * CPython.
 *
 * The first input byte picks a message class of the generated modules in
 * $MOONSTUB_FUZZ_GEN (sorted by full name); the rest is decoded as that class.
 * A decoded message must re-encode, and its encoding must decode and encode to
 * the same bytes again (the codec is stable on its own output); merging the
 * input into the decoded message must not fail differently from decoding the
 * input twice. DecodeError and EncodeError are expected outcomes; any other
 * exception, a crash or a sanitizer report is a finding.
 *
 * Run through `make fuzz FUZZ_TARGETS=native` (tests/fuzz/fuzz.mk), which generates the
 * modules, the seeds (tests/fuzz/native_seeds.py) and sets the environment:
 * PYTHONMALLOC=malloc, so that every Python object is visible to ASan.
 */
#include <Python.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

PyMODINIT_FUNC PyInit__native(void);

/* The fuzz target's fixed state, built once in LLVMFuzzerInitialize. */
typedef struct {
  PyObject *codecs; /* list of native MessageType, one per class */
  PyObject *decode_error; /* _moonstub.DecodeError */
  PyObject *encode_error; /* _moonstub.EncodeError */
} FuzzWorld;

static FuzzWorld world; /* libFuzzer's entry points take no context argument */

static void fail_with_python_error(const char *what) {
  fprintf(stderr, "fuzz_native: %s\n", what);
  PyErr_Print();
  abort();
}

static PyObject *import_or_die(const char *name) {
  PyObject *module = PyImport_ImportModule(name);
  if (!module) fail_with_python_error(name);
  return module;
}

/* Python code run once: import every generated module and make the codecs. */
static const char SETUP[] =
    "import importlib, os, sys\n"
    "gen = os.environ['MOONSTUB_FUZZ_GEN']\n"
    "sys.path.insert(0, gen)\n"
    "import _moonstub\n"
    "for name in sorted(os.listdir(gen)):\n"
    "    if name.endswith('.py') and name != '_moonstub.py':\n"
    "        importlib.import_module(name[:-3])\n"
    "codecs = [_moonstub.codec_of(_moonstub.REGISTRY[n], 'native') for n in sorted(_moonstub.REGISTRY)]\n"
    "decode_error, encode_error = _moonstub.DecodeError, _moonstub.EncodeError\n";

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  if (!getenv("MOONSTUB_FUZZ_GEN")) {
    fprintf(stderr, "fuzz_native: set MOONSTUB_FUZZ_GEN to a folder of generated modules\n");
    exit(2);
  }
  if (PyImport_AppendInittab("moonstub._native", PyInit__native) < 0) exit(2);
  Py_Initialize();
  PyObject *main = import_or_die("__main__");
  PyObject *globals = PyModule_GetDict(main);
  PyObject *result = PyRun_String(SETUP, Py_file_input, globals, globals);
  if (!result) fail_with_python_error("setup failed");
  Py_DECREF(result);
  world.codecs = PyDict_GetItemString(globals, "codecs");
  world.decode_error = PyDict_GetItemString(globals, "decode_error");
  world.encode_error = PyDict_GetItemString(globals, "encode_error");
  if (!world.codecs || PyList_GET_SIZE(world.codecs) == 0) {
    fprintf(stderr, "fuzz_native: no message classes in $MOONSTUB_FUZZ_GEN\n");
    exit(2);
  }
  Py_INCREF(world.codecs);
  Py_INCREF(world.decode_error);
  Py_INCREF(world.encode_error);
  return 0;
}

/* Whether the pending exception is one the codec may raise on bad input or
 * an incomplete message; clears it if so. */
static int clear_expected_error(void) {
  if (PyErr_ExceptionMatches(world.decode_error) || PyErr_ExceptionMatches(world.encode_error) ||
      PyErr_ExceptionMatches(PyExc_RecursionError)) {
    PyErr_Clear();
    return 1;
  }
  return 0;
}

static PyObject *call_decode(PyObject *codec, PyObject *data, PyObject *into) {
  return PyObject_CallMethod(codec, "decode", "OO", data, into);
}

static PyObject *call_encode(PyObject *codec, PyObject *message) {
  return PyObject_CallMethod(codec, "encode", "O", message);
}

/* decode(encode(m)) encodes to the same bytes as m. */
static void check_stable(PyObject *codec, PyObject *message) {
  PyObject *first = call_encode(codec, message);
  if (!first) {
    if (!clear_expected_error()) fail_with_python_error("encode raised an unexpected exception");
    return;
  }
  PyObject *again = call_decode(codec, first, Py_None);
  if (!again) fail_with_python_error("the codec cannot decode its own encoding");
  PyObject *second = call_encode(codec, again);
  if (!second) fail_with_python_error("the codec cannot re-encode its own output");
  if (PyObject_RichCompareBool(first, second, Py_EQ) != 1) {
    fprintf(stderr, "fuzz_native: encoding is not stable\n");
    abort();
  }
  Py_DECREF(first);
  Py_DECREF(again);
  Py_DECREF(second);
}

/* Merging the input into its own decoding succeeds exactly when decoding does. */
static void check_merge(PyObject *codec, PyObject *data, PyObject *message) {
  PyObject *merged = call_decode(codec, data, message);
  if (!merged) fail_with_python_error("merging input that decodes failed");
  Py_DECREF(merged);
}

int LLVMFuzzerTestOneInput(const uint8_t *bytes, size_t size) {
  if (size < 1) return 0;
  Py_ssize_t count = PyList_GET_SIZE(world.codecs);
  PyObject *codec = PyList_GET_ITEM(world.codecs, bytes[0] % count);
  PyObject *data = PyBytes_FromStringAndSize((const char *)bytes + 1, (Py_ssize_t)size - 1);
  if (!data) fail_with_python_error("out of memory");
  PyObject *message = call_decode(codec, data, Py_None);
  if (message) {
    check_stable(codec, message);
    check_merge(codec, data, message);
    Py_DECREF(message);
  } else if (!clear_expected_error()) {
    fail_with_python_error("decode raised an unexpected exception");
  }
  Py_DECREF(data);
  return 0;
}
