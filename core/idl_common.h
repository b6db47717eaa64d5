/* What the Fory IDL and FlatBuffers front ends share: node constructors and
 * the protobuf shape of a field described by its Fory detail. */
#ifndef MS_IDL_COMMON_H
#define MS_IDL_COMMON_H

#include <stdbool.h>

#include "model.h"

bool ms_idl_name_in(const char *name, const char *const *names);
ms_Field *ms_idl_new_field(ms_Arena *arena, ms_File *file, ms_Message *parent);
ms_Enum *ms_idl_new_enum(ms_Arena *arena, ms_File *file, ms_Message *parent);
ms_Message *ms_idl_new_message(ms_Arena *arena, ms_File *file, ms_Message *parent, ms_IdlKind kind);
/* A union's cases are the fields of its one oneof, "value". */
void ms_idl_add_union_oneof(ms_Arena *arena, ms_Message *u);
/* Once the cases are parsed: the oneof shares their namespace, so a case
 * named "value" (which foryc accepts) moves it to "value_" ("value__", ...). */
void ms_idl_keep_union_oneof_clear_of_cases(ms_Arena *arena, ms_Message *u);
/* Fills type, label and (for maps) the synthetic entry message, which goes
 * into `nested`, from f->idl. */
void ms_idl_shape_field(ms_Arena *arena, ms_Field *f, ms_Message *parent, ms_Vec *nested);
/* The protobuf wire type of a Fory scalar; bytes for those protobuf lacks. */
ms_Type ms_idl_wire_type(ms_Scalar s, const char *encoding);
/* FlatBuffers union members named after their type: foryc's snake_case. */
const char *ms_idl_snake_name(ms_Arena *arena, const char *name);

/* A FlatBuffers scalar type name (byte, ubyte, ..., int8, ..., string); NONE otherwise. */
ms_Scalar ms_fbs_scalar(const char *name, unsigned len);

#endif
