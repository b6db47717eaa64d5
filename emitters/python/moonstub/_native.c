/*
 * moonstub._native: the table-driven protobuf wire codec of moonstub's message
 * classes (docs/codec.md, "The native interface").
 *
 *     MessageType(cls, full_name, decode_error, encode_error)
 *     mt.setup(fields)          once, with the normalised field specs
 *     mt.encode(msg) -> bytes
 *     mt.decode(data, into=None) -> a new instance of cls
 *
 * It behaves exactly like the pure-Python codec (the functions _moonstub.py
 * writes per class, and its helpers: read_varint, read_tag, skip_field...):
 * same values, same wire bytes, same DecodeError/EncodeError messages.
 *
 * Instances are plain classes with __slots__: a field is read and written
 * through the offset of its slot's member descriptor. Decoding allocates the
 * instance with tp_alloc (no __init__) and fills every slot.
 *
 * No global mutable state: everything lives in the module state or in the
 * MessageType objects. Builds on CPython 3.10 to 3.13.
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <float.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifndef Py_T_OBJECT_EX /* before 3.12 the member types live in structmember.h */
#include <structmember.h>
#define Py_T_OBJECT_EX T_OBJECT_EX
#define Py_READONLY READONLY
#endif

/* ---- protobuf constants ------------------------------------------------- */

enum kind {
  K_DOUBLE = 1,
  K_FLOAT,
  K_INT64,
  K_UINT64,
  K_INT32,
  K_FIXED64,
  K_FIXED32,
  K_BOOL,
  K_STRING,
  K_GROUP,
  K_MESSAGE,
  K_BYTES,
  K_UINT32,
  K_ENUM,
  K_SFIXED32,
  K_SFIXED64,
  K_SINT32,
  K_SINT64,
  K_MAP,
  K_LAST = K_MAP
};

enum flag { F_REPEATED = 1, F_PACKED = 2, F_PRESENCE = 4, F_REQUIRED = 8, F_UTF8 = 16, F_DELIMITED = 32 };

enum wire_type { WT_VARINT = 0, WT_I64 = 1, WT_LEN = 2, WT_SGROUP = 3, WT_EGROUP = 4, WT_I32 = 5 };

#define MAX_DEPTH 100
#define MAX_FIELD_NUMBER 0x1FFFFFFFu

static const char *const KIND_NAMES[K_LAST + 1] = {
    "?",     "double",  "float", "int64",  "uint64", "int32",    "fixed64",  "fixed32", "bool",   "string",
    "group", "message", "bytes", "uint32", "enum",   "sfixed32", "sfixed64", "sint32",  "sint64", "map",
};

/* The wire type of one value of a kind (messages: LEN unless delimited). */
static int wire_type_of_kind(int kind) {
  switch (kind) {
    case K_DOUBLE:
    case K_FIXED64:
    case K_SFIXED64: return WT_I64;
    case K_FLOAT:
    case K_FIXED32:
    case K_SFIXED32: return WT_I32;
    case K_STRING:
    case K_BYTES:
    case K_MESSAGE:
    case K_MAP: return WT_LEN;
    case K_GROUP: return WT_SGROUP;
    default: return WT_VARINT;
  }
}

static int kind_is_message(int kind) { return kind == K_MESSAGE || kind == K_GROUP; }

/* Repeated fields of these kinds may come packed (one LEN record). */
static int kind_is_packable(int kind) {
  return kind != K_STRING && kind != K_BYTES && kind != K_MESSAGE && kind != K_GROUP && kind != K_MAP;
}

static int kind_can_be_map_key(int kind) {
  return kind != K_DOUBLE && kind != K_FLOAT && kind != K_GROUP && kind != K_MESSAGE && kind != K_BYTES &&
         kind != K_ENUM && kind != K_MAP;
}

/* ---- tables -------------------------------------------------------------- */

typedef struct message_type MessageType;

/* One value of a field: the field's own values, or a map's key or value. */
typedef struct {
  uint8_t kind;
  uint8_t wire; /* wire type of one value (a map value message: LEN) */
  uint8_t utf8; /* strings: validate UTF-8 */
  uint8_t delimited; /* messages: group encoding */
  uint8_t enum_closed; /* enums: unknown numbers are not stored */
  MessageType *message; /* kinds 10 and 11 */
  PyObject *enum_cls; /* kind 14 */
  PyObject *enum_members; /* kind 14: dict int -> member */
  PyObject *zero; /* map keys and values: what an entry starts with */
} ValueType;

typedef struct {
  /* what decoding and encoding touch for every value */
  uint32_t number;
  uint32_t tag; /* tag of a value in its natural wire type */
  uint32_t packed_tag; /* packable repeated fields: the LEN tag, else 0 */
  int32_t oneof; /* -1 or the index of the field's oneof */
  uint8_t kind; /* the field's kind (K_MAP for maps) */
  uint8_t flags;
  uint8_t tag_len, len_tag_len, end_tag_len;
  uint8_t key_tag, value_tag; /* maps: the entry's tags (one byte each) */
  Py_ssize_t offset; /* of the slot */
  uint8_t tag_bytes[8]; /* the tag of one value (natural wire type) */
  uint8_t len_tag_bytes[8]; /* the LEN tag of a packed field */
  uint8_t end_tag_bytes[8]; /* the END_GROUP tag of a delimited message */
  ValueType value; /* the field's values (maps: the map's value) */
  /* the rest */
  ValueType key; /* maps: the key */
  PyObject *attr;
  PyObject *full_name;
  PyObject *default_value; /* singular fields: the slot of a fresh instance */
} Field;

struct message_type {
  PyObject_HEAD PyObject *cls;
  PyObject *full_name;
  PyObject *decode_error;
  PyObject *encode_error;
  int ready; /* setup() has finished */
  int setting_up; /* setup() is running */
  Py_ssize_t unknown_offset;
  PyObject *unknown_attr; /* "_unknown" */
  Py_ssize_t nfields;
  Field *fields; /* sorted by number */
  int32_t *by_number; /* number -> index + 1 (0: none), for number < dense_len */
  uint32_t dense_len;
  Py_ssize_t noneofs;
  Py_ssize_t *oneof_start; /* oneof k's members: oneof_members[oneof_start[k]..[k + 1]] */
  Py_ssize_t *oneof_members; /* field indexes, grouped by oneof */
};

typedef struct {
  PyObject *message_type;
} ModuleState;

static inline PyObject **slot_of(PyObject *obj, Py_ssize_t offset) { return (PyObject **)((char *)obj + offset); }

/* Replaces the object in a slot; steals `value`. */
static inline void set_slot(PyObject *obj, Py_ssize_t offset, PyObject *value) {
  PyObject **slot = slot_of(obj, offset);
  PyObject *old = *slot;
  *slot = value;
  Py_XDECREF(old);
}

/* A new reference to a slot's value; an unset slot raises AttributeError the
 * way attribute access does. */
static PyObject *read_slot(PyObject *obj, Py_ssize_t offset, PyObject *attr) {
  PyObject *value = *slot_of(obj, offset);
  if (value != NULL) {
    return Py_NewRef(value);
  }
  return PyObject_GetAttr(obj, attr);
}

static int refuse_unready(MessageType *mt) {
  PyErr_Format(PyExc_RuntimeError, "MessageType %R is not set up", mt->full_name ? mt->full_name : Py_None);
  return -1;
}

/* The exception being raised, taken out of the error indicator. */
static PyObject *take_exception(void) {
#if PY_VERSION_HEX >= 0x030C0000
  return PyErr_GetRaisedException();
#else
  PyObject *type, *value, *traceback;
  PyErr_Fetch(&type, &value, &traceback);
  PyErr_NormalizeException(&type, &value, &traceback);
  Py_XDECREF(type);
  Py_XDECREF(traceback);
  return value;
#endif
}

/* Replaces a pending Unicode error by `error_cls(prefix + reason)`. */
static void raise_with_unicode_reason(PyObject *error_cls, const char *prefix) {
  PyObject *exc = take_exception();
  PyObject *reason = exc != NULL ? PyObject_GetAttrString(exc, "reason") : NULL;
  Py_XDECREF(exc);
  if (reason == NULL) {
    return;
  }
  PyErr_Format(error_cls, "%s%S", prefix, reason);
  Py_DECREF(reason);
}

/* ---- growable byte buffers ---------------------------------------------- */

typedef struct {
  uint8_t *data;
  size_t len;
  size_t cap;
  int on_heap; /* data was allocated here (else it is the caller's) */
} ByteBuf;

static int grow_buffer(ByteBuf *b, size_t extra) {
  if (extra > (size_t)PY_SSIZE_T_MAX - b->len) {
    PyErr_NoMemory();
    return -1;
  }
  size_t need = b->len + extra;
  size_t cap = b->cap ? b->cap * 2 : 64;
  while (cap < need) {
    cap *= 2;
  }
  if (cap > (size_t)PY_SSIZE_T_MAX) {
    cap = need;
  }
  uint8_t *data;
  if (b->on_heap) {
    data = PyMem_Realloc(b->data, cap);
  } else {
    data = PyMem_Malloc(cap);
    if (data != NULL && b->len) {
      memcpy(data, b->data, b->len);
    }
  }
  if (data == NULL) {
    PyErr_NoMemory();
    return -1;
  }
  b->data = data;
  b->cap = cap;
  b->on_heap = 1;
  return 0;
}

static inline int ensure_room(ByteBuf *b, size_t extra) { return b->cap - b->len >= extra ? 0 : grow_buffer(b, extra); }

static int append_bytes(ByteBuf *b, const void *p, size_t n) {
  if (ensure_room(b, n) < 0) {
    return -1;
  }
  if (n) {
    memcpy(b->data + b->len, p, n);
  }
  b->len += n;
  return 0;
}

static void release_buffer(ByteBuf *b) {
  if (b->on_heap) {
    PyMem_Free(b->data);
  }
  b->data = NULL;
  b->len = b->cap = 0;
  b->on_heap = 0;
}

/* ---- varints and fixed-width values ------------------------------------- */

static inline size_t varint_size(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    n++;
  }
  return n;
}

static inline uint8_t *put_varint(uint8_t *w, uint64_t v) {
  while (v >= 0x80) {
    *w++ = (uint8_t)(v | 0x80);
    v >>= 7;
  }
  *w++ = (uint8_t)v;
  return w;
}

static inline uint8_t *put_fixed32(uint8_t *w, uint32_t v) {
  w[0] = (uint8_t)v;
  w[1] = (uint8_t)(v >> 8);
  w[2] = (uint8_t)(v >> 16);
  w[3] = (uint8_t)(v >> 24);
  return w + 4;
}

static inline uint8_t *put_fixed64(uint8_t *w, uint64_t v) {
  put_fixed32(w, (uint32_t)v);
  put_fixed32(w + 4, (uint32_t)(v >> 32));
  return w + 8;
}

static inline uint32_t load_fixed32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t load_fixed64(const uint8_t *p) {
  return (uint64_t)load_fixed32(p) | (uint64_t)load_fixed32(p + 4) << 32;
}

static inline uint64_t zigzag_encode(int64_t v) {
  uint64_t u = (uint64_t)v;
  return (u << 1) ^ (0 - (u >> 63));
}

static inline int64_t zigzag_decode64(uint64_t v) { return (int64_t)((v >> 1) ^ (0 - (v & 1))); }

static inline int32_t zigzag_decode32(uint64_t v) {
  uint32_t u = (uint32_t)v;
  return (int32_t)((u >> 1) ^ (0u - (u & 1)));
}

static inline uint64_t double_bits(double d) {
  uint64_t u;
  memcpy(&u, &d, sizeof u);
  return u;
}

static inline uint32_t float_bits(float f) {
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  return u;
}

/* ==== decoding ============================================================ */

typedef struct {
  PyObject *error; /* DecodeError */
} Decoder;

static void *fail(Decoder *d, const char *message) {
  PyErr_SetString(d->error, message);
  return NULL;
}

/* Reads a varint of up to 10 bytes (bits past the 64th are dropped). */
static const uint8_t *read_varint_slow(Decoder *d, const uint8_t *p, const uint8_t *end, uint64_t *out) {
  uint64_t result = 0;
  for (int shift = 0;; shift += 7) {
    if (p >= end) {
      return fail(d, "truncated varint");
    }
    uint8_t b = *p++;
    result |= (uint64_t)(b & 0x7F) << shift;
    if (b < 0x80) {
      *out = result;
      return p;
    }
    if (shift + 7 >= 70) {
      return fail(d, "varint longer than 10 bytes");
    }
  }
}

static inline const uint8_t *read_varint(Decoder *d, const uint8_t *p, const uint8_t *end, uint64_t *out) {
  if (p < end && *p < 0x80) {
    *out = *p;
    return p + 1;
  }
  if (end - p >= 2 && p[1] < 0x80) {
    *out = (uint64_t)(p[0] & 0x7F) | (uint64_t)p[1] << 7;
    return p + 2;
  }
  return read_varint_slow(d, p, end, out);
}

/* A tag of more than one byte: at most 5 bytes and field number 2**29 - 1. */
static const uint8_t *read_long_tag(Decoder *d, const uint8_t *p, const uint8_t *end, uint32_t *tag) {
  uint64_t v;
  const uint8_t *q = read_varint_slow(d, p, end, &v);
  if (q == NULL) {
    return NULL;
  }
  if (q - p > 5 || (v >> 3) > MAX_FIELD_NUMBER) {
    return fail(d, "field number out of range");
  }
  *tag = (uint32_t)v;
  return q;
}

static inline const uint8_t *read_tag(Decoder *d, const uint8_t *p, const uint8_t *end, uint32_t *tag) {
  if (*p < 0x80) {
    *tag = *p;
    return p + 1;
  }
  return read_long_tag(d, p, end, tag);
}

/* Reads a length prefix; returns the start of the payload, *stop its end. */
static inline const uint8_t *read_length(Decoder *d, const uint8_t *p, const uint8_t *end, const uint8_t **stop) {
  uint64_t n;
  p = read_varint(d, p, end, &n);
  if (p == NULL) {
    return NULL;
  }
  if (n > (uint64_t)(end - p)) {
    return fail(d, "length prefix runs past the end of the input");
  }
  *stop = p + n;
  return p;
}

/* Skips the value of a field whose tag was just read (skip_field). */
static const uint8_t *skip_field(Decoder *d, const uint8_t *p, const uint8_t *end, uint32_t tag, int depth) {
  if ((tag >> 3) == 0) {
    return fail(d, "field number 0 is invalid");
  }
  switch (tag & 7) {
    case WT_VARINT:
      for (int i = 0; i < 10; i++) {
        if (p >= end) {
          return fail(d, "truncated varint");
        }
        if (*p++ < 0x80) {
          return p;
        }
      }
      return fail(d, "varint longer than 10 bytes");
    case WT_I64:
      if (end - p < 8) {
        return fail(d, "truncated fixed-width value");
      }
      return p + 8;
    case WT_I32:
      if (end - p < 4) {
        return fail(d, "truncated fixed-width value");
      }
      return p + 4;
    case WT_LEN: {
      const uint8_t *stop;
      return read_length(d, p, end, &stop) ? stop : NULL;
    }
    case WT_SGROUP:
      if (depth >= MAX_DEPTH) {
        return fail(d, "nesting deeper than 100 levels");
      }
      for (;;) {
        uint32_t inner;
        if (p >= end) {
          return fail(d, "unterminated group");
        }
        p = read_tag(d, p, end, &inner);
        if (p == NULL) {
          return NULL;
        }
        if ((inner & 7) == WT_EGROUP) {
          if ((inner >> 3) != (tag >> 3)) {
            return fail(d, "mismatched END_GROUP tag");
          }
          return p;
        }
        p = skip_field(d, p, end, inner, depth + 1);
        if (p == NULL) {
          return NULL;
        }
      }
    default: PyErr_Format(d->error, "invalid wire type %d", (int)(tag & 7)); return NULL;
  }
}

/* ---- scalar values ------------------------------------------------------- */

/* The Python value of a raw varint for a varint kind (not enum). */
static inline PyObject *object_of_varint(int kind, uint64_t v) {
  switch (kind) {
    case K_INT32: return PyLong_FromLong((int32_t)(uint32_t)v);
    case K_INT64: return PyLong_FromLongLong((int64_t)v);
    case K_UINT32: return PyLong_FromLongLong((long long)(uint32_t)v);
    case K_UINT64: return PyLong_FromUnsignedLongLong(v);
    case K_SINT32: return PyLong_FromLong(zigzag_decode32(v));
    case K_SINT64: return PyLong_FromLongLong(zigzag_decode64(v));
    case K_BOOL: return PyBool_FromLong(v != 0);
    default: PyErr_SetString(PyExc_SystemError, "not a varint kind"); return NULL;
  }
}

static int fixed_size_of_kind(int kind) {
  switch (kind) {
    case K_DOUBLE:
    case K_FIXED64:
    case K_SFIXED64: return 8;
    case K_FLOAT:
    case K_FIXED32:
    case K_SFIXED32: return 4;
    default: return 0;
  }
}

/* The Python value of a fixed-width kind at p (the bytes are there). */
static inline PyObject *object_of_fixed(int kind, const uint8_t *p) {
  switch (kind) {
    case K_DOUBLE: {
      uint64_t u = load_fixed64(p);
      double x;
      memcpy(&x, &u, sizeof x);
      return PyFloat_FromDouble(x);
    }
    case K_FLOAT: {
      uint32_t u = load_fixed32(p);
      float x;
      memcpy(&x, &u, sizeof x);
      return PyFloat_FromDouble((double)x);
    }
    case K_FIXED64: return PyLong_FromUnsignedLongLong(load_fixed64(p));
    case K_SFIXED64: return PyLong_FromLongLong((int64_t)load_fixed64(p));
    case K_FIXED32: return PyLong_FromLongLong((long long)load_fixed32(p));
    case K_SFIXED32: return PyLong_FromLong((int32_t)load_fixed32(p));
    default: PyErr_SetString(PyExc_SystemError, "not a fixed-width kind"); return NULL;
  }
}

static inline int bytes_are_ascii(const uint8_t *p, Py_ssize_t n) {
  if (n < 8) {
    uint64_t w = 0;
    memcpy(&w, p, (size_t)n);
    return (w & 0x8080808080808080ull) == 0;
  }
  Py_ssize_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    memcpy(&w, p + i, 8);
    if (w & 0x8080808080808080ull) {
      return 0;
    }
  }
  for (; i < n; i++) {
    if (p[i] & 0x80) {
      return 0;
    }
  }
  return 1;
}

/* A str from UTF-8 bytes: strict (DecodeError naming the reason) or with
 * surrogateescape, so that invalid bytes survive a round trip. */
static PyObject *string_of_bytes(Decoder *d, const uint8_t *p, Py_ssize_t n, int strict) {
  if (bytes_are_ascii(p, n)) {
    if (n == 1) {
      return PyUnicode_FromOrdinal(p[0]); /* the cached one-character string */
    }
    PyObject *s = PyUnicode_New(n, 127);
    if (s != NULL && n) {
      memcpy(PyUnicode_DATA(s), p, (size_t)n);
    }
    return s;
  }
  if (!strict) {
    return PyUnicode_DecodeUTF8((const char *)p, n, "surrogateescape");
  }
  PyObject *s = PyUnicode_DecodeUTF8((const char *)p, n, NULL);
  if (s == NULL && PyErr_ExceptionMatches(PyExc_UnicodeDecodeError)) {
    raise_with_unicode_reason(d->error, "invalid UTF-8 in a string field: ");
  }
  return s;
}

/* Reads one value of a scalar kind other than enum in its natural wire type.
 * Returns a new reference and advances *pp. */
static PyObject *read_scalar(Decoder *d, const ValueType *vt, const uint8_t **pp, const uint8_t *end) {
  const uint8_t *p = *pp;
  switch (vt->wire) {
    case WT_VARINT: {
      uint64_t v;
      p = read_varint(d, p, end, &v);
      if (p == NULL) {
        return NULL;
      }
      *pp = p;
      return object_of_varint(vt->kind, v);
    }
    case WT_I64:
    case WT_I32: {
      int size = vt->wire == WT_I64 ? 8 : 4;
      if (end - p < size) {
        return fail(d, "truncated fixed-width value");
      }
      *pp = p + size;
      return object_of_fixed(vt->kind, p);
    }
    default: {
      const uint8_t *stop;
      p = read_length(d, p, end, &stop);
      if (p == NULL) {
        return NULL;
      }
      *pp = stop;
      if (vt->kind == K_BYTES) {
        return PyBytes_FromStringAndSize((const char *)p, stop - p);
      }
      return string_of_bytes(d, p, stop - p, vt->utf8);
    }
  }
}

/* The member of enum number n: 1 found (*member is a new reference), 0 the
 * number is unknown to a closed enum, -1 error. An open enum makes a
 * pseudo-member of an unknown number by calling the class. */
static int find_enum_member(const ValueType *vt, int32_t n, PyObject **member) {
  PyObject *key = PyLong_FromLong(n);
  if (key == NULL) {
    return -1;
  }
  PyObject *found = PyDict_GetItemWithError(vt->enum_members, key);
  if (found != NULL) {
    Py_DECREF(key);
    *member = Py_NewRef(found);
    return 1;
  }
  if (PyErr_Occurred() || vt->enum_closed) {
    Py_DECREF(key);
    return PyErr_Occurred() ? -1 : 0;
  }
  *member = PyObject_CallOneArg(vt->enum_cls, key);
  Py_DECREF(key);
  return *member ? 1 : -1;
}

/* ---- messages ------------------------------------------------------------ */

static PyObject *decode_message(Decoder *d, MessageType *mt, const uint8_t **pp, const uint8_t *end, int depth,
                                PyObject *into, uint32_t group);

/* The state of one message being decoded. */
typedef struct {
  Decoder *d;
  MessageType *mt;
  PyObject *msg;
  const uint8_t *end;
  int depth;
  ByteBuf unknown; /* unknown fields met so far */
  Py_ssize_t *oneof_last; /* per oneof: index of the member stored last, -1: none */
} Frame;

/* What a slot of a fresh instance holds. */
static inline PyObject *fresh_value(const Field *f) {
  if (f->kind == K_MAP) {
    return PyDict_New();
  }
  if (f->flags & F_REPEATED) {
    return PyList_New(0);
  }
  return Py_NewRef(f->default_value);
}

/* What a slot starts with when decoding into `into`: lists and dicts are
 * copied (the input's are never mutated), everything else is shared. */
static PyObject *value_from_into(const Field *f, PyObject *into) {
  PyObject *v = read_slot(into, f->offset, f->attr);
  if (v == NULL) {
    return NULL;
  }
  PyObject *copy;
  if (f->kind == K_MAP) {
    copy = PyDict_CheckExact(v) ? PyDict_Copy(v) : PyObject_CallOneArg((PyObject *)&PyDict_Type, v);
  } else if (f->flags & F_REPEATED) {
    copy = PyList_CheckExact(v) ? PyList_GetSlice(v, 0, PY_SSIZE_T_MAX) : PySequence_List(v);
  } else {
    return v;
  }
  Py_DECREF(v);
  return copy;
}

/* A new instance of mt's class whose field slots hold the defaults, or the
 * values of `into`; the _unknown slot is left to the caller. */
static PyObject *new_instance(MessageType *mt, PyObject *into) {
  PyTypeObject *cls = (PyTypeObject *)mt->cls;
  PyObject *msg = cls->tp_alloc(cls, 0);
  if (msg == NULL) {
    return NULL;
  }
  for (Py_ssize_t i = 0; i < mt->nfields; i++) {
    const Field *f = &mt->fields[i];
    PyObject *v = into ? value_from_into(f, into) : fresh_value(f);
    if (v == NULL) {
      Py_DECREF(msg);
      return NULL;
    }
    set_slot(msg, f->offset, v);
  }
  return msg;
}

/* What Cls() gives: an instance with every default and no unknown fields. */
static PyObject *new_default_instance(MessageType *mt) {
  if (!mt->ready) {
    refuse_unready(mt);
    return NULL;
  }
  PyObject *msg = new_instance(mt, NULL);
  if (msg == NULL) {
    return NULL;
  }
  PyObject *empty = PyBytes_FromStringAndSize(NULL, 0);
  if (empty == NULL) {
    Py_DECREF(msg);
    return NULL;
  }
  set_slot(msg, mt->unknown_offset, empty);
  return msg;
}

/* Stores a singular field's value (stolen); a oneof member clears the others.
 * Only the member stored last is set: the first store into a oneof clears
 * every other member, later ones only the member stored before (linear in
 * the members, however many times a oneof comes). */
static void store_singular(Frame *fr, const Field *f, PyObject *value) {
  if (f->oneof >= 0) {
    const MessageType *mt = fr->mt;
    Py_ssize_t me = f - mt->fields;
    Py_ssize_t last = fr->oneof_last[f->oneof];
    if (last < 0) {
      for (Py_ssize_t i = mt->oneof_start[f->oneof]; i < mt->oneof_start[f->oneof + 1]; i++) {
        Py_ssize_t offset = mt->fields[mt->oneof_members[i]].offset;
        if (offset != f->offset && *slot_of(fr->msg, offset) != Py_None) {
          set_slot(fr->msg, offset, Py_NewRef(Py_None));
        }
      }
    } else if (last != me) {
      set_slot(fr->msg, mt->fields[last].offset, Py_NewRef(Py_None));
    }
    fr->oneof_last[f->oneof] = me;
  }
  set_slot(fr->msg, f->offset, value);
}

/* Appends a value (stolen) to a repeated field's list. */
static inline int append_element(Frame *fr, const Field *f, PyObject *value) {
  PyObject *list = *slot_of(fr->msg, f->offset);
  int rc;
  if (list != NULL && PyList_CheckExact(list)) {
    rc = PyList_Append(list, value);
  } else { /* only if someone replaced the list we made */
    PyObject *r = PyObject_CallMethod(list, "append", "O", value);
    rc = r ? 0 : -1;
    Py_XDECREF(r);
  }
  Py_DECREF(value);
  return rc;
}

static inline int store_value(Frame *fr, const Field *f, PyObject *value) {
  if (f->flags & F_REPEATED) {
    return append_element(fr, f, value);
  }
  if (f->oneof < 0) {
    set_slot(fr->msg, f->offset, value);
  } else {
    store_singular(fr, f, value);
  }
  return 0;
}

/* A singular or repeated enum value. An unknown number of a closed enum goes
 * to the unknown fields, tag included, and nothing is stored. */
static const uint8_t *decode_enum_field(Frame *fr, const Field *f, const uint8_t *p, const uint8_t *start) {
  uint64_t v;
  p = read_varint(fr->d, p, fr->end, &v);
  if (p == NULL) {
    return NULL;
  }
  PyObject *member;
  int found = find_enum_member(&f->value, (int32_t)(uint32_t)v, &member);
  if (found < 0) {
    return NULL;
  }
  if (found == 0) {
    return append_bytes(&fr->unknown, start, (size_t)(p - start)) < 0 ? NULL : p;
  }
  return store_value(fr, f, member) < 0 ? NULL : p;
}

/* A message field: singular ones merge into the current value (a new
 * instance starting from it), repeated ones get a new element. */
static const uint8_t *decode_message_field(Frame *fr, const Field *f, const uint8_t *p) {
  PyObject *current = NULL;
  if (!(f->flags & F_REPEATED)) {
    PyObject *v = *slot_of(fr->msg, f->offset);
    if (v != NULL && v != Py_None) {
      current = Py_NewRef(v);
    }
  }
  PyObject *value;
  if (f->value.delimited) {
    value = decode_message(fr->d, f->value.message, &p, fr->end, fr->depth + 1, current, f->number);
  } else {
    const uint8_t *stop = NULL;
    p = read_length(fr->d, p, fr->end, &stop);
    value = p ? decode_message(fr->d, f->value.message, &p, stop, fr->depth + 1, current, 0) : NULL;
    p = stop; /* the body must fill the record: decode_message reads to its end */
  }
  Py_XDECREF(current);
  if (value == NULL) {
    return NULL;
  }
  return store_value(fr, f, value) < 0 ? NULL : p;
}

/* The value of a map entry's field 2. */
static PyObject *read_map_value(Decoder *d, const Field *f, const uint8_t **pp, const uint8_t *end, int depth) {
  const ValueType *vt = &f->value;
  if (kind_is_message(vt->kind)) {
    const uint8_t *stop;
    const uint8_t *p = read_length(d, *pp, end, &stop);
    if (p == NULL) {
      return NULL;
    }
    *pp = stop;
    return decode_message(d, vt->message, &p, stop, depth + 1, NULL, 0);
  }
  if (vt->kind == K_ENUM) {
    uint64_t v;
    const uint8_t *p = read_varint(d, *pp, end, &v);
    if (p == NULL) {
      return NULL;
    }
    *pp = p;
    PyObject *member;
    int found = find_enum_member(vt, (int32_t)(uint32_t)v, &member);
    if (found == 0) {
      return fail(d, "unknown value of a closed enum in a map entry");
    }
    return found < 0 ? NULL : member;
  }
  return read_scalar(d, vt, pp, end);
}

/* Decodes a map entry in [p, end) into *key and *value (new references);
 * depth is the entry's. Unknown fields of the entry are skipped. */
static int decode_map_entry(Decoder *d, const Field *f, const uint8_t *p, const uint8_t *end, int depth, PyObject **key,
                            PyObject **value) {
  PyObject *k = Py_NewRef(f->key.zero);
  PyObject *x = Py_NewRef(f->value.zero);
  while (p < end) {
    uint32_t tag;
    p = read_tag(d, p, end, &tag);
    if (p == NULL) {
      goto error;
    }
    if (tag == f->key_tag) {
      PyObject *v = read_scalar(d, &f->key, &p, end);
      if (v == NULL) {
        goto error;
      }
      Py_SETREF(k, v);
    } else if (tag == f->value_tag) {
      PyObject *v = read_map_value(d, f, &p, end, depth);
      if (v == NULL) {
        goto error;
      }
      Py_SETREF(x, v);
    } else {
      if ((tag & 7) == WT_EGROUP) {
        fail(d, "unexpected END_GROUP tag");
        goto error;
      }
      p = skip_field(d, p, end, tag, depth);
      if (p == NULL) {
        goto error;
      }
    }
  }
  if (x == Py_None && kind_is_message(f->value.kind)) {
    PyObject *fresh = new_default_instance(f->value.message);
    if (fresh == NULL) {
      goto error;
    }
    Py_SETREF(x, fresh);
  }
  *key = k;
  *value = x;
  return 0;
error:
  Py_DECREF(k);
  Py_DECREF(x);
  return -1;
}

static const uint8_t *decode_map_field(Frame *fr, const Field *f, const uint8_t *p) {
  const uint8_t *stop;
  p = read_length(fr->d, p, fr->end, &stop);
  if (p == NULL) {
    return NULL;
  }
  PyObject *key, *value;
  if (decode_map_entry(fr->d, f, p, stop, fr->depth + 1, &key, &value) < 0) {
    return NULL;
  }
  PyObject *dict = *slot_of(fr->msg, f->offset);
  int rc = PyDict_CheckExact(dict) ? PyDict_SetItem(dict, key, value) : PyObject_SetItem(dict, key, value);
  Py_DECREF(key);
  Py_DECREF(value);
  return rc < 0 ? NULL : stop;
}

/* Appends the values of `items` (a list) to a repeated field's list. */
static int extend_elements(Frame *fr, const Field *f, PyObject *items) {
  PyObject **slot = slot_of(fr->msg, f->offset);
  PyObject *list = *slot;
  if (list != NULL && PyList_CheckExact(list) && PyList_GET_SIZE(list) == 0) {
    set_slot(fr->msg, f->offset, Py_NewRef(items));
    return 0;
  }
  if (list != NULL && PyList_CheckExact(list)) {
    Py_ssize_t n = PyList_GET_SIZE(list);
    return PyList_SetSlice(list, n, n, items);
  }
  PyObject *r = PyObject_CallMethod(list, "extend", "O", items);
  Py_XDECREF(r);
  return r ? 0 : -1;
}

/* A packed run of fixed-width values in [p, stop). */
static int decode_packed_fixed(Frame *fr, const Field *f, const uint8_t *p, const uint8_t *stop) {
  int size = fixed_size_of_kind(f->kind);
  Py_ssize_t len = stop - p;
  if (len % size) {
    fail(fr->d, "packed fixed-width field length is not a multiple of its size");
    return -1;
  }
  Py_ssize_t n = len / size;
  PyObject *items = PyList_New(n);
  if (items == NULL) {
    return -1;
  }
  for (Py_ssize_t i = 0; i < n; i++, p += size) {
    PyObject *v = object_of_fixed(f->kind, p);
    if (v == NULL) {
      Py_DECREF(items);
      return -1;
    }
    PyList_SET_ITEM(items, i, v);
  }
  int rc = extend_elements(fr, f, items);
  Py_DECREF(items);
  return rc;
}

/* A packed run of varints (not enums) in [p, stop): each varint ends at a
 * byte below 0x80, so their count is known before decoding. */
static int decode_packed_varints(Frame *fr, const Field *f, const uint8_t *p, const uint8_t *stop) {
  Py_ssize_t n = 0;
  for (const uint8_t *q = p; q < stop; q++) {
    n += *q < 0x80;
  }
  PyObject *items = PyList_New(n);
  if (items == NULL) {
    return -1;
  }
  for (Py_ssize_t i = 0; p < stop; i++) {
    uint64_t v;
    p = read_varint(fr->d, p, stop, &v);
    PyObject *obj = p != NULL && i < n ? object_of_varint(f->kind, v) : NULL;
    if (obj == NULL) {
      if (!PyErr_Occurred()) {
        PyErr_SetString(PyExc_SystemError, "packed varint count mismatch");
      }
      Py_DECREF(items);
      return -1;
    }
    PyList_SET_ITEM(items, i, obj);
  }
  int rc = extend_elements(fr, f, items);
  Py_DECREF(items);
  return rc;
}

/* A packed run of enum numbers: unknown numbers of a closed enum go to the
 * unknown fields as single varint records (the number as signed 64 bits). */
static int decode_packed_enums(Frame *fr, const Field *f, const uint8_t *p, const uint8_t *stop) {
  while (p < stop) {
    uint64_t v;
    p = read_varint(fr->d, p, stop, &v);
    if (p == NULL) {
      return -1;
    }
    int32_t n = (int32_t)(uint32_t)v;
    PyObject *member;
    int found = find_enum_member(&f->value, n, &member);
    if (found < 0) {
      return -1;
    }
    if (found == 0) {
      uint8_t record[20];
      uint8_t *w = put_varint(record, (uint64_t)f->number << 3);
      w = put_varint(w, (uint64_t)(int64_t)n);
      if (append_bytes(&fr->unknown, record, (size_t)(w - record)) < 0) {
        return -1;
      }
    } else if (append_element(fr, f, member) < 0) {
      return -1;
    }
  }
  return 0;
}

static const uint8_t *decode_packed_field(Frame *fr, const Field *f, const uint8_t *p) {
  const uint8_t *stop;
  p = read_length(fr->d, p, fr->end, &stop);
  if (p == NULL) {
    return NULL;
  }
  int rc;
  if (f->kind == K_ENUM) {
    rc = decode_packed_enums(fr, f, p, stop);
  } else if (f->value.wire == WT_VARINT) {
    rc = decode_packed_varints(fr, f, p, stop);
  } else {
    rc = decode_packed_fixed(fr, f, p, stop);
  }
  return rc < 0 ? NULL : stop;
}

/* A field value in its natural wire type; `start` is where its tag began. */
static const uint8_t *decode_field(Frame *fr, const Field *f, const uint8_t *p, const uint8_t *start) {
  switch (f->kind) {
    case K_MAP: return decode_map_field(fr, f, p);
    case K_MESSAGE:
    case K_GROUP: return decode_message_field(fr, f, p);
    case K_ENUM: return decode_enum_field(fr, f, p, start);
    case K_STRING:
    case K_BYTES: {
      const uint8_t *stop;
      p = read_length(fr->d, p, fr->end, &stop);
      if (p == NULL) {
        return NULL;
      }
      PyObject *v = f->kind == K_BYTES ? PyBytes_FromStringAndSize((const char *)p, stop - p)
                                       : string_of_bytes(fr->d, p, stop - p, f->value.utf8);
      return v == NULL || store_value(fr, f, v) < 0 ? NULL : stop;
    }
    default: break;
  }
  PyObject *v;
  if (f->value.wire == WT_VARINT) {
    uint64_t u;
    p = read_varint(fr->d, p, fr->end, &u);
    if (p == NULL) {
      return NULL;
    }
    v = object_of_varint(f->kind, u);
  } else {
    int size = f->value.wire == WT_I64 ? 8 : 4;
    if (fr->end - p < size) {
      return fail(fr->d, "truncated fixed-width value");
    }
    v = object_of_fixed(f->kind, p);
    p += size;
  }
  return v == NULL || store_value(fr, f, v) < 0 ? NULL : p;
}

/* The field of a number: the one after the last found, else by table. */
static inline const Field *find_field(const MessageType *mt, uint32_t number, Py_ssize_t *next) {
  Py_ssize_t i = *next;
  if (i < mt->nfields && mt->fields[i].number == number) {
    *next = i + 1;
    return &mt->fields[i];
  }
  if (number < mt->dense_len) {
    int32_t k = mt->by_number[number];
    if (k == 0) {
      return NULL;
    }
    *next = k;
    return &mt->fields[k - 1];
  }
  Py_ssize_t lo = 0, hi = mt->nfields;
  while (lo < hi) {
    Py_ssize_t mid = lo + (hi - lo) / 2;
    if (mt->fields[mid].number < number) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  if (lo < mt->nfields && mt->fields[lo].number == number) {
    *next = lo + 1;
    return &mt->fields[lo];
  }
  return NULL;
}

/* The _unknown bytes of the result: `seed` (into's, or NULL) followed by the
 * unknown fields met. */
static PyObject *unknown_bytes(PyObject *seed, ByteBuf *unknown) {
  if (unknown->len == 0) {
    return seed ? Py_NewRef(seed) : PyBytes_FromStringAndSize(NULL, 0);
  }
  Py_ssize_t before = seed ? PyBytes_GET_SIZE(seed) : 0;
  PyObject *out = PyBytes_FromStringAndSize(NULL, before + (Py_ssize_t)unknown->len);
  if (out == NULL) {
    return NULL;
  }
  char *w = PyBytes_AS_STRING(out);
  if (before) {
    memcpy(w, PyBytes_AS_STRING(seed), (size_t)before);
  }
  memcpy(w + before, unknown->data, unknown->len);
  return out;
}

/* into._unknown as exact bytes (a buffer is copied): what the result's
 * unknown fields start with. */
static PyObject *unknown_of_into(MessageType *mt, PyObject *into) {
  PyObject *u = read_slot(into, mt->unknown_offset, mt->unknown_attr);
  if (u == NULL || PyBytes_CheckExact(u)) {
    return u;
  }
  Py_buffer view;
  int rc = PyObject_GetBuffer(u, &view, PyBUF_SIMPLE);
  Py_DECREF(u);
  if (rc < 0) {
    return NULL;
  }
  PyObject *copy = PyBytes_FromStringAndSize(view.buf, view.len);
  PyBuffer_Release(&view);
  return copy;
}

/* Decodes a message from [*pp, end): a new instance that starts from
 * `into`'s values when given. With `group`, the body of a delimited message
 * that ends at END_GROUP of that field number. Advances *pp. */
static PyObject *decode_message(Decoder *d, MessageType *mt, const uint8_t **pp, const uint8_t *end, int depth,
                                PyObject *into, uint32_t group) {
  if (depth > MAX_DEPTH) {
    return fail(d, "nesting deeper than 100 levels");
  }
  if (!mt->ready) {
    refuse_unready(mt);
    return NULL;
  }
  if (into != NULL && !PyObject_TypeCheck(into, (PyTypeObject *)mt->cls)) {
    PyErr_Format(PyExc_TypeError, "cannot merge into %.200s: %U expects %.200s", Py_TYPE(into)->tp_name, mt->full_name,
                 ((PyTypeObject *)mt->cls)->tp_name);
    return NULL;
  }
  Py_ssize_t oneof_small[8];
  Frame fr = {d, mt, NULL, end, depth, {NULL, 0, 0, 0}, oneof_small};
  PyObject *seed = NULL;
  if (mt->noneofs > 8) {
    fr.oneof_last = PyMem_Malloc(sizeof(Py_ssize_t) * (size_t)mt->noneofs);
    if (fr.oneof_last == NULL) {
      PyErr_NoMemory();
      return NULL;
    }
  }
  for (Py_ssize_t i = 0; i < mt->noneofs; i++) {
    fr.oneof_last[i] = -1;
  }
  fr.msg = new_instance(mt, into);
  if (fr.msg == NULL) {
    goto error;
  }
  if (into != NULL && (seed = unknown_of_into(mt, into)) == NULL) {
    goto error;
  }
  const uint8_t *p = *pp;
  Py_ssize_t next = 0;
  int ended = 0;
  while (p < end) {
    const uint8_t *start = p;
    uint32_t tag;
    if (*p < 0x80) {
      tag = *p++;
    } else if ((p = read_long_tag(d, p, end, &tag)) == NULL) {
      goto error;
    }
    const Field *f = find_field(mt, tag >> 3, &next);
    if (f != NULL) {
      if (tag == f->tag) {
        p = decode_field(&fr, f, p, start);
        if (p == NULL) {
          goto error;
        }
        continue;
      }
      if (tag == f->packed_tag) {
        p = decode_packed_field(&fr, f, p);
        if (p == NULL) {
          goto error;
        }
        continue;
      }
    }
    if ((tag & 7) == WT_EGROUP) {
      if (group && (tag >> 3) == group) {
        ended = 1;
        break;
      }
      fail(d, "unexpected END_GROUP tag");
      goto error;
    }
    p = skip_field(d, p, end, tag, depth);
    if (p == NULL || append_bytes(&fr.unknown, start, (size_t)(p - start)) < 0) {
      goto error;
    }
  }
  if (group && !ended) {
    fail(d, "unterminated group");
    goto error;
  }
  PyObject *unknown = unknown_bytes(seed, &fr.unknown);
  if (unknown == NULL) {
    goto error;
  }
  set_slot(fr.msg, mt->unknown_offset, unknown);
  *pp = p;
  Py_XDECREF(seed);
  release_buffer(&fr.unknown);
  if (fr.oneof_last != oneof_small) {
    PyMem_Free(fr.oneof_last);
  }
  return fr.msg;
error:
  Py_XDECREF(fr.msg);
  Py_XDECREF(seed);
  release_buffer(&fr.unknown);
  if (fr.oneof_last != oneof_small) {
    PyMem_Free(fr.oneof_last);
  }
  return NULL;
}

/* ==== encoding ============================================================ */

typedef struct {
  ByteBuf out;
  PyObject *error; /* EncodeError */
} Encoder;

/* Room for a tag, a length prefix and any fixed-size payload. */
#define SCALAR_ROOM 32

static int encode_body(Encoder *e, MessageType *mt, PyObject *msg);

/* Map keys and values are named "map entry" in errors (name is NULL). */
static int raise_range_error(Encoder *e, PyObject *name, int kind, PyObject *value) {
  if (name != NULL) {
    PyErr_Format(e->error, "%U: %R is out of range for %s", name, value, KIND_NAMES[kind]);
  } else {
    PyErr_Format(e->error, "map entry: %R is out of range for %s", value, KIND_NAMES[kind]);
  }
  return -1;
}

static int raise_type_error(PyObject *name, const char *expected, PyObject *value) {
  if (name != NULL) {
    PyErr_Format(PyExc_TypeError, "%U: expected %s, got %.200s", name, expected, Py_TYPE(value)->tp_name);
  } else {
    PyErr_Format(PyExc_TypeError, "map entry: expected %s, got %.200s", expected, Py_TYPE(value)->tp_name);
  }
  return -1;
}

/* The value of an exact int of one digit (below 2**30 in magnitude), read
 * without a call; 0 for any other int. */
static inline int small_int_value(PyObject *v, long long *out) {
#if PY_VERSION_HEX >= 0x030C0000
  if (PyLong_CheckExact(v) && PyUnstable_Long_IsCompact((PyLongObject *)v)) {
    *out = (long long)PyUnstable_Long_CompactValue((PyLongObject *)v);
    return 1;
  }
#else
  if (PyLong_CheckExact(v)) {
    Py_ssize_t size = Py_SIZE(v);
    if (size >= -1 && size <= 1) {
      *out = size * (long long)((PyLongObject *)v)->ob_digit[0];
      return 1;
    }
  }
#endif
  return 0;
}

/* The wire payload of a small int (see small_int_value) for an integer kind,
 * or 0 when the slow path must decide (negative numbers of unsigned kinds). */
static inline int small_int_payload(int kind, long long x, uint64_t *out) {
  switch (kind) {
    case K_UINT32:
    case K_FIXED32:
    case K_UINT64:
    case K_FIXED64: *out = (uint64_t)x; return x >= 0;
    case K_SINT32:
    case K_SINT64: *out = zigzag_encode(x); return 1;
    default: /* int32, int64, sfixed32, sfixed64, enum */ *out = (uint64_t)x; return 1;
  }
}

/* The wire payload of an integer of a range-checked kind: the varint value,
 * or the fixed-width bits. Out of range raises EncodeError naming the value. */
static int wire_value_of_int(Encoder *e, int kind, PyObject *v, PyObject *name, uint64_t *out) {
  long long x;
  if (small_int_value(v, &x) && small_int_payload(kind, x, out)) {
    return 0;
  }
  if (!PyLong_Check(v)) {
    return raise_type_error(name, "int", v);
  }
  int overflow;
  x = PyLong_AsLongLongAndOverflow(v, &overflow);
  if (x == -1 && !overflow && PyErr_Occurred()) {
    return -1;
  }
  switch (kind) {
    case K_INT32:
    case K_SINT32:
    case K_SFIXED32:
      if (overflow || x < INT32_MIN || x > INT32_MAX) {
        return raise_range_error(e, name, kind, v);
      }
      break;
    case K_UINT32:
    case K_FIXED32:
      if (overflow || x < 0 || x > (long long)UINT32_MAX) {
        return raise_range_error(e, name, kind, v);
      }
      break;
    case K_UINT64:
    case K_FIXED64:
      if (overflow > 0) {
        unsigned long long u = PyLong_AsUnsignedLongLong(v);
        if (u == (unsigned long long)-1 && PyErr_Occurred()) {
          if (!PyErr_ExceptionMatches(PyExc_OverflowError)) {
            return -1;
          }
          PyErr_Clear();
          return raise_range_error(e, name, kind, v);
        }
        *out = u;
        return 0;
      }
      if (overflow < 0 || x < 0) {
        return raise_range_error(e, name, kind, v);
      }
      break;
    default: /* int64, sint64, sfixed64 */
      if (overflow) {
        return raise_range_error(e, name, kind, v);
      }
      break;
  }
  *out = kind == K_SINT32 || kind == K_SINT64 ? zigzag_encode(x) : (uint64_t)x;
  return 0;
}

/* An enum's number: not range-checked, as 64-bit two's complement. */
static int wire_value_of_enum(PyObject *v, PyObject *name, uint64_t *out) {
  long long x;
  if (small_int_value(v, &x)) {
    *out = (uint64_t)x;
    return 0;
  }
  if (!PyLong_Check(v)) {
    return raise_type_error(name, "int", v);
  }
  unsigned long long u = PyLong_AsUnsignedLongLongMask(v);
  if (u == (unsigned long long)-1 && PyErr_Occurred()) {
    return -1;
  }
  *out = u;
  return 0;
}

static int double_of(PyObject *v, PyObject *name, double *out) {
  if (PyFloat_CheckExact(v)) {
    *out = PyFloat_AS_DOUBLE(v);
    return 0;
  }
  double x = PyFloat_AsDouble(v);
  if (x == -1.0 && PyErr_Occurred()) {
    if (PyErr_ExceptionMatches(PyExc_TypeError)) {
      PyErr_Clear();
      return raise_type_error(name, "float", v);
    }
    return -1;
  }
  *out = x;
  return 0;
}

/* The wire payload of a varint or fixed-width kind (not a string, bytes or
 * message): the varint value or the fixed bits. Doubles become their bits;
 * float32 rounds, and values beyond its range become infinities (pack_f32). */
static int wire_value_of(Encoder *e, const ValueType *vt, PyObject *v, PyObject *name, uint64_t *out) {
  switch (vt->kind) {
    case K_DOUBLE: {
      double x;
      if (double_of(v, name, &x) < 0) {
        return -1;
      }
      *out = double_bits(x);
      return 0;
    }
    case K_FLOAT: {
      double x;
      if (double_of(v, name, &x) < 0) {
        return -1;
      }
      *out = float_bits((float)x);
      return 0;
    }
    case K_BOOL: {
      int truth = v == Py_True ? 1 : v == Py_False ? 0 : PyObject_IsTrue(v);
      *out = (uint64_t)truth;
      return truth < 0 ? -1 : 0;
    }
    case K_ENUM: return wire_value_of_enum(v, name, out);
    default: return wire_value_of_int(e, vt->kind, v, name, out);
  }
}

/* Writes a wire payload at w (there is room): a varint or 4/8 bytes. */
static inline uint8_t *put_payload(uint8_t *w, int wire, uint64_t u) {
  switch (wire) {
    case WT_I32: return put_fixed32(w, (uint32_t)u);
    case WT_I64: return put_fixed64(w, u);
    default: return put_varint(w, u);
  }
}

/* Copies a precomputed tag (its array is 8 bytes long; room is there). */
static inline uint8_t *put_tag(uint8_t *w, const uint8_t bytes[8], uint8_t len) {
  memcpy(w, bytes, 8);
  return w + len;
}

static inline uint8_t *cursor(Encoder *e) { return e->out.data + e->out.len; }

static inline void advance_to(Encoder *e, uint8_t *w) { e->out.len = (size_t)(w - e->out.data); }

/* The UTF-8 bytes of a str: strict (surrogates are an EncodeError) or with
 * surrogateescape (what lenient decoding made of invalid bytes). *holder
 * receives an object to release afterwards, or NULL. */
static const char *utf8_of(Encoder *e, PyObject *v, int strict, PyObject *name, Py_ssize_t *n, PyObject **holder) {
  *holder = NULL;
  if (!PyUnicode_Check(v)) {
    raise_type_error(name, "str", v);
    return NULL;
  }
  if (PyUnicode_IS_COMPACT_ASCII(v)) {
    *n = PyUnicode_GET_LENGTH(v);
    return (const char *)PyUnicode_DATA(v);
  }
  const char *s = PyUnicode_AsUTF8AndSize(v, n);
  if (s != NULL || !PyErr_ExceptionMatches(PyExc_UnicodeEncodeError)) {
    return s;
  }
  if (strict) {
    raise_with_unicode_reason(e->error, "string is not valid UTF-8: ");
    return NULL;
  }
  PyErr_Clear();
  PyObject *encoded = PyUnicode_AsEncodedString(v, "utf-8", "surrogateescape");
  if (encoded == NULL) {
    if (PyErr_ExceptionMatches(PyExc_UnicodeEncodeError)) {
      raise_with_unicode_reason(e->error, "string cannot be encoded: ");
    }
    return NULL;
  }
  *holder = encoded;
  *n = PyBytes_GET_SIZE(encoded);
  return PyBytes_AS_STRING(encoded);
}

/* A tag (or none: tag_len 0), a length and the bytes. */
static int put_tagged_bytes(Encoder *e, const uint8_t tag[8], uint8_t tag_len, const void *p, size_t n) {
  if (ensure_room(&e->out, SCALAR_ROOM + n) < 0) {
    return -1;
  }
  uint8_t *w = put_varint(put_tag(cursor(e), tag, tag_len), n);
  if (n) {
    memcpy(w, p, n);
  }
  advance_to(e, w + n);
  return 0;
}

/* A string or bytes value with its tag. */
static int write_tagged_blob(Encoder *e, const ValueType *vt, const uint8_t tag[8], uint8_t tag_len, PyObject *v,
                             PyObject *name) {
  if (vt->kind == K_STRING) {
    PyObject *holder;
    Py_ssize_t n;
    const char *s = utf8_of(e, v, vt->utf8, name, &n, &holder);
    if (s == NULL) {
      return -1;
    }
    int rc = put_tagged_bytes(e, tag, tag_len, s, (size_t)n);
    Py_XDECREF(holder);
    return rc;
  }
  if (PyBytes_CheckExact(v)) {
    return put_tagged_bytes(e, tag, tag_len, PyBytes_AS_STRING(v), (size_t)PyBytes_GET_SIZE(v));
  }
  Py_buffer view; /* any buffer: bytearray, memoryview... */
  if (PyObject_GetBuffer(v, &view, PyBUF_SIMPLE) < 0) {
    if (PyErr_ExceptionMatches(PyExc_TypeError)) {
      PyErr_Clear();
      raise_type_error(name, "bytes", v);
    }
    return -1;
  }
  int rc = put_tagged_bytes(e, tag, tag_len, view.buf, (size_t)view.len);
  PyBuffer_Release(&view);
  return rc;
}

/* One value of a kind other than message, after a tag (tag_len 0: none). */
static int write_tagged_value(Encoder *e, const ValueType *vt, const uint8_t tag[8], uint8_t tag_len, PyObject *v,
                              PyObject *name) {
  if (vt->wire == WT_LEN) {
    return write_tagged_blob(e, vt, tag, tag_len, v, name);
  }
  uint64_t u;
  if (wire_value_of(e, vt, v, name, &u) < 0 || ensure_room(&e->out, SCALAR_ROOM) < 0) {
    return -1;
  }
  advance_to(e, put_payload(put_tag(cursor(e), tag, tag_len), vt->wire, u));
  return 0;
}

/* Reserves `reserved` bytes for the length of what follows; *mark is where. */
static int open_length(Encoder *e, size_t reserved, size_t *mark) {
  if (ensure_room(&e->out, reserved) < 0) {
    return -1;
  }
  *mark = e->out.len;
  e->out.len += reserved;
  return 0;
}

/* Writes the length of what followed open_length, moving it when its varint
 * does not take the bytes reserved. */
static int close_length(Encoder *e, size_t mark, size_t reserved) {
  ByteBuf *b = &e->out;
  size_t n = b->len - mark - reserved;
  if (n < 0x80 && reserved == 1) {
    b->data[mark] = (uint8_t)n;
    return 0;
  }
  size_t k = varint_size(n);
  if (k != reserved) {
    if (k > reserved && ensure_room(b, k - reserved) < 0) {
      return -1;
    }
    memmove(b->data + mark + k, b->data + mark + reserved, n);
    b->len = b->len + k - reserved;
  }
  put_varint(b->data + mark, n);
  return 0;
}

static int check_message_instance(MessageType *sub, PyObject *v, PyObject *name) {
  if (PyObject_TypeCheck(v, (PyTypeObject *)sub->cls)) {
    return 0;
  }
  return raise_type_error(name, ((PyTypeObject *)sub->cls)->tp_name, v);
}

/* A message with its tag: LEN and the body's length, or START_GROUP, the
 * body and END_GROUP. */
static int write_tagged_message(Encoder *e, MessageType *sub, int delimited, const uint8_t tag[8], uint8_t tag_len,
                                const uint8_t end_tag[8], uint8_t end_tag_len, PyObject *v, PyObject *name) {
  if (check_message_instance(sub, v, name) < 0 || ensure_room(&e->out, SCALAR_ROOM) < 0) {
    return -1;
  }
  advance_to(e, put_tag(cursor(e), tag, tag_len));
  if (delimited) {
    if (encode_body(e, sub, v) < 0 || ensure_room(&e->out, SCALAR_ROOM) < 0) {
      return -1;
    }
    advance_to(e, put_tag(cursor(e), end_tag, end_tag_len));
    return 0;
  }
  size_t mark;
  if (open_length(e, 1, &mark) < 0 || encode_body(e, sub, v) < 0) {
    return -1;
  }
  return close_length(e, mark, 1);
}

static int write_message_field(Encoder *e, const Field *f, PyObject *v) {
  return write_tagged_message(e, f->value.message, f->value.delimited, f->tag_bytes, f->tag_len, f->end_tag_bytes,
                              f->end_tag_len, v, f->full_name);
}

/* `if v:` of the pure codec, without a call for the usual types. */
static inline int truth_of(PyObject *v) {
  if (PyUnicode_CheckExact(v)) {
    return PyUnicode_GET_LENGTH(v) != 0;
  }
  if (PyBytes_CheckExact(v)) {
    return PyBytes_GET_SIZE(v) != 0;
  }
  if (v == Py_True || v == Py_False) {
    return v == Py_True;
  }
  return PyObject_IsTrue(v);
}

static int encode_singular(Encoder *e, const Field *f, PyObject *v) {
  if (v == Py_None) {
    if (f->flags & F_REQUIRED) {
      PyErr_Format(e->error, "required field %U is not set", f->full_name);
      return -1;
    }
    return 0; /* unset (explicit presence), or falsy (implicit) */
  }
  if (kind_is_message(f->kind)) {
    return write_message_field(e, f, v); /* messages: written unless None */
  }
  int implicit = !(f->flags & F_PRESENCE);
  if (f->value.wire == WT_LEN) {
    if (implicit) {
      int truth = truth_of(v);
      if (truth <= 0) {
        return truth;
      }
    }
    return write_tagged_blob(e, &f->value, f->tag_bytes, f->tag_len, v, f->full_name);
  }
  uint64_t u;
  if (implicit) {
    if (f->kind == K_DOUBLE || f->kind == K_FLOAT) {
      double x;
      if (double_of(v, f->full_name, &x) < 0) {
        return -1;
      }
      if (x == 0.0 && !signbit(x)) {
        return 0; /* -0.0 and NaN are written */
      }
    } else if (PyLong_CheckExact(v)) {
      /* an exact int is false when 0, which every kind writes as 0 */
      if (wire_value_of(e, &f->value, v, f->full_name, &u) < 0) {
        return -1;
      }
      if (u == 0) {
        return 0;
      }
      goto write;
    } else {
      int truth = truth_of(v);
      if (truth <= 0) {
        return truth;
      }
    }
  }
  if (wire_value_of(e, &f->value, v, f->full_name, &u) < 0) {
    return -1;
  }
write:
  if (ensure_room(&e->out, SCALAR_ROOM) < 0) {
    return -1;
  }
  advance_to(e, put_payload(put_tag(cursor(e), f->tag_bytes, f->tag_len), f->value.wire, u));
  return 0;
}

/* The list or tuple of a repeated field's value (any iterable is copied). */
static PyObject *sequence_of(PyObject *v, PyObject *name) {
  if (PyList_Check(v) || PyTuple_Check(v)) {
    return Py_NewRef(v);
  }
  PyObject *list = PySequence_List(v);
  if (list == NULL && PyErr_ExceptionMatches(PyExc_TypeError)) {
    PyErr_Clear();
    raise_type_error(name, "a list", v);
  }
  return list;
}

/* The payload of a packed double or float field. */
static int write_packed_floating(Encoder *e, const Field *f, PyObject *seq) {
  int is_double = f->kind == K_DOUBLE;
  for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(seq); i++) {
    PyObject *x = PySequence_Fast_GET_ITEM(seq, i);
    double d;
    if (PyFloat_CheckExact(x)) {
      d = PyFloat_AS_DOUBLE(x);
    } else {
      Py_INCREF(x);
      int rc = double_of(x, f->full_name, &d);
      Py_DECREF(x);
      if (rc < 0) {
        return -1;
      }
    }
    if (e->out.cap - e->out.len < 8 && ensure_room(&e->out, 8) < 0) {
      return -1;
    }
    uint8_t *w = cursor(e);
    advance_to(e, is_double ? put_fixed64(w, double_bits(d)) : put_fixed32(w, float_bits((float)d)));
  }
  return 0;
}

/* Packed: one LEN record of the values back to back. The length reserved
 * is a guess (exact for fixed widths), fixed by close_length. */
static int write_packed(Encoder *e, const Field *f, PyObject *seq) {
  Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
  int size = fixed_size_of_kind(f->kind);
  size_t reserved = varint_size((uint64_t)n * (size ? (uint64_t)size : 1));
  size_t mark;
  if (ensure_room(&e->out, SCALAR_ROOM + (size_t)n * (size ? (size_t)size : 1)) < 0) {
    return -1;
  }
  advance_to(e, put_tag(cursor(e), f->len_tag_bytes, f->len_tag_len));
  if (open_length(e, reserved, &mark) < 0) {
    return -1;
  }
  const ValueType *vt = &f->value;
  int kind = vt->kind, wire = vt->wire;
  if (kind == K_DOUBLE || kind == K_FLOAT) {
    return write_packed_floating(e, f, seq) < 0 ? -1 : close_length(e, mark, reserved);
  }
  /* the length is read again each time: converting may run Python code
     * (never on the fast paths, which use borrowed items) */
  for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(seq); i++) {
    PyObject *x = PySequence_Fast_GET_ITEM(seq, i);
    uint64_t u;
    long long small;
    if (!(kind != K_BOOL && small_int_value(x, &small) && small_int_payload(kind, small, &u))) {
      Py_INCREF(x);
      int rc = wire_value_of(e, vt, x, f->full_name, &u);
      Py_DECREF(x);
      if (rc < 0) {
        return -1;
      }
    }
    if (e->out.cap - e->out.len < 10 && ensure_room(&e->out, 10) < 0) {
      return -1;
    }
    uint8_t *w = cursor(e);
    if (wire == WT_VARINT) {
      if (u < 0x80) {
        *w++ = (uint8_t)u;
      } else {
        w = put_varint(w, u);
      }
    } else {
      w = put_payload(w, wire, u);
    }
    advance_to(e, w);
  }
  return close_length(e, mark, reserved);
}

static int encode_repeated(Encoder *e, const Field *f, PyObject *v) {
  PyObject *seq = sequence_of(v, f->full_name);
  if (seq == NULL) {
    return -1;
  }
  int rc = 0;
  if ((f->flags & F_PACKED) && f->packed_tag) {
    if (PySequence_Fast_GET_SIZE(seq) > 0) {
      rc = write_packed(e, f, seq);
    }
  } else {
    int message = kind_is_message(f->kind);
    /* the length is read again each time: encoding may run Python code */
    for (Py_ssize_t i = 0; rc == 0 && i < PySequence_Fast_GET_SIZE(seq); i++) {
      PyObject *x = Py_NewRef(PySequence_Fast_GET_ITEM(seq, i));
      rc = message ? write_message_field(e, f, x)
                   : write_tagged_value(e, &f->value, f->tag_bytes, f->tag_len, x, f->full_name);
      Py_DECREF(x);
    }
  }
  Py_DECREF(seq);
  return rc;
}

static const uint8_t NO_TAG[8] = {0};

/* One map entry as a LEN record: key (field 1) and value (field 2), both
 * always written; a message value is a LEN record even when empty. */
static int write_map_entry(Encoder *e, const Field *f, PyObject *key, PyObject *value) {
  size_t mark;
  if (ensure_room(&e->out, SCALAR_ROOM) < 0) {
    return -1;
  }
  advance_to(e, put_tag(cursor(e), f->tag_bytes, f->tag_len));
  uint8_t key_tag[8] = {f->key_tag}, value_tag[8] = {f->value_tag};
  if (open_length(e, 1, &mark) < 0 || write_tagged_value(e, &f->key, key_tag, 1, key, NULL) < 0) {
    return -1;
  }
  int rc = kind_is_message(f->value.kind)
               ? write_tagged_message(e, f->value.message, 0, value_tag, 1, NO_TAG, 0, value, NULL)
               : write_tagged_value(e, &f->value, value_tag, 1, value, NULL);
  return rc < 0 ? -1 : close_length(e, mark, 1);
}

static int encode_map(Encoder *e, const Field *f, PyObject *v) {
  if (PyDict_Check(v)) {
    Py_ssize_t pos = 0;
    PyObject *key, *value;
    while (PyDict_Next(v, &pos, &key, &value)) {
      Py_INCREF(key);
      Py_INCREF(value);
      int rc = write_map_entry(e, f, key, value);
      Py_DECREF(key);
      Py_DECREF(value);
      if (rc < 0) {
        return -1;
      }
    }
    return 0;
  }
  PyObject *items = PyMapping_Items(v);
  if (items == NULL) {
    if (PyErr_ExceptionMatches(PyExc_TypeError) || PyErr_ExceptionMatches(PyExc_AttributeError)) {
      PyErr_Clear();
      raise_type_error(f->full_name, "a dict", v);
    }
    return -1;
  }
  int rc = 0;
  for (Py_ssize_t i = 0; rc == 0 && i < PyList_GET_SIZE(items); i++) {
    PyObject *item = Py_NewRef(PyList_GET_ITEM(items, i));
    if (!PyTuple_Check(item) || PyTuple_GET_SIZE(item) != 2) {
      rc = raise_type_error(f->full_name, "a mapping", v);
    } else {
      rc = write_map_entry(e, f, PyTuple_GET_ITEM(item, 0), PyTuple_GET_ITEM(item, 1));
    }
    Py_DECREF(item);
  }
  Py_DECREF(items);
  return rc;
}

/* The unknown fields kept by decoding, appended as they are. */
static int write_unknown(Encoder *e, MessageType *mt, PyObject *msg) {
  PyObject *u = *slot_of(msg, mt->unknown_offset);
  if (u != NULL && PyBytes_CheckExact(u)) {
    return append_bytes(&e->out, PyBytes_AS_STRING(u), (size_t)PyBytes_GET_SIZE(u));
  }
  u = read_slot(msg, mt->unknown_offset, mt->unknown_attr);
  if (u == NULL) {
    return -1;
  }
  int rc = 0;
  if (u != Py_None) {
    Py_buffer view;
    rc = PyObject_GetBuffer(u, &view, PyBUF_SIMPLE);
    if (rc == 0) {
      rc = append_bytes(&e->out, view.buf, (size_t)view.len);
      PyBuffer_Release(&view);
    }
  }
  Py_DECREF(u);
  return rc;
}

/* The fields of a message in number order, then its unknown fields. */
static int encode_body(Encoder *e, MessageType *mt, PyObject *msg) {
  if (!mt->ready) {
    return refuse_unready(mt);
  }
  if (Py_EnterRecursiveCall(" while encoding a protobuf message")) {
    return -1;
  }
  int rc = 0;
  const Field *f = mt->fields, *stop = mt->fields + mt->nfields;
  for (; rc == 0 && f < stop; f++) {
    /* a reference of our own: encoding may run Python code */
    PyObject *v = *slot_of(msg, f->offset);
    if (v != NULL) {
      Py_INCREF(v);
    } else if ((v = read_slot(msg, f->offset, f->attr)) == NULL) {
      rc = -1;
      break;
    }
    if (f->kind == K_MAP) {
      rc = encode_map(e, f, v);
    } else if (f->flags & F_REPEATED) {
      rc = encode_repeated(e, f, v);
    } else {
      rc = encode_singular(e, f, v);
    }
    Py_DECREF(v);
  }
  if (rc == 0) {
    rc = write_unknown(e, mt, msg);
  }
  Py_LeaveRecursiveCall();
  return rc;
}

/* ==== the MessageType type ================================================ */

static void clear_value_type(ValueType *vt) {
  Py_CLEAR(vt->message);
  Py_CLEAR(vt->enum_cls);
  Py_CLEAR(vt->enum_members);
  Py_CLEAR(vt->zero);
}

static void free_fields(Field *fields, Py_ssize_t n) {
  if (fields == NULL) {
    return;
  }
  for (Py_ssize_t i = 0; i < n; i++) {
    Field *f = &fields[i];
    clear_value_type(&f->value);
    clear_value_type(&f->key);
    Py_CLEAR(f->attr);
    Py_CLEAR(f->full_name);
    Py_CLEAR(f->default_value);
  }
  PyMem_Free(fields);
}

static int visit_value_type(const ValueType *vt, visitproc visit, void *arg) {
  Py_VISIT((PyObject *)vt->message);
  Py_VISIT(vt->enum_cls);
  Py_VISIT(vt->enum_members);
  Py_VISIT(vt->zero);
  return 0;
}

static int mt_traverse(PyObject *self, visitproc visit, void *arg) {
  MessageType *mt = (MessageType *)self;
  Py_VISIT(Py_TYPE(self));
  Py_VISIT(mt->cls);
  Py_VISIT(mt->full_name);
  Py_VISIT(mt->decode_error);
  Py_VISIT(mt->encode_error);
  Py_VISIT(mt->unknown_attr);
  for (Py_ssize_t i = 0; i < mt->nfields; i++) {
    const Field *f = &mt->fields[i];
    int rc = visit_value_type(&f->value, visit, arg);
    if (rc == 0) {
      rc = visit_value_type(&f->key, visit, arg);
    }
    if (rc != 0) {
      return rc;
    }
    Py_VISIT(f->attr);
    Py_VISIT(f->full_name);
    Py_VISIT(f->default_value);
  }
  return 0;
}

static int mt_clear(PyObject *self) {
  MessageType *mt = (MessageType *)self;
  Field *fields = mt->fields;
  Py_ssize_t n = mt->nfields;
  /* unhook first: releasing references may run Python code */
  mt->ready = 0;
  mt->fields = NULL;
  mt->nfields = 0;
  mt->dense_len = 0;
  PyMem_Free(mt->by_number);
  mt->by_number = NULL;
  mt->noneofs = 0;
  PyMem_Free(mt->oneof_start);
  mt->oneof_start = NULL;
  PyMem_Free(mt->oneof_members);
  mt->oneof_members = NULL;
  free_fields(fields, n);
  Py_CLEAR(mt->cls);
  Py_CLEAR(mt->full_name);
  Py_CLEAR(mt->decode_error);
  Py_CLEAR(mt->encode_error);
  Py_CLEAR(mt->unknown_attr);
  return 0;
}

static void mt_dealloc(PyObject *self) {
  PyTypeObject *tp = Py_TYPE(self);
  PyObject_GC_UnTrack(self);
  mt_clear(self);
  tp->tp_free(self);
  Py_DECREF(tp);
}

static PyObject *mt_repr(PyObject *self) {
  MessageType *mt = (MessageType *)self;
  return PyUnicode_FromFormat("<MessageType %R>", mt->full_name ? mt->full_name : Py_None);
}

/* MessageType(cls, full_name, decode_error, encode_error) */
static PyObject *mt_new(PyTypeObject *type, PyObject *args, PyObject *kwds) {
  static const char *const names[4] = {"cls", "full_name", "decode_error", "encode_error"};
  PyObject *values[4] = {NULL, NULL, NULL, NULL};
  Py_ssize_t nargs = PyTuple_GET_SIZE(args);
  if (nargs > 4) {
    PyErr_SetString(PyExc_TypeError, "MessageType() takes 4 arguments");
    return NULL;
  }
  for (Py_ssize_t i = 0; i < nargs; i++) {
    values[i] = PyTuple_GET_ITEM(args, i);
  }
  Py_ssize_t used = 0;
  for (int i = 0; kwds != NULL && i < 4; i++) {
    PyObject *v = PyDict_GetItemString(kwds, names[i]);
    if (v != NULL) {
      if (values[i] != NULL) {
        PyErr_Format(PyExc_TypeError, "MessageType() got multiple values for '%s'", names[i]);
        return NULL;
      }
      values[i] = v;
      used++;
    }
  }
  if (kwds != NULL && PyDict_GET_SIZE(kwds) != used) {
    PyErr_SetString(PyExc_TypeError, "MessageType() got an unexpected keyword argument");
    return NULL;
  }
  for (int i = 0; i < 4; i++) {
    if (values[i] == NULL) {
      PyErr_Format(PyExc_TypeError, "MessageType() missing argument '%s'", names[i]);
      return NULL;
    }
  }
  PyObject *cls = values[0];
  if (!PyType_Check(cls)) {
    PyErr_SetString(PyExc_TypeError, "MessageType(): cls must be a class");
    return NULL;
  }
  PyTypeObject *tp = (PyTypeObject *)cls;
  /* decoding allocates instances without calling __new__/__init__: only
     * right for plain classes whose __new__ is object's */
  if (tp->tp_new != PyBaseObject_Type.tp_new || tp->tp_itemsize != 0 || tp->tp_alloc == NULL) {
    PyErr_Format(PyExc_TypeError, "MessageType(): %.200s must be a plain class (object.__new__, __slots__)",
                 tp->tp_name);
    return NULL;
  }
  if (!PyUnicode_Check(values[1])) {
    PyErr_SetString(PyExc_TypeError, "MessageType(): full_name must be a str");
    return NULL;
  }
  if (!PyExceptionClass_Check(values[2]) || !PyExceptionClass_Check(values[3])) {
    PyErr_SetString(PyExc_TypeError, "MessageType(): the errors must be exception classes");
    return NULL;
  }
  MessageType *mt = (MessageType *)type->tp_alloc(type, 0);
  if (mt == NULL) {
    return NULL;
  }
  mt->cls = Py_NewRef(cls);
  mt->full_name = Py_NewRef(values[1]);
  mt->decode_error = Py_NewRef(values[2]);
  mt->encode_error = Py_NewRef(values[3]);
  return (PyObject *)mt;
}

/* ---- setup --------------------------------------------------------------- */

/* The offset of a writable object slot of cls named attr (from its member
 * descriptor, found along the MRO). */
static int slot_offset_of(PyObject *cls, PyObject *attr, Py_ssize_t *offset) {
  PyTypeObject *tp = (PyTypeObject *)cls;
  PyObject *d = PyObject_GetAttr(cls, attr);
  if (d == NULL) {
    if (!PyErr_ExceptionMatches(PyExc_AttributeError)) {
      return -1;
    }
    PyErr_Clear();
  }
  int ok = 0;
  if (d != NULL && Py_TYPE(d) == &PyMemberDescr_Type) {
    PyMemberDef *m = ((PyMemberDescrObject *)d)->d_member;
    PyTypeObject *owner = ((PyDescrObject *)d)->d_type;
    ok = m->type == Py_T_OBJECT_EX && !(m->flags & Py_READONLY) && PyType_IsSubtype(tp, owner) &&
         m->offset >= (Py_ssize_t)sizeof(PyObject) && m->offset + (Py_ssize_t)sizeof(PyObject *) <= tp->tp_basicsize;
    *offset = m->offset;
  }
  Py_XDECREF(d);
  if (!ok) {
    PyErr_Format(PyExc_TypeError, "%.200s has no slot %R", tp->tp_name, attr);
    return -1;
  }
  return 0;
}

/* The first member of an enum class (what a map entry's enum value starts
 * with, like the runtime's _enum_zero); None for an empty one. */
static PyObject *first_enum_member(PyObject *enum_cls) {
  PyObject *it = PyObject_GetIter(enum_cls);
  if (it == NULL) {
    return NULL;
  }
  PyObject *first = PyIter_Next(it);
  Py_DECREF(it);
  if (first == NULL && !PyErr_Occurred()) {
    return Py_NewRef(Py_None);
  }
  return first;
}

static PyObject *zero_of_kind(int kind, PyObject *enum_cls) {
  switch (kind) {
    case K_DOUBLE:
    case K_FLOAT: return PyFloat_FromDouble(0.0);
    case K_BOOL: return Py_NewRef(Py_False);
    case K_STRING: return PyUnicode_New(0, 0);
    case K_BYTES: return PyBytes_FromStringAndSize(NULL, 0);
    case K_MESSAGE:
    case K_GROUP: return Py_NewRef(Py_None);
    case K_ENUM: return first_enum_member(enum_cls);
    default: return PyLong_FromLong(0);
  }
}

static int setup_error(PyObject *full_name, const char *what) {
  PyErr_Format(PyExc_TypeError, "%U: %s", full_name, what);
  return -1;
}

/* Fills a ValueType of `kind` from its `sub` (MessageType, enum tuple or
 * None); map values are always LEN records. */
static int init_value_type(MessageType *owner, ValueType *vt, int kind, int flags, PyObject *sub, int map_value,
                           PyObject *full_name) {
  vt->kind = (uint8_t)kind;
  vt->wire = (uint8_t)wire_type_of_kind(kind);
  vt->utf8 = (flags & F_UTF8) != 0;
  if (kind_is_message(kind)) {
    if (Py_TYPE(sub) != Py_TYPE(owner)) {
      return setup_error(full_name, "the type of a message field must be a MessageType");
    }
    vt->message = (MessageType *)Py_NewRef(sub);
    vt->delimited = !map_value && (kind == K_GROUP || (flags & F_DELIMITED));
    vt->wire = vt->delimited ? WT_SGROUP : WT_LEN;
  } else if (kind == K_ENUM) {
    if (!PyTuple_Check(sub) || PyTuple_GET_SIZE(sub) != 3 || !PyDict_Check(PyTuple_GET_ITEM(sub, 1))) {
      return setup_error(full_name, "the type of an enum field must be (enum_cls, dict, closed)");
    }
    int closed = PyObject_IsTrue(PyTuple_GET_ITEM(sub, 2));
    if (closed < 0) {
      return -1;
    }
    vt->enum_cls = Py_NewRef(PyTuple_GET_ITEM(sub, 0));
    vt->enum_members = Py_NewRef(PyTuple_GET_ITEM(sub, 1));
    vt->enum_closed = (uint8_t)closed;
  }
  vt->zero = zero_of_kind(kind, vt->enum_cls);
  return vt->zero ? 0 : -1;
}

static int int_item(PyObject *spec, Py_ssize_t i, long lo, long hi, long *out, PyObject *name, const char *what) {
  PyObject *v = PyTuple_GET_ITEM(spec, i);
  long x = PyLong_Check(v) ? PyLong_AsLong(v) : -1;
  if (x == -1 && PyErr_Occurred()) {
    PyErr_Clear();
    x = lo - 1;
  }
  if (!PyLong_Check(v) || x < lo || x > hi) {
    if (name != NULL) {
      PyErr_Format(PyExc_ValueError, "%U: bad %s %R", name, what, v);
    } else {
      PyErr_Format(PyExc_ValueError, "bad %s %R", what, v);
    }
    return -1;
  }
  *out = x;
  return 0;
}

static void tag_bytes_of(uint32_t number, int wire, uint8_t *bytes, uint8_t *len) {
  *len = (uint8_t)(put_varint(bytes, (uint64_t)number << 3 | (uint64_t)wire) - bytes);
}

/* Fills a Field from its spec
 * (number, attr, kind, flags, sub, default, oneof_index, full_name). */
static int init_field(MessageType *mt, PyObject *spec, Py_ssize_t nfields, Field *f) {
  if (!PyTuple_Check(spec) || PyTuple_GET_SIZE(spec) != 8) {
    PyErr_SetString(PyExc_TypeError, "a field spec is a tuple of 8 items");
    return -1;
  }
  PyObject *name = PyTuple_GET_ITEM(spec, 7);
  PyObject *attr = PyTuple_GET_ITEM(spec, 1);
  if (!PyUnicode_Check(name) || !PyUnicode_Check(attr)) {
    PyErr_SetString(PyExc_TypeError, "a field's attribute and full name are str");
    return -1;
  }
  f->full_name = Py_NewRef(name);
  f->attr = Py_NewRef(attr);
  f->default_value = Py_NewRef(PyTuple_GET_ITEM(spec, 5));
  long number, kind, flags, oneof;
  if (int_item(spec, 0, 1, MAX_FIELD_NUMBER, &number, name, "field number") < 0 ||
      int_item(spec, 2, 1, K_LAST, &kind, name, "kind") < 0 || int_item(spec, 3, 0, 63, &flags, name, "flags") < 0 ||
      int_item(spec, 6, -1, (long)nfields - 1, &oneof, name, "oneof index") < 0 ||
      slot_offset_of(mt->cls, attr, &f->offset) < 0) {
    return -1;
  }
  if (kind == K_MAP) {
    flags &= ~(F_REPEATED | F_PACKED | F_PRESENCE | F_REQUIRED);
  }
  if (oneof >= 0 && (kind == K_MAP || (flags & F_REPEATED))) {
    return setup_error(name, "a oneof member cannot be repeated");
  }
  f->number = (uint32_t)number;
  f->kind = (uint8_t)kind;
  f->flags = (uint8_t)flags;
  f->oneof = (int32_t)oneof;
  PyObject *sub = PyTuple_GET_ITEM(spec, 4);
  if (kind == K_MAP) {
    long key_kind, value_kind, value_flags;
    if (!PyTuple_Check(sub) || PyTuple_GET_SIZE(sub) != 4) {
      return setup_error(name, "the type of a map is (key_kind, value_kind, value_sub, value_flags)");
    }
    if (int_item(sub, 0, 1, K_LAST, &key_kind, name, "map key kind") < 0 ||
        int_item(sub, 1, 1, K_LAST, &value_kind, name, "map value kind") < 0 ||
        int_item(sub, 3, 0, 63, &value_flags, name, "map value flags") < 0) {
      return -1;
    }
    if (!kind_can_be_map_key((int)key_kind) || value_kind == K_MAP || value_kind == K_GROUP) {
      return setup_error(name, "bad map key or value kind");
    }
    if (init_value_type(mt, &f->key, (int)key_kind, (int)flags, Py_None, 1, name) < 0 ||
        init_value_type(mt, &f->value, (int)value_kind, (int)value_flags, PyTuple_GET_ITEM(sub, 2), 1, name) < 0) {
      return -1;
    }
    f->key_tag = (uint8_t)(1 << 3 | f->key.wire);
    f->value_tag = (uint8_t)(2 << 3 | f->value.wire);
    f->tag = (uint32_t)number << 3 | WT_LEN;
  } else {
    if (init_value_type(mt, &f->value, (int)kind, (int)flags, sub, 0, name) < 0) {
      return -1;
    }
    f->tag = (uint32_t)number << 3 | f->value.wire;
  }
  if ((flags & F_REPEATED) && kind_is_packable((int)kind)) {
    f->packed_tag = (uint32_t)number << 3 | WT_LEN;
  }
  tag_bytes_of(f->number, (int)(f->tag & 7), f->tag_bytes, &f->tag_len);
  tag_bytes_of(f->number, WT_LEN, f->len_tag_bytes, &f->len_tag_len);
  tag_bytes_of(f->number, WT_EGROUP, f->end_tag_bytes, &f->end_tag_len);
  return 0;
}

/* The members of each oneof, grouped: *start[k]..*start[k + 1] index
 * *members (counting sort by oneof index). */
static int group_oneof_members(const Field *fields, Py_ssize_t n, Py_ssize_t *noneofs, Py_ssize_t **start,
                               Py_ssize_t **members) {
  *noneofs = 0;
  for (Py_ssize_t i = 0; i < n; i++) {
    if (fields[i].oneof + 1 > *noneofs) {
      *noneofs = fields[i].oneof + 1;
    }
  }
  *start = PyMem_Calloc((size_t)*noneofs + 2, sizeof(Py_ssize_t));
  *members = PyMem_Calloc((size_t)n + 1, sizeof(Py_ssize_t));
  if (*start == NULL || *members == NULL) {
    PyErr_NoMemory();
    return -1;
  }
  Py_ssize_t *count = *start + 1; /* count[k]: members of oneof k, then their ends */
  for (Py_ssize_t i = 0; i < n; i++) {
    if (fields[i].oneof >= 0) {
      count[fields[i].oneof]++;
    }
  }
  for (Py_ssize_t k = 1; k <= *noneofs; k++) {
    (*start)[k] += (*start)[k - 1];
  }
  Py_ssize_t *fill = PyMem_Malloc(sizeof(Py_ssize_t) * ((size_t)*noneofs + 1));
  if (fill == NULL) {
    PyErr_NoMemory();
    return -1;
  }
  memcpy(fill, *start, sizeof(Py_ssize_t) * ((size_t)*noneofs + 1));
  for (Py_ssize_t i = 0; i < n; i++) {
    if (fields[i].oneof >= 0) {
      (*members)[fill[fields[i].oneof]++] = i;
    }
  }
  PyMem_Free(fill);
  return 0;
}

/* number -> index + 1 for the small numbers (most messages: all of them). */
static int build_number_index(Field *fields, Py_ssize_t n, int32_t **table, uint32_t *len) {
  uint32_t max = n ? fields[n - 1].number : 0;
  uint64_t limit = 64 + 8 * (uint64_t)n;
  *len = max + 1 <= limit ? max + 1 : (uint32_t)limit;
  *table = PyMem_Calloc(*len, sizeof(int32_t));
  if (*table == NULL) {
    PyErr_NoMemory();
    return -1;
  }
  for (Py_ssize_t i = 0; i < n; i++) {
    if (fields[i].number < *len) {
      (*table)[fields[i].number] = (int32_t)(i + 1);
    }
  }
  return 0;
}

static PyObject *mt_setup(PyObject *self, PyObject *arg) {
  MessageType *mt = (MessageType *)self;
  if (mt->ready || mt->setting_up || mt->cls == NULL) {
    PyErr_SetString(PyExc_RuntimeError, "MessageType.setup() may be called once");
    return NULL;
  }
  PyObject *specs = PySequence_Tuple(arg);
  if (specs == NULL) {
    return NULL;
  }
  mt->setting_up = 1;
  Py_ssize_t n = PyTuple_GET_SIZE(specs), noneofs = 0;
  Field *fields = PyMem_Calloc((size_t)(n ? n : 1), sizeof(Field));
  int32_t *table = NULL;
  uint32_t dense_len = 0;
  Py_ssize_t *oneof_start = NULL, *oneof_members = NULL;
  Py_ssize_t unknown_offset;
  PyObject *unknown_attr = PyUnicode_InternFromString("_unknown");
  if (fields == NULL) {
    PyErr_NoMemory();
    goto error;
  }
  if (unknown_attr == NULL || slot_offset_of(mt->cls, unknown_attr, &unknown_offset) < 0) {
    goto error;
  }
  for (Py_ssize_t i = 0; i < n; i++) {
    if (init_field(mt, PyTuple_GET_ITEM(specs, i), n, &fields[i]) < 0) {
      goto error;
    }
    if (i > 0 && fields[i].number <= fields[i - 1].number) {
      PyErr_Format(PyExc_ValueError, "%U: fields must be sorted by number, without repeats", mt->full_name);
      goto error;
    }
  }
  if (group_oneof_members(fields, n, &noneofs, &oneof_start, &oneof_members) < 0 ||
      build_number_index(fields, n, &table, &dense_len) < 0) {
    goto error;
  }
  mt->fields = fields;
  mt->nfields = n;
  mt->by_number = table;
  mt->dense_len = dense_len;
  mt->noneofs = noneofs;
  mt->oneof_start = oneof_start;
  mt->oneof_members = oneof_members;
  mt->unknown_offset = unknown_offset;
  mt->unknown_attr = unknown_attr;
  mt->setting_up = 0;
  mt->ready = 1;
  Py_DECREF(specs);
  Py_RETURN_NONE;
error:
  free_fields(fields, n);
  PyMem_Free(table);
  PyMem_Free(oneof_start);
  PyMem_Free(oneof_members);
  Py_XDECREF(unknown_attr);
  Py_DECREF(specs);
  mt->setting_up = 0;
  return NULL;
}

/* ---- encode and decode --------------------------------------------------- */

static PyObject *mt_encode(PyObject *self, PyObject *msg) {
  MessageType *mt = (MessageType *)self;
  if (!mt->ready) {
    refuse_unready(mt);
    return NULL;
  }
  if (!PyObject_TypeCheck(msg, (PyTypeObject *)mt->cls)) {
    PyErr_Format(PyExc_TypeError, "%U.encode: expected %.200s, got %.200s", mt->full_name,
                 ((PyTypeObject *)mt->cls)->tp_name, Py_TYPE(msg)->tp_name);
    return NULL;
  }
  uint8_t first[512];
  Encoder e = {{first, 0, sizeof first, 0}, mt->encode_error};
  PyObject *out = NULL;
  if (encode_body(&e, mt, msg) == 0) {
    out = PyBytes_FromStringAndSize((const char *)e.out.data, (Py_ssize_t)e.out.len);
  }
  release_buffer(&e.out);
  return out;
}

static PyObject *mt_decode(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
  MessageType *mt = (MessageType *)self;
  PyObject *data = nargs > 0 ? args[0] : NULL;
  PyObject *into = nargs > 1 ? args[1] : NULL;
  Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
  if (nargs > 2) {
    PyErr_SetString(PyExc_TypeError, "decode() takes at most 2 arguments");
    return NULL;
  }
  for (Py_ssize_t i = 0; i < nkw; i++) {
    PyObject *key = PyTuple_GET_ITEM(kwnames, i);
    PyObject **target = PyUnicode_CompareWithASCIIString(key, "into") == 0   ? &into
                        : PyUnicode_CompareWithASCIIString(key, "data") == 0 ? &data
                                                                             : NULL;
    if (target == NULL || *target != NULL) {
      PyErr_Format(PyExc_TypeError, "decode() got an unexpected or repeated argument %R", key);
      return NULL;
    }
    *target = args[nargs + i];
  }
  if (data == NULL) {
    PyErr_SetString(PyExc_TypeError, "decode() missing argument 'data'");
    return NULL;
  }
  if (into == Py_None) {
    into = NULL;
  }
  Py_buffer view = {0};
  const uint8_t *p;
  Py_ssize_t n;
  if (PyBytes_CheckExact(data)) {
    p = (const uint8_t *)PyBytes_AS_STRING(data);
    n = PyBytes_GET_SIZE(data);
  } else {
    if (PyObject_GetBuffer(data, &view, PyBUF_SIMPLE) < 0) {
      return NULL;
    }
    p = view.buf;
    n = view.len;
  }
  static const uint8_t nothing[1] = {0};
  if (p == NULL) {
    p = nothing;
    n = 0;
  }
  Decoder d = {mt->decode_error};
  const uint8_t *pos = p;
  PyObject *msg = decode_message(&d, mt, &pos, p + n, 0, into, 0);
  if (view.obj != NULL) {
    PyBuffer_Release(&view);
  }
  return msg;
}

static PyMethodDef mt_methods[] = {
    {"setup", mt_setup, METH_O, "setup(fields): the normalised field specs, sorted by number; once."},
    {"encode", mt_encode, METH_O, "encode(msg) -> bytes: the wire encoding of msg."},
    {"decode", (PyCFunction)(void (*)(void))mt_decode, METH_FASTCALL | METH_KEYWORDS,
     "decode(data, into=None): a new instance decoded from data, starting from into's values."},
    {NULL, NULL, 0, NULL},
};

static PyMemberDef mt_members[] = {
    {"cls", Py_T_OBJECT_EX, offsetof(MessageType, cls), Py_READONLY, "the message class"},
    {"full_name", Py_T_OBJECT_EX, offsetof(MessageType, full_name), Py_READONLY, "the message's full protobuf name"},
    {NULL, 0, 0, 0, NULL},
};

static PyType_Slot mt_slots[] = {
    {Py_tp_doc,
     "MessageType(cls, full_name, decode_error, encode_error): the codec of one "
     "message class."},
    {Py_tp_new, mt_new},
    {Py_tp_dealloc, mt_dealloc},
    {Py_tp_traverse, mt_traverse},
    {Py_tp_clear, mt_clear},
    {Py_tp_repr, mt_repr},
    {Py_tp_methods, mt_methods},
    {Py_tp_members, mt_members},
    {0, NULL},
};

static PyType_Spec mt_spec = {
    .name = "moonstub._native.MessageType",
    .basicsize = sizeof(MessageType),
    .itemsize = 0,
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = mt_slots,
};

/* ==== the module ========================================================== */

static int module_exec(PyObject *module) {
  ModuleState *state = PyModule_GetState(module);
  state->message_type = PyType_FromModuleAndSpec(module, &mt_spec, NULL);
  if (state->message_type == NULL) {
    return -1;
  }
  return PyModule_AddType(module, (PyTypeObject *)state->message_type);
}

static int module_traverse(PyObject *module, visitproc visit, void *arg) {
  ModuleState *state = PyModule_GetState(module);
  Py_VISIT(state->message_type);
  return 0;
}

static int module_clear(PyObject *module) {
  ModuleState *state = PyModule_GetState(module);
  Py_CLEAR(state->message_type);
  return 0;
}

static void module_free(void *module) { module_clear((PyObject *)module); }

static PyModuleDef_Slot module_slots[] = {
    {Py_mod_exec, module_exec},
#ifdef Py_mod_multiple_interpreters
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
#endif
    {0, NULL},
};

static struct PyModuleDef native_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "moonstub._native",
    .m_doc = "The table-driven protobuf wire codec of moonstub's message classes.",
    .m_size = sizeof(ModuleState),
    .m_slots = module_slots,
    .m_traverse = module_traverse,
    .m_clear = module_clear,
    .m_free = module_free,
};

PyMODINIT_FUNC PyInit__native(void) { return PyModuleDef_Init(&native_module); }
