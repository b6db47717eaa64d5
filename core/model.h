/* The schema model: one shape for every IDL. The front ends fill it, the
 * linker resolves and checks it, the Lua bridge hands it to scripts. All of
 * it lives in the compilation's arena. */
#ifndef MS_MODEL_H
#define MS_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "arena.h"
#include "diag.h"

/* Field types, numbered as in descriptor.proto. MS_TYPE_NAMED is a type
 * name that the linker has not resolved yet. */
typedef enum ms_Type {
  MS_TYPE_NAMED = 0,
  MS_TYPE_DOUBLE = 1,
  MS_TYPE_FLOAT = 2,
  MS_TYPE_INT64 = 3,
  MS_TYPE_UINT64 = 4,
  MS_TYPE_INT32 = 5,
  MS_TYPE_FIXED64 = 6,
  MS_TYPE_FIXED32 = 7,
  MS_TYPE_BOOL = 8,
  MS_TYPE_STRING = 9,
  MS_TYPE_GROUP = 10,
  MS_TYPE_MESSAGE = 11,
  MS_TYPE_BYTES = 12,
  MS_TYPE_UINT32 = 13,
  MS_TYPE_ENUM = 14,
  MS_TYPE_SFIXED32 = 15,
  MS_TYPE_SFIXED64 = 16,
  MS_TYPE_SINT32 = 17,
  MS_TYPE_SINT64 = 18
} ms_Type;

typedef enum ms_Label {
  MS_LABEL_NONE = 0, /* written without a label */
  MS_LABEL_OPTIONAL = 1,
  MS_LABEL_REQUIRED = 2,
  MS_LABEL_REPEATED = 3
} ms_Label;

typedef enum ms_Syntax {
  MS_SYNTAX_PROTO2,
  MS_SYNTAX_PROTO3,
  MS_SYNTAX_EDITIONS,
  MS_SYNTAX_FDL,
  MS_SYNTAX_FBS
} ms_Syntax;

/* Editions features that change generated code, resolved per element. */
typedef enum { MS_PRESENCE_EXPLICIT = 1, MS_PRESENCE_IMPLICIT = 2, MS_PRESENCE_LEGACY_REQUIRED = 3 } ms_Presence;
typedef enum { MS_ENUM_OPEN = 1, MS_ENUM_CLOSED = 2 } ms_EnumType;
typedef enum { MS_REPEATED_PACKED = 1, MS_REPEATED_EXPANDED = 2 } ms_RepeatedEncoding;
typedef enum { MS_UTF8_VERIFY = 2, MS_UTF8_NONE = 3 } ms_Utf8;
typedef enum { MS_ENCODING_LENGTH_PREFIXED = 1, MS_ENCODING_DELIMITED = 2 } ms_MessageEncoding;
typedef enum { MS_JSON_ALLOW = 1, MS_JSON_LEGACY_BEST_EFFORT = 2 } ms_JsonFormat;

typedef struct ms_Features {
  uint8_t field_presence;
  uint8_t enum_type;
  uint8_t repeated_field_encoding;
  uint8_t utf8_validation;
  uint8_t message_encoding;
  uint8_t json_format;
} ms_Features;

typedef enum ms_ValueKind {
  MS_VALUE_IDENT, /* true, FOO, inf (sign in `negative`) */
  MS_VALUE_INT, /* uint64 magnitude in `u`, sign in `negative` */
  MS_VALUE_FLOAT, /* `d` */
  MS_VALUE_STRING, /* `text`/`text_len`: decoded bytes */
  MS_VALUE_AGGREGATE /* `text`: the text-format body between the braces */
} ms_ValueKind;

typedef struct ms_Value {
  ms_ValueKind kind;
  bool negative;
  uint64_t u;
  double d;
  const char *text; /* identifier, string bytes, or aggregate text */
  unsigned text_len;
  ms_Loc loc;
} ms_Value;

/* One `option` or `[...]` entry as written: `(my.ext).sub = value`. */
typedef struct ms_Option {
  const char *name; /* as written, normalised: "(my.ext).sub" */
  const char *extension; /* first component if parenthesised: "my.ext", else NULL */
  ms_Value value;
  ms_Loc loc;
  struct ms_Field *resolved; /* custom option: the extension it names */
} ms_Option;

typedef struct ms_Comment {
  const char *leading;
  const char *trailing;
  ms_Vec detached; /* const char* */
} ms_Comment;

typedef struct ms_Range {
  int64_t start; /* inclusive */
  int64_t end; /* inclusive */
  ms_Loc loc;
  ms_Vec options; /* extension ranges: [declaration = {...}, verification = ...] */
  bool end_is_max; /* written "to max" */
} ms_Range;

typedef struct ms_ReservedName {
  const char *name;
  ms_Loc loc;
} ms_ReservedName;

struct ms_File;
struct ms_Message;
struct ms_Enum;
struct ms_Oneof;

/* ---- Fory IDL and FlatBuffers detail ----------------------------------------
 * The protobuf-shaped fields above and below are filled for every IDL (so a
 * .fdl can use the protobuf codec); what only Fory IDL and FlatBuffers can
 * say is kept here, exactly as written. */

typedef enum ms_Scalar {
  MS_SCALAR_NONE = 0, /* a named type */
  MS_SCALAR_BOOL,
  MS_SCALAR_INT8,
  MS_SCALAR_INT16,
  MS_SCALAR_INT32,
  MS_SCALAR_INT64,
  MS_SCALAR_UINT8,
  MS_SCALAR_UINT16,
  MS_SCALAR_UINT32,
  MS_SCALAR_UINT64,
  MS_SCALAR_FLOAT16,
  MS_SCALAR_BFLOAT16,
  MS_SCALAR_FLOAT32,
  MS_SCALAR_FLOAT64,
  MS_SCALAR_STRING,
  MS_SCALAR_BYTES,
  MS_SCALAR_DATE,
  MS_SCALAR_TIMESTAMP,
  MS_SCALAR_DURATION,
  MS_SCALAR_DECIMAL,
  MS_SCALAR_ANY
} ms_Scalar;

typedef enum ms_Collection {
  MS_COLLECTION_NONE = 0,
  MS_COLLECTION_LIST, /* list<T>, repeated T, FlatBuffers [T] of non-numbers */
  MS_COLLECTION_ARRAY, /* array<T>, FlatBuffers [T] of numbers and [T:N] */
  MS_COLLECTION_MAP /* map<K, V> */
} ms_Collection;

/* One type position: a field's type, a list element, a map key or value. */
typedef struct ms_TypeRef {
  ms_Scalar scalar;
  const char *encoding; /* "fixed", "varint", "tagged" or NULL; "array": this list element or
                            map value is itself array<scalar> (foryc's one nested collection) */
  const char *type_name; /* as written, for named types */
  struct ms_Message *message; /* resolved: message, union, struct or table */
  struct ms_Enum *enum_type; /* resolved */
  bool optional; /* the value may be null (`optional`, nullable) */
  bool ref; /* reference-tracked (`ref`) */
  ms_Vec ref_options; /* ms_Option*: weak_ref, thread_safe_pointer */
  ms_Loc loc;
} ms_TypeRef;

typedef struct ms_IdlField {
  ms_Collection collection;
  ms_TypeRef value; /* the field's type; the element or the map value */
  ms_TypeRef key; /* map key */
  bool nullable; /* the field itself may be null */
  bool ref; /* the field itself is reference-tracked */
  ms_Vec ref_options; /* of the field itself */
  bool written_repeated; /* `repeated T` rather than `list<T>` */
  unsigned fixed_length; /* FlatBuffers [T:N] */
  bool has_id; /* FlatBuffers (id: N): number is N + 1 */
} ms_IdlField;

typedef enum ms_IdlKind {
  MS_IDL_MESSAGE = 0, /* .proto and .fdl message */
  MS_IDL_UNION, /* .fdl union, .fbs union: one exclusive case */
  MS_IDL_STRUCT, /* .fbs struct (fixed layout: not evolving) */
  MS_IDL_TABLE /* .fbs table */
} ms_IdlKind;

/* Fory type identity of a message, union or enum. */
typedef struct ms_TypeId {
  uint32_t id;
  bool has_id; /* registered by id (explicit, or hashed) */
  bool generated; /* hashed from `source` */
  const char *source; /* the qualified name hashed */
  ms_Loc loc; /* of [id = N] when explicit */
} ms_TypeId;

typedef enum ms_Kind {
  MS_KIND_FILE,
  MS_KIND_MESSAGE,
  MS_KIND_ENUM,
  MS_KIND_ENUM_VALUE,
  MS_KIND_FIELD,
  MS_KIND_ONEOF,
  MS_KIND_SERVICE,
  MS_KIND_METHOD,
  MS_KIND_UNION
} ms_Kind;

typedef struct ms_Field {
  ms_Kind kind; /* MS_KIND_FIELD */
  const char *name;
  const char *full_name;
  int64_t number;
  ms_Label written_label; /* as written */
  ms_Label label; /* resolved */
  ms_Type type; /* resolved; MS_TYPE_NAMED until linked */
  const char *type_name; /* as written, for named types */
  struct ms_Message *message_type; /* for message and group fields */
  struct ms_Enum *enum_type; /* for enum fields */
  struct ms_Message *map_entry; /* for map fields: the synthetic entry */
  struct ms_Oneof *oneof;
  struct ms_Message *parent; /* containing message, NULL for file scope */
  struct ms_File *file;
  /* extensions */
  const char *extendee_name; /* as written */
  struct ms_Message *extendee;
  struct ms_Message *extension_scope;
  bool is_extension;
  /* presence and encoding, resolved from syntax, labels and features */
  bool has_presence;
  bool packed;
  bool utf8_validate;
  bool proto3_optional;
  bool is_group_syntax; /* written as `group` */
  ms_Features features;
  ms_Value *default_value; /* [default = ...] */
  const char *json_name; /* resolved */
  bool has_json_name; /* written explicitly */
  ms_Vec options; /* ms_Option* */
  ms_Comment comments;
  ms_Loc loc, name_loc, number_loc, type_loc, label_loc;
  /* front-end specific properties (Fory IDL, FlatBuffers) */
  ms_IdlField *idl; /* NULL for .proto fields */
  ms_Vec attributes; /* ms_Option*: FlatBuffers attributes, verbatim */
  void *extra;
} ms_Field;

typedef struct ms_Oneof {
  ms_Kind kind; /* MS_KIND_ONEOF */
  const char *name;
  const char *full_name;
  struct ms_Message *parent;
  ms_Vec fields; /* ms_Field* */
  bool synthetic;
  ms_Vec options;
  ms_Features features;
  ms_Comment comments;
  ms_Loc loc;
  unsigned index;
} ms_Oneof;

typedef struct ms_EnumValue {
  ms_Kind kind; /* MS_KIND_ENUM_VALUE */
  const char *name;
  const char *full_name;
  int64_t number;
  struct ms_Enum *parent;
  ms_Vec options;
  ms_Comment comments;
  ms_Loc loc, number_loc;
} ms_EnumValue;

typedef struct ms_Enum {
  ms_Kind kind; /* MS_KIND_ENUM */
  const char *name;
  const char *full_name;
  struct ms_File *file;
  struct ms_Message *parent;
  ms_Vec values; /* ms_EnumValue* */
  ms_Vec reserved_ranges; /* ms_Range* */
  ms_Vec reserved_names; /* ms_ReservedName* */
  bool closed;
  bool allow_alias;
  ms_Features features;
  ms_Vec options;
  ms_Comment comments;
  ms_Loc loc;
  ms_TypeId type_id;
  const char *base_type; /* FlatBuffers `enum E : ubyte` */
  bool bit_flags; /* FlatBuffers (bit_flags) */
} ms_Enum;

typedef struct ms_Message {
  ms_Kind kind; /* MS_KIND_MESSAGE */
  const char *name;
  const char *full_name;
  struct ms_File *file;
  struct ms_Message *parent;
  ms_Vec fields; /* ms_Field* in declaration order */
  ms_Vec oneofs; /* ms_Oneof*, real ones first, then synthetic */
  ms_Vec messages; /* nested ms_Message* (map entries and groups included) */
  ms_Vec enums; /* ms_Enum* */
  ms_Vec extensions; /* ms_Field* declared in `extend` blocks inside */
  ms_Vec extension_ranges; /* ms_Range* */
  ms_Vec reserved_ranges; /* ms_Range* */
  ms_Vec reserved_names; /* ms_ReservedName* */
  bool is_map_entry;
  bool is_group; /* the body of a group field */
  bool message_set_wire_format;
  ms_Features features;
  ms_Vec options;
  ms_Comment comments;
  ms_Loc loc;
  ms_IdlKind idl_kind;
  ms_TypeId type_id;
  int evolving; /* Fory: -1 unset, 0 or 1 */
  void *extra;
} ms_Message;

typedef struct ms_Method {
  ms_Kind kind; /* MS_KIND_METHOD */
  const char *name;
  const char *full_name;
  struct ms_Service *parent;
  const char *input_name, *output_name; /* as written */
  ms_Message *input, *output;
  bool client_streaming, server_streaming;
  ms_Vec options;
  ms_Comment comments;
  ms_Loc loc, input_loc, output_loc;
} ms_Method;

typedef struct ms_Service {
  ms_Kind kind; /* MS_KIND_SERVICE */
  const char *name;
  const char *full_name;
  struct ms_File *file;
  ms_Vec methods; /* ms_Method* */
  ms_Vec options;
  ms_Comment comments;
  ms_Loc loc;
} ms_Service;

typedef struct ms_Import {
  const char *path; /* as written: the virtual path */
  bool is_public, is_weak, is_option;
  struct ms_File *file; /* resolved */
  ms_Loc loc;
} ms_Import;

typedef struct ms_File {
  ms_Kind kind; /* MS_KIND_FILE */
  const char *path; /* virtual path, relative to its import root */
  const char *disk_path; /* where it was read from */
  bool builtin; /* declares what one of the carried .proto files does (the well-known types): see builtin_match.h */
  ms_Source source;
  ms_Syntax syntax;
  const char *edition; /* "2023", "2024" or NULL */
  const char *package; /* NULL when none */
  ms_Loc package_loc;
  const char *package_alias; /* Fory IDL `package a.b alias c;` */
  /* FlatBuffers file statements */
  const char *root_type;
  ms_Loc root_type_loc;
  struct ms_Message *root;
  const char *file_identifier;
  const char *file_extension;
  ms_Vec declared_attributes; /* ms_ReservedName*: `attribute "x";` */
  ms_Vec imports; /* ms_Import* */
  ms_Vec messages; /* ms_Message* */
  ms_Vec enums; /* ms_Enum* */
  ms_Vec services; /* ms_Service* */
  ms_Vec extensions; /* ms_Field* from top-level extend blocks */
  ms_Features features;
  ms_Vec options;
  ms_Comment comments; /* of the syntax / package statement */
  bool is_target;
  bool syntax_written;
  /* plugin mode: protoc's serialized FileDescriptorProto of the file, as the
   * request carried it minus source_code_info (descriptor_out.h) */
  const uint8_t *descriptor_bytes;
  size_t descriptor_len;
  /* linker state */
  int link_state; /* 0 new, 1 loading imports, 2 done */
  unsigned order;
  void *extra; /* linker: stamp marking the files visible from the one being linked */
} ms_File;

/* The whole compilation result: files in dependency order. */
typedef struct ms_Schema {
  ms_Vec files; /* ms_File*, dependencies first */
} ms_Schema;

const char *ms_type_name(ms_Type t);
ms_Type ms_type_from_keyword(const char *s, unsigned len);
const char *ms_label_name(ms_Label l);
const char *ms_syntax_name(ms_Syntax s);
bool ms_type_is_scalar(ms_Type t);
bool ms_type_is_packable(ms_Type t);
ms_Option *ms_find_option(const ms_Vec *options, const char *name);
/* The identifier `true`. */
bool ms_value_is_true(const ms_Value *v);
/* The option `name` is set to `true`. */
bool ms_option_is_true(const ms_Vec *options, const char *name);
/* Whether one of the inclusive ms_Range* covers n. */
bool ms_ranges_contain(const ms_Vec *ranges, int64_t n);
/* protoc's default JSON name: underscores dropped, the next letter upper-cased. */
const char *ms_default_json_name(ms_Arena *arena, const char *name);
const char *ms_scalar_name(ms_Scalar s);
ms_Scalar ms_scalar_from_name(const char *s, unsigned len);
const char *ms_collection_name(ms_Collection c);
const char *ms_idl_kind_name(ms_IdlKind k);
/* Fory's automatic type id: MurmurHash3 x86_32 (seed 0) of the UTF-8 name. */
uint32_t ms_fory_type_hash(const char *name);
/* protoc's name of a map field's entry message: foo_bar -> FooBarEntry. */
char *ms_map_entry_name(ms_Arena *arena, const char *field_name);

#endif
